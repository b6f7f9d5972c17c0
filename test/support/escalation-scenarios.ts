import { beforeEach, describe, expect, it } from 'vitest';
import {
  acknowledgeIncident,
  postStatusUpdate,
  resolveIncident,
} from '../../functions/escalation/actions.ts';
import { escalateDueIncidents } from '../../functions/escalation/tick.ts';
import { intakeMessage } from '../../functions/escalation/intake.ts';
import { type EscalationDeps } from '../../core/incidents/deps.ts';
import type { IncidentStore } from '../../core/incidents/store.ts';
import { respondToRequest } from '../../functions/escalation/respond.ts';
import {
  amMessage,
  CountingMetrics,
  escalationDeps,
  RecordingChannels,
  RecordingChat,
  RecordingTickets,
  TestClock,
  reviewRemindersOf,
  updateRemindersOf,
  type RecordingPager,
} from './escalation-harness.ts';
import { writeReview } from '../../functions/diagnosis/review.ts';
import type { OnCallTier } from '../../core/config.ts';
import type { Page } from '../../core/outbox/page-message.ts';

export interface ScenarioContext {
  store: IncidentStore;
  /** A pager that records what it sent (and may also publish for real). */
  pager: RecordingPager;
}

let messageCounter = 0;
const nextMessageId = () => `msg-${process.pid}-${(messageCounter += 1)}`;

/**
 * The escalation behaviour the issue asks for, as one suite run against any IncidentStore: the
 * in-memory fake in unit tests and DynamoDB on the local stack in integration tests.
 */
export function escalationScenarios(name: string, makeContext: () => Promise<ScenarioContext>): void {
  describe(name, () => {
    let ctx: ScenarioContext;
    let clock: TestClock;
    let deps: EscalationDeps;
    let metrics: CountingMetrics;
    let chat: RecordingChat;
    let tickets: RecordingTickets;
    let channels: RecordingChannels;
    // A unique alert name per test, so tests sharing a table never join each other's incidents.
    let alertName: string;
    let testNumber = 0;

    beforeEach(async () => {
      ctx = await makeContext();
      // A Wednesday well away from any maintenance window.
      clock = new TestClock(new Date('2026-11-25T10:00:00Z'));
      metrics = new CountingMetrics();
      chat = new RecordingChat();
      tickets = new RecordingTickets();
      channels = new RecordingChannels();
      deps = escalationDeps(ctx.store, clock, ctx.pager, {}, metrics, { chat, tickets, channels });
      testNumber += 1;
      alertName = `TestAlert${process.pid}x${testNumber}x${Math.random().toString(36).slice(2, 8)}`;
    });

    const tokenOf = (link: string) => new URL(link).searchParams.get('token') ?? undefined;
    /** What a person does: open the link (GET), then press its button (POST). */
    const open = (link: string) =>
      respondToRequest(deps, { method: 'GET', token: tokenOf(link) }, deps.tiers);
    const press = (link: string, action: string) =>
      respondToRequest(deps, { method: 'POST', token: tokenOf(link), action }, deps.tiers);

    const fire = (severity = 'critical', messageId = nextMessageId()) =>
      intakeMessage(deps, { messageId, message: amMessage(alertName, { severity }) });
    const pagesOf = (id: string) => ctx.pager.forIncident(id);

    it('pages the primary at once for a P1 with a well-formed id, once, then tells chat and opens a ticket', async () => {
      const [outcome] = await fire('critical');
      expect(outcome).toMatchObject({ outcome: 'opened' });
      const id = outcome!.incidentId!;
      expect(id).toMatch(/^INC-20261125-\d{3,}$/);
      expect(pagesOf(id)).toEqual(['primary']);
      const incident = await ctx.store.get(id);
      expect(incident).toMatchObject({
        status: 'triggered',
        severity: 'P1',
        tierReached: 0,
        ticketRef: 'TICKET-1',
      });
      expect(incident!.timeline.map((e) => e.event)).toEqual(['opened', 'paged', 'notified', 'notified']);
      expect(chat.forIncident(id)).toEqual(['opened']);
      expect(tickets.opened.map((t) => [t.incidentId, t.kind, t.idempotencyKey])).toEqual([
        [id, 'incident', `mcp-ops-${id}`],
      ]);
      expect(metrics.counts.get('PagesSent:primary')).toBe(1);
    });

    it('records a diagnosis follow-up once, on the incident’s timeline, even when two arrive at once', async () => {
      const [outcome] = await fire('critical');
      const id = outcome!.incidentId!;
      const event = (n: number) => ({
        at: clock.now().toISOString(),
        event: 'diagnosed' as const,
        detail: `diagnosis ${n}`,
        note: 'summary',
      });
      const results = await Promise.all([
        ctx.store.recordDiagnosis(id, `s3://r/${id}-1.txt`, event(1)),
        ctx.store.recordDiagnosis(id, `s3://r/${id}-2.txt`, event(2)),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
      const incident = (await ctx.store.get(id))!;
      expect(incident.diagnosis).toMatch(new RegExp(`^s3://r/${id}-[12]\\.txt$`));
      expect(incident.timeline.filter((e) => e.event === 'diagnosed')).toHaveLength(1);
      expect(await ctx.store.recordDiagnosis('INC-20261125-999999', 's3://r/x', event(3))).toBe(false);
    });

    it('ignores a duplicate delivery and joins a repeat of the same alert without paging', async () => {
      const messageId = nextMessageId();
      const [first] = await fire('critical', messageId);
      const [dup] = await fire('critical', messageId);
      const [repeat] = await fire('critical');
      expect(dup).toMatchObject({ outcome: 'duplicate', incidentId: first!.incidentId });
      expect(repeat).toMatchObject({ outcome: 'joined', incidentId: first!.incidentId });
      expect(pagesOf(first!.incidentId!)).toEqual(['primary']);
      expect(chat.forIncident(first!.incidentId!)).toEqual(['opened']);
      expect(tickets.opened).toHaveLength(1);
      const incident = await ctx.store.get(first!.incidentId!);
      // The counter counts every delivery that reached the open incident, the duplicate included
      // (exactness is kept for the delivery record, which is what stops double pages).
      expect(incident!.repeats).toBe(2);
    });

    it('gives every incident of a day its own number, even when opened at once', async () => {
      const names = Array.from({ length: 8 }, (_, i) => `${alertName}n${i}`);
      const outcomes = await Promise.all(
        names.map((n) => intakeMessage(deps, { messageId: nextMessageId(), message: amMessage(n) })),
      );
      const ids = outcomes.map((o) => o[0]!.incidentId);
      expect(new Set(ids).size).toBe(8);
    });

    it('opens one incident when the same new alert arrives twice at once', async () => {
      const both = await Promise.all([fire(), fire()]);
      const ids = new Set(both.map((o) => o[0]!.incidentId));
      expect(ids.size).toBe(1);
      expect(pagesOf([...ids][0]!)).toEqual(['primary']);
    });

    it('climbs an unanswered P1 on the manual clock: +0 primary, +15 secondary, +30 team lead, +1 h manager, +2 h VP', async () => {
      const [opened] = await fire('critical');
      const id = opened!.incidentId!;
      const expected: Array<[number, string[]]> = [
        [14, ['primary']],
        [15, ['primary', 'secondary']],
        [29, ['primary', 'secondary']],
        [30, ['primary', 'secondary', 'team-lead']],
        [59, ['primary', 'secondary', 'team-lead']],
        [60, ['primary', 'secondary', 'team-lead', 'engineering-manager']],
        [120, ['primary', 'secondary', 'team-lead', 'engineering-manager', 'vp-engineering']],
        [24 * 60, ['primary', 'secondary', 'team-lead', 'engineering-manager', 'vp-engineering']],
      ];
      let at = 0;
      for (const [minute, pages] of expected) {
        clock.advanceMinutes(minute - at);
        at = minute;
        await escalateDueIncidents(deps);
        expect(pagesOf(id), `at +${minute} min`).toEqual(pages);
      }
      const incident = await ctx.store.get(id);
      expect(incident).toMatchObject({ tierReached: 4, status: 'triggered' });
      expect(incident!.nextEscalationAt).toBeUndefined();
    });

    it('climbs a critical alert to the VP, catching up after missed ticks', async () => {
      const [opened] = await fire('critical');
      const id = opened!.incidentId!;
      expect((await ctx.store.get(id))!.severity).toBe('P1');
      // No tick ran for 3 h 45: the next one pages every tier that came due, in order.
      clock.advanceMinutes(225);
      const tick = await escalateDueIncidents(deps);
      expect(tick.escalated.filter((e) => e.incidentId === id).map((e) => e.tier)).toEqual([
        'secondary',
        'team-lead',
        'engineering-manager',
        'vp-engineering',
      ]);
      expect(pagesOf(id)).toEqual([
        'primary',
        'secondary',
        'team-lead',
        'engineering-manager',
        'vp-engineering',
      ]);
    });

    it('an acknowledgement stops the (no response) steps; the manager and VP are still told while unresolved', async () => {
      const [opened] = await fire('critical');
      const id = opened!.incidentId!;
      clock.advanceMinutes(16);
      await escalateDueIncidents(deps);
      const secondaryPage = ctx.pager.sent.find(
        (p) => p.tier === 'secondary' && p.page.subject.includes(id),
      )!;
      const ackLink = /Acknowledge: (\S+)/.exec(secondaryPage.page.body)![1]!;
      clock.advanceMinutes(2);
      expect((await open(ackLink)).view.kind).toBe('confirm');
      expect((await ctx.store.get(id))!.status).toBe('triggered');
      const answer = await press(ackLink, 'ack');
      expect(answer).toMatchObject({
        status: 200,
        view: { kind: 'outcome', message: expect.stringMatching(/acknowledged by Secondary/) },
      });
      expect(metrics.acks).toEqual([18 * 60]);
      expect(chat.forIncident(id)).toEqual(['opened', 'acknowledged']);
      // +30: the team lead's step is "(no response)": the acknowledgement stopped it.
      clock.advanceMinutes(12);
      await escalateDueIncidents(deps);
      expect(pagesOf(id)).toEqual(['primary', 'secondary']);
      // +1 h and +2 h: "(no resolution)": still unresolved, so the manager, then the VP.
      clock.advanceMinutes(30);
      await escalateDueIncidents(deps);
      expect(pagesOf(id)).toEqual(['primary', 'secondary', 'engineering-manager']);
      clock.advanceMinutes(60);
      await escalateDueIncidents(deps);
      expect(pagesOf(id)).toEqual(['primary', 'secondary', 'engineering-manager', 'vp-engineering']);
      clock.advanceMinutes(600);
      await escalateDueIncidents(deps);
      expect(pagesOf(id)).toHaveLength(4);
      const again = await press(ackLink, 'ack');
      expect(again.view).toMatchObject({
        message: expect.stringMatching(/already acknowledged by Secondary/),
      });
      expect((await ctx.store.get(id))!.timeline.filter((e) => e.event === 'acknowledged')).toHaveLength(1);
      // A repeat of the alert after the ack joins the acknowledged incident and pages nobody.
      await fire('critical');
      expect(pagesOf(id)).toHaveLength(4);
    });

    it('an incident resolved before +1 h never reaches the manager', async () => {
      const [opened] = await fire('critical');
      const id = opened!.incidentId!;
      clock.advanceMinutes(5);
      await acknowledgeIncident(deps, id, 'alice');
      clock.advanceMinutes(50);
      await resolveIncident(deps, id, 'alice', 'rolled back');
      clock.advanceMinutes(300);
      await escalateDueIncidents(deps);
      expect(pagesOf(id)).toEqual(['primary', 'resolved:primary']);
      expect(chat.forIncident(id)).toEqual(['opened', 'acknowledged', 'resolved']);
      expect(tickets.comments).toEqual([{ ref: 'TICKET-1', text: 'Resolved by alice: rolled back' }]);
    });

    it('resolves on the resolved alert and tells every tier already paged, once', async () => {
      const [opened] = await fire('critical');
      const id = opened!.incidentId!;
      clock.advanceMinutes(15);
      await escalateDueIncidents(deps);
      const resolvedMessage = amMessage(alertName, { status: 'resolved' });
      const [resolved] = await intakeMessage(deps, { messageId: nextMessageId(), message: resolvedMessage });
      expect(resolved).toMatchObject({ outcome: 'resolved', incidentId: id });
      await intakeMessage(deps, { messageId: nextMessageId(), message: resolvedMessage });
      expect(pagesOf(id)).toEqual(['primary', 'secondary', 'resolved:primary', 'resolved:secondary']);
      clock.advanceMinutes(600);
      await escalateDueIncidents(deps);
      expect(pagesOf(id)).toHaveLength(4);
      // Firing again after the resolve is a new incident.
      const [reopened] = await fire('critical');
      expect(reopened).toMatchObject({ outcome: 'opened' });
      expect(reopened!.incidentId).not.toBe(id);
    });

    it('does not reopen an incident when an ack races a resolve', async () => {
      const [opened] = await fire('warning');
      const id = opened!.incidentId!;
      await Promise.all([acknowledgeIncident(deps, id, 'alice'), resolveIncident(deps, id, 'bob')]);
      const incident = await ctx.store.get(id);
      expect(incident!.status).toBe('resolved');
      expect(await acknowledgeIncident(deps, id, 'carol')).toBeUndefined();
    });

    it('refuses a forged or expired link and changes nothing', async () => {
      const [opened] = await fire('critical');
      const id = opened!.incidentId!;
      const page = ctx.pager.sent.find((p) => p.page.subject.includes(id))!;
      const link = /Resolve: +(\S+)/.exec(page.page.body)![1]!;
      const forged = await press(link.replace('token=resolve.', 'token=ack.'), 'ack');
      expect(forged.status).toBe(403);
      clock.advanceMinutes(24 * 60 + 1);
      const expired = await press(link, 'resolve');
      expect(expired).toEqual({
        status: 403,
        view: { kind: 'refused', message: expect.stringMatching(/expired/) },
      });
      expect((await ctx.store.get(id))!.status).toBe('triggered');
    });

    it('still pages the primary at once for a malformed alert, with the raw message', async () => {
      const raw = `not an alert at all ${alertName}`;
      const [outcome] = await intakeMessage(deps, { messageId: nextMessageId(), message: raw });
      expect(outcome!.outcome).toBe('opened');
      const page = ctx.pager.sent.find((p) => p.page.subject.includes(outcome!.incidentId!))!;
      expect(page.tier).toBe('primary');
      expect(page.page.body).toContain(raw);
      expect(page.page.body).toMatch(/could not be parsed/);
      expect(metrics.counts.get('ParseFailures')).toBe(1);
    });

    it('never pages a P3: a bug ticket and a chat line, and a reminder when 4 h pass unacknowledged', async () => {
      const [opened] = await fire('info');
      const id = opened!.incidentId!;
      expect((await ctx.store.get(id))!.severity).toBe('P3');
      expect(chat.forIncident(id)).toEqual(['opened']);
      expect(tickets.opened.map((t) => t.kind)).toEqual(['bug']);
      clock.advanceMinutes(239);
      await escalateDueIncidents(deps);
      expect(chat.forIncident(id)).toEqual(['opened']);
      clock.advanceMinutes(1);
      await escalateDueIncidents(deps);
      expect(chat.forIncident(id)).toEqual(['opened', 'reminder']);
      expect(tickets.comments.map((c) => c.ref)).toEqual(['TICKET-1']);
      clock.advanceMinutes(7 * 24 * 60);
      await escalateDueIncidents(deps);
      expect(pagesOf(id)).toEqual([]);
      expect(chat.forIncident(id)).toEqual(['opened', 'reminder']);
      expect((await ctx.store.get(id))!.nextEscalationAt).toBeUndefined();
    });

    it('pages a P2 only when unacknowledged past 1 h, and only in business hours', async () => {
      // Wednesday 2026-11-25 16:30 PST (00:30 UTC Thursday): after hours in Los Angeles.
      clock.set(new Date('2026-11-26T00:30:00Z'));
      const [opened] = await fire('warning');
      const id = opened!.incidentId!;
      expect(pagesOf(id)).toEqual([]);
      expect(tickets.opened.map((t) => t.kind)).toEqual(['incident']);
      clock.advanceMinutes(60); // 17:30 PST: the response time has passed, outside business hours
      await escalateDueIncidents(deps);
      expect(chat.forIncident(id)).toEqual(['opened', 'reminder']);
      expect(pagesOf(id)).toEqual([]);
      clock.set(new Date('2026-11-26T16:59:00Z')); // Thursday 08:59 PST
      await escalateDueIncidents(deps);
      expect(pagesOf(id)).toEqual([]);
      clock.set(new Date('2026-11-26T17:00:00Z')); // Thursday 09:00 PST: business hours begin
      await escalateDueIncidents(deps);
      expect(pagesOf(id)).toEqual(['primary']);
      // A P2 reaches the primary at most.
      clock.advanceMinutes(24 * 60);
      await escalateDueIncidents(deps);
      expect(pagesOf(id)).toEqual(['primary']);
    });

    it('an acknowledged P2 is never paged', async () => {
      const [opened] = await fire('warning');
      const id = opened!.incidentId!;
      clock.advanceMinutes(30);
      await acknowledgeIncident(deps, id, 'alice');
      clock.advanceMinutes(24 * 60);
      await escalateDueIncidents(deps);
      expect(pagesOf(id)).toEqual([]);
      // Its status update is due every 2 h: a reminder in chat, never a page.
      expect(chat.forIncident(id)).toEqual(['opened', 'acknowledged', 'update-due']);
      expect(updateRemindersOf(ctx.pager, id)).toEqual([]);
    });

    it('asks the responder for a status update on the manual’s cadence (P1: 30 min) until one is posted', async () => {
      const [opened] = await fire('critical');
      const id = opened!.incidentId!;
      clock.advanceMinutes(5);
      await acknowledgeIncident(deps, id, 'alice');
      clock.advanceMinutes(29);
      await escalateDueIncidents(deps);
      expect(updateRemindersOf(ctx.pager, id)).toEqual([]);
      clock.advanceMinutes(1); // 30 min since the acknowledgement
      await escalateDueIncidents(deps);
      await escalateDueIncidents(deps); // a second tick in the same period sends nothing more
      expect(updateRemindersOf(ctx.pager, id)).toEqual(['primary']);
      expect(chat.forIncident(id).filter((e) => e === 'update-due')).toHaveLength(1);
      const updated = await postStatusUpdate(deps, id, {
        status: 'identified',
        message: 'bad config in revision 2; rolling back',
        by: 'alice',
      });
      expect(updated).toMatchObject({ phase: 'identified' });
      expect(chat.posted.at(-1)!.lines).toEqual(
        expect.arrayContaining([
          'Status: Identified',
          'Current status: bad config in revision 2; rolling back',
          expect.stringMatching(/^Next update: by \d\d:\d\d UTC$/),
        ]),
      );
      clock.advanceMinutes(29);
      await escalateDueIncidents(deps);
      expect(updateRemindersOf(ctx.pager, id)).toEqual(['primary']); // the update reset the clock
      clock.advanceMinutes(1);
      await escalateDueIncidents(deps);
      expect(updateRemindersOf(ctx.pager, id)).toEqual(['primary', 'primary']);
      await postStatusUpdate(deps, id, { status: 'resolved', message: 'rolled back', by: 'alice' });
      clock.advanceMinutes(120);
      await escalateDueIncidents(deps);
      expect(updateRemindersOf(ctx.pager, id)).toEqual(['primary', 'primary']); // none after resolution
      expect(
        (await ctx.store.get(id))!.timeline.filter((e) => e.event === 'updated').map((e) => e.detail),
      ).toEqual(['Identified (alice)']);
    });

    it('reminds everyone paged of an overdue post-incident review, on business days only, until it is marked done', async () => {
      const [opened] = await fire('critical');
      const id = opened!.incidentId!;
      clock.advanceMinutes(20); // 10:20 UTC: nobody answered, the secondary was paged too
      await escalateDueIncidents(deps);
      await acknowledgeIncident(deps, id, 'bob');
      clock.advanceMinutes(40);
      await resolveIncident(deps, id, 'bob', 'restarted the pods');
      // Drafted at 11:00 UTC Wednesday (03:00 in Los Angeles): due Friday 11:00 UTC, 03:00 there.
      const drafted = await writeReview(
        {
          store: ctx.store,
          prometheus: { query: async () => [], alerts: async () => [] },
          pager: ctx.pager,
          tiers: deps.tiers,
          chat,
          now: clock.now,
          archive: async (incidentId) => `s3://reports/reports/reviews/${incidentId}.md`,
        },
        id,
      );
      expect(drafted).toMatchObject({ written: true, to: ['primary', 'secondary', 'chat'] });
      expect((await ctx.store.get(id))!.reviewDueAt).toBe('2026-11-27T11:00:00.000Z');
      const tickAt = async (iso: string) => {
        clock.set(new Date(iso));
        return (await escalateDueIncidents(deps)).reviewReminders.includes(id);
      };
      expect(await tickAt('2026-11-26T18:00:00Z')).toBe(false); // Thursday: not due yet
      expect(await tickAt('2026-11-27T11:00:00Z')).toBe(false); // due, but 03:00 in the team's zone
      expect(await tickAt('2026-11-27T17:00:00Z')).toBe(true); // Friday 09:00 PST
      expect(await tickAt('2026-11-27T20:00:00Z')).toBe(false); // once a day
      expect(reviewRemindersOf(ctx.pager, id)).toEqual(['primary', 'secondary']);
      expect(chat.forIncident(id).filter((e) => e === 'review-due')).toHaveLength(1);
      const reminder = ctx.pager.sent.find((p) => p.page.subject.endsWith('post-incident review overdue'))!;
      expect(reminder.page.body).toContain(`s3://reports/reports/reviews/${id}.md`);
      expect(reminder.page.body).toContain(`mcp-ops incident review ${id} --done`);
      expect(await tickAt('2026-11-28T18:00:00Z')).toBe(false); // Saturday
      expect(await tickAt('2026-11-30T17:30:00Z')).toBe(true); // Monday
      expect(
        await ctx.store.markReviewDone(id, {
          at: clock.now().toISOString(),
          event: 'review-done',
          detail: 'bob',
        }),
      ).toBe(true);
      expect(await tickAt('2026-12-01T17:30:00Z')).toBe(false); // done: no more
      expect(reviewRemindersOf(ctx.pager, id)).toEqual(['primary', 'secondary', 'primary', 'secondary']);
      expect(pagesOf(id)).toEqual(['primary', 'secondary', 'resolved:primary', 'resolved:secondary']);
      expect((await ctx.store.reviewsDue(clock.now())).map((i) => i.id)).not.toContain(id);
    });

    it('holds a P2 in the maintenance window: its clock starts when the window ends', async () => {
      clock.set(new Date('2026-12-05T03:00:00Z')); // first Saturday of December 2026
      const [held] = await fire('warning');
      expect(held!.outcome).toBe('held');
      const [critical] = await intakeMessage(deps, {
        messageId: nextMessageId(),
        message: amMessage(`${alertName}Critical`, { severity: 'critical' }),
      });
      expect(critical!.outcome).toBe('opened');
      expect(pagesOf(critical!.incidentId!)).toEqual(['primary']);
      clock.set(new Date('2026-12-05T06:00:00Z'));
      const tick = await escalateDueIncidents(deps);
      expect(tick.released).toContain(held!.incidentId);
      expect(pagesOf(held!.incidentId!)).toEqual([]);
      clock.advanceMinutes(59);
      await escalateDueIncidents(deps);
      expect(chat.forIncident(held!.incidentId!)).toEqual(['opened']);
      clock.advanceMinutes(1);
      await escalateDueIncidents(deps);
      expect(chat.forIncident(held!.incidentId!)).toEqual(['opened', 'reminder']);
      // Saturday: no page until business hours on Monday 09:00 in Los Angeles (17:00 UTC).
      clock.set(new Date('2026-12-07T16:59:00Z'));
      await escalateDueIncidents(deps);
      expect(pagesOf(held!.incidentId!)).toEqual([]);
      clock.set(new Date('2026-12-07T17:00:00Z'));
      await escalateDueIncidents(deps);
      expect(pagesOf(held!.incidentId!)).toEqual(['primary']);
    });

    it('joins related alerts of one service to one incident, with the worst severity, and says so on the page', async () => {
      const service = `svc-${alertName}`;
      const send = (name: string, severity: string) =>
        intakeMessage(deps, { messageId: nextMessageId(), message: amMessage(name, { severity, service }) });
      const [first] = await send(`${alertName}Latency`, 'warning');
      const id = first!.incidentId!;
      expect(pagesOf(id)).toEqual([]);
      clock.advanceMinutes(2);
      const [down] = await send(`${alertName}AllPodsDown`, 'critical');
      expect(down).toMatchObject({ outcome: 'related', incidentId: id });
      const incident = (await ctx.store.get(id))!;
      expect(incident.severity).toBe('P1');
      expect(incident.related!.map((r) => r.name)).toEqual([`${alertName}AllPodsDown`]);
      // Raised to a paging severity: the primary now, its clock from now.
      expect(pagesOf(id)).toEqual(['primary']);
      const page = ctx.pager.sent.find((p) => p.page.subject.includes(id))!;
      expect(page.page.body).toMatch(/Related alerts that joined this incident \(1\):/);
      expect(page.page.body).toContain(`${alertName}AllPodsDown (P1)`);
      const [third] = await send(`${alertName}ErrorRate`, 'critical');
      expect(third).toMatchObject({ outcome: 'related', incidentId: id });
      expect(pagesOf(id)).toEqual(['primary']);
      expect(chat.forIncident(id)).toEqual(['opened', 'related', 'related']);
      clock.advanceMinutes(15);
      await escalateDueIncidents(deps);
      expect(pagesOf(id)).toEqual(['primary', 'secondary']);
      // The incident resolves by itself only when the last of its alerts resolves.
      const resolve = (name: string) =>
        intakeMessage(deps, {
          messageId: nextMessageId(),
          message: amMessage(name, { status: 'resolved', service }),
        });
      expect((await resolve(`${alertName}AllPodsDown`))[0]).toMatchObject({ outcome: 'cleared' });
      expect((await resolve(`${alertName}Latency`))[0]).toMatchObject({ outcome: 'cleared' });
      expect((await resolve(`${alertName}ErrorRate`))[0]).toMatchObject({
        outcome: 'resolved',
        incidentId: id,
      });
      // Past the window, the same service opens a new incident.
      clock.advanceMinutes(31);
      const [later] = await send(`${alertName}Other`, 'critical');
      expect(later).toMatchObject({ outcome: 'opened' });
      expect(later!.incidentId).not.toBe(id);
    });

    it('gives a P0 its incident channel, once, named in the page; a failing chat API does not hold the page', async () => {
      const p0 = (name: string) =>
        intakeMessage(deps, {
          messageId: nextMessageId(),
          message: amMessage(name, { severity: 'critical', priority: 'P0' }),
        });
      const [opened] = await p0(alertName);
      const id = opened!.incidentId!;
      const channel = `#${id.replace('INC-', 'incident-')}`;
      expect(channels.created).toEqual([channel]);
      expect((await ctx.store.get(id))!.channel).toBe(channel);
      const page = ctx.pager.sent.find((p) => p.page.subject.includes(id))!;
      expect(page.page.body).toContain(`Incident channel: ${channel}`);
      await p0(alertName);
      clock.advanceMinutes(15);
      await escalateDueIncidents(deps);
      expect(channels.created).toEqual([channel]);
      // A P1 gets no channel.
      const [p1] = await intakeMessage(deps, {
        messageId: nextMessageId(),
        message: amMessage(`${alertName}P1`, { severity: 'critical' }),
      });
      expect((await ctx.store.get(p1!.incidentId!))!.channel).toBeUndefined();
      channels.fail = true;
      const [down] = await p0(`${alertName}Other`);
      expect(pagesOf(down!.incidentId!)).toEqual(['primary']);
      const incident = (await ctx.store.get(down!.incidentId!))!;
      expect(incident.channel).toBeUndefined();
      expect(incident.timeline.map((e) => e.detail)).toContain(
        'incident channel could not be created: channel API down (injected)',
      );
    });

    it('never lowers a severity when related alerts join at once; a raise ends a maintenance hold', async () => {
      clock.set(new Date('2026-12-05T03:00:00Z')); // in the maintenance window
      const service = `svc-race-${alertName}`;
      const send = (name: string, severity: string) =>
        intakeMessage(deps, { messageId: nextMessageId(), message: amMessage(name, { severity, service }) });
      const [held] = await send(`${alertName}Cache`, 'info');
      expect(held).toMatchObject({ outcome: 'held' });
      const id = held!.incidentId!;
      await Promise.all([
        send(`${alertName}Down`, 'critical'),
        send(`${alertName}Cache2`, 'info'),
        send(`${alertName}Slow`, 'warning'),
      ]);
      const incident = (await ctx.store.get(id))!;
      expect(incident.severity).toBe('P1');
      expect(incident.related!.map((r) => r.name).sort()).toEqual(
        [`${alertName}Cache2`, `${alertName}Down`, `${alertName}Slow`].sort(),
      );
      // A P1 pages at once, maintenance or not.
      expect(incident.status).toBe('triggered');
      expect(pagesOf(id)).toEqual(['primary']);
      // Raised again, P1 → P0: already paging, so no new clock and no second page.
      await intakeMessage(deps, {
        messageId: nextMessageId(),
        message: amMessage(`${alertName}AllDown`, { severity: 'critical', priority: 'P0', service }),
      });
      const raised = (await ctx.store.get(id))!;
      expect(raised.severity).toBe('P0');
      expect(raised.ladderStartedAt).toBe(incident.ladderStartedAt);
      expect(pagesOf(id)).toEqual(['primary']);
    });

    it('keeps a P2 page to business hours even when the tick that takes it runs just after they end', async () => {
      clock.set(new Date('2026-11-25T23:59:00Z')); // Wednesday 15:59 PST
      const [opened] = await fire('warning');
      const id = opened!.incidentId!;
      clock.set(new Date('2026-11-26T01:00:00Z')); // due at 16:59 PST; this tick runs at 17:00
      await escalateDueIncidents(deps);
      expect(pagesOf(id)).toEqual([]);
      expect((await ctx.store.get(id))!.nextEscalationAt).toBe('2026-11-26T17:00:00.000Z');
      clock.set(new Date('2026-11-26T17:00:00Z'));
      await escalateDueIncidents(deps);
      expect(pagesOf(id)).toEqual(['primary']);
    });

    it('pages once when two ticks race', async () => {
      const [opened] = await fire('critical');
      const id = opened!.incidentId!;
      clock.advanceMinutes(46);
      await Promise.all([escalateDueIncidents(deps), escalateDueIncidents(deps), escalateDueIncidents(deps)]);
      expect(pagesOf(id)).toEqual(['primary', 'secondary', 'team-lead']);
    });

    it('sends a page whose publish failed on the next delivery or tick, once, with the failure on record', async () => {
      ctx.pager.failNext = 1;
      await expect(fire('critical')).rejects.toThrow(/1 of 1 alerts failed/);
      const open = (await ctx.store.openIncidents()).find((i) => i.alert.name === alertName)!;
      expect(pagesOf(open.id)).toEqual([]);
      const failed = (await ctx.store.get(open.id))!;
      expect(failed.pages.primary).toMatchObject({ state: 'failed', failures: 1 });
      expect(failed.timeline.map((e) => e.event)).toContain('send-failed');
      expect(metrics.counts.get('IntegrationFailures:pager')).toBe(1);
      // The Lambda retry of the delivery sends it at once (a refused send is claimable again)...
      await fire('critical');
      expect(pagesOf(open.id)).toEqual(['primary']);
      // ...and a tick after it sends nothing more.
      clock.advanceMinutes(3);
      await escalateDueIncidents(deps);
      await escalateDueIncidents(deps);
      expect(pagesOf(open.id)).toEqual(['primary']);
    });

    it('sends the page, chat notice and ticket once when intake dies right after each send and the delivery is retried', async () => {
      for (const key of ['primary', 'chat:opened', 'ticket']) {
        const name = `${alertName}${key.replace(/\W/g, '')}`;
        const markPageSent = ctx.store.markPageSent.bind(ctx.store);
        let died = false;
        // The process dies after the send went out, before its claim says so.
        ctx.store.markPageSent = async (id, k, token, e) => {
          if (!died && k === key) {
            died = true;
            throw new Error('the process died');
          }
          return markPageSent(id, k, token, e);
        };
        const message = amMessage(name, { severity: 'critical', fingerprint: `fp-${name}` });
        const delivery = { messageId: nextMessageId(), message };
        try {
          await intakeMessage(deps, delivery).catch(() => undefined);
          await intakeMessage(deps, delivery);
          await escalateDueIncidents(deps);
        } finally {
          ctx.store.markPageSent = markPageSent;
        }
        const id = (await ctx.store.openIncidents()).find((i) => i.alert.name === name)!.id;
        expect(pagesOf(id), key).toEqual(['primary']);
        expect(chat.forIncident(id), key).toEqual(['opened']);
        expect(
          tickets.opened.filter((t) => t.incidentId === id),
          key,
        ).toHaveLength(1);
      }
    });

    it('tries a refused page again on the next tick when the delivery is not retried', async () => {
      ctx.pager.failNext = 1;
      await expect(fire('critical')).rejects.toThrow(/1 of 1 alerts failed/);
      const open = (await ctx.store.openIncidents()).find((i) => i.alert.name === alertName)!;
      clock.advanceMinutes(1);
      const outcome = await escalateDueIncidents(deps);
      expect(outcome.failures).toEqual([]);
      expect(pagesOf(open.id)).toEqual(['primary']);
    });

    it('keeps paging every other incident on time while chat, tickets and one incident’s pages fail', async () => {
      // The chat and the ticket system refuse everything (40 minutes of 503), and SNS refuses every
      // page of the first incident.
      const refuse = () => Promise.reject(new Error('503 Service Unavailable (injected)'));
      let firstId = '';
      const pager = {
        page: async (tier: OnCallTier, page: Page) => {
          if (firstId && page.subject.includes(firstId))
            throw new Error('SNS: AuthorizationError (injected)');
          return ctx.pager.page(tier, page);
        },
      };
      const faulty: EscalationDeps = {
        ...deps,
        pager,
        chat: { post: refuse },
        tickets: { open: refuse, comment: refuse },
      };
      const opened: string[] = [];
      for (const name of ['FaultA', 'FaultB', 'FaultC']) {
        const message = amMessage(`${name}${alertName}`, {
          severity: 'critical',
          fingerprint: `fp-${name}${alertName}`,
        });
        if (opened.length === 0) {
          // The first incident's id is known only once it is open: its first page is refused then.
          ctx.pager.failNext = 1;
          await expect(intakeMessage(faulty, { messageId: nextMessageId(), message })).rejects.toThrow(
            /alerts failed/,
          );
          firstId = (await ctx.store.openIncidents()).find((i) => i.alert.name === `${name}${alertName}`)!.id;
          opened.push(firstId);
        } else {
          const [o] = await intakeMessage(faulty, { messageId: nextMessageId(), message });
          opened.push(o!.incidentId!);
        }
      }
      const [first, ...others] = opened as [string, ...string[]];
      for (let minute = 1; minute <= 40; minute += 1) {
        clock.advanceMinutes(1);
        const outcome = await escalateDueIncidents(faulty);
        // Only the first incident fails; the others' pages go out on the tick they fall due.
        expect(outcome.failures.map((f) => f.incidentId).every((id) => id === first)).toBe(true);
        if (minute === 15) for (const id of others) expect(pagesOf(id)).toEqual(['primary', 'secondary']);
        if (minute === 30)
          for (const id of others) expect(pagesOf(id)).toEqual(['primary', 'secondary', 'team-lead']);
      }
      expect(pagesOf(first)).toEqual([]);
      const failing = (await ctx.store.get(first))!;
      expect(failing.pages.primary).toMatchObject({ state: 'failed' });
      expect(failing.pages.primary!.failures).toBeGreaterThan(30);
      // One timeline line per refused message, not one per try.
      expect(failing.timeline.filter((e) => e.event === 'send-failed').map((e) => e.detail)).toHaveLength(3);
      const other = (await ctx.store.get(others[0]!))!;
      const otherFailures = other.timeline.filter((e) => e.event === 'send-failed').map((e) => e.detail);
      expect(otherFailures).toEqual([
        expect.stringMatching(/^chat refused chat:opened \(503 Service Unavailable \(injected\)\)/),
        expect.stringMatching(/^tickets refused ticket/),
      ]);
      expect(metrics.counts.get('IntegrationFailures:pager')).toBeGreaterThan(30);
      expect(metrics.counts.get('IntegrationFailures:chat')).toBeGreaterThan(30);
      expect(metrics.counts.get('IntegrationFailures:tickets')).toBeGreaterThan(30);
      expect(metrics.counts.get('IncidentFailures')).toBeGreaterThan(30);
      expect(chat.forIncident(others[0]!)).toEqual([]);

      // Everything comes back: what was refused goes out once, on the next tick.
      clock.advanceMinutes(1);
      await escalateDueIncidents(deps);
      await escalateDueIncidents(deps);
      expect(pagesOf(first)).toEqual(['primary', 'secondary', 'team-lead']);
      for (const id of opened) expect(chat.forIncident(id)).toEqual(['opened']);
      expect(tickets.opened.filter((t) => opened.includes(t.incidentId))).toHaveLength(3);
    });
  });
}
