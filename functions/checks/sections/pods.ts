import type { V1Pod } from '@kubernetes/client-node';
import type { Finding, SectionOutcome } from '../report-model.ts';
import { table } from '../render.ts';
import { age, type ChecksDeps } from '../checks-deps.ts';

export interface PodState {
  readonly name: string;
  readonly phase: string;
  readonly ready: string;
  readonly restarts: number;
  /** Waiting reason, or the last termination's reason with its exit code. */
  readonly reason: string;
  readonly age: string;
  readonly node: string;
  readonly healthy: boolean;
  readonly crashLooping: boolean;
  readonly oomKilled: boolean;
}

export function podState(pod: V1Pod, now: Date): PodState {
  const statuses = pod.status?.containerStatuses ?? [];
  const ready = statuses.filter((s) => s.ready).length;
  const restarts = statuses.reduce((sum, s) => sum + (s.restartCount ?? 0), 0);
  const reasons: string[] = [];
  let crashLooping = false;
  let oomKilled = false;
  for (const s of statuses) {
    const waiting = s.state?.waiting?.reason;
    const terminated = s.state?.terminated ?? s.lastState?.terminated;
    if (waiting) reasons.push(waiting);
    if (waiting === 'CrashLoopBackOff') crashLooping = true;
    if (terminated?.reason) reasons.push(`${terminated.reason} (exit ${terminated.exitCode})`);
    if (terminated?.reason === 'OOMKilled') oomKilled = true;
  }
  const phase = pod.status?.phase ?? 'Unknown';
  const total = pod.spec?.containers.length ?? statuses.length;
  return {
    name: pod.metadata?.name ?? '?',
    phase,
    ready: `${ready}/${total}`,
    restarts,
    reason: [...new Set(reasons)].join(', '),
    age: age(pod.status?.startTime ?? pod.metadata?.creationTimestamp, now),
    node: pod.spec?.nodeName ?? '',
    healthy: phase === 'Running' && ready === total && !crashLooping,
    crashLooping,
    oomKilled,
  };
}

/** Pods shown in full before the healthy ones are summarised (every unhealthy pod is always shown). */
const HEALTHY_ROWS = 30;
const RESTART_WARNING = 5;

/** Morning item 1: `kubectl get pods -n mcp-system -l app=mcp-semantic`, judged. */
export async function podsSection(deps: ChecksDeps): Promise<SectionOutcome> {
  const { namespace, appSelector } = deps.config.cluster;
  const now = deps.now();
  const unhealthy: PodState[] = [];
  const healthyRows: PodState[] = [];
  let total = 0;
  let healthy = 0;
  let restartsHigh = 0;
  let restarts = 0;
  for await (const page of deps.kube.pods(namespace, appSelector)) {
    for (const pod of page) {
      const state = podState(pod, now);
      total += 1;
      restarts += state.restarts;
      if (state.restarts > RESTART_WARNING) restartsHigh += 1;
      if (state.healthy && state.restarts <= RESTART_WARNING && !state.oomKilled) {
        healthy += 1;
        if (healthyRows.length < HEALTHY_ROWS) healthyRows.push(state);
      } else unhealthy.push(state);
    }
  }
  const findings: Finding[] = [];
  const running = unhealthy.filter((p) => p.phase === 'Running' && !p.crashLooping).length + healthy;
  if (total === 0)
    findings.push({
      status: 'CRITICAL',
      text: `no pods match ${appSelector} in ${namespace} (P0: all pods down)`,
    });
  else if (running === 0)
    findings.push({ status: 'CRITICAL', text: `none of ${total} pods is running (P0: all pods down)` });
  const crashing = unhealthy.filter((p) => p.crashLooping);
  if (crashing.length > 0)
    findings.push({
      status: 'CRITICAL',
      text: `${crashing.length} pod(s) in CrashLoopBackOff: ${crashing
        .slice(0, 3)
        .map((p) => p.name)
        .join(', ')} (Runbook 3: Pod Crash Loop)`,
    });
  const oom = unhealthy.filter((p) => p.oomKilled);
  if (oom.length > 0)
    findings.push({
      status: 'WARNING',
      text: `${oom.length} pod(s) OOMKilled: ${oom
        .slice(0, 3)
        .map((p) => p.name)
        .join(', ')} (raise the memory limit, Runbook 3)`,
    });
  const notReady = unhealthy.filter((p) => !p.crashLooping && !p.oomKilled && !p.healthy);
  if (notReady.length > 0)
    findings.push({
      status: 'WARNING',
      text: `${notReady.length} pod(s) not running and ready: ${notReady
        .slice(0, 3)
        .map((p) => `${p.name} (${p.phase})`)
        .join(', ')}`,
    });
  if (restartsHigh > 0)
    findings.push({
      status: 'WARNING',
      text: `${restartsHigh} pod(s) restarted more than ${RESTART_WARNING} times`,
    });

  const row = (p: PodState) => [p.name, p.phase, p.ready, String(p.restarts), p.reason || '-', p.age, p.node];
  const lines = table(
    ['NAME', 'STATUS', 'READY', 'RESTARTS', 'REASON', 'AGE', 'NODE'],
    [...unhealthy, ...healthyRows].map(row),
  );
  if (healthy > healthyRows.length) lines.push(`… and ${healthy - healthyRows.length} more healthy pods`);
  return {
    summary: `${healthy} of ${total} pods healthy`,
    findings,
    lines,
    figures: [{ id: 'restarts', label: 'restarts', value: restarts, unit: 'count' }],
    data: { total, healthy, unhealthy },
  };
}
