import { type Incident } from '../../core/incidents/incident.ts';
import { chatMessage } from '../../core/outbox/notify.ts';
import { renderResolved } from '../../core/outbox/page-message.ts';
import { ladderStart, nextStep } from '../../core/incidents/policy.ts';
import { event, sendOnce } from '../../core/outbox/send-once.ts';
import type { EscalationDeps } from '../../core/incidents/deps.ts';
import { commentTicket, postChat, runbookOf } from './notices.ts';
import { UPDATE_CADENCE_MINUTES } from './tick.ts';

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
