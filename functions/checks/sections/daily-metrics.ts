import type { SectionOutcome } from '../report.ts';
import { table } from '../render.ts';
import type { ChecksDeps } from '../checks-deps.ts';
import {
  formatValue,
  judge,
  metricFindings,
  ratioOf,
  readMetrics,
  sumOf,
  type MetricDefinition,
} from '../service-metrics.ts';

// A counter with no series yet (nothing counted since start) means 0, not "no data".
const increase = (metric: string) => `(sum(increase(${metric}[24h])) or vector(0))`;
const ratio24h = (num: string, den: string) => `${increase(num)} / ${increase(den)}`;

/** The day's totals (increase over 24 h, not raw counters) and the day's rates. */
export const DAILY_METRICS: readonly MetricDefinition[] = [
  {
    id: 'validations',
    label: 'Validations (24h)',
    promql: increase('validation_total'),
    unit: 'count',
    fromScrape: (s) => sumOf(s, 'validation_total'),
  },
  {
    id: 'validation_errors',
    label: 'Validation errors (24h)',
    promql: increase('validation_errors_total'),
    unit: 'count',
    fromScrape: (s) => sumOf(s, 'validation_errors_total'),
  },
  {
    id: 'promotions',
    label: 'Promotions (24h)',
    promql: increase('promotion_total'),
    unit: 'count',
    fromScrape: (s) => sumOf(s, 'promotion_total'),
  },
  {
    id: 'promotion_failures',
    label: 'Promotion failures (24h)',
    promql: increase('promotion_failures_total'),
    unit: 'count',
    fromScrape: (s) => sumOf(s, 'promotion_failures_total'),
  },
  {
    id: 'promotion_rollbacks',
    label: 'Rollbacks (24h)',
    promql: increase('promotion_rollbacks_total'),
    unit: 'count',
    fromScrape: (s) => sumOf(s, 'promotion_rollbacks_total'),
  },
  {
    id: 'uploads',
    label: 'Artifact uploads (24h)',
    promql: increase('artifact_uploads_total'),
    unit: 'count',
    fromScrape: (s) => sumOf(s, 'artifact_uploads_total'),
  },
  {
    id: 'upload_failures',
    label: 'Upload failures (24h)',
    promql: increase('artifact_upload_failures_total'),
    unit: 'count',
    fromScrape: (s) => sumOf(s, 'artifact_upload_failures_total'),
  },
  {
    id: 'validation_error_rate',
    label: 'Validation error rate (24h)',
    promql: ratio24h('validation_errors_total', 'validation_total'),
    unit: 'ratio',
    warnAbove: 0.05,
    criticalAbove: 0.1,
    threshold: '> 5% warning, > 10% critical',
    fromScrape: (s) => ratioOf(sumOf(s, 'validation_errors_total'), sumOf(s, 'validation_total')),
  },
  {
    id: 'promotion_failure_rate',
    label: 'Promotion failure rate (24h)',
    promql: ratio24h('promotion_failures_total', 'promotion_total'),
    unit: 'ratio',
    warnAbove: 0.05,
    criticalAbove: 0.1,
    threshold: '> 5% warning, > 10% critical',
    fromScrape: (s) => ratioOf(sumOf(s, 'promotion_failures_total'), sumOf(s, 'promotion_total')),
  },
  {
    id: 'upload_failure_rate',
    label: 'Upload failure rate (24h)',
    promql: ratio24h('artifact_upload_failures_total', 'artifact_uploads_total'),
    unit: 'ratio',
    warnAbove: 0.01,
    threshold: '> 1% warning',
    fromScrape: (s) =>
      ratioOf(sumOf(s, 'artifact_upload_failures_total'), sumOf(s, 'artifact_uploads_total')),
  },
];

/** Evening item 1: the day's totals and rates of the key metrics. */
export async function dailyMetricsSection(deps: ChecksDeps): Promise<SectionOutcome> {
  const reading = await readMetrics(deps, DAILY_METRICS);
  const findings = metricFindings(reading.values);
  if (reading.source === 'pod-proxy')
    findings.push({
      status: 'WARNING',
      text: 'Prometheus unreachable; totals are counters since each pod started',
    });
  const lines = table(
    ['METRIC', 'VALUE', 'THRESHOLD'],
    reading.values.map(({ definition, value }) => [
      definition.label,
      formatValue(definition, value),
      definition.threshold ?? '',
    ]),
  );
  if (reading.note) lines.unshift(reading.note);
  const get = (id: string) => reading.values.find((v) => v.definition.id === id)?.value;
  return {
    summary: `${formatValue(DAILY_METRICS[0]!, get('validations'))} validations, ${formatValue(DAILY_METRICS[2]!, get('promotions'))} promotions, ${formatValue(DAILY_METRICS[5]!, get('uploads'))} uploads today (source: ${reading.source})`,
    findings,
    lines,
    data: {
      source: reading.source,
      metrics: Object.fromEntries(reading.values.map((v) => [v.definition.id, v.value ?? null])),
      levels: Object.fromEntries(
        reading.values.map((v) => [v.definition.id, judge(v.definition, v.value).level]),
      ),
    },
  };
}
