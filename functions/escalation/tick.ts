import type { Incident } from '../../core/incidents/incident.ts';
import { chatMessage, tellTiersAndChat, tiersPaged } from '../../core/outbox/notify.ts';
import { inBusinessHours, nextStep, pagesAtOnce, wallTime } from '../../core/incidents/policy.ts';
import { event, sendOnce } from '../../core/outbox/send-once.ts';
import { singleLine } from '../../core/text-safety.ts';
import type { EscalationDeps } from '../../core/incidents/deps.ts';
import { announce, runbookOf, sendChatOnce } from './notices.ts';
import { advance, repairPage, retryReminder } from './ladder.ts';

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
