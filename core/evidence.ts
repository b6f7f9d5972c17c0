/**
 * The manual's "Collect Evidence", read-only and at once: each named pod's log (its current and
 * previous container), the pod as YAML, the namespace's events sorted by time, and the
 * NetworkPolicies in force, written where nobody can change them (S3 Object Lock, compliance
 * mode) with a manifest of SHA-256 sums; the manifest's own SHA-256 is the digest a person
 * compares. A part that cannot be read is written as what stopped it; it never stops the rest.
 */
import { dumpYaml, type CoreV1Event, type V1Pod } from '@kubernetes/client-node';
import type { KubernetesPort } from './kubernetes.ts';
import { createHash } from 'node:crypto';

/** What the capture reads: the read-only port's logs and policies, one pod, every event. */
export type EvidenceSource = Pick<KubernetesPort, 'podLog' | 'networkPolicies'> & {
  pod(namespace: string, name: string): Promise<V1Pod | undefined>;
  events(namespace: string): Promise<CoreV1Event[]>;
};

/** Write-once storage: each object kept unchangeable until `retainUntil`. */
export interface EvidenceStore {
  put(key: string, body: string, contentType: string, retainUntil: Date): Promise<void>;
  /** Where a key is, for a person (`s3://bucket/key`). */
  location(key: string): string;
}

export type EvidencePhase = 'initial' | 'after-quarantine';

export interface EvidenceFile {
  readonly key: string;
  readonly sha256: string;
  readonly bytes: number;
}

export interface EvidenceCapture {
  readonly phase: EvidencePhase;
  readonly manifest: string;
  /** SHA-256 of the manifest as written: what the page carries. */
  readonly digest: string;
  readonly files: EvidenceFile[];
  readonly capturedAt: string;
  /** Parts that could not be read (their file says why). */
  readonly unreadable: string[];
}

export const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');

const eventTime = (e: CoreV1Event) =>
  new Date(
    e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp ?? 0,
  ).getTime();

export function eventsText(events: readonly CoreV1Event[]): string {
  const rows = [...events]
    .sort((a, b) => eventTime(a) - eventTime(b))
    .map(
      (e) =>
        `${new Date(eventTime(e)).toISOString()}  ${(e.type ?? '').padEnd(7)} ${(e.reason ?? '').padEnd(20)} ${e.involvedObject?.kind ?? ''}/${e.involvedObject?.name ?? ''}  ${(e.message ?? '').replace(/\s+/g, ' ')}`,
    );
  return `LAST SEEN  TYPE    REASON               OBJECT  MESSAGE\n${rows.join('\n')}\n`;
}

export async function captureEvidence(
  deps: {
    source: EvidenceSource;
    store: EvidenceStore;
    namespace: string;
    retentionDays: number;
    now: () => Date;
  },
  incidentId: string,
  pods: readonly string[],
  phase: EvidencePhase,
): Promise<EvidenceCapture> {
  const capturedAt = deps.now();
  const retainUntil = new Date(capturedAt.getTime() + deps.retentionDays * 86_400_000);
  const prefix = `evidence/${incidentId}/${phase}`;
  const files: EvidenceFile[] = [];
  const unreadable: string[] = [];
  const write = async (name: string, body: string, type = 'text/plain; charset=utf-8') => {
    const key = `${prefix}/${name}`;
    await deps.store.put(key, body, type, retainUntil);
    files.push({ key, sha256: sha256Hex(body), bytes: Buffer.byteLength(body) });
  };
  const read = async (what: string, name: string, work: () => Promise<string>, type?: string) => {
    let body: string;
    try {
      body = await work();
    } catch (error) {
      const reason = (error as Error).message.split('\n')[0]!.slice(0, 300);
      unreadable.push(`${what}: ${reason}`);
      body = `could not be read at ${capturedAt.toISOString()}: ${reason}\n`;
    }
    await write(name, body, type);
  };
  const { namespace } = deps;
  for (const name of pods.slice(0, 10)) {
    const pod = await deps.source.pod(namespace, name).catch(() => undefined);
    await read(
      `pod ${name}`,
      `pods/${name}.yaml`,
      async () => {
        if (!pod) throw new Error(`no pod ${name} in ${namespace}`);
        return dumpYaml({ apiVersion: 'v1', kind: 'Pod', ...pod });
      },
      'application/yaml',
    );
    for (const container of pod?.spec?.containers ?? []) {
      for (const previous of [false, true])
        await read(
          `${previous ? 'previous ' : ''}log of ${name}/${container.name}`,
          `pods/${name}/${container.name}${previous ? '.previous' : ''}.log`,
          () => deps.source.podLog(namespace, name, container.name, 7 * 86_400, { previous }),
        );
    }
  }
  await read('events', 'events.txt', async () => eventsText(await deps.source.events(namespace)));
  await read(
    'network policies',
    'networkpolicies.yaml',
    async () =>
      (await deps.source.networkPolicies(namespace))
        .map((p) => dumpYaml({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', ...p }))
        .join('---\n') || '# no NetworkPolicy in the namespace\n',
    'application/yaml',
  );
  const manifestBody = `${JSON.stringify(
    {
      incidentId,
      phase,
      namespace,
      pods,
      capturedAt: capturedAt.toISOString(),
      retainUntil: retainUntil.toISOString(),
      files,
      unreadable,
    },
    null,
    2,
  )}\n`;
  const manifestKey = `${prefix}/manifest.json`;
  await deps.store.put(manifestKey, manifestBody, 'application/json', retainUntil);
  const digest = sha256Hex(manifestBody);
  await deps.store.put(
    `${prefix}/manifest.json.sha256`,
    `${digest}  manifest.json\n`,
    'text/plain',
    retainUntil,
  );
  return {
    phase,
    manifest: deps.store.location(manifestKey),
    digest,
    files,
    capturedAt: capturedAt.toISOString(),
    unreadable,
  };
}
