/**
 * The manual's thresholds ("Monitoring & Alerting": each dashboard's Alert Thresholds, the runbook
 * triggers and the severity examples), once. The alert rules' expressions and `for` are generated
 * from it (`npm run generate`, checked by a test), the reports judge their figures by it, and
 * the Grafana dashboards draw its threshold lines.
 */

export type DashboardUid = 'mcp-overview' | 'mcp-validation' | 'mcp-promotion' | 'mcp-artifacts';
/** The manual's four dashboards, by their URLs' `/d/<uid>`. */
export const DASHBOARD_UIDS: readonly DashboardUid[] = [
  'mcp-overview',
  'mcp-validation',
  'mcp-promotion',
  'mcp-artifacts',
];

/** The overview dashboard's panels that draw no threshold row (report sections link to them). */
export const OVERVIEW_PANELS = {
  requests: 1,
  budgetBurn: 4,
  cpu: 5,
  memory: 6,
  alerts: 7,
  availabilityMonth: 8,
  availabilityBudget: 9,
  latencyMonth: 10,
  latencyBudget: 11,
} as const;

export interface ThresholdLevel {
  /** The alert rule this level is (rules/mcp-semantic.rules.yml). */
  readonly alert: string;
  readonly severity: 'critical' | 'warning' | 'info';
  /** The manual's P0-P3 where it names one; else escalation's default for the severity. */
  readonly priority?: 'P0' | 'P1' | 'P2' | 'P3';
  readonly value: number;
  /** How long the value must hold before the alert fires (absent: at once). */
  readonly for?: string;
}

export interface Threshold {
  readonly id: string;
  readonly title: string;
  readonly dashboard: DashboardUid;
  /** The panel on that dashboard (stable: report links point at it). */
  readonly panelId: number;
  /** The value, in PromQL, as the rules and the panel compute it. */
  readonly expr: string;
  readonly unit: 'ratio' | 'seconds' | 'count';
  /** Whether crossing means going above (error rates, latency) or below (cache hit rate). */
  readonly direction: 'above' | 'below';
  readonly levels: readonly ThresholdLevel[];
  readonly runbook: string;
}

const ratio = (failures: string, total: string, window = '5m') =>
  `sum(rate(${failures}[${window}])) / sum(rate(${total}[${window}]))`;
const p95 = (histogram: string, window = '5m') =>
  `histogram_quantile(0.95, sum by (le) (rate(${histogram}_bucket[${window}])))`;
const requests5xx = (window: string) =>
  `sum(rate(http_requests_total{status_code=~"5.."}[${window}])) / sum(rate(http_requests_total[${window}]))`;

export const THRESHOLDS: readonly Threshold[] = [
  {
    id: 'request_error_rate',
    title: 'Request error rate',
    dashboard: 'mcp-overview',
    panelId: 2,
    expr: requests5xx('5m'),
    unit: 'ratio',
    direction: 'above',
    runbook: 'runbook-1-high-error-rate',
    levels: [
      { alert: 'MCPSemanticErrorRateHigh', severity: 'warning', priority: 'P2', value: 0.05, for: '5m' },
      { alert: 'MCPSemanticErrorRateCritical', severity: 'critical', priority: 'P1', value: 0.1, for: '5m' },
      { alert: 'MCPSemanticUnavailable', severity: 'critical', priority: 'P0', value: 0.95, for: '2m' },
    ],
  },
  {
    id: 'request_p95',
    title: 'Request latency p95',
    dashboard: 'mcp-overview',
    panelId: 3,
    expr: p95('http_request_duration_seconds'),
    unit: 'seconds',
    direction: 'above',
    runbook: 'runbook-2-high-latency',
    levels: [
      { alert: 'MCPSemanticLatencyHigh', severity: 'warning', value: 0.2, for: '5m' },
      { alert: 'MCPSemanticLatencyDegraded', severity: 'warning', priority: 'P2', value: 0.5, for: '5m' },
      { alert: 'MCPSemanticLatencyCritical', severity: 'critical', priority: 'P1', value: 1, for: '5m' },
    ],
  },
  {
    id: 'validation_error_rate',
    title: 'Validation error rate',
    dashboard: 'mcp-validation',
    panelId: 2,
    expr: ratio('validation_errors_total', 'validation_total'),
    unit: 'ratio',
    direction: 'above',
    runbook: 'runbook-1-high-error-rate',
    levels: [
      { alert: 'ValidationErrorRateHigh', severity: 'warning', value: 0.05, for: '5m' },
      { alert: 'ValidationErrorRateCritical', severity: 'critical', value: 0.1, for: '5m' },
    ],
  },
  {
    id: 'validation_p95',
    title: 'Validation latency p95',
    dashboard: 'mcp-validation',
    panelId: 3,
    expr: p95('validation_duration_seconds'),
    unit: 'seconds',
    direction: 'above',
    runbook: 'runbook-2-high-latency',
    levels: [{ alert: 'ValidationLatencyHigh', severity: 'warning', value: 0.1, for: '5m' }],
  },
  {
    id: 'cache_hit_rate',
    title: 'Validation cache hit rate',
    dashboard: 'mcp-validation',
    panelId: 4,
    expr: 'avg(validation_cache_hit_rate)',
    unit: 'ratio',
    direction: 'below',
    runbook: '2-validation-engine-dashboard',
    levels: [
      { alert: 'ValidationCacheHitRateLow', severity: 'info', priority: 'P3', value: 0.7, for: '15m' },
    ],
  },
  {
    id: 'promotion_failure_rate',
    title: 'Promotion failure rate',
    dashboard: 'mcp-promotion',
    panelId: 2,
    expr: ratio('promotion_failures_total', 'promotion_total'),
    unit: 'ratio',
    direction: 'above',
    runbook: 'runbook-1-high-error-rate',
    levels: [
      { alert: 'PromotionFailureRateHigh', severity: 'warning', value: 0.05, for: '5m' },
      { alert: 'PromotionFailureRateCritical', severity: 'critical', value: 0.1, for: '5m' },
    ],
  },
  {
    id: 'promotion_p95',
    title: 'Promotion duration p95',
    dashboard: 'mcp-promotion',
    panelId: 3,
    expr: p95('promotion_duration_seconds', '15m'),
    unit: 'seconds',
    direction: 'above',
    runbook: '3-promotion-engine-dashboard',
    levels: [{ alert: 'PromotionSlow', severity: 'warning', value: 300, for: '5m' }],
  },
  {
    id: 'promotion_rollbacks',
    title: 'Rollbacks (10m)',
    dashboard: 'mcp-promotion',
    panelId: 4,
    expr: 'sum(increase(promotion_rollbacks_total[10m]))',
    unit: 'count',
    direction: 'above',
    runbook: '3-promotion-engine-dashboard',
    levels: [{ alert: 'PromotionRollback', severity: 'warning', value: 0 }],
  },
  {
    id: 'storage_used',
    title: 'Artifact storage used',
    dashboard: 'mcp-artifacts',
    panelId: 3,
    expr: 'max(artifact_storage_used_bytes) / max(artifact_storage_capacity_bytes)',
    unit: 'ratio',
    direction: 'above',
    runbook: 'runbook-4-storage-full',
    levels: [{ alert: 'ArtifactStorageFull', severity: 'critical', value: 0.9, for: '5m' }],
  },
  {
    id: 'lookup_p95',
    title: 'Artifact lookup latency p95',
    dashboard: 'mcp-artifacts',
    panelId: 4,
    expr: p95('artifact_lookup_duration_seconds'),
    unit: 'seconds',
    direction: 'above',
    runbook: 'runbook-2-high-latency',
    levels: [{ alert: 'ArtifactLookupLatencyHigh', severity: 'warning', value: 0.2, for: '5m' }],
  },
  {
    id: 'upload_failure_rate',
    title: 'Artifact upload failure rate',
    dashboard: 'mcp-artifacts',
    panelId: 2,
    expr: ratio('artifact_upload_failures_total', 'artifact_uploads_total'),
    unit: 'ratio',
    direction: 'above',
    runbook: '4-artifact-registry-dashboard',
    levels: [{ alert: 'ArtifactUploadFailureRateHigh', severity: 'warning', value: 0.01, for: '5m' }],
  },
];

export function thresholdOf(id: string, table: readonly Threshold[] = THRESHOLDS): Threshold {
  const found = table.find((t) => t.id === id);
  if (!found) throw new Error(`no threshold ${id} in the table`);
  return found;
}

/** The lowest value of a severity (the first edge a report judges by), if the row has one. */
export function edge(row: Threshold, severity: ThresholdLevel['severity']): number | undefined {
  const values = row.levels.filter((l) => l.severity === severity).map((l) => l.value);
  if (values.length === 0) return undefined;
  return row.direction === 'above' ? Math.min(...values) : Math.max(...values);
}

const shown = (row: Threshold, value: number) =>
  row.unit === 'ratio'
    ? `${+(value * 100).toFixed(2)}%`
    : row.unit === 'seconds'
      ? value < 1
        ? `${+(value * 1000).toFixed(0)} ms`
        : value >= 60 && value % 60 === 0
          ? `${value / 60} min`
          : `${value} s`
      : String(value);

/** "> 5% warning, > 10% critical": the row in the manual's words. */
export function thresholdText(row: Threshold): string {
  const op = row.direction === 'above' ? '>' : '<';
  return row.levels.map((l) => `${op} ${shown(row, l.value)} ${l.severity}`).join(', ');
}

/** The alert's expression: the value against its level. */
export function alertExpr(row: Threshold, level: ThresholdLevel): string {
  return `${row.expr} ${row.direction === 'above' ? '>' : '<'} ${level.value}`;
}

/**
 * The manual's SLOs as error budgets (Google SRE Workbook, chapters 2 and 5): each SLI is the
 * fraction of bad events, from requests, recorded as `slo:<id>_error:ratio_rate<window>`.
 * Availability counts a failed request (5xx) as bad, and a moment when no pod answers at all (every
 * `up` is 0: the service cannot count the requests it drops) as wholly bad; one pod down while the
 * others serve every request costs nothing. No `up` at all (Prometheus just started, no target
 * found) counts as unknown, not bad: a Prometheus restart must not page for the budget (the P0
 * rule MCPSemanticAllPodsDown pages when the targets vanish). Latency counts a request slower than 100 ms as bad: the
 * manual's "p95 < 100 ms" is 95 % of requests within 100 ms.
 */
export interface ServiceLevelObjective {
  readonly id: 'availability' | 'latency';
  readonly title: string;
  /** The fraction of good events promised over the month. */
  readonly objective: number;
  /** PromQL of the fraction of bad events over 5 minutes (the longer windows average it). */
  readonly errorRatio5m: string;
  readonly runbook: string;
}

export const SLOS: readonly ServiceLevelObjective[] = [
  {
    id: 'availability',
    title: 'Availability 99.9 %',
    objective: 0.999,
    errorRatio5m:
      '(sum(up{job="mcp-semantic"}) == 0) * 0 + 1 or on() (sum(rate(http_requests_total{status_code=~"5.."}[5m])) / (sum(rate(http_requests_total[5m])) > 0)) or on() vector(0)',
    runbook: 'service-level-objectives-slos',
  },
  {
    id: 'latency',
    title: 'Latency: 95 % of requests within 100 ms',
    objective: 0.95,
    errorRatio5m:
      '(1 - sum(rate(http_request_duration_seconds_bucket{le="0.1"}[5m])) / (sum(rate(http_request_duration_seconds_count[5m])) > 0)) or on() vector(0)',
    runbook: 'runbook-2-high-latency',
  },
];

/**
 * Multiwindow, multi-burn-rate alerts (the Workbook's table): a burn rate of 14.4 over 1 h (and
 * the last 5 min, so it stops soon after the burn does) spends 2 % of the month's budget; 6 over
 * 6 h spends 5 %: those page (P1). 3 over 1 d and 1 over 3 d spend 10 %: those open a ticket (P3).
 */
export interface BurnRateWindow {
  readonly factor: number;
  readonly long: string;
  readonly short: string;
}

export interface BurnRateAlert {
  readonly name: 'FastBurn' | 'SlowBurn';
  readonly severity: 'critical' | 'info';
  readonly priority: 'P1' | 'P3';
  readonly windows: readonly BurnRateWindow[];
}

export const BURN_RATE_ALERTS: readonly BurnRateAlert[] = [
  {
    name: 'FastBurn',
    severity: 'critical',
    priority: 'P1',
    windows: [
      { factor: 14.4, long: '1h', short: '5m' },
      { factor: 6, long: '6h', short: '30m' },
    ],
  },
  {
    name: 'SlowBurn',
    severity: 'info',
    priority: 'P3',
    windows: [
      { factor: 3, long: '1d', short: '2h' },
      { factor: 1, long: '3d', short: '6h' },
    ],
  },
];

/** Every window a burn-rate alert reads, shortest first. */
export const SLO_WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const;

export const sloRecord = (slo: Pick<ServiceLevelObjective, 'id'>, window: string) =>
  `slo:${slo.id}_error:ratio_rate${window}`;

/** The name of an SLO's burn-rate alert, e.g. MCPSemanticAvailabilityBudgetFastBurn. */
export const burnAlertName = (slo: Pick<ServiceLevelObjective, 'id'>, alert: Pick<BurnRateAlert, 'name'>) =>
  `MCPSemantic${slo.id[0]!.toUpperCase()}${slo.id.slice(1)}Budget${alert.name}`;
