// The manual's four Grafana dashboards ("Monitoring & Alerting") as code, with Grafana's own
// builders (@grafana/grafana-foundation-sdk). Threshold lines and colours come from the one table
// (core/thresholds.ts); every panel queries a `datasource` variable of type Prometheus, so the
// dashboards work on any Grafana (Amazon Managed Grafana included). `npm run generate` writes
// dashboards/<uid>.json and the ConfigMap the Grafana sidecar loads (label grafana_dashboard: "1").
import {
  AnnotationQueryBuilder,
  DashboardBuilder,
  QueryVariableBuilder,
  VariableRefresh,
  DashboardCursorSync,
  DatasourceVariableBuilder,
  type Dashboard,
  ThresholdsConfigBuilder,
  ThresholdsMode,
} from '@grafana/grafana-foundation-sdk/dashboard';
import {
  GraphThresholdsStyleConfigBuilder,
  GraphThresholdsStyleMode,
} from '@grafana/grafana-foundation-sdk/common';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { PanelBuilder as StatPanelBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { dumpYaml } from '@kubernetes/client-node';
import { join } from 'node:path';
import { sloPanels } from './slo-panels.ts';
import { DASHBOARD_ANNOTATIONS, DASHBOARD_RUNBOOK } from './dashboard-annotations.ts';
import { runbookLink } from '../core/outbox/page-message.ts';
import type { PanelQuery, PanelSpec } from './panel-spec.ts';
import {
  OVERVIEW_PANELS,
  THRESHOLDS,
  thresholdOf,
  type DashboardUid,
  type Threshold,
} from '../core/thresholds.ts';

export const DASHBOARDS_DIR = join(import.meta.dirname, '..', 'dashboards');
export const DASHBOARDS_CONFIGMAP = join(DASHBOARDS_DIR, 'mcp-ops-dashboards.configmap.yaml');

/** The manual's URLs: `/d/<uid>`, with its titles. */
export const DASHBOARD_TITLES: Record<DashboardUid, string> = {
  'mcp-overview': 'MCP Level 3 Overview',
  'mcp-validation': 'MCP Validation Engine',
  'mcp-promotion': 'MCP Promotion Engine',
  'mcp-artifacts': 'MCP Artifact Registry',
};

const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

export type { PanelQuery, PanelSpec } from './panel-spec.ts';

const UNIT: Record<Threshold['unit'], string> = { ratio: 'percentunit', seconds: 's', count: 'short' };

/** A panel drawing a table row: its value, with the row's levels as threshold lines. */
function thresholdPanel(id: string, table: readonly Threshold[], extra: PanelQuery[] = []): PanelSpec {
  const row = thresholdOf(id, table);
  return {
    id: row.panelId,
    title: row.title,
    unit: UNIT[row.unit],
    queries: [{ expr: row.expr, legend: row.title }, ...extra],
    threshold: id,
  };
}

const quantile = (q: number, histogram: string) =>
  `histogram_quantile(${q}, sum by (le) (rate(${histogram}_bucket[5m])))`;
const rate = (counter: string, by = '') => `sum${by ? ` by (${by}) ` : ''}(rate(${counter}[5m]))`;
const service = 'job="mcp-semantic"';

/** Every dashboard's panels, from `table`. */
export function dashboardPanels(table: readonly Threshold[] = THRESHOLDS): Record<DashboardUid, PanelSpec[]> {
  return {
    'mcp-overview': [
      {
        id: OVERVIEW_PANELS.requests,
        title: 'Request rate',
        unit: 'reqps',
        queries: [{ expr: rate('http_requests_total', 'status_code'), legend: '{{status_code}}' }],
      },
      thresholdPanel('request_error_rate', table),
      thresholdPanel('request_p95', table, [
        { expr: quantile(0.5, 'http_request_duration_seconds'), legend: 'p50' },
        { expr: quantile(0.99, 'http_request_duration_seconds'), legend: 'p99' },
      ]),
      {
        id: OVERVIEW_PANELS.cpu,
        title: 'CPU per pod',
        unit: 'short',
        queries: [
          {
            expr: `sum by (pod, instance) (rate(process_cpu_seconds_total{${service}}[5m]))`,
            legend: '{{pod}} {{instance}}',
          },
        ],
      },
      {
        id: OVERVIEW_PANELS.memory,
        title: 'Memory per pod',
        unit: 'bytes',
        queries: [
          {
            expr: `sum by (pod, instance) (process_resident_memory_bytes{${service}})`,
            legend: '{{pod}} {{instance}}',
          },
        ],
      },
      {
        id: OVERVIEW_PANELS.alerts,
        title: 'Active alerts',
        unit: 'short',
        queries: [
          {
            expr: 'count by (severity) (ALERTS{alertstate="firing", service="mcp-semantic"}) or vector(0)',
            legend: '{{severity}}',
          },
        ],
      },
      ...sloPanels(),
    ],
    'mcp-validation': [
      {
        id: 1,
        title: 'Validations and errors',
        unit: 'ops',
        queries: [
          { expr: rate('validation_total'), legend: 'validation_total' },
          {
            expr: `${rate('validation_errors_total', 'error_type')} or vector(0)`,
            legend: 'errors {{error_type}}',
          },
        ],
      },
      thresholdPanel('validation_error_rate', table),
      thresholdPanel('validation_p95', table, [
        { expr: quantile(0.5, 'validation_duration_seconds'), legend: 'p50' },
        { expr: quantile(0.99, 'validation_duration_seconds'), legend: 'p99' },
      ]),
      thresholdPanel('cache_hit_rate', table),
    ],
    'mcp-promotion': [
      {
        id: 1,
        title: 'Promotions: total, success, failures',
        unit: 'ops',
        queries: [
          { expr: rate('promotion_total'), legend: 'promotion_total' },
          { expr: rate('promotion_success_total'), legend: 'promotion_success_total' },
          { expr: `${rate('promotion_failures_total')} or vector(0)`, legend: 'promotion_failures_total' },
        ],
      },
      thresholdPanel('promotion_failure_rate', table),
      thresholdPanel('promotion_p95', table),
      thresholdPanel('promotion_rollbacks', table),
    ],
    'mcp-artifacts': [
      {
        id: 1,
        title: 'Uploads and downloads',
        unit: 'ops',
        queries: [
          { expr: rate('artifact_uploads_total'), legend: 'artifact_uploads_total' },
          { expr: rate('artifact_downloads_total'), legend: 'artifact_downloads_total' },
        ],
      },
      thresholdPanel('upload_failure_rate', table),
      thresholdPanel('storage_used', table),
      thresholdPanel('lookup_p95', table),
      {
        id: 5,
        title: 'Storage used and capacity',
        unit: 'bytes',
        queries: [
          { expr: 'max(artifact_storage_used_bytes)', legend: 'used' },
          { expr: 'max(artifact_storage_capacity_bytes)', legend: 'capacity' },
        ],
      },
    ],
  };
}

/** The colours from the least to the most severe: each level of a panel gets its own. */
const SEVERITY_COLOURS = ['blue', 'yellow', 'orange', 'red', 'dark-red'] as const;
const colourOf = (l: Threshold['levels'][number]) =>
  l.priority === 'P0'
    ? 'dark-red'
    : l.severity === 'critical'
      ? 'red'
      : l.severity === 'warning'
        ? 'orange'
        : 'blue';

/**
 * A row's levels as Grafana threshold steps, one colour per level: the most severe level keeps its
 * severity's colour (P0 dark red, critical red, warning orange, info blue) and a less severe level
 * that would repeat the colour above it takes the next milder one, so every edge shows. An
 * "above 0" level (rollbacks) starts just above 0: a panel at 0 stays neutral.
 */
export function thresholdSteps(row: Threshold): Array<{ value: number | null; color: string }> {
  const levels = [...row.levels].sort((a, b) => a.value - b.value);
  // From the most severe end: above, the highest value; below, the lowest.
  const worstFirst = row.direction === 'above' ? [...levels].reverse() : levels;
  const colours: string[] = [];
  for (const level of worstFirst) {
    let colour: string = colourOf(level);
    const previous = colours.at(-1);
    if (previous !== undefined) {
      const ceiling = SEVERITY_COLOURS.indexOf(previous as (typeof SEVERITY_COLOURS)[number]);
      if (SEVERITY_COLOURS.indexOf(colour as (typeof SEVERITY_COLOURS)[number]) >= ceiling)
        colour = SEVERITY_COLOURS[Math.max(0, ceiling - 1)]!;
    }
    colours.push(colour);
  }
  const colourFor = new Map(worstFirst.map((l, i) => [l, colours[i]!]));
  if (row.direction === 'above')
    return [
      { value: null, color: 'green' },
      ...levels.map((l) => ({ value: l.value === 0 ? 1e-9 : l.value, color: colourFor.get(l)! })),
    ];
  // Below: under the lowest edge is the worst; from the highest edge up is fine.
  return [
    { value: null, color: colourFor.get(levels[0]!)! },
    ...levels.slice(1).map((l, i) => ({ value: levels[i]!.value, color: colourFor.get(l)! })),
    { value: levels.at(-1)!.value, color: 'green' },
  ];
}

/** Colour steps as Grafana's absolute thresholds (the first step's `null` is "from minus infinity"). */
const stepsConfig = (steps: ReadonlyArray<{ value: number | null; color: string }>) =>
  new ThresholdsConfigBuilder()
    .mode(ThresholdsMode.Absolute)
    .steps(steps as Array<{ value: number; color: string }>);

/** The four dashboards, built with Grafana's builders. */
export function buildDashboards(table: readonly Threshold[] = THRESHOLDS): Record<DashboardUid, Dashboard> {
  const panels = dashboardPanels(table);
  const built = {} as Record<DashboardUid, Dashboard>;
  for (const uid of Object.keys(panels) as DashboardUid[]) {
    const dashboard = new DashboardBuilder(DASHBOARD_TITLES[uid])
      .uid(uid)
      .tags(['mcp-semantic', 'mcp-ops'])
      .editable()
      .refresh('1m')
      .time({ from: 'now-6h', to: 'now' })
      .timezone('browser')
      .tooltip(DashboardCursorSync.Crosshair)
      .withVariable(new DatasourceVariableBuilder('datasource').label('Prometheus').type('prometheus'))
      .withVariable(
        new QueryVariableBuilder('namespace')
          .label('Namespace')
          .datasource(DATASOURCE)
          .query('label_values(kube_pod_info, namespace)')
          .current({ text: 'mcp-system', value: 'mcp-system' })
          .refresh(VariableRefresh.OnDashboardLoad),
      )
      .withVariable(
        new QueryVariableBuilder('pod')
          .label('Pod')
          .datasource(DATASOURCE)
          .query(
            'label_values(kube_pod_info{namespace="$namespace", pod=~"mcp-semantic-control-plane-.*"}, pod)',
          )
          .multi(true)
          .includeAll(true)
          .allValue('.*')
          .refresh(VariableRefresh.OnTimeRangeChanged),
      )
      .annotations(
        DASHBOARD_ANNOTATIONS.map((a) =>
          new AnnotationQueryBuilder()
            .name(a.name)
            .datasource(DATASOURCE)
            .enable(true)
            .iconColor(a.colour)
            .expr(a.expr),
        ),
      );
    panels[uid].forEach((spec, index) => {
      const gridPos = { h: 8, w: 12, x: (index % 2) * 12, y: Math.floor(index / 2) * 8 };
      const target = (q: PanelSpec['queries'][number], i: number) => {
        const query = new DataqueryBuilder()
          .datasource(DATASOURCE)
          .refId(String.fromCharCode(65 + i))
          .expr(q.expr)
          .legendFormat(q.legend);
        // A stat shows one figure: the query's value now, not a range.
        return spec.kind === 'stat' ? query.instant() : query;
      };
      const description = spec.description ?? `Runbook: ${runbookLink(DASHBOARD_RUNBOOK[uid])}`;
      if (spec.kind === 'stat') {
        const stat = new StatPanelBuilder()
          .id(spec.id)
          .title(spec.title)
          .datasource(DATASOURCE)
          .unit(spec.unit)
          .decimals(3)
          .gridPos(gridPos)
          .description(description);
        spec.queries.forEach((q, i) => stat.withTarget(target(q, i)));
        if (spec.steps) stat.thresholds(stepsConfig(spec.steps));
        dashboard.withPanel(stat);
        return;
      }
      const panel = new PanelBuilder()
        .id(spec.id)
        .title(spec.title)
        .datasource(DATASOURCE)
        .unit(spec.unit)
        .gridPos(gridPos);
      spec.queries.forEach((q, i) => panel.withTarget(target(q, i)));
      if (spec.threshold) {
        const row = thresholdOf(spec.threshold, table);
        panel
          .thresholds(stepsConfig(thresholdSteps(row)))
          .thresholdsStyle(new GraphThresholdsStyleConfigBuilder().mode(GraphThresholdsStyleMode.LineAndArea))
          .description(
            `${row.title}: ${row.levels.map((l) => `${l.alert} (${l.severity})`).join(', ')}. Runbook: ${runbookLink(row.runbook)}`,
          );
      } else panel.description(description);
      if (spec.steps)
        panel
          .thresholds(stepsConfig(spec.steps))
          .thresholdsStyle(new GraphThresholdsStyleConfigBuilder().mode(GraphThresholdsStyleMode.Line));
      dashboard.withPanel(panel);
    });
    built[uid] = dashboard.build();
  }
  return built;
}

/** The dashboards as a ConfigMap for the Grafana sidecar (kube-prometheus-stack's convention). */
export function dashboardsConfigMap(
  dashboards: Record<DashboardUid, Dashboard> = buildDashboards(),
  namespace = 'mcp-system',
): string {
  const manifest = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'mcp-ops-dashboards',
      namespace,
      labels: { grafana_dashboard: '1', app: 'mcp-semantic', 'app.kubernetes.io/managed-by': 'mcp-ops' },
    },
    data: Object.fromEntries(
      Object.entries(dashboards).map(([uid, d]) => [`${uid}.json`, `${JSON.stringify(d, null, 2)}\n`]),
    ),
  };
  return `# Generated from lib/dashboards.ts by \`npm run generate\`; do not edit.\n${dumpYaml(manifest)}`;
}

/** What `npm run generate` writes: file name → content. */
export function dashboardFiles(table: readonly Threshold[] = THRESHOLDS): Record<string, string> {
  const dashboards = buildDashboards(table);
  return {
    ...Object.fromEntries(
      Object.entries(dashboards).map(([uid, d]) => [`${uid}.json`, `${JSON.stringify(d, null, 2)}\n`]),
    ),
    'mcp-ops-dashboards.configmap.yaml': dashboardsConfigMap(dashboards),
  };
}
