import { type Incident } from '../../core/incidents/incident.ts';
import { chatMessage, chatsOf } from '../../core/outbox/notify.ts';
import {
  inBusinessHours,
  nextBusinessTime,
  nextStep,
  pageableStatuses,
  REMINDER_KEY,
} from '../../core/incidents/policy.ts';
import { event, sendOnce } from '../../core/outbox/send-once.ts';
import type { EscalationDeps } from '../../core/incidents/deps.ts';
import { commentTicket, openChannel, pageTier, runbookOf, unsent } from './notices.ts';

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
export async function retryReminder(deps: EscalationDeps, incident: Incident): Promise<void> {
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
export async function repairPage(
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
export async function advance(deps: EscalationDeps, start: Incident): Promise<Array<{ tier: string }>> {
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
