/**
 * The manual's thresholds ("Monitoring & Alerting": each dashboard's Alert Thresholds, the runbook
 * triggers and the severity examples), once. The alert rules' expressions and `for` are generated
 * from it (`npm run rules:thresholds`, checked by a test), the reports judge their figures by it, and
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
export const OVERVIEW_PANELS = { requests: 1, cpu: 5, memory: 6, alerts: 7 } as const;

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
    id: 'error_budget_burn',
    title: 'Request error rate (1h, SLO < 0.1%)',
    dashboard: 'mcp-overview',
    panelId: 4,
    expr: requests5xx('1h'),
    unit: 'ratio',
    direction: 'above',
    runbook: 'service-level-objectives-slos',
    levels: [{ alert: 'MCPSemanticErrorBudgetBurn', severity: 'warning', value: 0.001, for: '15m' }],
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
