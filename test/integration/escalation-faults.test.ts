// Escalation under faults, on the real local stack: incidents in DynamoDB (moto), pages published to
// the SNS tier topics, tickets and chat over HTTP to local receivers. While the ticket system
// answers 503 for 40 minutes, the chat is down, SNS refuses one incident's pages, one incident's
// own item refuses writes and a poison alert rides in a batch, every other incident's pages arrive
// within one tick of their due time, and the failures are on the timeline and in the metrics.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { awsClientConfig } from '../../core/aws.ts';
import type { OnCallTier } from '../../core/config.ts';
import { DynamoDbIncidentStore } from '../../core/incidents/dynamodb-store.ts';
import { SlackWebhookChat } from '../../core/outbox/adapters/slack-webhook-chat.ts';
import { SnsPager } from '../../core/outbox/adapters/sns-pager.ts';
import { WebhookTickets } from '../../core/outbox/adapters/webhook-tickets.ts';
import { escalateDueIncidents } from '../../functions/escalation/tick.ts';
import { intakeMessage } from '../../functions/escalation/intake.ts';
import { type Pager } from '../../core/outbox/pager.ts';
import type { IncidentStore } from '../../core/incidents/store.ts';
import type { Page } from '../../core/outbox/page-message.ts';
import { localTarget, subscribeQueue } from '../support/aws.ts';
import { CountingMetrics, escalationDeps, TestClock } from '../support/escalation-harness.ts';
import { httpReceiver } from '../support/http-receiver.ts';

const endpoints = inject('endpoints');
const run = Math.random().toString(36).slice(2, 8);

function dynamoStore(): DynamoDbIncidentStore {
  const db = DynamoDBDocumentClient.from(new DynamoDBClient(awsClientConfig(localTarget())), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return new DynamoDbIncidentStore(db, endpoints.tables.incidents, endpoints.tables.deliveries);
}

/** The real store, except that writes to the incidents named in `broken` fail (a hot or corrupt item). */
function withBrokenItems(store: IncidentStore, broken: Set<string>): IncidentStore {
  const writes = new Set([
    'claimPage',
    'markPageSent',
    'markSendFailed',
    'escalate',
    'schedule',
    'setReference',
  ]);
  return new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (writes.has(String(name)) && broken.has(String(args[0])))
          return Promise.reject(
            new Error(`ValidationException: item ${String(args[0])} refused the write (injected)`),
          );
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

describe('escalation under faults on the local stack', () => {
  let tickets: Awaited<ReturnType<typeof httpReceiver>>;
  let chat: Awaited<ReturnType<typeof httpReceiver>>;
  let ticketsDown = true;
  let chatDown = true;
  /** What the ticket system and the chat took (answered 2xx). */
  const accepted = { tickets: [] as string[], chat: [] as string[] };

  beforeAll(async () => {
    tickets = await httpReceiver((request) => {
      if (ticketsDown) return { status: 503, body: { error: 'maintenance' } };
      const summary = (request.body as { fields?: { summary?: string } }).fields?.summary ?? '';
      accepted.tickets.push(summary);
      return { status: 201, body: { key: `OPS-${accepted.tickets.length}` } };
    });
    chat = await httpReceiver((request) => {
      if (chatDown) return { status: 503, body: 'down' };
      accepted.chat.push((request.body as { text: string }).text);
      return { status: 200, body: 'ok' };
    });
  });
  afterAll(async () => {
    await tickets.close();
    await chat.close();
  });

  it('pages every other incident on its clock while tickets, chat, one incident’s pages and another’s item fail', async () => {
    const clock = new TestClock(new Date('2026-11-25T10:00:00Z'));
    const metrics = new CountingMetrics();
    const broken = new Set<string>();
    const store = withBrokenItems(dynamoStore(), broken);
    const sns = new SnsPager(new SNSClient(awsClientConfig(localTarget())), endpoints.topics.tiers);
    // Pages as SNS took them, with the test clock's time; SNS refuses the incidents in `refused`.
    const refused = new Set<string>();
    const published: Array<{ tier: string; subject: string; at: number }> = [];
    const pager: Pager = {
      async page(tier: OnCallTier, page: Page) {
        if ([...refused].some((id) => page.subject.includes(id)))
          throw Object.assign(new Error('AuthorizationError: not authorized to publish (injected)'), {
            name: 'AuthorizationErrorException',
          });
        await sns.page(tier, page);
        published.push({ tier: tier.name, subject: page.subject, at: clock.now().getTime() });
      },
    };
    const deps = escalationDeps(store, clock, pager, {}, metrics, {
      chat: new SlackWebhookChat(async () => `${chat.url}/hooks/x`),
      tickets: new WebhookTickets(
        {
          url: `${tickets.url}/rest/api/2/issue`,
          shape: 'jira',
          jiraProject: 'OPS',
          jiraIncidentType: 'Incident',
        } as never,
        async () => 'Bearer t',
      ),
    });
    const primaryQueue = await subscribeQueue(endpoints.topics.tiers.primary!);

    // Four P1 incidents, opened at 10:00 with the ticket system and chat already down. The poison
    // alert rides in the same Alertmanager message as the fourth: its own write fails, the other opens.
    const open = async (name: string) => {
      const message = JSON.stringify({
        status: 'firing',
        alerts: [
          {
            status: 'firing',
            labels: { alertname: `${name}${run}`, severity: 'critical' },
            fingerprint: `${name}${run}`,
          },
        ],
      });
      const [o] = await intakeMessage(deps, { messageId: `faults-${name}-${run}`, message });
      return o!.incidentId!;
    };
    const refusedId = await open('RefusedPages');
    const brokenId = await open('BrokenItem');
    const healthy = [await open('HealthyA')];
    const poisonKey = `Poison${run}`;
    const poisonStore = new Proxy(store, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver) as unknown;
        if (name === 'openIncidentIdFor')
          return (key: string) =>
            key.includes(poisonKey)
              ? Promise.reject(new Error('poison (injected)'))
              : (value as (k: string) => unknown).call(target, key);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const batch = JSON.stringify({
      status: 'firing',
      alerts: [
        { status: 'firing', labels: { alertname: poisonKey, severity: 'critical' }, fingerprint: poisonKey },
        {
          status: 'firing',
          labels: { alertname: `HealthyB${run}`, severity: 'critical' },
          fingerprint: `HealthyB${run}`,
        },
      ],
    });
    await expect(
      intakeMessage({ ...deps, store: poisonStore }, { messageId: `faults-batch-${run}`, message: batch }),
    ).rejects.toThrow(/1 of 2 alerts failed/);
    const healthyB = (await store.openIncidents()).find((i) => i.alert.name === `HealthyB${run}`)!;
    healthy.push(healthyB.id);
    refused.add(refusedId);
    broken.add(brokenId);

    // Forty minutes of ticks, one a minute.
    const outcomes = [];
    for (let minute = 1; minute <= 40; minute += 1) {
      clock.advanceMinutes(1);
      outcomes.push(await escalateDueIncidents(deps));
    }
    const opened = new Date('2026-11-25T10:00:00Z').getTime();
    for (const id of healthy) {
      const pages = published.filter((p) => p.subject.includes(id) && !p.subject.startsWith('RESOLVED'));
      expect(
        pages.map((p) => p.tier),
        id,
      ).toEqual(['primary', 'secondary', 'team-lead']);
      // Due at +0, +15 and +30 minutes: each within one tick (a minute) of it.
      const due = [0, 15, 30].map((m) => opened + m * 60_000);
      pages.forEach((p, i) => expect(p.at - due[i]!, `${id} ${p.tier}`).toBeLessThanOrEqual(60_000));
    }
    // The incidents that failed were reported by every tick and held nobody else back.
    const failing = new Set(outcomes.flatMap((o) => o.failures.map((f) => f.incidentId)));
    expect([...failing].sort()).toEqual([brokenId, refusedId].sort());
    expect(metrics.counts.get('IncidentFailures')).toBeGreaterThanOrEqual(40);
    expect(metrics.counts.get('IntegrationFailures:tickets')).toBeGreaterThan(0);
    expect(metrics.counts.get('IntegrationFailures:chat')).toBeGreaterThan(0);
    expect(metrics.counts.get('IntegrationFailures:pager')).toBeGreaterThan(0);
    const timeline = (await store.get(healthy[0]!))!.timeline
      .filter((e) => e.event === 'send-failed')
      .map((e) => e.detail);
    expect(timeline).toEqual([
      expect.stringMatching(/^chat refused chat:opened .*503/),
      expect.stringMatching(/^tickets refused ticket .*503/),
    ]);
    const refusedTimeline = (await store.get(refusedId))!.timeline.filter((e) => e.event === 'send-failed');
    expect(refusedTimeline.length).toBeGreaterThan(0);
    // The pages really went through SNS: the primary's topic carried each healthy incident's page once.
    const delivered = (await primaryQueue.receive(healthy.length + 2, 10_000)).map(
      (b) => (JSON.parse(b) as { Subject: string }).Subject,
    );
    for (const id of healthy)
      expect(delivered.filter((s) => s.includes(id) && !s.startsWith('RESOLVED'))).toHaveLength(1);

    // The ticket system and chat come back, SNS takes the refused incident's pages, the item heals:
    // everything left is sent on the next tick, once.
    ticketsDown = false;
    chatDown = false;
    refused.clear();
    broken.clear();
    clock.advanceMinutes(1);
    const recovered = await escalateDueIncidents(deps);
    expect(recovered.failures).toEqual([]);
    for (const id of [refusedId, brokenId, ...healthy]) {
      const pages = published
        .filter((p) => p.subject.includes(id) && !p.subject.startsWith('RESOLVED'))
        .map((p) => p.tier);
      expect(pages, id).toEqual(['primary', 'secondary', 'team-lead']);
    }
    // Each incident's ticket and chat notice went out once, when they came back.
    for (const id of [refusedId, brokenId, ...healthy]) {
      expect(
        accepted.tickets.filter((t) => t.includes(id)),
        id,
      ).toHaveLength(1);
      expect(
        accepted.chat.filter((t) => t.includes(`${id} opened`)),
        id,
      ).toHaveLength(1);
    }
    // A second tick sends nothing more.
    const before = published.length;
    clock.advanceMinutes(1);
    await escalateDueIncidents(deps);
    expect(published.length).toBe(before);
  }, 180_000);
});
