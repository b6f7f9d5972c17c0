import type { OnCallTier, OpsConfig } from '../../core/config.ts';
import { parseAlertMessage, type NormalizedAlert } from './alerts.ts';
import { generationOf, incidentId, utcDay, type Incident, type IncidentStatus } from './incident.ts';
import type { IncidentStore } from './incident-store.ts';
import { signedLink } from './links.ts';
import { inMaintenanceWindow } from '../../core/maintenance-window.ts';
import {
  chatMessage,
  tellTiersAndChat,
  ticketRequest,
  tiersPaged,
  chatsOf,
  type Chat,
  type ChatEvent,
  type ChatMessage,
  type IncidentChannels,
  type Tickets,
} from './notify.ts';
import { renderPage, renderResolved, runbookLink, type Page } from './page-message.ts';
import {
  inBusinessHours,
  ladderStart,
  nextBusinessTime,
  nextStep,
  pageableStatuses,
  pagesAtOnce,
  REMINDER_KEY,
  responsePolicy,
  wallTime,
  type ResponsePolicy,
} from './policy.ts';
import { incidentSeverity, worseSeverity } from './severity.ts';
import { event, sendOnce, STALE_CLAIM_MS } from './send-once.ts';
import { singleLine } from '../../core/text-safety.ts';

export type { Integration } from './send-once.ts';

/** Publishes a page to a tier (its SNS topic when deployed). */
export interface Pager {
  page(tier: OnCallTier, page: Page): Promise<void>;
}

export interface EscalationMetrics {
  count(
    name:
      | 'PagesSent'
      | 'Escalations'
      | 'Acknowledgements'
      | 'ParseFailures'
      | 'Held'
      /** A send refused by an integration (dimension: pager, chat, tickets); retried next tick. */
      | 'IntegrationFailures'
      /** An incident the tick could not handle (its own reads or writes failing); the rest went on. */
      | 'IncidentFailures',
    dimension?: string,
  ): void;
  timeToAcknowledge(seconds: number): void;
}

export interface EscalationDeps {
  readonly store: IncidentStore;
  readonly pager: Pager;
  readonly now: () => Date;
  readonly tiers: readonly OnCallTier[];
  /** What each severity gets, and when: the manual's severity levels and ladder. */
  readonly policy: ResponsePolicy;
  readonly maintenanceWindow: OpsConfig['maintenanceWindow'];
  readonly links: {
    readonly baseUrl: string;
    readonly secret: string;
    /**
     * The key before the last rotation: links it signed still open (they expire within ttlHours).
     * Read only when a link is checked (the respond page), never on the paging path.
     */
    readonly previousSecrets?: () => Promise<readonly string[]>;
    readonly ttlHours: number;
  };
  readonly runbookBaseUrl?: string;
  /** Related alerts of one service within this many minutes join one incident (0: never). */
  readonly relatedWindowMinutes?: number;
  readonly chat?: Chat;
  readonly tickets?: Tickets;
  /** Creates the manual's `#incident-YYYYMMDD-NNN` channel for a P0 (a Slack bot, when configured). */
  readonly channels?: IncidentChannels;
  readonly metrics?: EscalationMetrics;
}

/** The parts of the escalation dependencies that come from configuration alone. */
export function configuredResponse(config: OpsConfig) {
  return {
    tiers: config.onCall.tiers,
    policy: responsePolicy(config),
    maintenanceWindow: config.maintenanceWindow,
    relatedWindowMinutes: config.escalation.relatedAlertWindowMinutes,
    runbookBaseUrl: config.escalation.runbookBaseUrl,
  };
}

function linksFor(deps: EscalationDeps, incident: Incident, tier: OnCallTier) {
  const expiresAt = new Date(deps.now().getTime() + deps.links.ttlHours * 3_600_000);
  const claims = { incidentId: incident.id, tier: tier.name, generation: generationOf(incident), expiresAt };
  return {
    ack: signedLink(deps.links.baseUrl, deps.links.secret, { ...claims, action: 'ack' }),
    resolve: signedLink(deps.links.baseUrl, deps.links.secret, { ...claims, action: 'resolve' }),
  };
}

const runbookOf = (deps: EscalationDeps, incident: Incident) =>
  runbookLink(incident.alert.runbook, deps.runbookBaseUrl);

async function pageTier(deps: EscalationDeps, incident: Incident, index: number): Promise<boolean> {
  const tier = deps.tiers[index];
  if (!tier) return false;
  const page = renderPage(incident, tier, linksFor(deps, incident, tier), deps.runbookBaseUrl);
  const sent = await sendOnce(
    deps,
    incident,
    tier.name,
    pageableStatuses(tier, index),
    () => deps.pager.page(tier, page),
    event(deps.now(), 'paged', `${tier.title} (${tier.contact})`),
  );
  if (sent) deps.metrics?.count('PagesSent', tier.name);
  return sent;
}

/** Posts to the team's chat once per incident and key, when the severity asks for chat. */
async function postChat(
  deps: EscalationDeps,
  incident: Incident,
  kind: ChatEvent,
  key: string,
  statuses: IncidentStatus[],
  extra: string[] = [],
): Promise<void> {
  if (!deps.policy.severities[incident.severity].chat) return;
  await sendChatOnce(
    deps,
    incident,
    key,
    statuses,
    chatMessage(kind, incident, runbookOf(deps, incident), extra),
  );
}

/** One chat message to every chat (each under its own claim: `key`, `key@1`, ...), once each. */
async function sendChatOnce(
  deps: EscalationDeps,
  incident: Incident,
  key: string,
  statuses: IncidentStatus[],
  message: ChatMessage,
): Promise<void> {
  for (const { suffix, chat } of chatsOf(deps.chat))
    await sendOnce(
      deps,
      incident,
      `${key}${suffix}`,
      statuses,
      () => chat.post(message),
      event(deps.now(), 'notified', `chat${suffix}: ${message.event}`),
      'chat',
    );
}

/** Whether any chat's copy of message `key` still needs sending. */
function chatUnsent(deps: EscalationDeps, incident: Incident, key: string): boolean {
  return chatsOf(deps.chat).some(({ suffix }) => unsent(deps, incident, `${key}${suffix}`));
}

/** Opens the incident's ticket once (the same idempotency key on every retry). */
async function openTicket(deps: EscalationDeps, incident: Incident): Promise<void> {
  const tickets = deps.tickets;
  if (!tickets || !deps.policy.severities[incident.severity].ticket) return;
  let ref = '';
  await sendOnce(
    deps,
    incident,
    'ticket',
    ['triggered', 'held', 'acknowledged'],
    async () => {
      ref = await tickets.open(ticketRequest(incident, runbookOf(deps, incident)));
    },
    event(deps.now(), 'notified', 'ticket opened'),
    'tickets',
  );
  if (ref) await deps.store.setReference(incident.id, 'ticketRef', ref);
}

async function commentTicket(deps: EscalationDeps, incident: Incident, text: string): Promise<void> {
  if (deps.tickets && incident.ticketRef) await deps.tickets.comment(incident.ticketRef, text);
}

/** Whether message `key` still needs sending: never claimed, or claimed by a sender that died. */
function unsent(deps: EscalationDeps, incident: Incident, key: string): boolean {
  const record = incident.pages[key];
  if (!record || record.state === 'failed') return true;
  return record.state === 'claimed' && deps.now().getTime() - new Date(record.at).getTime() > STALE_CLAIM_MS;
}

/**
 * What every open incident gets once, besides pages: its chat notice and its ticket. Called again
 * by repeats and ticks, it sends only what a sender that died left unsent (read from the record
 * in hand, so a repeat costs no write).
 */
async function announce(deps: EscalationDeps, incident: Incident): Promise<void> {
  if (incident.status === 'resolved') return;
  if (chatUnsent(deps, incident, 'chat:opened'))
    await postChat(deps, incident, 'opened', 'chat:opened', ['triggered', 'held', 'acknowledged']);
  if (unsent(deps, incident, 'ticket')) await openTicket(deps, incident);
}

/** How long a P0's first page may wait for its incident channel to be created. */
const CHANNEL_TIMEOUT_MS = 3_000;

/**
 * A P0 gets the manual's incident channel, created once, before its first page so the page can
 * name it. The page never waits long for it: a slow or failing chat API is noted, not fatal.
 */
async function openChannel(deps: EscalationDeps, incident: Incident): Promise<Incident> {
  const channels = deps.channels;
  if (!channels || incident.severity !== 'P0' || incident.channel) return incident;
  let name = '';
  let failure = '';
  await sendOnce(
    deps,
    incident,
    'channel',
    ['triggered', 'acknowledged'],
    async () => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer in ${CHANNEL_TIMEOUT_MS} ms`)),
          CHANNEL_TIMEOUT_MS,
        );
      });
      try {
        name = await Promise.race([channels.create(incident), timeout]);
      } catch (error) {
        failure = (error as Error).message;
      } finally {
        clearTimeout(timer);
      }
    },
    () =>
      event(
        deps.now(),
        'notified',
        name ? `incident channel ${name} created` : `incident channel could not be created: ${failure}`,
      ),
  );
  if (name) await deps.store.setReference(incident.id, 'channel', name);
  return (await deps.store.get(incident.id)) ?? incident;
}

/**
 * The response-time reminder: in chat (under the reminder's own key, which the ladder reads) and
 * as a comment on the ticket (its own key), each sent once.
 */
async function sendReminder(deps: EscalationDeps, incident: Incident): Promise<void> {
  const now = deps.now();
  const response = deps.policy.severities[incident.severity];
  const text = `${incident.id} has not been acknowledged within its response time (${response.responseMinutes} min).`;
  // The reminder's own key (which the ladder reads) goes with the first chat, or marks it done.
  const chats = response.chat ? chatsOf(deps.chat) : [];
  const message = chatMessage('reminder', incident, runbookOf(deps, incident), [text]);
  await sendOnce(
    deps,
    incident,
    REMINDER_KEY,
    ['triggered'],
    async () => {
      if (chats[0]) await chats[0].chat.post(message);
    },
    event(now, 'reminded', `response time of ${response.responseMinutes} min passed unacknowledged`),
    'chat',
  );
  for (const { suffix, chat } of chats.slice(1))
    await sendOnce(
      deps,
      incident,
      `${REMINDER_KEY}${suffix}`,
      ['triggered'],
      () => chat.post(message),
      event(now, 'notified', `chat${suffix}: reminder`),
      'chat',
    );
  if (deps.tickets && incident.ticketRef)
    await sendOnce(
      deps,
      incident,
      `${REMINDER_KEY}:ticket`,
      ['triggered'],
      () => commentTicket(deps, incident, text),
      event(now, 'notified', 'ticket: response-time reminder'),
      'tickets',
    );
}

/** A reminder whose chat post or ticket comment was refused earlier is tried again. */
async function retryReminder(deps: EscalationDeps, incident: Incident): Promise<void> {
  if (incident.status !== 'triggered') return;
  const failed = (key: string) => incident.pages[key]?.state === 'failed';
  const keys = [
    ...chatsOf(deps.chat).map(({ suffix }) => `${REMINDER_KEY}${suffix}`),
    `${REMINDER_KEY}:ticket`,
  ];
  if (failed(REMINDER_KEY) || keys.some(failed)) await sendReminder(deps, incident);
}

/**
 * Re-sends the pages of the tiers an incident has reached that never went out: the reached tier's
 * if its sender died before claiming it, and any tier's whose send was refused (`failed`) or whose
 * sender died after claiming it (a stale claim), lowest tier first.
 */
async function repairPage(
  deps: EscalationDeps,
  incident: Incident,
  tried: Set<string> = new Set(),
): Promise<boolean> {
  let refused: unknown;
  let attempted = false;
  for (let index = 0; index <= incident.tierReached; index += 1) {
    const tier = deps.tiers[index];
    if (!tier || tried.has(tier.name) || !pageableStatuses(tier, index).includes(incident.status)) continue;
    const record = incident.pages[tier.name];
    if (record?.state === 'sent') continue;
    if (!record && index !== incident.tierReached) continue;
    if (record && !unsent(deps, incident, tier.name)) continue;
    tried.add(tier.name);
    attempted = true;
    // Each tier on its own: one tier's topic refusing does not keep the others' pages back.
    await pageTier(deps, incident, index).catch((error: unknown) => {
      refused ??= error;
    });
  }
  if (refused) throw refused;
  return attempted;
}

/**
 * Does whatever is due for an incident now, step by step, and schedules the next: pages up the
 * ladder, the response-time reminder. Due times come from the incident's own clock, so a missed
 * tick catches up, and every write is conditional, so two callers racing do each step once.
 */
async function advance(deps: EscalationDeps, start: Incident): Promise<Array<{ tier: string }>> {
  const now = deps.now();
  const escalated: Array<{ tier: string }> = [];
  // A page refused (or left by a caller that died) is tried once per call, lowest tier first, and
  // does not hold the ladder back; the first refusal is thrown at the end (the failure is on record).
  let refused: unknown;
  const tried = new Set<string>();
  let incident: Incident | undefined = start;
  for (let guard = 0; incident && guard < 2 * deps.tiers.length + 4; guard += 1) {
    const repaired = await repairPage(deps, incident, tried).catch((error: unknown) => {
      refused ??= error;
      return true;
    });
    if (repaired) incident = await deps.store.get(incident.id);
    if (!incident) break;
    const step = nextStep(deps.policy, incident);
    if (!step || step.dueAt > now) {
      const next = step?.dueAt.toISOString();
      if (incident.nextEscalationAt !== next)
        await deps.store.schedule(incident.id, step?.dueAt, [incident.status]);
      break;
    }
    if (step.kind === 'reminder') {
      // A chat or ticket that refuses it leaves the reminder `failed`: the ladder goes on, and the
      // reminder is tried again by the next tick (retryReminder).
      await sendReminder(deps, incident);
      incident = await deps.store.get(incident.id);
      continue;
    }
    // A page kept to business hours that came due in them, taken by a tick that runs after they
    // ended, waits for them to begin again.
    if (
      deps.policy.severities[incident.severity].page === 'business-hours' &&
      !inBusinessHours(deps.policy, now)
    ) {
      const later = nextBusinessTime(deps.policy, now);
      if (incident.nextEscalationAt !== later.toISOString())
        await deps.store.schedule(incident.id, later, [incident.status]);
      break;
    }
    // The tiers are paged in the ladder's order: while the page of the tier reached is on its way
    // (claimed by a concurrent caller, not yet sent), that caller climbs on after it, or the next
    // tick does. A page that was refused does not hold the ladder back.
    const reached = incident.tierReached >= 0 ? deps.tiers[incident.tierReached] : undefined;
    const onItsWay = reached ? incident.pages[reached.name] : undefined;
    if (reached && (!onItsWay || (onItsWay.state === 'claimed' && !unsent(deps, incident, reached.name))))
      break;
    const tier = deps.tiers[step.tier]!;
    if (step.tier === 0) incident = await openChannel(deps, incident);
    const following = nextStep(deps.policy, { ...incident, tierReached: step.tier });
    const why = tier.climbsOn === 'no-response' ? 'no acknowledgement' : 'no resolution';
    const won = await deps.store.escalate(
      incident.id,
      incident.tierReached,
      step.tier,
      following?.dueAt,
      // The first page is the opening's own; the timeline shows it as `paged`.
      step.tier === 0
        ? undefined
        : event(now, 'escalated', `${why}: ${tier.title} is due since ${step.dueAt.toISOString()}`),
      pageableStatuses(tier, step.tier),
    );
    incident = await deps.store.get(incident.id);
    // Another caller moved it first: look again (the page it owes may be ours to send, or the next step).
    if (!won || !incident) continue;
    if (step.tier > 0) {
      deps.metrics?.count('Escalations', tier.name);
      escalated.push({ tier: tier.name });
    }
    tried.add(tier.name);
    await pageTier(deps, incident, step.tier).catch((error: unknown) => {
      refused ??= error;
    });
    // As written now: the next step reads whether this page went out.
    incident = await deps.store.get(incident.id);
  }
  if (refused) throw refused;
  return escalated;
}

function newIncident(deps: EscalationDeps, alert: NormalizedAlert, id: string): Incident {
  const now = deps.now();
  const severity = incidentSeverity(alert);
  const window = inMaintenanceWindow(now, deps.maintenanceWindow);
  const held = window.inside && !pagesAtOnce(deps.policy, severity);
  const base = {
    id,
    dedupKey: alert.dedupKey,
    severity,
    status: (held ? 'held' : 'triggered') as IncidentStatus,
    title: `${alert.name}: ${alert.summary}`.slice(0, 200),
    alert,
    createdAt: now.toISOString(),
    generation: 1,
    tierReached: -1,
    ...(serviceOf(alert) ? { service: serviceOf(alert) } : {}),
    firing: { [alert.dedupKey]: alert.name },
    pages: {},
    repeats: 0,
    timeline: [
      event(now, 'opened', `${alert.source} alert ${alert.name} (${alert.severityLabel} → ${severity})`),
      ...(held ? [event(now, 'held', `maintenance window until ${window.end.toISOString()}`)] : []),
    ],
  };
  const nextAt = held ? window.end : nextStep(deps.policy, base)?.dueAt;
  return { ...base, ...(nextAt ? { nextEscalationAt: nextAt.toISOString() } : {}) };
}

/** The service an alert is about: alerts of one service within the window are one failure. */
export function serviceOf(alert: NormalizedAlert): string | undefined {
  return alert.labels.service ?? alert.labels.app ?? alert.labels.job;
}

export interface IntakeOutcome {
  readonly incidentId?: string;
  readonly outcome:
    | 'opened'
    | 'held'
    | 'joined'
    | 'related'
    | 'duplicate'
    | 'resolved'
    | 'cleared'
    | 'resolve-unknown'
    | 'ignored';
  readonly alert: string;
}

/**
 * A related alert joins an open incident of its service: recorded, then the severity raised to the
 * worse of the two. The raise is its own conditional write (only ever upwards), so two alerts
 * joining at once can never write a lower severity over a higher one.
 */
async function joinRelated(
  deps: EscalationDeps,
  alert: NormalizedAlert,
  relatedId: string,
  deliveryKey: string,
): Promise<IntakeOutcome | undefined> {
  const now = deps.now();
  const severity = incidentSeverity(alert);
  const joined = await deps.store.joinRelated(
    relatedId,
    alert.dedupKey,
    deliveryKey,
    { at: now.toISOString(), name: alert.name, severity, summary: alert.summary.slice(0, 200) },
    event(now, 'related', `${alert.name} (${severity}) joined`),
  );
  if (joined.outcome === 'closed') return undefined;
  if (joined.outcome === 'duplicate')
    return { incidentId: joined.incidentId, outcome: 'duplicate', alert: alert.name };
  let incident = joined.incident;
  if (worseSeverity(incident.severity, severity) !== incident.severity) {
    // Raised from a severity that does not page at once to one that does: its clock starts now.
    const quiet = (['P0', 'P1', 'P2', 'P3'] as const).filter((s) => !pagesAtOnce(deps.policy, s));
    const restartFrom = pagesAtOnce(deps.policy, severity) ? quiet : [];
    incident =
      (await deps.store.raiseSeverity(
        relatedId,
        severity,
        restartFrom,
        now,
        event(now, 'related', `severity raised to ${severity} by ${alert.name}`),
      )) ?? incident;
    await openTicket(deps, incident);
  }
  await postChat(
    deps,
    incident,
    'related',
    `chat:related:${alert.dedupKey}`,
    ['triggered', 'held', 'acknowledged'],
    [`Joined: ${alert.name} (${severity}): ${alert.summary}`],
  );
  await advance(deps, incident);
  return { incidentId: relatedId, outcome: 'related', alert: alert.name };
}

/** A resolved alert: it stops firing in its incident, which resolves when none fires any more. */
async function alertResolved(deps: EscalationDeps, alert: NormalizedAlert): Promise<IntakeOutcome> {
  const open = await deps.store.openIncidentFor(alert.dedupKey);
  if (!open) return { outcome: 'resolve-unknown', alert: alert.name };
  const still = await deps.store.clearFiring(open.id, alert.dedupKey);
  if (still > 0) return { incidentId: open.id, outcome: 'cleared', alert: alert.name };
  await resolveIncident(deps, open.id, `alert ${alert.name} resolved`);
  return { incidentId: open.id, outcome: 'resolved', alert: alert.name };
}

/** One alert from the alerts topic: open an incident and page, join an open one, or resolve it. */
export async function intakeAlert(
  deps: EscalationDeps,
  alert: NormalizedAlert,
  messageId: string,
): Promise<IntakeOutcome> {
  const { store } = deps;
  if (alert.status === 'resolved') return alertResolved(deps, alert);
  if (alert.source === 'unparsed') deps.metrics?.count('ParseFailures');

  // One SNS message may carry several alerts: a delivery is one alert of one message.
  const deliveryKey = `${messageId}#${alert.dedupKey}`;
  const duplicate = async (id: string): Promise<IntakeOutcome> => {
    // The first delivery may have died before its page went out: whoever sees it next sends it.
    const incident = await store.get(id);
    if (incident) {
      await advance(deps, incident);
      await announce(deps, incident);
    }
    return { incidentId: id, outcome: 'duplicate', alert: alert.name };
  };
  const service = serviceOf(alert);
  const windowMinutes = deps.relatedWindowMinutes ?? 0;

  // Join the open incident, or open one; a resolve or a lost race to open sends us round again.
  // A duplicate delivery is recognised by its delivery record, written by whichever path took it.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const openId = await store.openIncidentIdFor(alert.dedupKey);
    if (openId) {
      const repeat = await store.recordRepeat(openId, alert.dedupKey, deliveryKey, deps.now());
      if (repeat.outcome === 'closed') continue;
      if (repeat.outcome === 'duplicate') return duplicate(repeat.incidentId);
      // The incident as just written: advance only acts (conditionally) on what is due or unsent.
      await advance(deps, repeat.incident);
      await announce(deps, repeat.incident);
      return { incidentId: openId, outcome: 'joined', alert: alert.name };
    }
    // No open incident: unless this delivery was taken in before (a redelivery after its incident
    // was resolved), join a related open incident of the service, or open one, then record the
    // delivery. A crash between the two leaves an open incident without the record: the retry
    // finds the incident open and joins it.
    const seen = await store.incidentForDelivery(deliveryKey);
    if (seen) return duplicate(seen);
    const since = new Date(deps.now().getTime() - windowMinutes * 60_000);
    if (service && windowMinutes > 0) {
      const relatedId = await store.relatedIncidentFor(service, since);
      if (relatedId) {
        const joined = await joinRelated(deps, alert, relatedId, deliveryKey);
        if (joined) return joined;
        continue;
      }
    }
    const day = utcDay(deps.now());
    const id = incidentId(day, await store.nextIncidentNumber(day));
    const incident = newIncident(deps, alert, id);
    // Lost the race to open it (this alert, or another of the service within the window): go
    // round and join the one that won.
    const related = service && windowMinutes > 0 ? { service, since } : undefined;
    if (!(await store.create(incident, related))) continue;
    // A concurrent copy of this delivery that lost the race to open joins this incident and may
    // record the delivery first; either way it names this incident.
    await store.recordDelivery(deliveryKey, id, deps.now());
    if (incident.status === 'held') {
      deps.metrics?.count('Held');
      await announce(deps, incident);
      return { incidentId: id, outcome: 'held', alert: alert.name };
    }
    // The page first (P0/P1 at once), then the chat notice and the ticket.
    await advance(deps, incident);
    await announce(deps, (await store.get(id)) ?? incident);
    return { incidentId: id, outcome: 'opened', alert: alert.name };
  }
  throw new Error(`Alert ${alert.name} (${alert.dedupKey}): its incident kept changing; retrying delivery`);
}

/** One SNS delivery: every alert in it, each on its own (one failing does not lose the rest). */
export async function intakeMessage(
  deps: EscalationDeps,
  delivery: { messageId: string; message: string },
): Promise<IntakeOutcome[]> {
  const alerts = parseAlertMessage(delivery.message);
  if (alerts.length === 0) return [{ outcome: 'ignored', alert: 'INSUFFICIENT_DATA' }];
  const outcomes: IntakeOutcome[] = [];
  const errors: unknown[] = [];
  for (const alert of alerts) {
    try {
      outcomes.push(await intakeAlert(deps, alert, delivery.messageId));
    } catch (error) {
      errors.push(error);
    }
  }
  // Lambda retries the delivery; what succeeded is recognised as a duplicate then.
  if (errors.length > 0)
    throw new AggregateError(errors, `${errors.length} of ${alerts.length} alerts failed`);
  return outcomes;
}

export interface TickOutcome {
  readonly escalated: Array<{ incidentId: string; tier: string }>;
  readonly released: string[];
  /** Incidents whose overdue post-incident review was reminded on this tick. */
  readonly reviewReminders: string[];
  /** Incidents this tick could not finish, and why; each was skipped, the others went on. */
  readonly failures: Array<{ incidentId: string; stage: 'pages' | 'notices' | 'review'; error: string }>;
}

/**
 * The scheduled tick: every open incident whose next step is due takes it (and any that came due
 * since), and held incidents whose maintenance window ended are released with their clock
 * starting then. Conditional writes make two ticks racing act once; a missed tick catches up.
 *
 * Two passes, each incident on its own: first the pages of every incident, then the chat notices,
 * tickets, reminders and update reminders, so no page waits on a chat post or a ticket system. An
 * incident that fails (an integration refusing its page, its own item refusing writes) is counted
 * (`IncidentFailures`), reported in the outcome and skipped; the next tick tries it again.
 */
export async function escalateDueIncidents(deps: EscalationDeps): Promise<TickOutcome> {
  const escalated: TickOutcome['escalated'] = [];
  const released: string[] = [];
  const failures: Array<TickOutcome['failures'][number]> = [];
  const isolated = async (
    incidentId: string,
    stage: 'pages' | 'notices' | 'review',
    work: () => Promise<void>,
  ) => {
    try {
      await work();
    } catch (error) {
      deps.metrics?.count('IncidentFailures');
      failures.push({
        incidentId,
        stage,
        error: singleLine(error instanceof Error ? error.message : String(error), 300),
      });
    }
  };
  const handled: Incident[] = [];
  for (const listed of await deps.store.openIncidents()) {
    await isolated(listed.id, 'pages', async () => {
      const incident = await pagesDue(deps, listed, escalated, released);
      if (incident) handled.push(incident);
    });
  }
  for (const incident of handled) {
    await isolated(incident.id, 'notices', async () => {
      await announce(deps, incident);
      await retryReminder(deps, incident);
      await remindUpdateDue(deps, incident);
    });
  }
  const reviewReminders = await remindReviewsDue(deps, (id, work) => isolated(id, 'review', work));
  return { escalated, released, reviewReminders, failures };
}

/** One incident's part of the tick's first pass: its release, its due steps, a page left unsent. */
async function pagesDue(
  deps: EscalationDeps,
  listed: Incident,
  escalated: TickOutcome['escalated'],
  released: string[],
): Promise<Incident | undefined> {
  const now = deps.now();
  let incident: Incident | undefined = listed;
  const due = incident.nextEscalationAt && new Date(incident.nextEscalationAt) <= now;
  let releasedNow = false;
  if (incident.status === 'held') {
    if (!due) return incident;
    const start = new Date(incident.nextEscalationAt!);
    const nextAt = nextStep(deps.policy, {
      ...incident,
      status: 'triggered',
      ladderStartedAt: start.toISOString(),
    })?.dueAt;
    if (
      !(await deps.store.release(
        incident.id,
        start,
        nextAt,
        event(now, 'released', 'maintenance window over'),
      ))
    )
      return incident;
    released.push(incident.id);
    releasedNow = true;
    incident = await deps.store.get(incident.id);
  }
  if (!incident) return undefined;
  // Not due: only what a sender that died (or an integration that refused) left unsent.
  if (due || releasedNow)
    for (const e of await advance(deps, incident)) escalated.push({ incidentId: incident.id, ...e });
  else await repairPage(deps, incident);
  return incident;
}

/**
 * Post-incident reviews not marked done by their due time (48 h after the draft): everyone who
 * was paged for the incident, and the chat, are reminded once per business day, inside the
 * team's business hours (a review is no reason to wake anyone), until someone marks it done
 * with `mcp-ops incident review ID --done`.
 */
async function remindReviewsDue(
  deps: EscalationDeps,
  isolated: (incidentId: string, work: () => Promise<void>) => Promise<void>,
): Promise<string[]> {
  const now = deps.now();
  if (!inBusinessHours(deps.policy, now)) return [];
  const local = wallTime(now, deps.policy.timeZone);
  const day = `${local.year}-${String(local.month).padStart(2, '0')}-${String(local.day).padStart(2, '0')}`;
  const reminded: string[] = [];
  for (const incident of await deps.store.reviewsDue(now)) {
    // Already reminded today: no claim to write (the tick runs every minute).
    if (incident.pages[`review-due:${day}`]?.state === 'sent') continue;
    await isolated(incident.id, async () => {
      const overdueHours = Math.floor(
        (now.getTime() - new Date(incident.reviewDueAt!).getTime()) / 3_600_000,
      );
      const text = [
        `The post-incident review of ${incident.id} (${incident.severity}, ${incident.alert.name}) was due ${incident.reviewDueAt!.slice(0, 16).replace('T', ' ')} UTC${overdueHours > 0 ? ` (${overdueHours} h ago)` : ''} and is not marked done.`,
        `Draft: ${incident.review}`,
        `Fill in root cause, resolution, action items and lessons, then: mcp-ops incident review ${incident.id} --done`,
      ];
      // Each person and the chat once a day; the day is marked reminded once all have it.
      const { refused } = await tellTiersAndChat(
        deps,
        tiersPaged(deps.tiers, incident),
        incident,
        'review-due',
        { subject: `[${incident.severity}] ${incident.id}: post-incident review overdue`, lines: text },
        `review-due:${day}`,
      );
      if (refused.length > 0)
        throw new Error(`review reminder not delivered to ${refused.join(', ')}; tried again next tick`);
      const sent = await sendOnce(
        deps,
        incident,
        `review-due:${day}`,
        ['resolved'],
        async () => {},
        event(now, 'reminded', `post-incident review overdue (due ${incident.reviewDueAt})`),
      );
      if (sent) reminded.push(incident.id);
    });
  }
  return reminded;
}

/** The manual's update cadence by severity (Incident Response Playbook step 2). */
export const UPDATE_CADENCE_MINUTES: Partial<Record<Incident['severity'], number>> = {
  P0: 15,
  P1: 30,
  P2: 120,
};

/** When the next status update of an acknowledged incident is due (undefined: none is). */
export function nextUpdateDue(incident: Incident): Date | undefined {
  const cadence = UPDATE_CADENCE_MINUTES[incident.severity];
  if (cadence === undefined || incident.status !== 'acknowledged') return undefined;
  const acknowledged = incident.timeline.find((e) => e.event === 'acknowledged')?.at;
  const last = incident.lastUpdateAt ?? acknowledged;
  return last ? new Date(new Date(last).getTime() + cadence * 60_000) : undefined;
}

/**
 * An acknowledged incident with no status update for its cadence: the person who acknowledged it
 * is reminded, in chat and on their tier's topic (the tier whose link they used, else the
 * primary); once per cadence period, until an update is posted or it is resolved.
 */
async function remindUpdateDue(deps: EscalationDeps, listed: Incident): Promise<void> {
  const now = deps.now();
  // Decided on the listing (only a person changes the acknowledgement or the last update); read
  // again only when a reminder is due, so a quiet tick costs no read per open incident.
  const listedDue = nextUpdateDue(listed);
  if (!listedDue || listedDue > now) return;
  const incident = (await deps.store.get(listed.id)) ?? listed;
  const due = nextUpdateDue(incident);
  const cadence = UPDATE_CADENCE_MINUTES[incident.severity];
  if (!due || cadence === undefined || due > now) return;
  const last = new Date(due.getTime() - cadence * 60_000);
  const period = Math.floor((now.getTime() - last.getTime()) / (cadence * 60_000));
  const by = incident.ackedBy ?? 'the responder';
  const tier = deps.tiers.find((t) => by.startsWith(t.title)) ?? deps.tiers[0];
  const text = `${incident.id} (${incident.severity}): no status update for ${period * cadence} min (the manual: every ${cadence} min). ${by}: post one with mcp-ops incident update ${incident.id} --status investigating|identified|monitoring|resolved "what we know".`;
  const key = `update-due:${last.toISOString()}:${period}`;
  // Only a severity the manual pages at once is reminded on a page topic; a P2's in chat. Each
  // carrier under its own key, so a chat outage never sends the page twice.
  if (tier && pagesAtOnce(deps.policy, incident.severity))
    await sendOnce(
      deps,
      incident,
      key,
      ['acknowledged'],
      () =>
        deps.pager.page(tier, {
          subject: `[${incident.severity}] ${incident.id}: status update due`,
          body: text,
        }),
      event(now, 'reminded', `status update due (${cadence} min cadence)`),
    );
  await sendChatOnce(
    deps,
    incident,
    `${key}:chat`,
    ['acknowledged'],
    chatMessage('update-due', incident, runbookOf(deps, incident), [text]),
  );
}

export type UpdateStatus = 'investigating' | 'identified' | 'monitoring' | 'resolved';

/**
 * A person's status update (the manual's communication template's Updates): the phase and the
 * message on the timeline, re-sent to chat in the template's shape with when the next is due;
 * `resolved` resolves the incident (and tells everyone paged).
 */
export async function postStatusUpdate(
  deps: EscalationDeps,
  id: string,
  update: { status: UpdateStatus; message: string; by: string },
): Promise<Incident | undefined> {
  if (update.status === 'resolved') return resolveIncident(deps, id, update.by, update.message);
  const now = deps.now();
  const phase = update.status === 'investigating' ? undefined : update.status;
  const updated = await deps.store.recordUpdate(
    id,
    phase,
    event(
      now,
      'updated',
      `${update.status[0]!.toUpperCase()}${update.status.slice(1)} (${update.by})`,
      update.message,
    ),
  );
  if (!updated) return undefined;
  const cadence = UPDATE_CADENCE_MINUTES[updated.severity];
  const updates = updated.timeline
    .filter((e) => e.event === 'updated')
    .map((e) => `- ${e.at.slice(11, 16)} UTC ${e.detail}: ${e.note ?? ''}`);
  if (deps.chat && deps.policy.severities[updated.severity].chat)
    await deps.chat.post(
      chatMessage('updated', updated, runbookOf(deps, updated), [
        `Current status: ${update.message}`,
        ...(cadence
          ? [`Next update: by ${new Date(now.getTime() + cadence * 60_000).toISOString().slice(11, 16)} UTC`]
          : []),
        'Updates:',
        ...updates,
      ]),
    );
  await commentTicket(deps, updated, `Status ${update.status}: ${update.message} (${update.by})`);
  return updated;
}

export async function acknowledgeIncident(
  deps: EscalationDeps,
  id: string,
  by: string,
  note?: string,
): Promise<Incident | undefined> {
  const now = deps.now();
  const acked = await deps.store.acknowledge(id, by, event(now, 'acknowledged', by, note));
  if (acked) {
    deps.metrics?.count('Acknowledgements');
    deps.metrics?.timeToAcknowledge((now.getTime() - ladderStart(acked).getTime()) / 1000);
    // The "(no response)" steps stop here; the "(no resolution)" ones keep their time.
    await deps.store.schedule(id, nextStep(deps.policy, acked)?.dueAt, ['acknowledged']);
    await postChat(
      deps,
      acked,
      'acknowledged',
      'chat:acknowledged',
      ['acknowledged', 'resolved'],
      [`Acknowledged by ${by}${note ? `: ${note}` : ''}`],
    );
  }
  return acked;
}

/** Resolves an incident and tells every tier already paged, the chat and the ticket, once each. */
export async function resolveIncident(
  deps: EscalationDeps,
  id: string,
  by: string,
  note?: string,
): Promise<Incident | undefined> {
  const resolved = await deps.store.resolve(id, event(deps.now(), 'resolved', by, note));
  if (!resolved) return undefined;
  for (const tier of deps.tiers) {
    if (resolved.pages[tier.name]?.state !== 'sent') continue;
    const page = renderResolved(resolved, by, note);
    await sendOnce(
      deps,
      resolved,
      `resolved:${tier.name}`,
      ['resolved'],
      () => deps.pager.page(tier, page),
      event(deps.now(), 'notified', `${tier.title}: resolved`),
    );
  }
  const closing = [`Resolved by ${by}${note ? `: ${note}` : ''}`];
  await postChat(deps, resolved, 'resolved', 'chat:resolved', ['resolved'], closing);
  if (resolved.ticketRef) {
    await sendOnce(
      deps,
      resolved,
      'ticket:resolved',
      ['resolved'],
      () => commentTicket(deps, resolved, closing[0]!),
      event(deps.now(), 'notified', 'ticket: resolved'),
    );
  }
  return resolved;
}
