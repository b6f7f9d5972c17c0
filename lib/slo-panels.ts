import { runbookLink } from '../core/outbox/page-message.ts';
import { OVERVIEW_PANELS, SLOS, sloRecord } from '../core/thresholds.ts';
import type { PanelSpec } from './panel-spec.ts';

/** The SLOs' window on the dashboards: the last 30 days (the reports count the calendar month). */
const MONTH = '30d';

/** The SLOs' panels: each SLO this month and its budget left (stat), and the burn rate over 1 h. */
export function sloPanels(): PanelSpec[] {
  const [availability, latency] = [
    SLOS.find((s) => s.id === 'availability')!,
    SLOS.find((s) => s.id === 'latency')!,
  ];
  const good = (slo: (typeof SLOS)[number]) => `1 - avg_over_time(${sloRecord(slo, '5m')}[${MONTH}])`;
  const left = (slo: (typeof SLOS)[number]) =>
    `1 - avg_over_time(${sloRecord(slo, '5m')}[${MONTH}]) / ${+(1 - slo.objective).toPrecision(6)}`;
  const objectiveSteps = (slo: (typeof SLOS)[number]) => [
    { value: null, color: 'red' },
    { value: slo.objective, color: 'green' },
  ];
  const budgetSteps = [
    { value: null, color: 'red' },
    { value: 0, color: 'orange' },
    { value: 0.25, color: 'green' },
  ];
  const link = (slo: (typeof SLOS)[number]) => `runbook: ${runbookLink(slo.runbook)}`;
  return [
    {
      id: OVERVIEW_PANELS.budgetBurn,
      title: 'Error budget burn rate (1h; 14.4 pages)',
      unit: 'short',
      queries: SLOS.map((slo) => ({
        expr: `${sloRecord(slo, '1h')} / ${+(1 - slo.objective).toPrecision(6)}`,
        legend: slo.id,
      })),
      // The burn-rate alerts' factors: 1 spends the month's budget in a month, 6 and 14.4 page.
      steps: [
        { value: null, color: 'green' },
        { value: 1, color: 'blue' },
        { value: 6, color: 'orange' },
        { value: 14.4, color: 'red' },
      ],
      description: `Bad events over the last hour against each SLO's budget; alerts MCPSemantic*BudgetFastBurn (P1) and *SlowBurn (P3); ${link(availability)}`,
    },
    {
      id: OVERVIEW_PANELS.availabilityMonth,
      title: 'Availability (30 days; SLO 99.9 %)',
      unit: 'percentunit',
      kind: 'stat',
      queries: [{ expr: good(availability), legend: 'availability' }],
      steps: objectiveSteps(availability),
      description: `Requests answered without a 5xx, and no time with every pod down; ${link(availability)}`,
    },
    {
      id: OVERVIEW_PANELS.availabilityBudget,
      title: 'Availability error budget left (30 days)',
      unit: 'percentunit',
      kind: 'stat',
      queries: [{ expr: left(availability), legend: 'budget left' }],
      steps: budgetSteps,
      description: `The month's 0.1 % of bad events, what is left of it; ${link(availability)}`,
    },
    {
      id: OVERVIEW_PANELS.latencyMonth,
      title: 'Requests within 100 ms (30 days; SLO 95 %)',
      unit: 'percentunit',
      kind: 'stat',
      queries: [{ expr: good(latency), legend: 'within 100 ms' }],
      steps: objectiveSteps(latency),
      description: `The manual's p95 < 100 ms as 95 % of requests within 100 ms; ${link(latency)}`,
    },
    {
      id: OVERVIEW_PANELS.latencyBudget,
      title: 'Latency error budget left (30 days)',
      unit: 'percentunit',
      kind: 'stat',
      queries: [{ expr: left(latency), legend: 'budget left' }],
      steps: budgetSteps,
      description: `The month's 5 % of requests slower than 100 ms, what is left of it; ${link(latency)}`,
    },
  ];
}
