import type { WindowTimes } from '../../core/maintenance-window.ts';
import { verifyBackup } from '../../core/backup-verify.ts';
import type { MaintenanceDeps } from './maintenance-deps.ts';
import { WindowState, type HealthBaseline } from './window-record.ts';
import type { CheckResult } from './checklist.ts';
import {
  ERROR_RATE,
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
