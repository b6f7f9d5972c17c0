/**
 * The manual's Incident Response Playbook step 1 ("Quick assessment script") and the steps of the
 * runbook an alert names, run unattended with read-only access: each part reads its own sources
 * under its own time limit; a part that fails says why and the others still answer. The result
 * leads with what is wrong, the top findings and what changed recently.
 */
import type { DiagnosisDeps } from './diagnosis-deps.ts';
import type { Diagnosis, DiagnosisPart, RunbookNumber } from './model.ts';
import { part } from './model.ts';
import { mitigationKey } from '../../core/mitigation/actions.ts';
import { maintenanceModePart } from './maintenance-mode.ts';
import { errorGroups, errorsPart, firingAlerts, keyMetrics, listPods, podStatus } from './assessment.ts';
import {
  cachePart,
  crashes,
  errorTypesPart,
  recentChanges,
  resourcesAgainstLimits,
  slowestEndpoints,
  storagePart,
} from './runbooks.ts';

// ---- the whole ----------------------------------------------------------------------------

export async function diagnose(
  deps: DiagnosisDeps,
  request: { runbook?: RunbookNumber; incidentId?: string; alertAt?: Date } = {},
): Promise<Diagnosis> {
  const started = deps.now();
  const t0 = Date.now();
  const podsPromise = listPods(deps);
  const pods = () => podsPromise;
  const errorsPromise = podsPromise.then((p) => errorGroups(deps, p, 50));
  const parts: Array<Promise<DiagnosisPart>> = [
    part(deps, 'pods', 'Pod status', async () => podStatus(await pods())),
    part(deps, 'errors', 'Recent errors (last 50 lines per pod)', async () =>
      errorsPart(await errorsPromise),
    ),
    part(deps, 'metrics', 'Key metrics', () => keyMetrics(deps)),
    part(deps, 'alerts', 'Firing alerts', () => firingAlerts(deps)),
  ];
  const assessed = parts.length;
  switch (request.runbook) {
    case 1:
      // The manual's first mitigation is "if recent deployment: rollback": what changed leads.
      parts.push(
        part(deps, 'changes', 'Recent rollouts and ConfigMap changes', () =>
          recentChanges(deps, request.alertAt),
        ),
        part(deps, 'error-types', 'Error types and dependency errors', async () =>
          errorTypesPart(await errorsPromise),
        ),
      );
      break;
    case 2:
      parts.push(
        part(deps, 'resources', 'CPU and memory against limits', async () =>
          resourcesAgainstLimits(deps, await pods()),
        ),
        part(deps, 'cache', 'Cache hit rate and cache size', () => cachePart(deps)),
        part(deps, 'endpoints', 'Slowest endpoints (p95)', () => slowestEndpoints(deps)),
        part(deps, 'changes', 'Recent rollouts and ConfigMap changes', () =>
          recentChanges(deps, request.alertAt),
        ),
      );
      break;
    case 3:
      parts.push(
        part(deps, 'crashes', 'Crashes: exit codes, previous logs, events, nodes', async () =>
          crashes(deps, await pods()),
        ),
        part(deps, 'changes', 'Recent rollouts and ConfigMap changes', () =>
          recentChanges(deps, request.alertAt),
        ),
      );
      break;
    case 4:
      parts.push(part(deps, 'storage', 'Storage', () => storagePart(deps)));
      break;
  }
  // Maintenance mode left on answers 503 to everyone, whatever the alert: always looked at.
  parts.push(part(deps, 'maintenance-mode', 'Maintenance mode', () => maintenanceModePart(deps)));
  const done = await Promise.all(parts);
  // Runbook parts speak first: they name the cause; the assessment says how widespread it is.
  const ranked = [...done.slice(assessed), ...done.slice(0, assessed)];
  const findings = [...new Set(ranked.flatMap((p) => p.findings))];
  const changes = [...new Set(done.flatMap((p) => p.changes ?? []))];
  const offers = ranked
    .flatMap((p) => p.offers ?? [])
    .filter((o, i, all) => all.findIndex((x) => mitigationKey(x.target) === mitigationKey(o.target)) === i);
  const failedParts = done.filter((p) => p.status === 'failed').map((p) => `${p.title}: ${p.summary}`);
  const headline =
    findings[0] ??
    (failedParts.length === done.length ? 'nothing could be read' : 'no fault found in what was read');
  return {
    generatedAt: started.toISOString(),
    ...(request.runbook ? { runbook: request.runbook } : {}),
    ...(request.incidentId ? { incidentId: request.incidentId } : {}),
    headline,
    findings,
    changes,
    failedParts,
    offers,
    parts: done,
    durationMs: Date.now() - t0,
  };
}
