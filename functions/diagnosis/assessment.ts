import type { V1Pod } from '@kubernetes/client-node';
import { errorSignature, logTargets, scanErrorLines } from '../../core/pod-logs.ts';
import type { DiagnosisDeps } from './diagnosis-deps.ts';
import type { PartResult } from './model.ts';

export async function listPods(deps: DiagnosisDeps): Promise<V1Pod[]> {
  const { namespace, appSelector } = deps.config.cluster;
  const pods: V1Pod[] = [];
  for await (const page of deps.kube.pods(namespace, appSelector)) pods.push(...page);
  return pods;
}

export const ready = (pod: V1Pod) =>
  pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
export const restarts = (pod: V1Pod) =>
  (pod.status?.containerStatuses ?? []).reduce((a, c) => a + (c.restartCount ?? 0), 0);

export function ago(from: Date | string | undefined, now: Date): string {
  if (!from) return 'at an unknown time';
  const minutes = Math.round((now.getTime() - new Date(from).getTime()) / 60_000);
  if (minutes < 120) return `${minutes} min ago`;
  if (minutes < 48 * 60) return `${Math.round(minutes / 60)} h ago`;
  return `${Math.round(minutes / 1440)} days ago`;
}

// ---- the assessment (playbook step 1) --------------------------------------------------------

export function podStatus(pods: V1Pod[]): PartResult {
  const lines = pods.map((p) => {
    const c = p.status?.containerStatuses?.[0];
    const state =
      c?.state?.waiting?.reason ??
      (c?.state?.running ? 'Running' : (c?.state?.terminated?.reason ?? p.status?.phase ?? '?'));
    const last = c?.lastState?.terminated;
    return `${p.metadata?.name ?? '?'}  ${ready(p) ? 'ready' : 'NOT READY'}  ${state}  restarts ${restarts(p)}${last ? `  last exit ${last.exitCode} (${last.reason ?? '?'})` : ''}`;
  });
  const notReady = pods.filter((p) => !ready(p));
  const findings: string[] = [];
  if (pods.length === 0) findings.push('no pods of the service exist');
  else if (notReady.length > 0) findings.push(`${notReady.length} of ${pods.length} pods not ready`);
  return {
    summary: `${pods.length - notReady.length}/${pods.length} ready, ${pods.reduce((a, p) => a + restarts(p), 0)} restarts`,
    lines,
    findings,
  };
}

export interface ErrorGroups {
  readonly total: number;
  readonly groups: Array<{ signature: string; count: number; example: string; pods: Set<string> }>;
  readonly unreadable: string[];
}

/** The last `tail` lines of each pod's log, error lines grouped by signature (as the morning report does). */
export async function errorGroups(deps: DiagnosisDeps, pods: V1Pod[], tail: number): Promise<ErrorGroups> {
  const groups = new Map<string, { signature: string; count: number; example: string; pods: Set<string> }>();
  let total = 0;
  const unreadable = await scanErrorLines(
    deps.kube,
    deps.config.cluster.namespace,
    logTargets(pods),
    { sinceSeconds: 3600, tailLines: tail, concurrency: 16 },
    (pod, line) => {
      total += 1;
      const signature = errorSignature(line);
      const group = groups.get(signature) ?? {
        signature,
        count: 0,
        example: line.slice(0, 240),
        pods: new Set<string>(),
      };
      group.count += 1;
      group.pods.add(pod);
      groups.set(signature, group);
    },
  );
  return { total, groups: [...groups.values()].sort((a, b) => b.count - a.count), unreadable };
}

export function errorsPart(errors: ErrorGroups): PartResult {
  const lines = errors.groups
    .slice(0, 10)
    .map((g) => `${String(g.count).padStart(5)}  ${g.signature}  (${g.pods.size} pod(s))`);
  if (errors.unreadable.length) lines.push(`logs not read: ${errors.unreadable.slice(0, 5).join('; ')}`);
  const top = errors.groups[0];
  return {
    summary: `${errors.total} error line(s) in the last 50 lines of each pod, ${errors.groups.length} kind(s)`,
    lines,
    findings: top ? [`most frequent error (${top.count}×): ${top.signature}`] : [],
  };
}

export async function keyMetrics(deps: DiagnosisDeps): Promise<PartResult> {
  const { appSelector } = deps.config.cluster;
  const app = appSelector.split('=')[1] ?? 'mcp-semantic';
  const value = async (expr: string) => (await deps.prometheus.query(expr))[0]?.value;
  const [up, targets, validations, promotions] = await Promise.all([
    value(`sum(up{app="${app}"}) or sum(up{job=~".*${app}.*"})`),
    value(`count(up{app="${app}"}) or count(up{job=~".*${app}.*"})`),
    value('sum(rate(validation_total[5m]))'),
    value('sum(rate(promotion_total[5m]))'),
  ]);
  const fmt = (v: number | undefined, unit: string) =>
    v === undefined || Number.isNaN(v) ? 'no data' : `${v.toFixed(2)}${unit}`;
  const findings: string[] = [];
  if (up !== undefined && targets !== undefined && up < targets)
    findings.push(`${targets - up} of ${targets} metrics targets down`);
  if (validations === 0) findings.push('no validations in the last 5 minutes');
  return {
    summary: `up ${up ?? '?'}/${targets ?? '?'}, validations ${fmt(validations, '/s')}, promotions ${fmt(promotions, '/s')}`,
    lines: [
      `up: ${up ?? 'no data'} of ${targets ?? 'no data'} targets`,
      `validation_total rate (5m): ${fmt(validations, '/s')}`,
      `promotion_total rate (5m): ${fmt(promotions, '/s')}`,
    ],
    findings,
  };
}

export async function firingAlerts(deps: DiagnosisDeps): Promise<PartResult> {
  const alerts = (await deps.prometheus.alerts()).filter((a) => a.state === 'firing');
  return {
    summary: `${alerts.length} firing`,
    lines: alerts.map(
      (a) =>
        `${a.name} (${a.severity})${a.since ? ` since ${a.since}` : ''}${a.summary ? `: ${a.summary}` : ''}`,
    ),
    findings: [],
  };
}
