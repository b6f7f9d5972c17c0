import type { SectionOutcome } from '../report.ts';
import { table } from '../render.ts';
import type { ChecksDeps } from '../checks-deps.ts';
import { formatValue, judge, KEY_METRICS, metricFindings, readMetrics } from '../service-metrics.ts';

/** Morning item 3: the key metrics and the rates the dashboards alert on, judged against the manual. */
export async function keyMetricsSection(deps: ChecksDeps): Promise<SectionOutcome> {
  const reading = await readMetrics(deps, KEY_METRICS);
  const findings = metricFindings(reading.values);
  if (reading.source === 'pod-proxy')
    findings.push({ status: 'WARNING', text: 'Prometheus unreachable; figures read from the pods directly' });
  const lines = table(
    ['METRIC', 'VALUE', 'THRESHOLD', 'STATE'],
    reading.values.map(({ definition, value }) => [
      definition.label,
      formatValue(definition, value),
      definition.threshold ?? '',
      judge(definition, value).level,
    ]),
  );
  if (reading.note) lines.unshift(reading.note);
  return {
    summary:
      findings.length === 0
        ? `all key metrics within thresholds (source: ${reading.source})`
        : `${findings.length} metric(s) outside thresholds (source: ${reading.source})`,
    findings,
    lines,
    data: {
      source: reading.source,
      ...(reading.note ? { note: reading.note } : {}),
      metrics: Object.fromEntries(reading.values.map((v) => [v.definition.id, v.value ?? null])),
    },
  };
}
