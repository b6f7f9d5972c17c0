import { mapBounded } from '../../core/bounded.ts';
import type { WindowTimes } from '../../core/maintenance-window.ts';
import { thresholdOf } from '../../core/thresholds.ts';
import type { MaintenanceDeps } from './maintenance-deps.ts';
import { WindowState, type HealthBaseline, type ModeLog } from './window-record.ts';
import type { CheckResult } from './checklist.ts';
import {
  ERROR_RATE,
  MAINTENANCE_ANNOTATION,
  P95,
  REVISION_ANNOTATION,
  fail,
  imageList,
  item,
  ms,
  pass,
  pct,
  podsNow,
  scalar,
  windowOf,
} from './checklist.ts';

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
