import type { OnCallTier } from '../config.ts';
import type { Pager } from './pager.ts';
import { event as timelineEvent, sendOnce, type Integration, type SendOnceDeps } from './send-once.ts';
import type { Incident } from '../incidents/incident.ts';
import { runbookLink } from './page-message.ts';
import type { IncidentSeverity } from '../incidents/severity.ts';

/**
 * The team's chat and ticket system, as ports: escalation says what happened to an incident; the
 * adapters (`adapters/`) say it in AWS Chatbot's format, to a Slack webhook, or to a ticket API.
 */

export type ChatEvent =
  | 'opened'
  | 'related'
  | 'reminder'
  | 'acknowledged'
  | 'resolved'
  | 'diagnosed'
  | 'reviewed'
  | 'updated'
  | 'update-due'
  | 'review-due';

export interface ChatMessage {
  readonly event: ChatEvent;
  readonly incidentId: string;
  readonly severity: IncidentSeverity;
  /** One line: what happened, with the incident id. */
  readonly title: string;
  /** The manual's communication template, as lines. */
  readonly lines: readonly string[];
  readonly nextSteps: readonly string[];
}

export interface Chat {
  post(message: ChatMessage): Promise<void>;
  /**
   * The chats this one posts to, when it is several (AWS Chatbot and a Slack webhook): each is
   * sent to once under its own claim, so one refusing never posts twice to the other.
   */
  readonly parts?: readonly Chat[];
}

/** Each chat to post to, with the suffix of its claim key (`''` for the first, `@1`... after). */
export function chatsOf(chat: Chat | undefined): Array<{ suffix: string; chat: Chat }> {
  if (!chat) return [];
  return (chat.parts ?? [chat]).map((part, index) => ({
    suffix: index === 0 ? '' : `@${index}`,
    chat: part,
  }));
}

export interface TicketRequest {
  /** The same for every retry of one incident's ticket: the ticket system may drop repeats by it. */
  readonly idempotencyKey: string;
  readonly incidentId: string;
  readonly severity: IncidentSeverity;
  /** The manual: "incident ticket" for P1/P2, "bug ticket" for P3. */
  readonly kind: 'incident' | 'bug';
  readonly title: string;
  readonly body: string;
  readonly labels: readonly string[];
}

export interface Tickets {
  /** Opens the ticket and returns its reference (key, number or URL). */
  open(ticket: TicketRequest): Promise<string>;
  /** Adds a comment to a ticket opened before (a reminder, the resolution). */
  comment(ref: string, text: string): Promise<void>;
}

/** The manual's incident channels ("Create incident channel (#incident-YYYYMMDD-NNN)"). */
export interface IncidentChannels {
  /** Creates the channel (or finds it made by an earlier try) and returns its name, with `#`. */
  create(incident: Pick<Incident, 'id' | 'severity' | 'alert'>): Promise<string>;
}

/** `INC-20261127-001` → `incident-20261127-001`, the manual's channel name. */
export function channelName(incidentId: string): string {
  return incidentId.replace(/^INC-/, 'incident-').toLowerCase();
}

const utc = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

const STATUS: Record<Incident['status'], string> = {
  triggered: 'Investigating',
  held: 'Investigating (held: maintenance window)',
  acknowledged: 'Investigating (acknowledged)',
  resolved: 'Resolved',
};

/** The manual's status: Investigating, Identified, Monitoring or Resolved (and how it got there). */
export function statusText(incident: Pick<Incident, 'status' | 'phase'>): string {
  if (incident.status !== 'resolved' && incident.phase)
    return incident.phase === 'identified' ? 'Identified' : 'Monitoring';
  return STATUS[incident.status];
}

/** The manual's incident communication template, as lines of plain text. */
export function communicationLines(incident: Incident, runbookUrl: string): string[] {
  const related = incident.related ?? [];
  return [
    `Incident ID: ${incident.id}`,
    `Severity: ${incident.severity}`,
    `Status: ${statusText(incident)}`,
    `Started: ${utc(incident.createdAt)}`,
    `Impact: ${incident.alert.summary}`,
    `Alert: ${incident.alert.name}`,
    ...(related.length
      ? [
          `Related alerts: ${related.map((r) => `${r.name} (${r.severity}, ${utc(r.at)})`).join('; ')}${incident.relatedOmitted ? `; and ${incident.relatedOmitted} more` : ''}`,
        ]
      : []),
    ...(incident.ackedBy ? [`Acknowledged by: ${incident.ackedBy}`] : []),
    ...(incident.ticketRef ? [`Ticket: ${incident.ticketRef}`] : []),
    ...(incident.channel ? [`Incident channel: ${incident.channel}`] : []),
    `Runbook: ${runbookUrl}`,
  ];
}

const TITLES: Record<ChatEvent, (i: Incident) => string> = {
  opened: (i) => `[${i.severity}] ${i.id} opened: ${i.alert.name}`,
  related: (i) => `[${i.severity}] ${i.id}: a related alert joined`,
  reminder: (i) => `[${i.severity}] ${i.id} is still unacknowledged past its response time`,
  acknowledged: (i) => `[${i.severity}] ${i.id} acknowledged`,
  resolved: (i) => `[${i.severity}] ${i.id} resolved: ${i.alert.name}`,
  diagnosed: (i) => `[${i.severity}] ${i.id} diagnosis: ${i.alert.name}`,
  reviewed: (i) => `[${i.severity}] ${i.id} post-incident review drafted`,
  updated: (i) => `[${i.severity}] ${i.id} update: ${statusText(i)}`,
  'update-due': (i) => `[${i.severity}] ${i.id}: a status update is due`,
  'review-due': (i) => `[${i.severity}] ${i.id}: the post-incident review is overdue`,
};

export function chatMessage(
  event: ChatEvent,
  incident: Incident,
  runbookUrl: string,
  extra: string[] = [],
): ChatMessage {
  const nextSteps =
    event === 'review-due'
      ? [`Mark it done when written: mcp-ops incident review ${incident.id} --done`]
      : event === 'resolved' || event === 'reviewed'
        ? ['Write the post-incident review within 48 hours']
        : [`Follow the runbook: ${runbookUrl}`, `Acknowledge: mcp-ops ack ${incident.id}`];
  return {
    event,
    incidentId: incident.id,
    severity: incident.severity,
    title: TITLES[event](incident),
    lines: [...extra, ...communicationLines(incident, runbookUrl)],
    nextSteps,
  };
}

export function ticketRequest(incident: Incident, runbookUrl: string): TicketRequest {
  const kind = incident.severity === 'P3' ? 'bug' : 'incident';
  return {
    idempotencyKey: `mcp-ops-${incident.id}`,
    incidentId: incident.id,
    severity: incident.severity,
    kind,
    title: `[${incident.severity}] ${incident.id} ${incident.alert.name}: ${incident.alert.summary}`.slice(
      0,
      250,
    ),
    body: [
      ...communicationLines(incident, runbookUrl),
      '',
      'Labels:',
      ...Object.entries(incident.alert.labels).map(([k, v]) => `  ${k} = ${v}`),
    ].join('\n'),
    labels: ['mcp-ops', kind, incident.severity.toLowerCase(), `mcp-ops-${incident.id}`],
  };
}

/** The tiers that were paged for an incident (those with a page record), in ladder order. */
export function tiersPaged(tiers: readonly OnCallTier[], incident: Incident): OnCallTier[] {
  return tiers.filter((t) => incident.pages[t.name] !== undefined);
}

/** Every status an incident can have: a notice about it may go out in any. */
const ANY_STATUS: Incident['status'][] = ['triggered', 'held', 'acknowledged', 'resolved'];

/**
 * One message about an incident to some tiers' page topics and to the chat (when there is one):
 * the diagnosis, the review and its reminder go to the people paged. Each destination is its own
 * claim on the incident (`<key>:<tier>`, `<key>:chat`), sent once: a retry sends only to those
 * not claimed yet, or refused. Answers who has it (now or before) and who does not yet (refused:
 * the caller retries; a claim whose sender died after sending counts as sent, never as twice).
 */
export async function tellTiersAndChat(
  via: SendOnceDeps & { readonly pager: Pager; readonly chat?: Chat; readonly runbookBaseUrl?: string },
  tiers: readonly OnCallTier[],
  incident: Incident,
  event: ChatEvent,
  message: { readonly subject: string; readonly lines: string[] },
  key: string,
): Promise<{ told: string[]; refused: string[] }> {
  const body = message.lines.join('\n');
  const destinations: Array<{ name: string; send: () => Promise<void>; integration: Integration }> =
    tiers.map((tier) => ({
      name: tier.name,
      send: () => via.pager.page(tier, { subject: message.subject, body }),
      integration: 'pager' as const,
    }));
  for (const { suffix, chat } of chatsOf(via.chat))
    destinations.push({
      name: `chat${suffix}`,
      send: () =>
        chat.post(
          chatMessage(
            event,
            incident,
            runbookLink(incident.alert.runbook, via.runbookBaseUrl),
            message.lines,
          ),
        ),
      integration: 'chat',
    });
  for (const d of destinations) {
    await sendOnce(
      via,
      incident,
      `${key}:${d.name}`,
      ANY_STATUS,
      d.send,
      timelineEvent(via.now(), 'notified', `${event} sent to ${d.name}`),
      d.integration,
      false, // a refusal is recorded and answered below; anything else (the store) is thrown
    );
  }
  const latest = (await via.store.get(incident.id)) ?? incident;
  const told: string[] = [];
  const refused: string[] = [];
  for (const d of destinations) {
    const state = latest.pages[`${key}:${d.name}`]?.state;
    if (state === 'failed' || state === undefined) refused.push(d.name);
    else told.push(d.name);
  }
  return { told, refused };
}
