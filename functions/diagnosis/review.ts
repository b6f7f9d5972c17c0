/**
 * Playbook step 5: when a person resolves an incident, the manual's Post-Incident Review template
 * filled from what is known (id, date, duration, severity, the timeline as recorded, the requests
 * and validations that failed over exactly the incident's window, the diagnosis), the rest left as
 * prompts; archived, recorded on the incident once, and sent to everyone who was paged.
 */
import type { OnCallTier } from '../../core/config.ts';
import type { PrometheusPort } from '../../core/prometheus.ts';
import type { Pager } from '../../core/outbox/pager.ts';
import type { Incident } from '../../core/incidents/incident.ts';
import type { IncidentStore } from '../../core/incidents/store.ts';
import { chatsOf, tellTiersAndChat, tiersPaged, type Chat } from '../../core/outbox/notify.ts';

export interface ReviewDeps {
  readonly store: IncidentStore;
  readonly prometheus: PrometheusPort;
  readonly pager: Pager;
  readonly tiers: readonly OnCallTier[];
  readonly chat?: Chat;
  readonly runbookBaseUrl?: string;
  readonly now: () => Date;
  /** Keeps the review (Markdown); answers where a person finds it. */
  archive(incidentId: string, markdown: string): Promise<string>;
}

export interface Impact {
  /** Requests answered 5xx over the window, or why it could not be counted. */
  readonly requestsFailed: number | string;
  readonly validationsFailed: number | string;
  readonly window: { readonly start: string; readonly end: string; readonly seconds: number };
}

export type ReviewOutcome =
  | { readonly incidentId: string; readonly written: false; readonly reason: string }
  | {
      readonly incidentId: string;
      readonly written: true;
      readonly ref: string;
      readonly to: string[];
      readonly impact: Impact;
      readonly markdown: string;
    };

/** The manual: the post-incident review is completed within 48 hours. */
export const REVIEW_DUE_HOURS = 48;

const hhmm = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

/** The incident's window: from when it was detected (the alert fired) to when it was resolved. */
export function incidentWindow(incident: Incident): { start: Date; end: Date } {
  const resolved = [...incident.timeline].reverse().find((e) => e.event === 'resolved');
  return {
    start: new Date(incident.alert.startedAt ?? incident.createdAt),
    end: new Date(resolved?.at ?? incident.createdAt),
  };
}

/**
 * A counter's growth over exactly [start, end]: its value at `end` less its value at `start`
 * (PromQL `@`), summed over series; a series that reset in between counts from its restart.
 */
async function counted(
  prometheus: PrometheusPort,
  selector: string,
  start: Date,
  end: Date,
): Promise<number | string> {
  const seconds = Math.max(1, Math.round((end.getTime() - start.getTime()) / 1000));
  const at = (d: Date) => (d.getTime() / 1000).toFixed(3);
  try {
    const [last, first, resets] = await Promise.all([
      prometheus.query(`sum(${selector} @ ${at(end)})`),
      prometheus.query(`sum(${selector} @ ${at(start)})`),
      prometheus.query(`sum(resets(${selector}[${seconds}s] @ ${at(end)}))`),
    ]);
    const a = last[0]?.value;
    if (a === undefined || Number.isNaN(a)) return 'no data';
    const b = first[0]?.value ?? 0;
    // After a reset the difference undercounts: increase() extrapolates, so use it only then.
    if ((resets[0]?.value ?? 0) > 0) {
      const inc = await prometheus.query(`sum(increase(${selector}[${seconds}s] @ ${at(end)}))`);
      return Math.round(inc[0]?.value ?? 0);
    }
    return Math.max(0, Math.round(a - (Number.isNaN(b) ? 0 : b)));
  } catch (error) {
    return `not counted: ${(error as Error).message.slice(0, 120)}`;
  }
}

export async function measureImpact(prometheus: PrometheusPort, incident: Incident): Promise<Impact> {
  const { start, end } = incidentWindow(incident);
  const [requestsFailed, validationsFailed] = await Promise.all([
    counted(prometheus, 'http_requests_total{status_code=~"5.."}', start, end),
    counted(prometheus, 'validation_errors_total', start, end),
  ]);
  return {
    requestsFailed,
    validationsFailed,
    window: {
      start: start.toISOString(),
      end: end.toISOString(),
      seconds: Math.round((end.getTime() - start.getTime()) / 1000),
    },
  };
}

export function reviewMarkdown(incident: Incident, impact: Impact): string {
  const seconds = impact.window.seconds;
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.round((seconds % 3600) / 60);
  const first = (kind: string) => incident.timeline.find((e) => e.event === kind);
  const line = (at: string | undefined, what: string) => `- ${at ? hhmm(at) : '(not recorded)'} - ${what}`;
  const acknowledged = first('acknowledged');
  const resolved = [...incident.timeline].reverse().find((e) => e.event === 'resolved');
  const diagnosed = first('diagnosed');
  const recorded = incident.timeline
    .filter((e) => e.event !== 'opened')
    .map((e) => `  - ${hhmm(e.at)} ${e.event}: ${e.detail}${e.note ? ` ("${e.note.split('\n')[0]}")` : ''}`);
  return [
    '# Post-Incident Review',
    '',
    `**Incident ID:** ${incident.id}`,
    `**Date:** ${impact.window.start.slice(0, 10)}`,
    `**Duration:** ${hours} hours ${minutes} minutes`,
    `**Severity:** ${incident.severity}`,
    `**Alert:** ${incident.alert.name}: ${incident.alert.summary}`,
    '',
    '## Timeline',
    line(impact.window.start, `Incident detected (${incident.alert.name} fired)`),
    line(incident.createdAt, `Incident opened (${incident.id})`),
    line(
      acknowledged?.at,
      `Investigation started (acknowledged${acknowledged?.detail ? `: ${acknowledged.detail}` : ''})`,
    ),
    line(diagnosed?.at, `Diagnosis sent${diagnosed ? `: ${diagnosed.detail}` : ''}`),
    '- HH:MM - Root cause identified _(fill in)_',
    '- HH:MM - Mitigation applied _(fill in)_',
    line(resolved?.at, `Service restored (resolved${resolved?.detail ? `: ${resolved.detail}` : ''})`),
    line(resolved?.at, 'Incident closed'),
    '',
    'Everything recorded on the incident:',
    ...recorded,
    '',
    '## Impact',
    '- Users affected: _(fill in)_',
    `- Requests failed: ${impact.requestsFailed} (HTTP 5xx, ${hhmm(impact.window.start)} to ${hhmm(impact.window.end)}, from Prometheus)`,
    `- Validations failed: ${impact.validationsFailed} (same window)`,
    '- Revenue impact: _(fill in)_',
    '',
    '## Diagnosis (at the time)',
    ...(diagnosed?.note ? diagnosed.note.split('\n').map((l) => `> ${l}`) : ['_(no diagnosis was sent)_']),
    '',
    '## Root Cause',
    '_Detailed explanation of what caused the incident._',
    '',
    '## Resolution',
    `_What was done to resolve the incident._${resolved?.note ? ` The resolver wrote: "${resolved.note}"` : ''}`,
    '',
    '### Mitigations taken (playbook step 3)',
    ...mitigationLines(incident),
    '',
    ...securityLines(incident),
    '## Action Items',
    '- [ ] Action 1 (Owner: Name, Due: Date)',
    '- [ ] Action 2 (Owner: Name, Due: Date)',
    '- [ ] Action 3 (Owner: Name, Due: Date)',
    '',
    '## Lessons Learned',
    '- What went well',
    '- What could be improved',
    '- What we learned',
    '',
    `_Due within 48 hours of resolution. Mark it done: \`mcp-ops incident review ${incident.id} --done\`._`,
    '',
  ].join('\n');
}

export async function writeReview(deps: ReviewDeps, incidentId: string): Promise<ReviewOutcome> {
  const incident = await deps.store.get(incidentId);
  if (!incident) return { incidentId, written: false, reason: 'no such incident' };
  if (incident.status !== 'resolved')
    return { incidentId, written: false, reason: `still ${incident.status}` };
  const audience = [
    ...tiersPaged(deps.tiers, incident).map((t) => t.name),
    ...chatsOf(deps.chat).map(({ suffix }) => `chat${suffix}`),
  ];
  const noticed = (name: string) => {
    const state = incident.pages[`review:${name}`]?.state;
    return state === 'sent' || state === 'claimed';
  };
  if (incident.review && audience.every(noticed))
    return { incidentId, written: false, reason: `already written (${incident.review})` };
  const impact = await measureImpact(deps.prometheus, incident);
  const markdown = reviewMarkdown(incident, impact);
  let ref = incident.review;
  if (!ref) {
    ref = await deps.archive(incidentId, markdown);
    const drafted = deps.now();
    const recorded = await deps.store.recordReview(
      incidentId,
      ref,
      {
        at: drafted.toISOString(),
        event: 'reviewed',
        detail: `post-incident review drafted: ${ref} (requests failed: ${impact.requestsFailed})`,
      },
      new Date(drafted.getTime() + REVIEW_DUE_HOURS * 3_600_000),
    );
    if (!recorded) return { incidentId, written: false, reason: 'written by another run' };
  }
  // Everyone who was paged (and the chat), each once: a retry sends only what is not out yet.
  const { told, refused } = await tellTiersAndChat(
    deps,
    tiersPaged(deps.tiers, incident),
    incident,
    'reviewed',
    {
      subject: `[${incident.severity}] ${incidentId} post-incident review due within ${REVIEW_DUE_HOURS} h`,
      lines: [
        `${incidentId} (${incident.alert.name}) was resolved. The post-incident review is drafted: ${ref}`,
        `Duration ${Math.round(impact.window.seconds / 60)} min; requests failed: ${impact.requestsFailed}; validations failed: ${impact.validationsFailed}.`,
        `Fill in root cause, resolution, action items and lessons within ${REVIEW_DUE_HOURS} hours.`,
      ],
    },
    'review',
  );
  if (refused.length > 0)
    throw new Error(
      `review of ${incidentId} not delivered to ${refused.join(', ')}; the stream retries it (what went out is not sent again)`,
    );
  return { incidentId, written: true, ref, to: told, impact, markdown };
}

/** Every mitigation confirmed on the incident: what, who, when, and what the watch saw. */
export function mitigationLines(incident: Incident): string[] {
  const records = Object.values(incident.mitigations ?? {}).sort((a, b) => a.at.localeCompare(b.at));
  if (records.length === 0) return ['_(none taken through mcp-ops)_'];
  return records.map(
    (r) =>
      `- ${hhmm(r.at)} ${r.description}, by ${r.by}: ${r.state === 'done' ? 'done' : r.state === 'failed' ? 'refused, nothing changed' : r.state === 'acting' ? 'still acting when the review was written' : 'not confirmed by the watch'}${r.outcome ? ` (${r.outcome})` : ''}${r.finishedAt ? `, finished ${hhmm(r.finishedAt)}` : ''}`,
  );
}

/** A security incident's evidence (manifest and digest, each capture) and its quarantine: when, by whom. */
export function securityLines(incident: Incident): string[] {
  if (!incident.evidence && !incident.evidenceAfterQuarantine && !incident.quarantinedAt) return [];
  const capture = (label: string, e: NonNullable<Incident['evidence']>) =>
    `- ${label}, ${hhmm(e.at)}: ${e.files} file(s), manifest ${e.manifest} (SHA-256 ${e.digest})`;
  const quarantine = Object.values(incident.mitigations ?? {})
    .filter((r) => r.target.action === 'quarantine' || r.target.action === 'release')
    .sort((a, b) => a.at.localeCompare(b.at))
    .map(
      (r) =>
        `- ${hhmm(r.at)} ${r.description}: confirmed by ${r.by}, ${r.state}${r.finishedAt ? ` at ${hhmm(r.finishedAt)}` : ''}`,
    );
  return [
    '### Security: evidence and quarantine',
    ...(incident.evidence
      ? [capture('Evidence at once', incident.evidence)]
      : ['- Evidence at once: _(none recorded)_']),
    ...(incident.evidenceAfterQuarantine
      ? [capture('Evidence after quarantine', incident.evidenceAfterQuarantine)]
      : []),
    ...(quarantine.length ? quarantine : ['- Quarantine: _(not taken through mcp-ops)_']),
    '',
  ];
}
