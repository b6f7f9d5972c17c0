/**
 * Every outbound message about an incident goes through here: claim it on the incident (a
 * conditional write), send it, confirm it. A retry finds the claim and sends nothing twice.
 */
import { randomUUID } from 'node:crypto';
import { singleLine } from '../text-safety.ts';
import type { Incident, IncidentStatus, TimelineEvent } from '../incidents/incident.ts';
import type { IncidentStore } from '../incidents/store.ts';

/** What sending once needs: the incidents store, the clock, and (optionally) the metrics. */
export interface SendOnceDeps {
  readonly store: IncidentStore;
  readonly now: () => Date;
  readonly metrics?: { count(name: 'IntegrationFailures', dimension?: string): void };
}

/** A claim older than this is taken to belong to a sender that died; the message is sent again. */
export const STALE_CLAIM_MS = 2 * 60_000;

export function event(at: Date, kind: TimelineEvent['event'], detail: string, note?: string): TimelineEvent {
  return { at: at.toISOString(), event: kind, detail, ...(note ? { note } : {}) };
}

/** Who carries a message: the page topics, the team's chat, the ticket system. */
export type Integration = 'pager' | 'chat' | 'tickets';

/**
 * Sends one message at most once: claim it with a conditional write, send, mark it sent. Only a
 * sender that died between claim and send leaves a claim that goes stale and is retried. A send
 * the integration refuses is recorded (`failed`, its first failure on the timeline, a metric
 * with the integration's name) and claimable again at once, so the next tick tries it again; a
 * page's failure is thrown on to the caller's isolation (the tick's per incident, intake's
 * retry), a chat post's or ticket's is not: nothing else waits on them.
 */
export async function sendOnce(
  deps: SendOnceDeps,
  incident: Incident,
  key: string,
  statuses: IncidentStatus[],
  send: () => Promise<void>,
  /** The timeline's record of it; a function when what happened is known only after sending. */
  done: TimelineEvent | (() => TimelineEvent),
  integration: Integration = 'pager',
  /** Throw a refused send on (after recording it); default: for pages only. */
  throwRefusal: boolean = integration === 'pager',
): Promise<boolean> {
  const now = deps.now();
  const token = randomUUID();
  const claimed = await deps.store.claimPage(
    incident.id,
    key,
    token,
    now,
    new Date(now.getTime() - STALE_CLAIM_MS),
    statuses,
  );
  if (!claimed) return false;
  try {
    await send();
  } catch (error) {
    await recordSendFailure(deps, incident, key, token, integration, error);
    if (throwRefusal) throw error;
    return false;
  }
  await deps.store.markPageSent(incident.id, key, token, typeof done === 'function' ? done() : done);
  return true;
}

async function recordSendFailure(
  deps: SendOnceDeps,
  incident: Incident,
  key: string,
  token: string,
  integration: Integration,
  error: unknown,
): Promise<void> {
  const now = deps.now();
  const failures = (incident.pages[key]?.failures ?? 0) + 1;
  const message = singleLine(error instanceof Error ? error.message : String(error), 300);
  deps.metrics?.count('IntegrationFailures', integration);
  // The first failure goes on the timeline; a long outage does not grow the item by a line a minute.
  const note =
    failures === 1
      ? event(now, 'send-failed', `${integration} refused ${key} (${message}); tried again every tick`)
      : undefined;
  await deps.store.markSendFailed(incident.id, key, token, { failures, error: message, at: now }, note);
}
