import type { Finding, SectionOutcome } from '../report-model.ts';
import { table } from '../render.ts';
import { age, type ChecksDeps } from '../checks-deps.ts';

/** Morning item 6: alerts firing in Prometheus, with severity and since when. */
export async function firingAlertsSection(deps: ChecksDeps): Promise<SectionOutcome> {
  const now = deps.now();
  const alerts = (await deps.prometheus.alerts()).filter((a) => a.state === 'firing');
  const rank = (s: string) => (s === 'critical' ? 0 : s === 'warning' ? 1 : 2);
  alerts.sort((a, b) => rank(a.severity) - rank(b.severity) || (a.since ?? '').localeCompare(b.since ?? ''));
  const findings: Finding[] = alerts
    .filter((a) => a.severity === 'critical' || a.severity === 'warning')
    .map((a) => ({
      status: a.severity === 'critical' ? ('CRITICAL' as const) : ('WARNING' as const),
      text: `${a.name} firing for ${age(a.since, now)}${a.summary ? `: ${a.summary}` : ''}`,
    }));
  return {
    summary: alerts.length === 0 ? 'no alerts firing' : `${alerts.length} alert(s) firing`,
    findings,
    lines: alerts.length
      ? table(
          ['ALERT', 'SEVERITY', 'SINCE', 'SUMMARY'],
          alerts.map((a) => [a.name, a.severity, a.since ?? '?', a.summary ?? '']),
        )
      : [],
    data: { firing: alerts },
  };
}
