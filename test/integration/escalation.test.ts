import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, inject, it } from 'vitest';
import { awsClientConfig } from '../../core/aws.ts';
import { parseConfig, type OnCallTier } from '../../core/config.ts';
import { parseAlertMessage } from '../../functions/escalation/alerts.ts';
import { DynamoDbIncidentStore } from '../../core/incidents/dynamodb-store.ts';
import { escalateDueIncidents } from '../../functions/escalation/tick.ts';
import { intakeMessage } from '../../functions/escalation/intake.ts';
import { type EscalationDeps } from '../../core/incidents/deps.ts';
import type { Page } from '../../core/outbox/page-message.ts';
import { SnsPager } from '../../core/outbox/adapters/sns-pager.ts';
import { secretReader, settingsFromEnv } from '../../core/incidents/wiring.ts';
import { localTarget, subscribeQueue } from '../support/aws.ts';
import { amMessage, escalationDeps, RecordingPager, TestClock } from '../support/escalation-harness.ts';
import { escalationScenarios } from '../support/escalation-scenarios.ts';

function store() {
  const endpoints = inject('endpoints');
  const db = DynamoDBDocumentClient.from(new DynamoDBClient(awsClientConfig(localTarget())), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return new DynamoDbIncidentStore(db, endpoints.tables.incidents, endpoints.tables.deliveries);
}

/** Publishes to the real (moto) tier topics and keeps a record for assertions. */
class PublishingRecorder extends RecordingPager {
  private readonly sns = new SnsPager(
    new SNSClient(awsClientConfig(localTarget())),
    inject('endpoints').topics.tiers,
  );
  override async page(tier: OnCallTier, page: Page): Promise<void> {
    if (this.failNext > 0) return super.page(tier, page);
    await this.sns.page(tier, page);
    await super.page(tier, page);
  }
}

// The whole behaviour suite, on DynamoDB in moto with pages published to the moto tier topics.
escalationScenarios('escalation on DynamoDB and SNS (local stack)', async () => ({
  store: store(),
  pager: new PublishingRecorder(),
}));

describe('escalation through the local stack end to end', () => {
  const tiers = parseConfig({}).onCall.tiers;

  async function tierQueues() {
    const topics = inject('endpoints').topics.tiers;
    const queues: Record<string, Awaited<ReturnType<typeof subscribeQueue>>> = {};
    for (const tier of tiers) queues[tier.name] = await subscribeQueue(topics[tier.name]!);
    return queues;
  }

  function pagesIn(bodies: string[], id: string): Array<{ Subject: string; Message: string }> {
    return bodies
      .map((b) => JSON.parse(b) as { Subject: string; Message: string })
      .filter((m) => m.Subject.includes(id));
  }

  function depsWith(clock: TestClock, secret: string): EscalationDeps {
    const base = escalationDeps(store(), clock);
    const sns = new SNSClient(awsClientConfig(localTarget()));
    return {
      ...base,
      pager: new SnsPager(sns, inject('endpoints').topics.tiers),
      links: { ...base.links, secret },
    };
  }

  it('fans pages out to each tier topic, once per tier, with the secret from Secrets Manager', async () => {
    const endpoints = inject('endpoints');
    const secret = await secretReader(
      new SecretsManagerClient(awsClientConfig(localTarget())),
      endpoints.secrets.linkSecret,
    )();
    expect(secret.length).toBeGreaterThanOrEqual(32);
    const queues = await tierQueues();
    const clock = new TestClock(new Date('2026-11-25T10:00:00Z'));
    const deps = depsWith(clock, secret);
    const name = `EndToEnd${Date.now()}`;
    const [opened] = await intakeMessage(deps, {
      messageId: `e2e-${name}`,
      message: amMessage(name, { severity: 'critical' }),
    });
    const id = opened!.incidentId!;
    clock.advanceMinutes(4 * 60);
    await Promise.all([escalateDueIncidents(deps), escalateDueIncidents(deps)]);
    for (const tier of tiers) {
      const pages = pagesIn(await queues[tier.name]!.receive(1, 5_000), id);
      expect(
        pages.map((p) => p.Subject),
        tier.name,
      ).toHaveLength(1);
      expect(pages[0]!.Subject.length).toBeLessThanOrEqual(100);
      expect(pages[0]!.Message).toContain(`Incident ID: ${id}`);
    }
    // Nothing more arrives on any queue.
    for (const tier of tiers) {
      expect(pagesIn(await queues[tier.name]!.receive(1, 1_500), id), tier.name).toHaveLength(0);
    }
  });

  it('reads the settings the CDK app gives the functions, and refuses a broken environment', () => {
    const settings = settingsFromEnv({
      INCIDENTS_TABLE: 'mcp-ops-incidents',
      DELIVERIES_TABLE: 'mcp-ops-alert-deliveries',
      TIER_TOPICS: JSON.stringify({ primary: 'arn:aws:sns:us-east-1:1:p' }),
      LINK_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:1:secret:x',
      LINK_BASE_URL: 'https://abc.lambda-url.us-east-1.on.aws/',
    });
    expect(settings.linkTtlHours).toBe(24);
    expect(() => settingsFromEnv({ TIER_TOPICS: '{}' })).toThrow(/INCIDENTS_TABLE/);
    const complete = {
      INCIDENTS_TABLE: 'i',
      DELIVERIES_TABLE: 'd',
      LINK_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:1:secret:x',
    };
    expect(() => settingsFromEnv({ ...complete, TIER_TOPICS: 'primary' })).toThrow(/TIER_TOPICS must be/);
    expect(() =>
      settingsFromEnv({ ...complete, TIER_TOPICS: '{"primary":"arn"}', LINK_TTL_HOURS: 'soon' }),
    ).toThrow(/LINK_TTL_HOURS/);
  });

  it('takes an oversized message published to SNS and still pages the primary', async () => {
    const queues = await tierQueues();
    const clock = new TestClock(new Date('2026-11-25T10:00:00Z'));
    const deps = depsWith(clock, 'secret-for-oversized-test-0123456789');
    const huge = `garbage ${Date.now()} ${'z'.repeat(250_000)}`;
    const [outcome] = await intakeMessage(deps, { messageId: `big-${Date.now()}`, message: huge });
    const pages = pagesIn(await queues.primary!.receive(1, 5_000), outcome!.incidentId!);
    expect(pages).toHaveLength(1);
    expect(pages[0]!.Message).toMatch(/could not be parsed/);
    expect(pages[0]!.Message.length).toBeLessThan(10_000);
  });

  it('parses what the real Alertmanager publishes to the alerts topic and opens a P1', async () => {
    const endpoints = inject('endpoints');
    const alertsQueue = await subscribeQueue(endpoints.topics.alerts, true);
    const name = `RealAlertmanager${Date.now()}`;
    const post = await fetch(`${endpoints.alertmanager}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        {
          labels: { alertname: name, severity: 'critical', runbook: 'runbook-3-pod-crash-loop' },
          annotations: { summary: 'Pods are "crash looping"' },
        },
      ]),
    });
    expect(post.status).toBe(200);
    // Other rules' notifications may share the topic: read until this alert's message arrives.
    let message: string | undefined;
    const deadline = Date.now() + 30_000;
    while (!message && Date.now() < deadline) {
      message = (await alertsQueue.receive(1, 2_000)).find((body) => body.includes(name));
    }
    expect(message).toBeDefined();
    const alerts = parseAlertMessage(message!);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      source: 'alertmanager',
      name,
      status: 'firing',
      severityLabel: 'critical',
      runbook: 'runbook-3-pod-crash-loop',
    });
    const queues = await tierQueues();
    const deps = depsWith(new TestClock(new Date()), 'secret-for-alertmanager-test-0123456789');
    const [outcome] = await intakeMessage(deps, { messageId: `am-${name}`, message: message! });
    expect(outcome!.outcome).toBe('opened');
    const pages = pagesIn(await queues.primary!.receive(1, 5_000), outcome!.incidentId!);
    expect(pages[0]!.Subject).toMatch(/^\[P1\] INC-\d{8}-\d{3,} RealAlertmanager/);
    expect(pages[0]!.Message).toContain('/docs/runbooks/runbook-3-pod-crash-loop.md');
  });
});
