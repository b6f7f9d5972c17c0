// "Every message is parsed or paged": whatever arrives on the alerts topic (arbitrary text, real
// Alertmanager and CloudWatch shapes with bad dates, missing fields, control characters, large
// bodies, thousands of labels, composite alarms) yields an incident, a join, a resolve, or an
// "unparsed" P1 page; intake never throws for input, and the incident item stays small.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { intakeMessage, type IntakeOutcome } from '../../functions/escalation/intake.ts';
import { incidentSeverity } from '../../core/incidents/severity.ts';
import { parseAlertMessage } from '../../functions/escalation/alerts.ts';
import { escalationDeps, RecordingPager, TestClock } from '../support/escalation-harness.ts';
import { MemoryIncidentStore } from '../support/memory-incident-store.ts';

const hostileText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.constantFrom(
    '<!channel> <https://evil.example|Acknowledge>',
    'line one\nAcknowledge: https://evil.example/ack',
    '\u0000\u0007\u001b[31m\u202e',
    '*bold* _it_ `code` [link](http://x) ![img](http://x/i.png) @here {color:red}x{color} !http://x/i.png!',
    '',
    ' ',
  ),
  fc.integer({ min: 1, max: 4 }).map((n) => 'x'.repeat(n * 64 * 1024)),
);
const badDate = fc.oneof(
  fc.constantFrom('not a date', '2026-13-45T99:99:99Z', '', '0', '+275760-09-13T00:00:00.001Z'),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.string({ maxLength: 12 }),
);
const anyValue = fc.oneof(
  hostileText,
  fc.integer(),
  fc.constant(null),
  fc.boolean(),
  fc.array(fc.string(), { maxLength: 3 }),
);

const cloudWatch = fc.record(
  {
    AlarmName: fc.oneof(hostileText, anyValue),
    AlarmDescription: fc.oneof(
      hostileText,
      fc.constant('severity=critical; runbook=runbook-1-high-error-rate'),
      anyValue,
    ),
    AlarmArn: fc.oneof(hostileText, fc.constant('arn:aws:cloudwatch:us-east-1:123456789012:alarm:x')),
    NewStateValue: fc.oneof(fc.constantFrom('ALARM', 'OK', 'INSUFFICIENT_DATA'), anyValue),
    NewStateReason: hostileText,
    StateChangeTime: badDate,
    Region: hostileText,
    // Composite alarms carry their rule and no metric.
    AlarmRule: fc.constantFrom('ALARM(a) OR ALARM(b)', undefined),
    Trigger: fc.constantFrom(undefined, {}, { MetricName: 'x' }),
  },
  { requiredKeys: [] },
);

const manyLabels = fc
  .integer({ min: 0, max: 3_000 })
  .map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`label_${i}`, `value ${i}`])));
const amAlert = fc.record(
  {
    status: fc.oneof(fc.constantFrom('firing', 'resolved'), anyValue),
    labels: fc.oneof(
      fc.record({
        alertname: hostileText,
        severity: fc.constantFrom('critical', 'warning', 'info', 'bogus'),
      }),
      manyLabels.map((l) => ({ alertname: 'ManyLabels', severity: 'critical', ...l })),
      fc.dictionary(
        hostileText.filter((k) => k.length < 200),
        hostileText,
        { maxKeys: 5 },
      ),
      anyValue,
    ),
    annotations: fc.oneof(fc.record({ summary: hostileText }), anyValue),
    startsAt: badDate,
    fingerprint: fc.oneof(fc.stringMatching(/^[0-9a-f]{16}$/), hostileText),
  },
  { requiredKeys: [] },
);
const alertmanager = fc.record(
  {
    receiver: hostileText,
    status: fc.oneof(fc.constantFrom('firing', 'resolved'), anyValue),
    alerts: fc.oneof(fc.array(amAlert, { maxLength: 4 }), anyValue),
  },
  { requiredKeys: [] },
);
const payload = fc.oneof(
  hostileText,
  cloudWatch.map((m) => JSON.stringify(m)),
  alertmanager.map((m) => JSON.stringify(m)),
  fc.json(),
  // Alertmanager's default text template, mutated.
  fc
    .tuple(hostileText, hostileText)
    .map(
      ([name, value]) =>
        `Alerts Firing:\nLabels:\n - alertname = ${name}\n - severity = critical\n - x = ${value}\n`,
    ),
);

const ALLOWED: ReadonlySet<IntakeOutcome['outcome']> = new Set([
  'opened',
  'joined',
  'related',
  'duplicate',
  'resolved',
  'cleared',
  'resolve-unknown',
  'ignored',
]);

describe('intake over arbitrary and mutated alert payloads', () => {
  it('parses or pages every message, never throws for input, and keeps each incident far below 400 KB', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(payload, async (message) => {
        const store = new MemoryIncidentStore();
        const pager = new RecordingPager();
        const deps = escalationDeps(store, new TestClock(new Date('2026-11-25T10:00:00Z')), pager);
        const outcomes = await intakeMessage(deps, { messageId: `fuzz-${(n += 1)}`, message });
        expect(outcomes.length).toBeGreaterThan(0);
        for (const o of outcomes) expect(ALLOWED.has(o.outcome)).toBe(true);
        const alerts = parseAlertMessage(message);
        const firing = alerts.filter((a) => a.status === 'firing');
        const open = await store.openIncidents();
        // Every firing alert is in an open incident; what pages at once has paged its primary.
        expect(open.length).toBeGreaterThanOrEqual(firing.length > 0 ? 1 : 0);
        for (const incident of open) {
          expect(JSON.stringify(incident).length).toBeLessThan(100_000);
          if (['P0', 'P1'].includes(incidentSeverity(incident.alert)))
            expect(pager.sent.some((p) => p.page.subject.includes(incident.id))).toBe(true);
          for (const p of pager.sent) {
            // SNS subjects: printable, at most 99 characters.
            expect(p.page.subject.length).toBeLessThanOrEqual(99);
            expect(p.page.subject).not.toMatch(/\p{Cc}/u);
          }
        }
        if (alerts.some((a) => a.source === 'unparsed')) {
          const unparsedIncident = open.find((i) => i.alert.source === 'unparsed');
          expect(unparsedIncident?.severity).toBe('P1');
        }
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 500) },
    );
  }, 120_000);

  it('keeps a storm of 1,200 per-pod alerts of one service in one incident far below 400 KB', async () => {
    const store = new MemoryIncidentStore();
    const pager = new RecordingPager();
    const clock = new TestClock(new Date('2026-11-25T10:00:00Z'));
    const deps = escalationDeps(store, clock, pager);
    for (let i = 0; i < 1_200; i += 1) {
      const message = JSON.stringify({
        status: 'firing',
        alerts: [
          {
            status: 'firing',
            labels: {
              alertname: 'PodNotReady',
              severity: 'critical',
              service: 'mcp-semantic',
              pod: `mcp-semantic-${i}`,
            },
            annotations: { summary: `pod mcp-semantic-${i} is not ready`.padEnd(900, '.') },
            fingerprint: i.toString(16).padStart(16, '0'),
          },
        ],
      });
      await intakeMessage(deps, { messageId: `storm-${i}`, message });
    }
    const [incident, ...others] = await store.openIncidents();
    expect(others).toEqual([]);
    expect(incident!.related).toHaveLength(50);
    expect(incident!.relatedOmitted).toBe(1_199 - 50);
    expect(JSON.stringify(incident).length).toBeLessThan(200_000);
    expect(pager.sent.filter((p) => p.page.subject.includes(incident!.id))).toHaveLength(1);
  });
});
