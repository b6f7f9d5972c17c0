import type { OnCallTier, OpsConfig, SeverityResponse } from '../config.ts';
import type { Incident } from './incident.ts';
import type { IncidentSeverity } from './severity.ts';

/**
 * The manual's response policy as pure decisions: what an incident of a severity gets, when, and
 * what an acknowledgement stops. Everything here is a function of the incident and the clock, so
 * the tick, the intake and the property tests all ask the same question the same way.
 */
export interface ResponsePolicy {
  readonly tiers: readonly OnCallTier[];
  readonly severities: Readonly<Record<IncidentSeverity, SeverityResponse>>;
  readonly businessHours: OpsConfig['escalation']['businessHours'];
  /** The team's time zone, in which business hours are read. */
  readonly timeZone: string;
}

export function responsePolicy(config: OpsConfig): ResponsePolicy {
  return {
    tiers: config.onCall.tiers,
    severities: config.escalation.severities,
    businessHours: config.escalation.businessHours,
    timeZone: config.schedules.timeZone,
  };
}

/** What is due next for an incident: a tier's page, or the response-time reminder to chat/ticket. */
export type Step =
  | { readonly kind: 'page'; readonly tier: number; readonly dueAt: Date }
  | { readonly kind: 'reminder'; readonly dueAt: Date };

/** The page key of the response-time reminder (claimed once, like a page). */
export const REMINDER_KEY = 'reminder';

type Planned = Pick<
  Incident,
  'severity' | 'status' | 'tierReached' | 'pages' | 'createdAt' | 'ladderStartedAt'
>;

const MINUTE = 60_000;

/** When the incident's clock started: when it opened, or when a maintenance hold released it. */
export function ladderStart(incident: Pick<Incident, 'createdAt' | 'ladderStartedAt'>): Date {
  return new Date(incident.ladderStartedAt ?? incident.createdAt);
}

/** Whether tier `index` may still be paged for an incident in this status. */
export function tierApplies(tier: OnCallTier, index: number, status: Incident['status']): boolean {
  if (status === 'triggered') return true;
  // An acknowledgement stops the "(no response)" steps; "(no resolution)" steps go on until resolved.
  return status === 'acknowledged' && index > 0 && tier.climbsOn === 'no-resolution';
}

/** The statuses in which a page to tier `index` may be sent (checked again by the store's write). */
export function pageableStatuses(tier: OnCallTier, index: number): Array<Incident['status']> {
  return index > 0 && tier.climbsOn === 'no-resolution' ? ['triggered', 'acknowledged'] : ['triggered'];
}

/** When tier `index` is paged: at once for the first; then when the previous tier's deadline passes. */
export function tierDueAt(policy: ResponsePolicy, index: number, start: Date): Date {
  if (index === 0) return start;
  return new Date(start.getTime() + policy.tiers[index - 1]!.respondWithinMinutes * MINUTE);
}

/** The next step due for this incident, or undefined when nothing more happens on its own. */
export function nextStep(policy: ResponsePolicy, incident: Planned): Step | undefined {
  if (incident.status === 'resolved' || incident.status === 'held') return undefined;
  const start = ladderStart(incident);
  const response = policy.severities[incident.severity];
  if (response.page === 'at-once') {
    for (let i = incident.tierReached + 1; i < policy.tiers.length; i += 1) {
      const tier = policy.tiers[i]!;
      if (!tier.severities.includes(incident.severity) || !tierApplies(tier, i, incident.status)) continue;
      return { kind: 'page', tier: i, dueAt: tierDueAt(policy, i, start) };
    }
    return undefined;
  }
  // Not paged at once: the response time is an acknowledgement deadline. When it passes, a reminder
  // goes to chat and the ticket; a `business-hours` severity then pages the first tier, in them.
  if (incident.status !== 'triggered') return undefined;
  const deadline = new Date(start.getTime() + response.responseMinutes * MINUTE);
  if (!incident.pages[REMINDER_KEY]) return { kind: 'reminder', dueAt: deadline };
  if (response.page === 'business-hours' && incident.tierReached < 0 && policy.tiers[0]) {
    return { kind: 'page', tier: 0, dueAt: nextBusinessTime(policy, deadline) };
  }
  return undefined;
}

/** What an acknowledgement leaves to come: the "(no resolution)" tiers, unless it is resolved. */
export function afterAcknowledgement(policy: ResponsePolicy, incident: Planned): string {
  const step = nextStep(policy, incident);
  if (step?.kind !== 'page') return 'Nobody else will be paged.';
  const tier = policy.tiers[step.tier]!;
  return `Paging the next tiers has stopped; ${tier.title} will still be told at ${step.dueAt.toISOString().slice(11, 16)} UTC unless it is resolved by then.`;
}

/** Whether an incident of this severity is paged at once (and so is never held by maintenance). */
export function pagesAtOnce(policy: ResponsePolicy, severity: IncidentSeverity): boolean {
  return policy.severities[severity].page === 'at-once';
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

interface WallTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly weekday: number;
  readonly minutes: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock date and time of an instant in a time zone. */
export function wallTime(at: Date, timeZone: string): WallTime {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(at).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    weekday: WEEKDAYS[parts.weekday!]!,
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
  };
}

const minutesOf = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));

/** The instant at which a time zone's clock shows this date and minute of the day. */
function instantOf(year: number, month: number, day: number, minutes: number, timeZone: string): Date {
  const guess = Date.UTC(year, month - 1, day, 0, minutes);
  // The zone's offset at the guess, then again at the answer (a daylight-saving change between).
  let at = guess;
  for (let i = 0; i < 2; i += 1) {
    const w = wallTime(new Date(at), timeZone);
    const shown = Date.UTC(w.year, w.month - 1, w.day, 0, w.minutes);
    at = guess - (shown - at);
  }
  return new Date(at);
}

export function inBusinessHours(policy: ResponsePolicy, at: Date): boolean {
  const w = wallTime(at, policy.timeZone);
  const { days, start, end } = policy.businessHours;
  return days.includes(w.weekday) && w.minutes >= minutesOf(start) && w.minutes < minutesOf(end);
}

/** `at` itself inside business hours; otherwise when they next begin in the team's zone. */
export function nextBusinessTime(policy: ResponsePolicy, at: Date): Date {
  if (inBusinessHours(policy, at)) return at;
  const startMinutes = minutesOf(policy.businessHours.start);
  for (let offset = 0; offset <= 8; offset += 1) {
    const day = wallTime(new Date(at.getTime() + offset * 24 * 60 * MINUTE), policy.timeZone);
    const candidate = instantOf(day.year, day.month, day.day, startMinutes, policy.timeZone);
    if (candidate > at && inBusinessHours(policy, candidate)) return candidate;
  }
  throw new Error('business hours name no day of the week');
}

/** The default timeline of an unanswered incident of each severity, for the CLI and the README. */
export function describeTimeline(policy: ResponsePolicy, severity: IncidentSeverity): string[] {
  const response = policy.severities[severity];
  const channels = [response.chat ? 'chat' : '', response.ticket ? 'ticket' : ''].filter(Boolean).join(' + ');
  const lines: string[] = [];
  const at = (minutes: number) =>
    minutes < 60
      ? `+${minutes} min`
      : `+${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
  if (response.page === 'at-once') {
    lines.push(`+0 ${channels ? `${channels}, ` : ''}page ${policy.tiers[0]?.title ?? 'nobody'}`);
    policy.tiers.forEach((tier, index) => {
      if (index === 0 || !tier.severities.includes(severity)) return;
      const minutes = policy.tiers[index - 1]!.respondWithinMinutes;
      const unless = tier.climbsOn === 'no-response' ? 'unless acknowledged' : 'unless resolved';
      lines.push(`${at(minutes)} page ${tier.title} (${unless})`);
    });
  } else {
    lines.push(`+0 ${channels || 'recorded only'}; no page`);
    const reminder = `${at(response.responseMinutes)} reminder to ${channels || 'the incident record'} (unless acknowledged)`;
    lines.push(reminder);
    if (response.page === 'business-hours') {
      const { days, start, end } = policy.businessHours;
      const names = days.map((d) => Object.keys(WEEKDAYS)[d]).join(',');
      lines.push(
        `${at(response.responseMinutes)} page ${policy.tiers[0]?.title ?? 'nobody'} (unless acknowledged; only ${names} ${start}-${end} ${policy.timeZone}, else when they begin)`,
      );
    }
  }
  return lines;
}
