import { parseConfig, type OpsConfig } from '../core/config.ts';
import type { DashboardUid } from '../core/thresholds.ts';

/** The runbook a dashboard's panels without a threshold row of their own link to. */
export const DASHBOARD_RUNBOOK: Record<DashboardUid, string> = {
  'mcp-overview': 'incident-response-playbook',
  'mcp-validation': '2-validation-engine-dashboard',
  'mcp-promotion': '3-promotion-engine-dashboard',
  'mcp-artifacts': '4-artifact-registry-dashboard',
};

/**
 * The monthly maintenance window as PromQL over the evaluation time (UTC, as the window is): the
 * configured weekday, its nth occurrence (5: the last) and hours. Grafana shades the series.
 */
export function maintenanceWindowExpr(window: OpsConfig['maintenanceWindow']): string {
  const hour = (clock: string) => Number(clock.split(':')[0]);
  const nth =
    window.nthOfMonth === 5
      ? 'day_of_month() > days_in_month() - 7'
      : `day_of_month() > ${7 * (window.nthOfMonth - 1)} <= ${7 * window.nthOfMonth}`;
  return `vector(1) and on() (day_of_week() == ${window.weekday}) and on() (${nth}) and on() (hour() >= ${hour(window.startUtc)} < ${hour(window.endUtc)})`;
}

/** What every dashboard marks on its time axis: rollouts, maintenance windows and incidents. */
export const DASHBOARD_ANNOTATIONS: ReadonlyArray<{ name: string; colour: string; expr: string }> = [
  {
    name: 'Deployments (rollout revision changes)',
    colour: 'blue',
    expr: 'changes(kube_deployment_status_observed_generation{namespace="$namespace", deployment="mcp-semantic-control-plane"}[2m]) > 0',
  },
  {
    name: 'Maintenance window',
    colour: 'purple',
    expr: maintenanceWindowExpr(parseConfig({}).maintenanceWindow),
  },
  {
    name: 'Incidents (paging alerts)',
    colour: 'red',
    expr: 'ALERTS{alertstate="firing", service="mcp-semantic", priority=~"P0|P1|P2"}',
  },
];
