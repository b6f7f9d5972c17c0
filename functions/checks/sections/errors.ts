import type { SectionOutcome } from '../report-model.ts';
import { table } from '../render.ts';
import { tablesOf } from '../text-table.ts';
import { LOG_TIMESTAMP, errorSignature, logTargets, scanErrorLines } from '../../../core/pod-logs.ts';
import { type ChecksDeps } from '../checks-deps.ts';

interface ErrorLine {
  readonly pod: string;
  readonly at?: string;
  readonly text: string;
}

const RECENT = 20;
/** Error types shown with their examples; examples kept per type (the newest). */
const TYPES_SHOWN = 15;
const EXAMPLES = 3;
/** Pods named in the per-pod table (the busiest); the JSON has every pod. */
const POD_ROWS = 20;
export const LOG_CONCURRENCY = 24;

/** Morning item 2: errors of the last hour in every pod's logs, counted per pod and grouped by type. */
export async function errorsSection(deps: ChecksDeps, sinceSeconds = 3600): Promise<SectionOutcome> {
  const { namespace, appSelector } = deps.config.cluster;
  const targets: Array<{ pod: string; container: string }> = [];
  for await (const page of deps.kube.pods(namespace, appSelector)) targets.push(...logTargets(page));
  const perPod = new Map<string, number>();
  const groups = new Map<
    string,
    { count: number; example: string; fatal: boolean; examples: ErrorLine[]; pods: Set<string> }
  >();
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
      const at = line.match(LOG_TIMESTAMP)?.[1];
      const entry: ErrorLine = { pod, text: line.slice(0, 400), ...(at ? { at } : {}) };
      const group = groups.get(signature);
      if (group) {
        group.count += 1;
        group.pods.add(pod);
        group.examples = newest([...group.examples, entry], EXAMPLES);
      } else
        groups.set(signature, {
          count: 1,
          example: line.replace(LOG_TIMESTAMP, '').slice(0, 200),
          fatal: /\bFATAL\b/.test(line),
          examples: [entry],
          pods: new Set([pod]),
        });
      recent.push(entry);
      if (recent.length > RECENT * 4) recent = newest(recent);
    },
  );
  recent = newest(recent);
  const total = [...perPod.values()].reduce((a, b) => a + b, 0);
  // FATAL types first (the worst), then the most frequent.
  const sortedGroups = [...groups.entries()].sort(
    (a, b) => Number(b[1].fatal) - Number(a[1].fatal) || b[1].count - a[1].count,
  );
  const tables: ReturnType<typeof tablesOf> = [];
  const lines: string[] = [];
  if (total > 0) {
    const byPod = [...perPod.entries()].sort((a, b) => b[1] - a[1]);
    lines.push('Errors per pod:');
    const podTable = table(
      ['POD', 'ERRORS'],
      byPod.slice(0, POD_ROWS).map(([p, n]) => [p, String(n)]),
    );
    tables.push(...tablesOf(podTable));
    lines.push(...podTable);
    if (byPod.length > POD_ROWS)
      lines.push(`… and ${byPod.length - POD_ROWS} more pods with errors (all in the JSON)`);
    lines.push('Error types:');
    const typeTable = table(
      ['COUNT', 'PODS', 'ERROR'],
      sortedGroups.slice(0, TYPES_SHOWN).map(([sig, g]) => [String(g.count), String(g.pods.size), sig]),
    );
    tables.push(...tablesOf(typeTable));
    lines.push(...typeTable);
    // Each type once, with its newest examples (at most 3), not the same line twenty times.
    lines.push(`Examples (the newest ${EXAMPLES} of each type):`);
    for (const [sig, g] of sortedGroups.slice(0, TYPES_SHOWN)) {
      lines.push(`${g.count} × ${sig}`);
      lines.push(...g.examples.map((r) => `  ${r.pod}: ${r.text}`));
    }
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
    tables,
    data: {
      total,
      perPod: Object.fromEntries(perPod),
      types: sortedGroups.map(([signature, g]) => ({
        signature,
        count: g.count,
        example: g.example,
        pods: g.pods.size,
        examples: g.examples,
      })),
      recent,
      unreadable,
    },
  };
}

function newest(lines: ErrorLine[], keep = RECENT): ErrorLine[] {
  return [...lines].sort((a, b) => (b.at ?? '').localeCompare(a.at ?? '')).slice(0, keep);
}
