import {
  inMaintenanceWindow,
  MAINTENANCE_ANNOTATION,
  maintenanceModeOn,
} from '../../core/maintenance-window.ts';
import type { DiagnosisDeps } from './diagnosis-deps.ts';
import type { PartResult } from './model.ts';

/**
 * Maintenance mode (the Ingress's 503 annotation) on outside the window answers every user 503:
 * found and offered off. Inside the window it is where it should be.
 */
export async function maintenanceModePart(deps: DiagnosisDeps): Promise<PartResult> {
  const { namespace } = deps.config.cluster;
  const name = deps.config.maintenance.ingress;
  const ingress = await deps.kube.ingress(namespace, name);
  if (!ingress) return { summary: `Ingress ${name} not found`, lines: [], findings: [] };
  const on = maintenanceModeOn(ingress.metadata?.annotations);
  const window = inMaintenanceWindow(deps.now(), deps.config.maintenanceWindow);
  const line = `Ingress ${name}: maintenance mode ${on ? `on (${MAINTENANCE_ANNOTATION})` : 'off'}${window.inside ? `, inside the maintenance window until ${window.end.toISOString()}` : ''}`;
  if (!on || window.inside)
    return { summary: on ? 'on, inside the window' : 'off', lines: [line], findings: [] };
  return {
    summary: 'ON outside the maintenance window',
    lines: [line],
    findings: [
      `maintenance mode is still on (Ingress ${name}) outside the window: every request is answered 503`,
    ],
    offers: [
      {
        target: { action: 'maintenance-off', ingress: name },
        why: 'maintenance mode is on outside the maintenance window',
      },
    ],
  };
}
