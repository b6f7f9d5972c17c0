import { parseExposition, PrometheusUnreachable, type Sample } from '../../core/prometheus.ts';
import type { Figure, Finding } from './report-model.ts';
import { mapBounded } from '../../core/bounded.ts';
import { edge, thresholdOf, thresholdText, THRESHOLDS, type Threshold } from '../../core/thresholds.ts';
import { percent, type ChecksDeps } from './checks-deps.ts';

export type Scrape = Map<string, Sample[]>;

/** One number the reports show, how to get it from Prometheus and, failing that, from raw scrapes. */
export interface MetricDefinition {
  readonly id: string;
  readonly label: string;
  readonly promql: string;
  /** From the pods' own /metrics (counters since each pod started, not windowed rates). */
  readonly fromScrape: (scrape: Scrape) => number | undefined;
  readonly unit: 'count' | 'ratio' | 'seconds';
  readonly warnAbove?: number;
  readonly criticalAbove?: number;
  /** Below this is worth noting but pages nobody (the manual's "Info"). */
  readonly infoBelow?: number;
  /** Manual's wording of the threshold. */
  readonly threshold?: string;
}

export const sumOf = (
  scrape: Scrape,
  name: string,
  where: (labels: Record<string, string>) => boolean = () => true,
) => {
  const samples = scrape.get(name);
  return samples ? samples.filter((s) => where(s.labels)).reduce((a, s) => a + s.value, 0) : undefined;
};

export const ratioOf = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || b === 0 ? undefined : a / b;

/** The q-quantile of a Prometheus histogram from cumulative buckets (linear within a bucket, as histogram_quantile). */
export function quantileFromBuckets(scrape: Scrape, name: string, q: number): number | undefined {
  const byLe = new Map<number, number>();
  for (const s of scrape.get(`${name}_bucket`) ?? []) {
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    byLe.set(le, (byLe.get(le) ?? 0) + s.value);
  }
  const buckets = [...byLe.entries()].sort((a, b) => a[0] - b[0]);
  const total = buckets.at(-1)?.[1];
  if (!total) return undefined;
  const rank = q * total;
  let previousLe = 0;
  let previousCount = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      if (le === Infinity) return previousLe;
      return (
        previousLe + ((le - previousLe) * (rank - previousCount)) / Math.max(count - previousCount, 1e-9)
      );
    }
    previousLe = le;
    previousCount = count;
  }
  return previousLe;
}

const p95 = (metric: string, window: string) =>
  `histogram_quantile(0.95, sum by (le) (rate(${metric}_bucket[${window}])))`;

/** Over what a rate is taken: the morning's 5-minute rate, or the evening's whole day. */
export interface RateWindow {
  readonly label: string;
  readonly promql: (counter: string) => string;
}

// A counter with no series yet (nothing counted since start) means 0, not "no data".
export const LAST_5_MINUTES: RateWindow = {
  label: '5m',
  promql: (counter) => `(sum(rate(${counter}[5m])) or vector(0))`,
};
export const LAST_24_HOURS: RateWindow = {
  label: '24h',
  promql: (counter) => `(sum(increase(${counter}[24h])) or vector(0))`,
};

/** The dashboards' failure rates (thresholds: core/thresholds.ts). */
const FAILURE_RATES = [
  { id: 'validation_error_rate', failures: 'validation_errors_total', total: 'validation_total' },
  { id: 'promotion_failure_rate', failures: 'promotion_failures_total', total: 'promotion_total' },
  { id: 'upload_failure_rate', failures: 'artifact_upload_failures_total', total: 'artifact_uploads_total' },
] as const;

/**
 * The judgement of a figure by the table: above the lowest warning edge WARNING, above the lowest
 * critical edge CRITICAL, below an info edge INFO; `threshold` in the manual's words.
 */
export function limitsOf(
  id: string,
  table: readonly Threshold[] = THRESHOLDS,
): Pick<MetricDefinition, 'warnAbove' | 'criticalAbove' | 'infoBelow' | 'threshold'> {
  const row = thresholdOf(id, table);
  const warnAbove = row.direction === 'above' ? edge(row, 'warning') : undefined;
  const criticalAbove = row.direction === 'above' ? edge(row, 'critical') : undefined;
  const infoBelow = row.direction === 'below' ? edge(row, 'info') : undefined;
  return {
    ...(warnAbove === undefined ? {} : { warnAbove }),
    ...(criticalAbove === undefined ? {} : { criticalAbove }),
    ...(infoBelow === undefined ? {} : { infoBelow }),
    threshold: thresholdText(row),
  };
}

/** validation, promotion and upload failure rates over `window`, in that order. */
export function failureRates(
  window: RateWindow,
  table: readonly Threshold[] = THRESHOLDS,
): MetricDefinition[] {
  return FAILURE_RATES.map(({ id, failures, total }) => ({
    id,
    label: `${thresholdOf(id, table).title} (${window.label})`,
    promql: `${window.promql(failures)} / ${window.promql(total)}`,
    unit: 'ratio' as const,
    ...limitsOf(id, table),
    fromScrape: (s: Scrape) => ratioOf(sumOf(s, failures), sumOf(s, total)),
  }));
}

/** A counter as a count: its value (or `promql`'s), from a scrape the sum over pods. */
export function counterMetric(id: string, label: string, counter: string, promql: string): MetricDefinition {
  return { id, label, promql, unit: 'count', fromScrape: (s) => sumOf(s, counter) };
}

const maxOf = (scrape: Scrape, name: string) => {
  const samples = scrape.get(name);
  return samples?.length ? Math.max(...samples.map((s) => s.value)) : undefined;
};

/** Artifact storage used against capacity (Artifact Registry dashboard, Runbook 4). */
export function storageUsed(table: readonly Threshold[] = THRESHOLDS): MetricDefinition {
  return {
    id: 'storage_used',
    label: thresholdOf('storage_used', table).title,
    promql: thresholdOf('storage_used', table).expr,
    unit: 'ratio',
    ...limitsOf('storage_used', table),
    fromScrape: (s) =>
      ratioOf(maxOf(s, 'artifact_storage_used_bytes'), maxOf(s, 'artifact_storage_capacity_bytes')),
  };
}
export const STORAGE_USED = storageUsed();

/** The morning's key metrics, judged by the table (core/thresholds.ts). */
export function keyMetrics(table: readonly Threshold[] = THRESHOLDS): MetricDefinition[] {
  const [validationErrorRate, promotionFailureRate, uploadFailureRate] = failureRates(LAST_5_MINUTES, table);
  return [
    ...['validation_total', 'promotion_total', 'artifact_uploads_total'].map((counter) =>
      counterMetric(counter, counter, counter, `sum(${counter})`),
    ),
    validationErrorRate!,
    promotionFailureRate!,
    {
      id: 'validation_p95',
      label: `${thresholdOf('validation_p95', table).title} (5m)`,
      promql: p95('validation_duration_seconds', '5m'),
      unit: 'seconds',
      ...limitsOf('validation_p95', table),
      fromScrape: (s) => quantileFromBuckets(s, 'validation_duration_seconds', 0.95),
    },
    {
      id: 'cache_hit_rate',
      label: thresholdOf('cache_hit_rate', table).title,
      promql: 'avg(validation_cache_hit_rate)',
      unit: 'ratio',
      ...limitsOf('cache_hit_rate', table),
      fromScrape: (s) => {
        const samples = s.get('validation_cache_hit_rate');
        return samples?.length ? samples.reduce((a, x) => a + x.value, 0) / samples.length : undefined;
      },
    },
    uploadFailureRate!,
    {
      id: 'request_p95',
      label: `${thresholdOf('request_p95', table).title} (5m)`,
      promql: p95('http_request_duration_seconds', '5m'),
      unit: 'seconds',
      ...limitsOf('request_p95', table),
      fromScrape: (s) => quantileFromBuckets(s, 'http_request_duration_seconds', 0.95),
    },
    storageUsed(table),
  ];
}
export const KEY_METRICS: readonly MetricDefinition[] = keyMetrics();

export interface MetricValue {
  readonly definition: MetricDefinition;
  readonly value: number | undefined;
}

export interface MetricReading {
  readonly values: MetricValue[];
  readonly source: 'prometheus' | 'pod-proxy';
  /** Said in the report when the numbers did not come from Prometheus. */
  readonly note?: string;
}

/** Every pod's /metrics through the API server's pod proxy, merged (used when Prometheus is down). */
export async function scrapePods(
  deps: ChecksDeps,
): Promise<{ scrape: Scrape; pods: number; failed: string[] }> {
  const { namespace, appSelector, metricsPort } = deps.config.cluster;
  const names: string[] = [];
  for await (const page of deps.kube.pods(namespace, appSelector))
    for (const pod of page)
      if (pod.status?.phase === 'Running' && pod.metadata?.name) names.push(pod.metadata.name);
  const merged: Scrape = new Map();
  const failed: string[] = [];
  await mapBounded(names, 8, async (name) => {
    try {
      const text = await deps.kube.podProxyGet(namespace, name, metricsPort, 'metrics');
      for (const [metric, samples] of parseExposition(text)) {
        const list = merged.get(metric) ?? [];
        for (const s of samples) list.push({ labels: { ...s.labels, pod: name }, value: s.value });
        merged.set(metric, list);
      }
    } catch (error) {
      failed.push(`${name}: ${(error as Error).message.slice(0, 100)}`);
    }
  });
  return { scrape: merged, pods: names.length - failed.length, failed };
}

/**
 * Reads `definitions` from Prometheus; when Prometheus cannot be reached, from the pods' own
 * /metrics through the pod proxy, and says so.
 */
export async function readMetrics(
  deps: ChecksDeps,
  definitions: readonly MetricDefinition[],
): Promise<MetricReading> {
  try {
    const values = await Promise.all(
      definitions.map(async (definition) => {
        const samples = await deps.prometheus.query(definition.promql);
        const value = samples[0]?.value;
        return { definition, value: value === undefined || Number.isNaN(value) ? undefined : value };
      }),
    );
    return { values, source: 'prometheus' };
  } catch (error) {
    if (!(error instanceof PrometheusUnreachable)) throw error;
    const { scrape, pods, failed } = await scrapePods(deps);
    if (pods === 0)
      throw new Error(
        `${error.message}; and no pod's /metrics could be read through the pod proxy (${failed[0] ?? 'no running pods'})`,
      );
    return {
      values: definitions.map((definition) => ({ definition, value: definition.fromScrape(scrape) })),
      source: 'pod-proxy',
      note: `${error.message}. Read ${pods} pod(s)' /metrics through the Kubernetes API server's pod proxy instead: totals and ratios are since each pod started, not windowed rates.`,
    };
  }
}

export function formatValue(definition: MetricDefinition, value: number | undefined): string {
  if (value === undefined) return 'no data';
  if (definition.unit === 'ratio') return percent(value, 2);
  if (definition.unit === 'seconds') return `${(value * 1000).toFixed(0)} ms`;
  return Math.round(value).toLocaleString('en-US');
}

/** A value against the manual's thresholds. */
export function judge(
  definition: MetricDefinition,
  value: number | undefined,
): { level: 'OK' | 'INFO' | 'WARNING' | 'CRITICAL' | 'UNKNOWN' } {
  const judged =
    definition.criticalAbove !== undefined ||
    definition.warnAbove !== undefined ||
    definition.infoBelow !== undefined;
  if (value === undefined) return { level: judged ? 'UNKNOWN' : 'OK' };
  if (definition.criticalAbove !== undefined && value > definition.criticalAbove)
    return { level: 'CRITICAL' };
  if (definition.warnAbove !== undefined && value > definition.warnAbove) return { level: 'WARNING' };
  if (definition.infoBelow !== undefined && value < definition.infoBelow) return { level: 'INFO' };
  return { level: 'OK' };
}

/**
 * Findings for values over their thresholds; a judged value with no data is a WARNING too (a check
 * that could not run is never OK), as is a reading where nothing at all was measured.
 */
export function metricFindings(values: readonly MetricValue[]): Finding[] {
  const findings: Finding[] = [];
  const unmeasured = values.filter((v) => judge(v.definition, v.value).level === 'UNKNOWN');
  if (values.length > 0 && values.every((v) => v.value === undefined))
    findings.push({ status: 'WARNING', text: 'not measured: no metric returned data' });
  else if (unmeasured.length > 0)
    findings.push({
      status: 'WARNING',
      key: `not measured ${unmeasured.map((v) => v.definition.id).join(',')}`,
      text: `not measured (no data, so not judged against the thresholds): ${unmeasured.map((v) => v.definition.label).join(', ')}`,
    });
  for (const { definition, value } of values) {
    const { level } = judge(definition, value);
    if (level === 'WARNING' || level === 'CRITICAL')
      findings.push({
        status: level,
        text: `${definition.label} ${formatValue(definition, value)} (${definition.threshold})`,
      });
  }
  return findings.sort((a, b) => (a.status === b.status ? 0 : a.status === 'CRITICAL' ? -1 : 1));
}

/** The figures a report compares with its predecessor, from a reading (ids the reading lacks are skipped). */
export function metricFigures(
  values: readonly MetricValue[],
  wanted: ReadonlyArray<readonly [id: string, label: string]>,
): Figure[] {
  return wanted.flatMap(([id, label]) => {
    const found = values.find((v) => v.definition.id === id);
    if (!found) return [];
    const unit = found.definition.unit;
    return [{ id, label, value: found.value ?? null, unit: unit === 'seconds' ? 'seconds' : unit }];
  });
}
