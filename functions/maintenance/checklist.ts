/**
 * The manual's "Routine Maintenance Windows" checklist, the parts a machine can do: the users'
 * notice and the maintenance ticket, the pre-maintenance checks (backup, open incidents, rollback
 * plan, health baseline), maintenance mode's switches, and the post-maintenance verification.
 * Each item reads its own sources under its own time limit; one that cannot read says so and fails.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { WindowTimes } from '../../core/maintenance-window.ts';
import { thresholdOf } from '../../core/thresholds.ts';
import type { MaintenanceDeps } from './maintenance-deps.ts';
import { recordId, WindowState, type HealthBaseline, type MaintenanceRecord } from './window-record.ts';

export { MAINTENANCE_ANNOTATION } from '../../core/maintenance-window.ts';
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

export interface CheckItem {
  readonly name: string;
  readonly status: 'PASS' | 'FAIL';
  readonly detail: string;
  readonly lines?: readonly string[];
}

export interface CheckResult {
  readonly kind: 'pre' | 'post';
  readonly window: { readonly id: string; readonly start: string; readonly end: string };
  readonly checkedAt: string;
  readonly passed: boolean;
  readonly items: CheckItem[];
  /** What changed in the window (post): images upgraded, maintenance mode's switches. */
  readonly changes: string[];
  readonly rollback?: HealthBaseline['rollback'];
}

export const pass = (name: string, detail: string, lines?: string[]): CheckItem => ({
  name,
  status: 'PASS',
  detail,
  ...(lines?.length ? { lines } : {}),
});
export const fail = (name: string, detail: string, lines?: string[]): CheckItem => ({
  name,
  status: 'FAIL',
  detail,
  ...(lines?.length ? { lines } : {}),
});

/** Runs `read` under the item's time limit; a throw or a timeout is the item failing with the reason. */
export async function item(
  deps: MaintenanceDeps,
  name: string,
  read: () => Promise<CheckItem>,
): Promise<CheckItem> {
  const limit = deps.itemTimeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckItem>((resolve) => {
    timer = setTimeout(() => resolve(fail(name, `could not be read within ${limit / 1000} s`)), limit);
  });
  try {
    return await Promise.race([read(), timeout]);
  } catch (error) {
    return fail(name, `could not be read: ${(error as Error).message.slice(0, 200)}`);
  } finally {
    clearTimeout(timer);
  }
}

export function windowOf(times: WindowTimes) {
  return { id: recordId(times), start: times.start.toISOString(), end: times.end.toISOString() };
}

/** The maintenance ticket of the window, created once (a second call finds it). */
export async function ensureRecord(deps: MaintenanceDeps, times: WindowTimes): Promise<MaintenanceRecord> {
  const state = new WindowState(deps.store, deps.stateBucket, times);
  const existing = await state.read<MaintenanceRecord>('record');
  if (existing) return existing;
  const record: MaintenanceRecord = {
    id: recordId(times),
    start: times.start.toISOString(),
    end: times.end.toISOString(),
    createdAt: deps.now().toISOString(),
  };
  await state.write('record', record);
  return record;
}

// ---- what the cluster and Prometheus say ---------------------------------------------------

interface PodsNow {
  readonly pods: number;
  readonly ready: number;
  readonly restarts: number;
  readonly images: Record<string, number>;
  readonly readyNames: string[];
}

const isReady = (pod: V1Pod) =>
  pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

export async function podsNow(deps: MaintenanceDeps): Promise<PodsNow> {
  const { namespace, appSelector } = deps.config.cluster;
  const result = {
    pods: 0,
    ready: 0,
    restarts: 0,
    images: {} as Record<string, number>,
    readyNames: [] as string[],
  };
  for await (const page of deps.kube.pods(namespace, appSelector)) {
    for (const pod of page) {
      result.pods += 1;
      if (isReady(pod)) {
        result.ready += 1;
        if (pod.metadata?.name) result.readyNames.push(pod.metadata.name);
      }
      for (const status of pod.status?.containerStatuses ?? []) result.restarts += status.restartCount ?? 0;
      for (const container of pod.spec?.containers ?? [])
        if (container.image) result.images[container.image] = (result.images[container.image] ?? 0) + 1;
    }
  }
  return result;
}

export async function scalar(deps: MaintenanceDeps, promql: string): Promise<number | undefined> {
  const samples = await deps.prometheus.query(promql);
  const value = samples[0]?.value;
  return value === undefined || Number.isNaN(value) ? undefined : value;
}

export const ERROR_RATE = () => thresholdOf('request_error_rate').expr;
export const P95 = () => thresholdOf('request_p95').expr;
export const pct = (ratio: number | undefined) =>
  ratio === undefined ? 'n/a' : `${(ratio * 100).toFixed(2)}%`;
export const ms = (seconds: number | undefined) =>
  seconds === undefined ? 'n/a' : `${Math.round(seconds * 1000)} ms`;
export const imageList = (images: Record<string, number>) =>
  Object.entries(images)
    .map(([image, n]) => `${image} (${n})`)
    .join(', ') || 'none';
