import { describe, expect, it } from 'vitest';
import { BothChats } from '../../core/outbox/adapters/slack-webhook-chat.ts';
import { escalateDueIncidents } from '../../functions/escalation/tick.ts';
import { intakeMessage } from '../../functions/escalation/intake.ts';
import {
  amMessage,
  escalationDeps,
  RecordingChat,
  RecordingPager,
  TestClock,
} from '../support/escalation-harness.ts';
import { MemoryIncidentStore } from '../support/memory-incident-store.ts';
import { parseConfig } from '../../core/config.ts';
import { parseAlertMessage, type NormalizedAlert } from '../../functions/escalation/alerts.ts';
import { deliveriesFromEvent } from '../../functions/escalation/deliveries.ts';
import { incidentId, utcDay, type Incident } from '../../core/incidents/incident.ts';
import { nextStep, responsePolicy, tierDueAt } from '../../core/incidents/policy.ts';
import { signedLink, signToken, verifyToken } from '../../functions/escalation/links.ts';
import { inMaintenanceWindow, maintenanceWindowOf } from '../../core/maintenance-window.ts';
import { renderPage, renderResolved, runbookLink } from '../../core/outbox/page-message.ts';
import { incidentSeverity } from '../../core/incidents/severity.ts';

const config = parseConfig({});
const tiers = config.onCall.tiers;

const cloudWatchAlarm = {
  AlarmName: 'mcp-ops-cleanup-errors',
  AlarmDescription: 'severity=critical; runbook=runbook-4-storage-full; cleanup function errors',
  AWSAccountId: '123456789012',
  NewStateValue: 'ALARM',
  NewStateReason: 'Threshold Crossed: 1 datapoint [2.0] was greater than or equal to the threshold (1.0).',
  StateChangeTime: '2026-11-25T10:00:00.000+0000',
  Region: 'US East (N. Virginia)',
  AlarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:mcp-ops-cleanup-errors',
  OldStateValue: 'OK',
  Trigger: { MetricName: 'Errors', Namespace: 'AWS/Lambda', Period: 60, NewKeyFromTheFuture: true },
};

const amJson = {
  receiver: 'alerts-sns',
  status: 'firing',
  alerts: [
    {
      status: 'firing',
      labels: {
        alertname: 'ValidationErrorRateCritical',
        severity: 'critical',
        runbook: 'runbook-1-high-validation-error-rate',
      },
      annotations: { summary: 'Validation error rate above 10 %' },
      startsAt: '2026-11-25T10:00:00Z',
      fingerprint: 'abc123',
    },
    {
      status: 'resolved',
      labels: { alertname: 'CacheHitRateLow', severity: 'info' },
      annotations: {},
      fingerprint: 'def456',
    },
  ],
  groupLabels: { alertname: 'ValidationErrorRateCritical' },
};

// The shape of Alertmanager 0.25's default SNS text (template "sns.default.message").
const amText = [
  'Validation error rate above 10 %',
  '',
  'Alerts Firing:',
  'Labels:',
  ' - alertname = ValidationErrorRateCritical',
  ' - app = mcp-semantic',
  ' - severity = critical',
  'Annotations:',
  ' - summary = Validation error rate above 10 %',
  'Source: http://127.0.0.1:19090/graph?g0.expr=...',
  '',
  'Alerts Resolved:',
  'Labels:',
  ' - alertname = ValidationErrorRateHigh',
  ' - severity = warning',
  'Annotations:',
  'Source: http://127.0.0.1:19090/graph',
  '',
].join('\n');

describe('alert parsing', () => {
  it('reads a CloudWatch alarm, accepting keys it does not know', () => {
    const [alert] = parseAlertMessage(JSON.stringify(cloudWatchAlarm));
    expect(alert).toMatchObject({
      source: 'cloudwatch',
      name: 'mcp-ops-cleanup-errors',
      status: 'firing',
      severityLabel: 'critical',
      runbook: 'runbook-4-storage-full',
      startedAt: '2026-11-25T10:00:00.000Z',
      dedupKey: `cloudwatch:${cloudWatchAlarm.AlarmArn}`,
    });
    const [ok] = parseAlertMessage(JSON.stringify({ ...cloudWatchAlarm, NewStateValue: 'OK' }));
    expect(ok).toMatchObject({ status: 'resolved', dedupKey: alert!.dedupKey });
    expect(alert!.priority).toBeUndefined();
    const [outage] = parseAlertMessage(
      JSON.stringify({ ...cloudWatchAlarm, AlarmDescription: 'severity=critical; priority=P0; all down' }),
    );
    expect(incidentSeverity(outage!)).toBe('P0');
  });

  it('ignores INSUFFICIENT_DATA, which is neither a fault nor a recovery', () => {
    expect(
      parseAlertMessage(JSON.stringify({ ...cloudWatchAlarm, NewStateValue: 'INSUFFICIENT_DATA' })),
    ).toEqual([]);
  });

  it('reads Alertmanager JSON, each alert with its own status and fingerprint', () => {
    const alerts = parseAlertMessage(JSON.stringify(amJson));
    expect(alerts.map((a) => [a.name, a.status, a.severityLabel, a.dedupKey])).toEqual([
      ['ValidationErrorRateCritical', 'firing', 'critical', 'alertmanager:abc123'],
      ['CacheHitRateLow', 'resolved', 'info', 'alertmanager:def456'],
    ]);
    expect(alerts[0]!.runbook).toBe('runbook-1-high-validation-error-rate');
  });

  it("reads Alertmanager's default text, keyed by its sorted labels", () => {
    const alerts = parseAlertMessage(amText);
    expect(alerts.map((a) => [a.name, a.status, a.severityLabel])).toEqual([
      ['ValidationErrorRateCritical', 'firing', 'critical'],
      ['ValidationErrorRateHigh', 'resolved', 'warning'],
    ]);
    expect(alerts[0]!.summary).toBe('Validation error rate above 10 %');
    expect(alerts[0]!.labels).toEqual({
      alertname: 'ValidationErrorRateCritical',
      app: 'mcp-semantic',
      severity: 'critical',
    });
    // The same labels in another order are the same alert.
    const reordered = amText.replace(
      ' - alertname = ValidationErrorRateCritical\n - app = mcp-semantic',
      ' - app = mcp-semantic\n - alertname = ValidationErrorRateCritical',
    );
    expect(parseAlertMessage(reordered)[0]!.dedupKey).toBe(alerts[0]!.dedupKey);
  });

  it('turns anything else into one unparsed alert that still pages, with the raw message', () => {
    for (const garbage of ['', 'hello', '{"AlarmName": 42}', '[1,2]', 'null', '{"status":"firing"}']) {
      const alerts = parseAlertMessage(garbage);
      expect(alerts, garbage).toHaveLength(1);
      expect(alerts[0]).toMatchObject({ source: 'unparsed', status: 'firing', raw: garbage });
      expect(alerts[0]!.parseError).toBeTruthy();
    }
    // JSON with the wrong shape names what is wrong.
    expect(parseAlertMessage('{"AlarmName": 42}')[0]!.parseError).toMatch(/AlarmName/);
  });

  it('cuts an oversized raw message so the page stays within SNS limits, and says so', () => {
    const huge = 'x'.repeat(300_000);
    const [alert] = parseAlertMessage(huge);
    expect(alert!.raw!.length).toBeLessThan(5_000);
    expect(alert!.raw).toMatch(/296000 more characters cut/);
    // Same input, same key: a redelivered garbage message joins its incident.
    expect(parseAlertMessage(huge)[0]!.dedupKey).toBe(alert!.dedupKey);
  });
});

describe('SNS deliveries at the edge', () => {
  it('takes each record of an SNS event', () => {
    const event = {
      Records: [
        { Sns: { MessageId: 'm1', Message: 'a' } },
        { Sns: { MessageId: 'm2', Message: 'b', Subject: null } },
      ],
    };
    expect(deliveriesFromEvent(event)).toEqual([
      { messageId: 'm1', message: 'a' },
      { messageId: 'm2', message: 'b' },
    ]);
  });

  it('takes anything else whole, as one raw message with a stable id', () => {
    const [one] = deliveriesFromEvent({ hello: 'world' });
    expect(one!.message).toBe('{"hello":"world"}');
    expect(deliveriesFromEvent({ hello: 'world' })[0]!.messageId).toBe(one!.messageId);
    expect(deliveriesFromEvent(undefined)[0]!.message).toBe('undefined');
  });
});

function alertOf(partial: Partial<NormalizedAlert>): NormalizedAlert {
  return {
    source: 'alertmanager',
    dedupKey: 'k',
    name: 'X',
    status: 'firing',
    severityLabel: 'warning',
    summary: 's',
    labels: {},
    ...partial,
  };
}

describe('incident severity', () => {
  it("maps the manual's definitions", () => {
    // P0 is the rules' `priority` label (one place): a name alone makes nothing P0.
    expect(
      incidentSeverity(
        alertOf({ name: 'MCPSemanticAllPodsDown', severityLabel: 'critical', priority: 'P0' }),
      ),
    ).toBe('P0');
    expect(incidentSeverity(alertOf({ name: 'MCPSemanticAllPodsDown', severityLabel: 'critical' }))).toBe(
      'P1',
    );
    expect(incidentSeverity(alertOf({ severityLabel: 'critical' }))).toBe('P1');
    expect(incidentSeverity(alertOf({ severityLabel: 'warning' }))).toBe('P2');
    expect(incidentSeverity(alertOf({ severityLabel: 'info' }))).toBe('P3');
    expect(incidentSeverity(alertOf({ severityLabel: 'critical', priority: 'P0' }))).toBe('P0');
    expect(incidentSeverity(alertOf({ severityLabel: 'critical', priority: 'P9' }))).toBe('P1');
  });
});

describe('the ladder', () => {
  const policy = responsePolicy(parseConfig({}));
  const t0 = new Date('2026-11-25T10:00:00Z');
  const at = (tier: number) => tierDueAt(policy, tier, t0).toISOString();
  it("pages each tier when the previous tier's deadline from the firing passes; the VP for critical only", () => {
    expect(tiers.map((t) => t.name)).toEqual([
      'primary',
      'secondary',
      'team-lead',
      'engineering-manager',
      'vp-engineering',
    ]);
    expect([0, 1, 2, 3, 4].map(at)).toEqual([
      '2026-11-25T10:00:00.000Z',
      '2026-11-25T10:15:00.000Z',
      '2026-11-25T10:30:00.000Z',
      '2026-11-25T11:00:00.000Z',
      '2026-11-25T12:00:00.000Z',
    ]);
    const p1 = {
      severity: 'P1' as const,
      status: 'acknowledged' as const,
      pages: {},
      createdAt: t0.toISOString(),
    };
    // Acknowledged at tier 1: the team lead's "(no response)" step is skipped, the manager's is not.
    expect(nextStep(policy, { ...p1, tierReached: 1 })).toEqual({
      kind: 'page',
      tier: 3,
      dueAt: new Date(at(3)),
    });
    expect(nextStep(policy, { ...p1, tierReached: 4 })).toBeUndefined();
    expect(nextStep(policy, { ...p1, severity: 'P2', status: 'triggered', tierReached: -1 })).toEqual({
      kind: 'reminder',
      dueAt: new Date('2026-11-25T11:00:00.000Z'),
    });
  });
});

describe('the maintenance window', () => {
  const window = config.maintenanceWindow;
  it('is the first Saturday of each month, 02:00-06:00 UTC', () => {
    // November 2026 starts on a Sunday: its first Saturday is the 7th.
    const nov = maintenanceWindowOf(new Date('2026-11-20T00:00:00Z'), window);
    expect([nov.start.toISOString(), nov.end.toISOString()]).toEqual([
      '2026-11-07T02:00:00.000Z',
      '2026-11-07T06:00:00.000Z',
    ]);
    // August 2026 starts on a Saturday: the 1st.
    expect(maintenanceWindowOf(new Date('2026-08-15T00:00:00Z'), window).start.toISOString()).toBe(
      '2026-08-01T02:00:00.000Z',
    );
    expect(inMaintenanceWindow(new Date('2026-11-07T01:59:59Z'), window).inside).toBe(false);
    expect(inMaintenanceWindow(new Date('2026-11-07T02:00:00Z'), window).inside).toBe(true);
    expect(inMaintenanceWindow(new Date('2026-11-07T05:59:59Z'), window).inside).toBe(true);
    expect(inMaintenanceWindow(new Date('2026-11-07T06:00:00Z'), window).inside).toBe(false);
    expect(inMaintenanceWindow(new Date('2026-11-14T03:00:00Z'), window).inside).toBe(false);
  });
});

describe('a maintenance window on the last weekday of the month', () => {
  const last = { weekday: 6, nthOfMonth: 5, startUtc: '02:00', endUtc: '06:00' };
  it('is the 5th Saturday where there is one, else the 4th, never a day of the next month', () => {
    // August 2026 has five Saturdays (1, 8, 15, 22, 29); February 2026 has four (7 ... 28).
    expect(maintenanceWindowOf(new Date('2026-08-10T00:00:00Z'), last).start.toISOString()).toBe(
      '2026-08-29T02:00:00.000Z',
    );
    expect(maintenanceWindowOf(new Date('2026-02-10T00:00:00Z'), last).start.toISOString()).toBe(
      '2026-02-28T02:00:00.000Z',
    );
    expect(inMaintenanceWindow(new Date('2026-03-07T03:00:00Z'), last).inside).toBe(false);
  });
});

describe('acknowledge and resolve links', () => {
  const secret = 'test-secret-0123456789';
  const now = new Date('2026-11-25T10:00:00Z');
  const claims = {
    action: 'ack' as const,
    incidentId: 'INC-20261125-001',
    tier: 'primary',
    generation: 1,
    expiresAt: new Date('2026-11-26T10:00:00Z'),
  };
  const tokenOf = (link: string) => new URL(link).searchParams.get('token') ?? undefined;

  it('verifies a link it signed, and the link is short and readable', () => {
    const link = signedLink('https://abc.lambda-url.us-east-1.on.aws/', secret, claims);
    expect(link.length).toBeLessThan(160);
    expect(tokenOf(link)).toMatch(/^ack\.INC-20261125-001\.primary\.1\.1795687200\.[\w-]{43}$/);
    expect(verifyToken(tokenOf(link), secret, now)).toEqual({ ok: true, claims });
  });

  it('refuses a forged, altered or expired token with a clear reason', () => {
    const token = signToken(secret, claims);
    expect(verifyToken(signToken('other-secret', claims), secret, now)).toEqual({
      ok: false,
      reason: expect.stringMatching(/signature does not match/),
    });
    for (const altered of [
      token.replace('ack.', 'resolve.'),
      token.replace('-001.', '-002.'),
      token.replace('.primary.', '.vp-engineering.'),
      token.replace('.1.1795687200.', '.2.1795687200.'),
      token.replace('.1795687200.', '.1795690800.'),
    ]) {
      expect(verifyToken(altered, secret, now), altered).toEqual({
        ok: false,
        reason: expect.stringMatching(/signature does not match/),
      });
    }
    expect(verifyToken(token.replace('ack.', 'delete.'), secret, now)).toEqual({
      ok: false,
      reason: expect.stringMatching(/damaged or incomplete/),
    });
    expect(verifyToken(token.slice(0, -1), secret, now).ok).toBe(false);
    expect(verifyToken(undefined, secret, now)).toEqual({
      ok: false,
      reason: 'This link carries no token. Nothing was changed.',
    });
    expect(verifyToken(token, secret, new Date('2026-11-26T10:00:00Z'))).toEqual({
      ok: false,
      reason: expect.stringMatching(/^This link expired at 2026-11-26T10:00:00.000Z\. Nothing was changed/),
    });
  });

  it('keeps links signed before a key rotation working with the previous key, and only with it', () => {
    const before = signToken('key-before-rotation-0123', claims);
    const rotated = 'key-after-rotation-456789';
    expect(verifyToken(before, rotated, now)).toMatchObject({ ok: false });
    expect(verifyToken(before, rotated, now, ['key-before-rotation-0123'])).toEqual({ ok: true, claims });
    expect(verifyToken(signToken(rotated, claims), rotated, now, ['key-before-rotation-0123'])).toEqual({
      ok: true,
      claims,
    });
    expect(
      verifyToken(signToken('someone-elses-key', claims), rotated, now, ['key-before-rotation-0123']),
    ).toMatchObject({
      ok: false,
    });
  });
});

describe('pages', () => {
  const incident: Incident = {
    id: incidentId(utcDay(new Date('2026-11-25T10:00:00Z')), 7),
    dedupKey: 'k',
    severity: 'P1',
    status: 'triggered',
    title: 't',
    alert: alertOf({
      name: 'ValidationErrorRateCritical'.repeat(6),
      summary: 'Validation error rate above 10 %',
      runbook: 'runbook-1-high-validation-error-rate',
      labels: { app: 'mcp-semantic' },
    }),
    createdAt: '2026-11-25T10:00:00.000Z',
    tierReached: 0,
    pages: {},
    repeats: 0,
    timeline: [],
  };

  it('has an SMS-sized subject and the incident communication template', () => {
    expect(incident.id).toBe('INC-20261125-007');
    const page = renderPage(incident, tiers[0]!, { ack: 'https://a/ack', resolve: 'https://a/res' });
    expect(page.subject.length).toBeLessThanOrEqual(100);
    expect(page.subject.startsWith('[P1] INC-20261125-007 ValidationErrorRateCritical')).toBe(true);
    for (const line of [
      'Incident ID: INC-20261125-007',
      'Severity: P1',
      'Started: 2026-11-25 10:00 UTC',
      'Impact: Validation error rate above 10 %',
      `Runbook: ${runbookLink('runbook-1-high-validation-error-rate')}`,
      'Acknowledge: https://a/ack',
      '  app = mcp-semantic',
    ]) {
      expect(page.body).toContain(line);
    }
    // Plain text: mail clients show Markdown markers as they are.
    expect(page.body).not.toContain('**');
    expect(renderResolved(incident, 'alert resolved').subject).toMatch(/^RESOLVED \[P1\] INC-20261125-007/);
  });

  it('attaches the raw message of an alert it could not parse, with a note', () => {
    const [garbage] = parseAlertMessage('disk on fire');
    const page = renderPage({ ...incident, alert: garbage! }, tiers[0]!, { ack: 'a', resolve: 'r' });
    expect(page.body).toMatch(/could not be parsed/);
    expect(page.body).toContain('disk on fire');
  });
});

describe('two chats at once (AWS Chatbot and a Slack webhook)', () => {
  it('posts to each once: one refusing is retried alone, never posting twice to the other', async () => {
    const store = new MemoryIncidentStore();
    const clock = new TestClock(new Date('2026-11-25T10:00:00Z'));
    const chatbot = new RecordingChat();
    const slack = new RecordingChat();
    let slackDown = true;
    const flakySlack = {
      post: async (message: Parameters<RecordingChat['post']>[0]) => {
        if (slackDown) throw new Error('slack 503 (injected)');
        return slack.post(message);
      },
    };
    const deps = escalationDeps(store, clock, new RecordingPager(), {}, undefined, {
      chat: new BothChats([chatbot, flakySlack]),
    });
    const [opened] = await intakeMessage(deps, {
      messageId: 'both-chats',
      message: amMessage('BothChats', { severity: 'critical' }),
    });
    const id = opened!.incidentId!;
    expect(chatbot.forIncident(id)).toEqual(['opened']);
    expect(slack.forIncident(id)).toEqual([]);
    clock.advanceMinutes(1);
    await escalateDueIncidents(deps);
    slackDown = false;
    clock.advanceMinutes(1);
    await escalateDueIncidents(deps);
    await escalateDueIncidents(deps);
    expect(chatbot.forIncident(id)).toEqual(['opened']);
    expect(slack.forIncident(id)).toEqual(['opened']);
  });
});
