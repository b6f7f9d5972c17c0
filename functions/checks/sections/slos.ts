import type { Finding, SectionOutcome } from '../report-model.ts';
import { table } from '../render.ts';
import { percent, type ChecksDeps } from '../checks-deps.ts';
import { sloRecord, SLOS } from '../../../core/thresholds.ts';

/** The manual's SLO table: availability 99.9 %, p95 < 100 ms, error rate < 0.1 %. */
export const SLO = { availability: 0.999, latencyP95Seconds: 0.1, errorRate: 0.001 } as const;

/** Seconds from the start of the month (UTC) to now, at least 5 minutes. */
export function monthToDateSeconds(now: Date): number {
  const start = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
  return Math.max(300, Math.floor((now.getTime() - start) / 1000));
}

/** Error budget left: 1 - (bad events so far / bad events the month's SLO allows so far). */
export function errorBudgetLeft(badRatio: number, allowed: number = SLO.errorRate): number {
  return 1 - badRatio / allowed;
}

const objectiveOf = (id: 'availability' | 'latency') => SLOS.find((s) => s.id === id)!.objective;

/** The SLOs this month from Prometheus (no fallback: a month cannot be read from a pod's counters). */
export async function slosSection(deps: ChecksDeps): Promise<SectionOutcome> {
  const window = `${monthToDateSeconds(deps.now())}s`;
  const one = async (expr: string) => {
    const [sample] = await deps.prometheus.query(expr);
    return sample && Number.isFinite(sample.value) ? sample.value : undefined;
  };
  // Availability from requests (and no time with every pod down), not from how many pods answer:
  // the SLI the burn-rate alerts read (core/thresholds.ts), averaged over the month so far.
  const bad = (id: 'availability' | 'latency') => one(`avg_over_time(${sloRecord({ id }, '5m')}[${window}])`);
  const [badAvailability, badLatency, p95, errorRate] = await Promise.all([
    bad('availability'),
    bad('latency'),
    one(`histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[${window}])))`),
    one(
      `sum(increase(http_requests_total{status_code=~"5.."}[${window}])) / sum(increase(http_requests_total[${window}]))`,
    ),
  ]);
  const availability = badAvailability === undefined ? undefined : 1 - badAvailability;
  const budget =
    badAvailability === undefined
      ? undefined
      : errorBudgetLeft(badAvailability, 1 - objectiveOf('availability'));
  const latencyBudget =
    badLatency === undefined ? undefined : errorBudgetLeft(badLatency, 1 - objectiveOf('latency'));
  const findings: Finding[] = [];
  if (availability !== undefined && availability < SLO.availability)
    findings.push({
      status: 'CRITICAL',
      text: `availability ${percent(availability, 3)} this month (SLO 99.9%)`,
    });
  if (p95 !== undefined && p95 > SLO.latencyP95Seconds)
    findings.push({
      status: 'WARNING',
      text: `p95 latency ${(p95 * 1000).toFixed(0)} ms this month (SLO < 100 ms)`,
    });
  if (budget !== undefined && budget <= 0)
    findings.push({
      status: 'CRITICAL',
      text: `availability error budget exhausted: ${percent(1 - budget, 0)} of it spent (SLO 99.9%)`,
    });
  else if (budget !== undefined && budget < 0.25)
    findings.push({
      status: 'WARNING',
      text: `${percent(budget, 0)} of this month's availability error budget left`,
    });
  if (latencyBudget !== undefined && latencyBudget <= 0)
    findings.push({
      status: 'WARNING',
      text: `latency error budget exhausted: ${percent(badLatency, 1)} of requests slower than 100 ms (SLO: at most 5%)`,
    });
  const unmeasured = [
    ['availability', availability],
    ['requests within 100 ms', badLatency],
    ['p95 latency', p95],
    ['error rate', errorRate],
  ].filter(([, v]) => v === undefined);
  if (unmeasured.length > 0)
    findings.push({
      status: 'WARNING',
      text: `not measured this month (no data in Prometheus): ${unmeasured.map(([name]) => name).join(', ')}`,
    });
  return {
    figures: [{ id: 'p95_month', label: 'p95 latency (month)', value: p95 ?? null, unit: 'seconds' }],
    summary: `availability ${percent(availability, 3)}, p95 ${p95 === undefined ? 'n/a' : `${(p95 * 1000).toFixed(0)} ms`}, error rate ${percent(errorRate, 3)}, budget left ${percent(budget, 0)}`,
    findings,
    lines: table(
      ['SLO', 'TARGET', 'THIS MONTH'],
      [
        ['Availability', '99.9%', percent(availability, 3)],
        ['Latency (p95)', '< 100 ms', p95 === undefined ? 'n/a' : `${(p95 * 1000).toFixed(1)} ms`],
        ['Error rate', '< 0.1%', percent(errorRate, 3)],
        ['Requests within 100 ms', '95%', badLatency === undefined ? 'n/a' : percent(1 - badLatency, 2)],
        ['Availability budget spent', '< 100%', budget === undefined ? 'n/a' : percent(1 - budget, 1)],
        ['Availability budget left', '> 0', percent(budget, 1)],
        ['Latency budget left', '> 0', percent(latencyBudget, 1)],
      ],
    ),
    data: {
      window,
      availability,
      latencyP95Seconds: p95,
      withinLatency: badLatency === undefined ? undefined : 1 - badLatency,
      errorRate,
      errorBudgetLeft: budget,
      latencyBudgetLeft: latencyBudget,
    },
  };
}
