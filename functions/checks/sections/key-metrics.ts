import type { SectionOutcome } from '../report-model.ts';
import { table } from '../render.ts';
import type { ChecksDeps } from '../checks-deps.ts';
import { CACHE_SIZE_KEY, serviceSettings } from '../../../core/service-config.ts';
import {
  formatValue,
  judge,
  KEY_METRICS,
  metricFigures,
  metricFindings,
  readMetrics,
} from '../service-metrics.ts';

/** The cache's configured size beside its hit rate (Runbook 2: "Increase cache size"). */
async function cacheLine(
  deps: ChecksDeps,
  hitRate: number | undefined,
): Promise<{ line: string; size?: number }> {
  const { cluster } = deps.config;
  let size: number | undefined;
  let why: string | undefined;
  try {
    const settings = await serviceSettings(deps.kube, cluster);
    size = settings.cacheSize;
    why = settings.missing[CACHE_SIZE_KEY];
  } catch (error) {
    why = `ConfigMap ${cluster.namespace}/${cluster.configMap} unreadable: ${(error as Error).message}`;
  }
  const configured =
    size === undefined
      ? `${CACHE_SIZE_KEY} unknown (${why ?? 'not set'})`
      : `${CACHE_SIZE_KEY} ${size.toLocaleString('en-US')} (ConfigMap ${cluster.namespace}/${cluster.configMap})`;
  const low =
    hitRate !== undefined && hitRate < 0.7
      ? `; hit rate ${(hitRate * 100).toFixed(1)}% is below 70% (info): Runbook 2 and "Memory Optimization" raise ${CACHE_SIZE_KEY}`
      : '';
  return { line: `Validation cache: ${configured}${low}`, ...(size === undefined ? {} : { size }) };
}

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
  const hitRate = reading.values.find((v) => v.definition.id === 'cache_hit_rate')?.value;
  const cache = await cacheLine(deps, hitRate);
  lines.push(cache.line);
  return {
    summary:
      findings.length === 0
        ? `all key metrics within thresholds (source: ${reading.source})`
        : `${findings.length} metric(s) outside thresholds (source: ${reading.source})`,
    findings,
    lines,
    figures: metricFigures(reading.values, [
      ['validation_error_rate', 'error rate'],
      ['request_p95', 'p95 latency'],
      ['storage_used', 'storage used'],
    ]),
    data: {
      source: reading.source,
      ...(cache.size === undefined ? {} : { cacheSize: cache.size }),
      ...(reading.note ? { note: reading.note } : {}),
      metrics: Object.fromEntries(reading.values.map((v) => [v.definition.id, v.value ?? null])),
    },
  };
}
