import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  acknowledgeIncident,
  escalateDueIncidents,
  intakeMessage,
  resolveIncident,
} from '../../functions/escalation/escalation.ts';
import { amMessage, escalationDeps, RecordingPager, TestClock } from '../support/escalation-harness.ts';
import { MemoryIncidentStore } from '../support/memory-incident-store.ts';

const FINGERPRINTS = ['A', 'B', 'C'];

type Op =
  | { kind: 'fire'; fp: number; severity: 'critical' | 'warning' }
  | { kind: 'redeliver'; which: number }
  | { kind: 'resolveAlert'; fp: number }
  | { kind: 'tick' }
  | { kind: 'advance'; minutes: number }
  | { kind: 'ack'; which: number }
  | { kind: 'resolve'; which: number }
  | { kind: 'failNextPublish' }
  | { kind: 'together'; ops: Op[] };

const simple: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('fire' as const),
    fp: fc.nat(FINGERPRINTS.length - 1),
    severity: fc.constantFrom('critical' as const, 'warning' as const),
  }),
  fc.record({ kind: fc.constant('redeliver' as const), which: fc.nat() }),
  fc.record({ kind: fc.constant('resolveAlert' as const), fp: fc.nat(FINGERPRINTS.length - 1) }),
  fc.constant({ kind: 'tick' as const }),
  fc.record({ kind: fc.constant('advance' as const), minutes: fc.integer({ min: 1, max: 300 }) }),
  fc.record({ kind: fc.constant('ack' as const), which: fc.nat() }),
  fc.record({ kind: fc.constant('resolve' as const), which: fc.nat() }),
  fc.constant({ kind: 'failNextPublish' as const }),
);
// Deliveries and ticks that run at the same time, as concurrent Lambda invocations do.
const concurrent = fc
  .array(
    simple.filter((op) => op.kind === 'fire' || op.kind === 'redeliver' || op.kind === 'tick'),
    { minLength: 2, maxLength: 4 },
  )
  .map((ops): Op => ({ kind: 'together', ops }));
const program = fc.array(fc.oneof({ weight: 4, arbitrary: simple }, { weight: 1, arbitrary: concurrent }), {
  maxLength: 40,
});

describe('escalation invariants over random interleavings', () => {
  it('pages each tier at most once, in order, never after ack or resolve; every alert in one incident', async () => {
    await fc.assert(
      fc.asyncProperty(
        program,
        fc.date({ min: new Date('2026-01-01'), max: new Date('2027-12-31'), noInvalidDate: true }),
        async (ops, start) => {
          const store = new MemoryIncidentStore();
          const pager = new RecordingPager();
          const clock = new TestClock(start);
          const deps = escalationDeps(store, clock, pager);
          const messages: Array<{ id: string; body: string; fp: string }> = [];
          const outcomes = new Map<string, Set<string>>();
          // pager.sent length when an incident was acknowledged or resolved: nothing may follow.
          const closedAt = new Map<string, number>();
          let counter = 0;

          const deliver = async (message: { id: string; body: string }) => {
            try {
              for (const o of await intakeMessage(deps, { messageId: message.id, message: message.body })) {
                if (!o.incidentId) continue;
                const set = outcomes.get(message.id) ?? new Set<string>();
                set.add(o.incidentId);
                outcomes.set(message.id, set);
                if (o.outcome === 'resolved' && !closedAt.has(o.incidentId))
                  closedAt.set(o.incidentId, pager.sent.length);
              }
            } catch {
              // An injected publish failure: Lambda would retry; later ops stand in for that.
            }
          };
          const pick = async (which: number) => {
            const all = [...store.incidents.keys()];
            return all.length ? all[which % all.length] : undefined;
          };

          const run = async (op: Op): Promise<void> => {
            switch (op.kind) {
              case 'fire': {
                const fp = FINGERPRINTS[op.fp]!;
                const message = {
                  id: `m${(counter += 1)}`,
                  body: amMessage(`Alert${fp}`, { severity: op.severity, fingerprint: fp }),
                  fp,
                };
                messages.push(message);
                return deliver(message);
              }
              case 'redeliver':
                if (messages.length) return deliver(messages[op.which % messages.length]!);
                return;
              case 'resolveAlert': {
                const fp = FINGERPRINTS[op.fp]!;
                return deliver({
                  id: `m${(counter += 1)}`,
                  body: amMessage(`Alert${fp}`, { status: 'resolved', fingerprint: fp }),
                });
              }
              case 'tick':
                await escalateDueIncidents(deps).catch(() => undefined);
                return;
              case 'advance':
                clock.advanceMinutes(op.minutes);
                return;
              case 'ack': {
                const id = await pick(op.which);
                if (id && (await acknowledgeIncident(deps, id, 'tester')) && !closedAt.has(id))
                  closedAt.set(id, pager.sent.length);
                return;
              }
              case 'resolve': {
                const id = await pick(op.which);
                if (!id) return;
                const before = pager.sent.length;
                const resolved = await resolveIncident(deps, id, 'tester').catch(() => undefined);
                if (resolved && !closedAt.has(id)) closedAt.set(id, before);
                return;
              }
              case 'failNextPublish':
                pager.failNext += 1;
                return;
              case 'together':
                await Promise.all(op.ops.map(run));
                return;
            }
          };

          for (const op of ops) await run(op);

          const tierOrder = deps.tiers.map((t) => t.name);
          for (const [id, incident] of store.incidents) {
            const sent = pager.sent
              .map((p, index) => ({ ...p, index }))
              .filter((p) => p.page.subject.includes(`${id} `));
            const pages = sent.filter((p) => !p.page.subject.startsWith('RESOLVED'));
            const tiersPaged = pages.map((p) => p.tier);
            // At most once per tier, and in the ladder's order.
            expect(new Set(tiersPaged).size, `${id} ${tiersPaged}`).toBe(tiersPaged.length);
            const indices = tiersPaged.map((t) => tierOrder.indexOf(t));
            expect([...indices].sort((a, b) => a - b)).toEqual(indices);
            // Critical only reaches the VP.
            if (incident.severity !== 'P0' && incident.severity !== 'P1')
              expect(tiersPaged).not.toContain('vp-engineering');
            // Nothing paged after the incident was acknowledged or resolved.
            const closed = closedAt.get(id);
            if (closed !== undefined) expect(pages.filter((p) => p.index >= closed)).toEqual([]);
            // The all-clear goes once, only to tiers that were paged.
            const allClear = sent.filter((p) => p.page.subject.startsWith('RESOLVED')).map((p) => p.tier);
            expect(new Set(allClear).size).toBe(allClear.length);
            for (const tier of allClear) expect(tiersPaged).toContain(tier);
          }
          // Every alert (message) belongs to exactly one incident, of its own fingerprint.
          for (const [messageId, ids] of outcomes) {
            expect(ids.size, messageId).toBe(1);
            const message = messages.find((m) => m.id === messageId);
            if (message)
              expect(store.incidents.get([...ids][0]!)!.dedupKey).toBe(`alertmanager:${message.fp}`);
          }
          // At most one open incident per fingerprint.
          const open = [...store.incidents.values()].filter((i) => i.status !== 'resolved');
          expect(new Set(open.map((i) => i.dedupKey)).size).toBe(open.length);

          // Liveness: once publishing works again and claims go stale, every triggered incident's
          // current tier has been paged.
          pager.failNext = 0;
          clock.advanceMinutes(3);
          await escalateDueIncidents(deps);
          for (const incident of store.incidents.values()) {
            if (incident.status !== 'triggered') continue;
            const tier = tierOrder[incident.tierReached]!;
            expect(incident.pages[tier]?.state, `${incident.id} ${tier}`).toBe('sent');
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
