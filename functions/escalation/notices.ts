import type { OnCallTier } from '../../core/config.ts';
import { generationOf, type Incident, type IncidentStatus } from '../../core/incidents/incident.ts';
import { signedLink } from './links.ts';
import {
  chatMessage,
  ticketRequest,
  chatsOf,
  type ChatEvent,
  type ChatMessage,
} from '../../core/outbox/notify.ts';
import { renderPage, runbookLink } from '../../core/outbox/page-message.ts';
import { pageableStatuses } from '../../core/incidents/policy.ts';
import { event, sendOnce, STALE_CLAIM_MS } from '../../core/outbox/send-once.ts';
import type { EscalationDeps } from '../../core/incidents/deps.ts';
import { isSecurity } from '../../core/incidents/alert.ts';
import { securityNotice } from '../../core/outbox/security-api.ts';

function linksFor(deps: EscalationDeps, incident: Incident, tier: OnCallTier) {
  const expiresAt = new Date(deps.now().getTime() + deps.links.ttlHours * 3_600_000);
  const claims = { incidentId: incident.id, tier: tier.name, generation: generationOf(incident), expiresAt };
  return {
    ack: signedLink(deps.links.baseUrl, deps.links.secret, { ...claims, action: 'ack' }),
    resolve: signedLink(deps.links.baseUrl, deps.links.secret, { ...claims, action: 'resolve' }),
  };
}

export const runbookOf = (deps: EscalationDeps, incident: Incident) =>
  runbookLink(incident.alert.runbook, deps.runbookBaseUrl);

export async function pageTier(deps: EscalationDeps, incident: Incident, index: number): Promise<boolean> {
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
export async function postChat(
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
export async function sendChatOnce(
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
export async function openTicket(deps: EscalationDeps, incident: Incident): Promise<void> {
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

export async function commentTicket(deps: EscalationDeps, incident: Incident, text: string): Promise<void> {
  if (deps.tickets && incident.ticketRef) await deps.tickets.comment(incident.ticketRef, text);
}

/** Whether message `key` still needs sending: never claimed, or claimed by a sender that died. */
export function unsent(deps: EscalationDeps, incident: Incident, key: string): boolean {
  const record = incident.pages[key];
  if (!record || record.state === 'failed') return true;
  return record.state === 'claimed' && deps.now().getTime() - new Date(record.at).getTime() > STALE_CLAIM_MS;
}

/**
 * What every open incident gets once, besides pages: its chat notice and its ticket. Called again
 * by repeats and ticks, it sends only what a sender that died left unsent (read from the record
 * in hand, so a repeat costs no write).
 */
export async function announce(deps: EscalationDeps, incident: Incident): Promise<void> {
  if (incident.status === 'resolved') return;
  if (isSecurity(incident.alert)) await notifySecurity(deps, incident);
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
export async function openChannel(deps: EscalationDeps, incident: Incident): Promise<Incident> {
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
 * The manual's "Notify Security Team", once each: the Security Team paged (24/7, beside the
 * ladder; held by no maintenance window) and the security API's POST. A refusal is recorded and
 * the next tick tries again; neither holds the ladder's pages back.
 */
export async function notifySecurity(deps: EscalationDeps, incident: Incident): Promise<void> {
  const security = deps.security;
  if (!security) return;
  const open: IncidentStatus[] = ['triggered', 'held', 'acknowledged'];
  if (unsent(deps, incident, 'security-team')) {
    const page = renderPage(
      incident,
      security.team,
      linksFor(deps, incident, security.team),
      deps.runbookBaseUrl,
    );
    await sendOnce(
      deps,
      incident,
      'security-team',
      open,
      () => deps.pager.page(security.team, page),
      event(deps.now(), 'paged', `${security.team.title} (${security.team.contact})`),
      'pager',
      false,
    );
  }
  const api = security.api;
  if (api && unsent(deps, incident, 'security-api'))
    await sendOnce(
      deps,
      incident,
      'security-api',
      open,
      () => api.notify(securityNotice(incident, security.namespace)),
      event(deps.now(), 'notified', 'security team API: incident posted'),
      'tickets',
      false,
    );
}
