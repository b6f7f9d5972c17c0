/**
 * The manual's "Routine Maintenance Windows" checklist, the parts a machine can do: the users'
 * notice and the maintenance ticket, the pre-maintenance checks (backup, open incidents, rollback
 * plan, health baseline), maintenance mode's switches, and the post-maintenance verification.
 * Each item reads its own sources under its own time limit; one that cannot read says so and fails.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { mapBounded } from '../../core/bounded.ts';
import type { WindowTimes } from '../../core/maintenance-window.ts';
import { thresholdOf } from '../../core/thresholds.ts';
import { verifyBackup } from '../../core/backup-verify.ts';
import type { MaintenanceDeps } from './maintenance-deps.ts';
import {
  recordId,
  WindowState,
  type HealthBaseline,
  type MaintenanceRecord,
  type ModeLog,
} from './window-record.ts';

export const MAINTENANCE_ANNOTATION = 'nginx.ingress.kubernetes.io/custom-http-errors';
const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

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

const pass = (name: string, detail: string, lines?: string[]): CheckItem => ({
  name,
  status: 'PASS',
  detail,
  ...(lines?.length ? { lines } : {}),
});
const fail = (name: string, detail: string, lines?: string[]): CheckItem => ({
  name,
  status: 'FAIL',
  detail,
  ...(lines?.length ? { lines } : {}),
});

/** Runs `read` under the item's time limit; a throw or a timeout is the item failing with the reason. */
async function item(deps: MaintenanceDeps, name: string, read: () => Promise<CheckItem>): Promise<CheckItem> {
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

function windowOf(times: WindowTimes) {
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

async function podsNow(deps: MaintenanceDeps): Promise<PodsNow> {
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

async function scalar(deps: MaintenanceDeps, promql: string): Promise<number | undefined> {
  const samples = await deps.prometheus.query(promql);
  const value = samples[0]?.value;
  return value === undefined || Number.isNaN(value) ? undefined : value;
}

const ERROR_RATE = () => thresholdOf('request_error_rate').expr;
const P95 = () => thresholdOf('request_p95').expr;
const pct = (ratio: number | undefined) => (ratio === undefined ? 'n/a' : `${(ratio * 100).toFixed(2)}%`);
const ms = (seconds: number | undefined) =>
  seconds === undefined ? 'n/a' : `${Math.round(seconds * 1000)} ms`;
const imageList = (images: Record<string, number>) =>
  Object.entries(images)
    .map(([image, n]) => `${image} (${n})`)
    .join(', ') || 'none';

// ---- pre-maintenance -----------------------------------------------------------------------

/**
 * Pre-maintenance check: "Backup all data" (the latest backup verified and younger than the
 * window's start minus the margin), no open P0/P1 incident, "Prepare rollback plan" (the current
 * revision and image, and the command that returns to them), and the health baseline, stored for
 * the post-check.
 */
export async function preCheck(deps: MaintenanceDeps, times: WindowTimes): Promise<CheckResult> {
  const { config } = deps;
  const now = deps.now();
  const state = new WindowState(deps.store, deps.stateBucket, times);
  const margin = config.maintenance.backupMarginHours;
  const backup = item(deps, 'Backup all data', async () => {
    const verdict = await verifyBackup(deps.store, {
      bucket: config.buckets.backup,
      maxAgeHours: config.backup.maxAgeHours,
      sampleSize: config.backup.sampleSize,
      now: deps.now,
    });
    const notBefore = new Date(times.start.getTime() - margin * 3_600_000);
    const lines = verdict.checks.map((c) => `${c.status.padEnd(7)} ${c.name.padEnd(12)} ${c.detail}`);
    if (!verdict.verified)
      return fail(
        'Backup all data',
        `latest backup failed verification: ${verdict.failures.join(', ')}`,
        lines,
      );
    const taken = verdict.backupTime ? new Date(verdict.backupTime) : undefined;
    if (!taken || taken < notBefore)
      return fail(
        'Backup all data',
        `latest backup ${verdict.folder} was taken ${verdict.backupTime ?? 'at an unknown time'}, before ${notBefore.toISOString()} (window start minus ${margin} h)`,
        lines,
      );
    return pass(
      'Backup all data',
      `${verdict.folder} verified (${verdict.found?.objects ?? 0} objects, ${verdict.sampled} checksums), taken ${verdict.backupTime}, within ${margin} h of the window's start`,
      lines,
    );
  });
  const incidents = item(deps, 'No open P0/P1 incident', async () => {
    const open = (await deps.openIncidents()).filter((i) => i.severity === 'P0' || i.severity === 'P1');
    return open.length === 0
      ? pass('No open P0/P1 incident', 'none open')
      : fail(
          'No open P0/P1 incident',
          `${open.length} open: resolve them or postpone the window`,
          open.map((i) => `${i.id} ${i.severity} ${i.status}: ${i.title}`),
        );
  });
  let rollback: HealthBaseline['rollback'];
  const rollbackItem = item(deps, 'Prepare rollback plan', async () => {
    const { namespace, deployment } = config.cluster;
    const found = await deps.kube.deployment(namespace, deployment);
    if (!found) return fail('Prepare rollback plan', `deployment ${namespace}/${deployment} not found`);
    const revision = found.metadata?.annotations?.[REVISION_ANNOTATION];
    const image = found.spec?.template.spec?.containers.map((c) => c.image ?? '?').join(', ') ?? '?';
    if (!revision)
      return fail(
        'Prepare rollback plan',
        `deployment ${deployment} carries no ${REVISION_ANNOTATION} annotation`,
      );
    const command = `kubectl rollout undo deployment/${deployment} -n ${namespace} --to-revision=${revision}`;
    rollback = { revision, image, command };
    return pass('Prepare rollback plan', `revision ${revision}, image ${image}`, [`Rollback: ${command}`]);
  });
  let baseline: HealthBaseline | undefined;
  const baselineItem = item(deps, 'Health baseline', async () => {
    const [pods, errorRate, p95] = await Promise.all([
      podsNow(deps),
      scalar(deps, ERROR_RATE()),
      scalar(deps, P95()),
    ]);
    baseline = {
      takenAt: now.toISOString(),
      ...(errorRate === undefined ? {} : { errorRate }),
      ...(p95 === undefined ? {} : { p95Seconds: p95 }),
      readyPods: pods.ready,
      pods: pods.pods,
      restarts: pods.restarts,
      images: pods.images,
    };
    const lines = [
      `error rate ${pct(errorRate)}, p95 ${ms(p95)}, ready ${pods.ready}/${pods.pods}, restarts ${pods.restarts}`,
      `images: ${imageList(pods.images)}`,
    ];
    const missing = [
      errorRate === undefined ? 'error rate' : '',
      p95 === undefined ? 'p95 latency' : '',
    ].filter(Boolean);
    return missing.length
      ? fail('Health baseline', `not measured: ${missing.join(', ')} (no data from Prometheus)`, lines)
      : pass('Health baseline', `stored (${state.uri('baseline')})`, lines);
  });
  const items = await Promise.all([backup, incidents, rollbackItem, baselineItem]);
  if (baseline) await state.write('baseline', { ...baseline, ...(rollback ? { rollback } : {}) });
  return {
    kind: 'pre',
    window: windowOf(times),
    checkedAt: now.toISOString(),
    passed: items.every((i) => i.status === 'PASS'),
    items,
    changes: [],
    ...(rollback ? { rollback } : {}),
  };
}

// ---- during ----------------------------------------------------------------------------------

/** Whether the Ingress carries the maintenance annotation (the manual's step 1 sets it to "503"). */
export async function maintenanceModeOn(deps: MaintenanceDeps): Promise<boolean> {
  const { namespace } = deps.config.cluster;
  const ingress = await deps.kube.ingress(namespace, deps.config.maintenance.ingress);
  if (!ingress) throw new Error(`ingress ${namespace}/${deps.config.maintenance.ingress} not found`);
  return (ingress.metadata?.annotations?.[MAINTENANCE_ANNOTATION] ?? '').split(',').includes('503');
}

/** Looks at maintenance mode and records a switch on or off since the last look (read-only). */
export async function watchMode(deps: MaintenanceDeps, times: WindowTimes): Promise<ModeLog> {
  const state = new WindowState(deps.store, deps.stateBucket, times);
  const on = await maintenanceModeOn(deps);
  const at = deps.now().toISOString();
  const previous = await state.read<ModeLog>('mode');
  const changed = previous ? previous.on !== on : on;
  const log: ModeLog = {
    on,
    lastSeen: at,
    changes: [...(previous?.changes ?? []), ...(changed ? [{ at, on }] : [])],
  };
  await state.write('mode', log);
  return log;
}

// ---- post-maintenance ----------------------------------------------------------------------

/**
 * Post-maintenance verification: rollout complete (observed generation, updated/ready/available
 * replicas), all pods ready, error rate and p95 against the baseline within tolerance, no new
 * Warning events since the window started, maintenance mode off, and a smoke test through the
 * API server's pod proxy; with the images that changed.
 */
export async function postCheck(deps: MaintenanceDeps, times: WindowTimes): Promise<CheckResult> {
  const { config } = deps;
  const { namespace, deployment, metricsPort } = config.cluster;
  const now = deps.now();
  const state = new WindowState(deps.store, deps.stateBucket, times);
  const baseline = await state.read<HealthBaseline>('baseline');
  const pods = podsNow(deps);
  const changes: string[] = [];

  const rollout = item(deps, 'Rollout complete', async () => {
    const d = await deps.kube.deployment(namespace, deployment);
    if (!d) return fail('Rollout complete', `deployment ${namespace}/${deployment} not found`);
    const want = d.spec?.replicas ?? 1;
    const s = d.status ?? {};
    const figures = `generation ${d.metadata?.generation ?? '?'} observed ${s.observedGeneration ?? '?'}, updated ${s.updatedReplicas ?? 0}/${want}, ready ${s.readyReplicas ?? 0}/${want}, available ${s.availableReplicas ?? 0}/${want}`;
    const done =
      (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
      (s.updatedReplicas ?? 0) >= want &&
      (s.readyReplicas ?? 0) >= want &&
      (s.availableReplicas ?? 0) >= want;
    const revision = d.metadata?.annotations?.[REVISION_ANNOTATION];
    return done
      ? pass(
          'Rollout complete',
          `deployment "${deployment}" successfully rolled out (revision ${revision ?? '?'}): ${figures}`,
        )
      : fail(
          'Rollout complete',
          `waiting for rollout to finish: ${figures}`,
          baseline?.rollback ? [`Rollback: ${baseline.rollback.command}`] : [],
        );
  });
  const podsReady = item(deps, 'All pods ready', async () => {
    const p = await pods;
    const after = `images now: ${imageList(p.images)}`;
    if (baseline) {
      const before = Object.keys(baseline.images);
      const nowImages = Object.keys(p.images);
      const added = nowImages.filter((i) => !before.includes(i));
      const removed = before.filter((i) => !nowImages.includes(i));
      if (added.length || removed.length)
        changes.push(`Upgraded: ${removed.join(', ') || '(none)'} → ${added.join(', ') || '(none)'}`);
    }
    return p.pods > 0 && p.ready === p.pods
      ? pass('All pods ready', `${p.ready}/${p.pods} ready, ${p.restarts} restarts`, [after])
      : fail('All pods ready', `${p.ready}/${p.pods} ready, ${p.restarts} restarts`, [after]);
  });
  const tolerance = config.maintenance.tolerance;
  const errorRate = item(deps, 'Error rate against baseline', async () => {
    const value = await scalar(deps, ERROR_RATE());
    if (value === undefined)
      return fail('Error rate against baseline', 'not measured (no data from Prometheus)');
    const alertEdge = thresholdOf('request_error_rate').levels.find((l) => l.severity === 'warning')?.value;
    if (baseline?.errorRate === undefined) {
      const ok = alertEdge === undefined || value <= alertEdge;
      return (ok ? pass : fail)(
        'Error rate against baseline',
        `${pct(value)} (no baseline stored; against the ${pct(alertEdge)} alert threshold)`,
      );
    }
    const limit = baseline.errorRate + tolerance.errorRatePoints / 100;
    const detail = `${pct(value)} now, ${pct(baseline.errorRate)} before (allowed up to ${pct(limit)})`;
    return value <= limit
      ? pass('Error rate against baseline', detail)
      : fail('Error rate against baseline', detail);
  });
  const latency = item(deps, 'p95 latency against baseline', async () => {
    const value = await scalar(deps, P95());
    if (value === undefined)
      return fail('p95 latency against baseline', 'not measured (no data from Prometheus)');
    if (baseline?.p95Seconds === undefined)
      return fail('p95 latency against baseline', `${ms(value)} (no baseline stored to compare with)`);
    // A few milliseconds either way is noise at a fast baseline: allow at least 50 ms.
    const limit = Math.max(baseline.p95Seconds * tolerance.p95Ratio, baseline.p95Seconds + 0.05);
    const detail = `${ms(value)} now, ${ms(baseline.p95Seconds)} before (allowed up to ${ms(limit)})`;
    return value <= limit
      ? pass('p95 latency against baseline', detail)
      : fail('p95 latency against baseline', detail);
  });
  const events = item(deps, 'No new Warning events', async () => {
    const found: string[] = [];
    for await (const page of deps.kube.warningEvents(namespace))
      for (const e of page) {
        const at = e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp;
        if (at && new Date(at) >= times.start)
          found.push(
            `${new Date(at).toISOString()} ${e.reason ?? '?'} ${e.involvedObject?.kind ?? ''}/${e.involvedObject?.name ?? ''}: ${(e.message ?? '').slice(0, 160)}`,
          );
      }
    return found.length === 0
      ? pass('No new Warning events', `none since ${times.start.toISOString()}`)
      : fail('No new Warning events', `${found.length} since the window started`, found.slice(0, 20));
  });
  const mode = item(deps, 'Maintenance mode off', async () => {
    const log = await watchMode(deps, times);
    for (const change of log.changes)
      changes.push(`Maintenance mode ${change.on ? 'on' : 'off'} at ${change.at}`);
    return log.on
      ? fail(
          'Maintenance mode off',
          `${config.maintenance.ingress} still has ${MAINTENANCE_ANNOTATION}: "503" after the window: users are getting 503s`,
        )
      : pass('Maintenance mode off', `${config.maintenance.ingress} has no 503 maintenance annotation`);
  });
  const smoke = item(deps, 'Smoke test', async () => {
    const p = await pods;
    const sample = p.readyNames.slice(0, 10);
    if (sample.length === 0) return fail('Smoke test', 'no ready pod to test');
    const paths = ['/metrics', config.maintenance.smokePath];
    const failures: string[] = [];
    await mapBounded(sample, 5, async (pod) => {
      for (const path of paths) {
        try {
          const body = await deps.kube.podProxyGet(namespace, pod, metricsPort, path.replace(/^\//, ''));
          if (path === '/metrics' && !/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{|\s)/m.test(body))
            failures.push(`${pod} ${path}: not Prometheus metrics`);
        } catch (error) {
          failures.push(`${pod} ${path}: ${(error as Error).message.slice(0, 120)}`);
        }
      }
    });
    const detail = `${paths.join(' and ')} through the API server's pod proxy on ${sample.length} pod(s)`;
    return failures.length === 0
      ? pass('Smoke test', `${detail}: all answered`)
      : fail('Smoke test', `${detail}: ${failures.length} failed`, failures);
  });
  const items = await Promise.all([rollout, podsReady, errorRate, latency, events, mode, smoke]);
  return {
    kind: 'post',
    window: windowOf(times),
    checkedAt: now.toISOString(),
    passed: items.every((i) => i.status === 'PASS'),
    items,
    changes,
    ...(baseline?.rollback ? { rollback: baseline.rollback } : {}),
  };
}
