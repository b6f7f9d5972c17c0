// Reading the service's pods' logs for errors: which pods have a log, each error line, and its
// shape without what changes between occurrences. The morning report (checks) and the incident
// diagnosis both read logs this way.
import type { V1Pod } from '@kubernetes/client-node';
import { mapBounded } from './bounded.ts';
import type { KubernetesPort } from './kubernetes.ts';

/** A log line's leading timestamp (RFC 3339), with the space after it. */
export const LOG_TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)\s+/;

/**
 * The error's shape without what changes between occurrences: timestamps, ids, hashes, numbers and
 * quoted values become placeholders, so "art-1a2b3c4d failed after 31 ms" and "art-99ffee00 failed
 * after 7 ms" group together (the manual's runbook grouped by the last field, which splits them).
 */
export function errorSignature(line: string): string {
  return line
    .replace(LOG_TIMESTAMP, '')
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>')
    .replace(/"[^"]*"|'[^']*'/g, '"…"')
    .replace(
      /\b([A-Za-z]+[-_])?(?=[0-9a-f]*\d)[0-9a-f]{6,}\b/gi,
      (_, p: string | undefined) => `${p ?? ''}<id>`,
    )
    .replace(/\b0x[0-9a-f]+\b/gi, '<hex>')
    .replace(/\d+(\.\d+)?/g, '<n>')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 160);
}

/** The pods whose log can be read: started (not Pending), each with its first container. */
export function logTargets(pods: readonly V1Pod[]): Array<{ pod: string; container: string }> {
  return pods.flatMap((pod) => {
    const container = pod.spec?.containers[0]?.name;
    return container && pod.metadata?.name && pod.status?.phase !== 'Pending'
      ? [{ pod: pod.metadata.name, container }]
      : [];
  });
}

/**
 * Reads each target's log (`concurrency` at a time) and hands every error line (`error` in any
 * case, or `FATAL`) to `onError`; answers the pods whose log could not be read, with why. The
 * morning report and the incident diagnosis read logs this way.
 */
export async function scanErrorLines(
  kube: KubernetesPort,
  namespace: string,
  targets: ReadonlyArray<{ pod: string; container: string }>,
  log: { sinceSeconds: number; tailLines?: number; concurrency: number },
  onError: (pod: string, line: string) => void,
): Promise<string[]> {
  const unreadable: string[] = [];
  await mapBounded(targets, log.concurrency, async ({ pod, container }) => {
    let text: string;
    try {
      text = await kube.podLog(
        namespace,
        pod,
        container,
        log.sinceSeconds,
        log.tailLines === undefined ? undefined : { tailLines: log.tailLines },
      );
    } catch (error) {
      unreadable.push(`${pod}: ${(error as Error).message.split('\n')[0]!.slice(0, 120)}`);
      return;
    }
    for (const line of text.split('\n'))
      if (/error/i.test(line) || /\bFATAL\b/.test(line)) onError(pod, line);
  });
  return unreadable;
}
