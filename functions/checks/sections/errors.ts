import type { V1Pod } from '@kubernetes/client-node';
import type { SectionOutcome } from '../report-model.ts';
import { table } from '../render.ts';
import { mapBounded } from '../../../core/bounded.ts';
import type { KubernetesPort } from '../../../core/kubernetes.ts';
import { type ChecksDeps } from '../checks-deps.ts';

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)\s+/;

/**
 * The error's shape without what changes between occurrences: timestamps, ids, hashes, numbers and
 * quoted values become placeholders, so "art-1a2b3c4d failed after 31 ms" and "art-99ffee00 failed
 * after 7 ms" group together (the manual's runbook grouped by the last field, which splits them).
 */
export function errorSignature(line: string): string {
  return line
    .replace(TIMESTAMP, '')
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

interface ErrorLine {
  readonly pod: string;
  readonly at?: string;
  readonly text: string;
}

const RECENT = 20;
/** Pods named in the per-pod table (the busiest); the JSON has every pod. */
const POD_ROWS = 20;
const LOG_CONCURRENCY = 24;

/** Morning item 2: errors of the last hour in every pod's logs, counted per pod and grouped by type. */
export async function errorsSection(deps: ChecksDeps, sinceSeconds = 3600): Promise<SectionOutcome> {
  const { namespace, appSelector } = deps.config.cluster;
  const targets: Array<{ pod: string; container: string }> = [];
  for await (const page of deps.kube.pods(namespace, appSelector)) targets.push(...logTargets(page));
  const perPod = new Map<string, number>();
  const groups = new Map<string, { count: number; example: string }>();
  let recent: ErrorLine[] = [];
  let fatal = 0;
  const unreadable = await scanErrorLines(
    deps.kube,
    namespace,
    targets,
    { sinceSeconds, concurrency: LOG_CONCURRENCY },
    (pod, line) => {
      if (/\bFATAL\b/.test(line)) fatal += 1;
      perPod.set(pod, (perPod.get(pod) ?? 0) + 1);
      const signature = errorSignature(line);
      const group = groups.get(signature);
      if (group) group.count += 1;
      else groups.set(signature, { count: 1, example: line.replace(TIMESTAMP, '').slice(0, 200) });
      const at = line.match(TIMESTAMP)?.[1];
      recent.push({ pod, text: line.slice(0, 400), ...(at ? { at } : {}) });
      if (recent.length > RECENT * 4) recent = newest(recent);
    },
  );
  recent = newest(recent);
  const total = [...perPod.values()].reduce((a, b) => a + b, 0);
  const sortedGroups = [...groups.entries()].sort((a, b) => b[1].count - a[1].count);
  const lines: string[] = [];
  if (total > 0) {
    const byPod = [...perPod.entries()].sort((a, b) => b[1] - a[1]);
    lines.push('Errors per pod:');
    lines.push(
      ...table(
        ['POD', 'ERRORS'],
        byPod.slice(0, POD_ROWS).map(([p, n]) => [p, String(n)]),
      ).map((l) => `  ${l}`),
    );
    if (byPod.length > POD_ROWS)
      lines.push(`  … and ${byPod.length - POD_ROWS} more pods with errors (all in the JSON)`);
    lines.push('Error types:');
    lines.push(
      ...table(
        ['COUNT', 'ERROR'],
        sortedGroups.slice(0, 15).map(([sig, g]) => [String(g.count), sig]),
      ).map((l) => `  ${l}`),
    );
    lines.push(`Most recent ${recent.length}:`);
    lines.push(...recent.map((r) => `  ${r.pod}: ${r.text}`));
  }
  if (unreadable.length > 0)
    lines.push(`Logs not readable for ${unreadable.length} pod(s): ${unreadable.slice(0, 3).join('; ')}`);
  return {
    summary:
      total === 0
        ? `no errors in the last hour across ${targets.length} pods`
        : `${total} error line(s) in the last hour from ${perPod.size} of ${targets.length} pods, ${groups.size} type(s)`,
    findings: [
      ...(fatal > 0 ? [{ status: 'WARNING' as const, text: `${fatal} FATAL line(s) in the last hour` }] : []),
      ...(unreadable.length > 0
        ? [{ status: 'WARNING' as const, text: `logs of ${unreadable.length} pod(s) could not be read` }]
        : []),
      ...(targets.length === 0
        ? [{ status: 'WARNING' as const, text: 'not measured: no pod to read logs from' }]
        : []),
    ],
    lines,
    data: {
      total,
      perPod: Object.fromEntries(perPod),
      types: sortedGroups.map(([signature, g]) => ({ signature, count: g.count, example: g.example })),
      recent,
      unreadable,
    },
  };
}

function newest(lines: ErrorLine[]): ErrorLine[] {
  return [...lines].sort((a, b) => (b.at ?? '').localeCompare(a.at ?? '')).slice(0, RECENT);
}
