import type { SectionOutcome } from '../report-model.ts';
import { table } from '../render.ts';
import type { ChecksDeps } from '../checks-deps.ts';
import {
  counterMetric,
  failureRates,
  formatValue,
  judge,
  LAST_24_HOURS,
  metricFigures,
  metricFindings,
  readMetrics,
  STORAGE_USED,
  type MetricDefinition,
} from '../service-metrics.ts';

const DAILY_COUNTERS: ReadonlyArray<[id: string, label: string, counter: string]> = [
  ['validations', 'Validations (24h)', 'validation_total'],
  ['validation_errors', 'Validation errors (24h)', 'validation_errors_total'],
  ['promotions', 'Promotions (24h)', 'promotion_total'],
  ['promotion_failures', 'Promotion failures (24h)', 'promotion_failures_total'],
  ['promotion_rollbacks', 'Rollbacks (24h)', 'promotion_rollbacks_total'],
  ['uploads', 'Artifact uploads (24h)', 'artifact_uploads_total'],
  ['upload_failures', 'Upload failures (24h)', 'artifact_upload_failures_total'],
];

/** The day's totals (increase over 24 h, not raw counters) and the day's rates. */
export const DAILY_METRICS: readonly MetricDefinition[] = [
  ...DAILY_COUNTERS.map(([id, label, counter]) =>
    counterMetric(id, label, counter, LAST_24_HOURS.promql(counter)),
  ),
  ...failureRates(LAST_24_HOURS),
  STORAGE_USED,
];

const count = (value: number | undefined) =>
  value === undefined ? 'no data' : Math.round(value).toLocaleString('en-US');

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
    summary: `${count(get('validations'))} validations, ${count(get('promotions'))} promotions, ${count(get('uploads'))} uploads today (source: ${reading.source})`,
    findings,
    lines,
    figures: metricFigures(reading.values, [
      ['validation_error_rate', 'error rate (24h)'],
      ['storage_used', 'storage used'],
    ]),
    data: {
      source: reading.source,
      metrics: Object.fromEntries(reading.values.map((v) => [v.definition.id, v.value ?? null])),
      levels: Object.fromEntries(
        reading.values.map((v) => [v.definition.id, judge(v.definition, v.value).level]),
      ),
    },
  };
}
