import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { awsClientConfig } from '../../core/aws.ts';
import { ChatbotChat, ChatbotNotificationSchema } from '../../core/outbox/adapters/chatbot-chat.ts';
import { SlackIncidentChannels } from '../../core/outbox/adapters/slack-incident-channels.ts';
import { SlackWebhookChat } from '../../core/outbox/adapters/slack-webhook-chat.ts';
import { WebhookTickets, type TicketsConfig } from '../../core/outbox/adapters/webhook-tickets.ts';
import { intakeMessage } from '../../functions/escalation/intake.ts';
import { resolveIncident } from '../../functions/escalation/actions.ts';
import { chatMessage, ticketRequest } from '../../core/outbox/notify.ts';
import { escalationPorts, secretReader, settingsFromEnv } from '../../core/incidents/wiring.ts';
import { localTarget, subscribeQueue } from '../support/aws.ts';
import { clusterInScenario } from '../support/cluster.ts';
import { eventually } from '../support/eventually.ts';
import { httpReceiver } from '../support/http-receiver.ts';
import type { Incident } from '../../core/incidents/incident.ts';

const endpoints = inject('endpoints');

/** A secret in the local Secrets Manager (created, or given a new value). */
async function localSecret(name: string, value: string): Promise<string> {
  const client = new SecretsManagerClient(awsClientConfig(localTarget()));
  try {
    return (await client.send(new CreateSecretCommand({ Name: name, SecretString: value }))).ARN!;
  } catch (error) {
    if ((error as Error).name !== 'ResourceExistsException') throw error;
    return (await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }))).ARN!;
  }
}

const setFault = async (fault: Record<string, unknown>) => {
  const response = await fetch(
    `${endpoints.service.control}/${Object.keys(fault).length ? 'fault' : 'reset'}`,
    {
      method: 'POST',
      body: JSON.stringify(fault),
    },
  );
  expect(response.status).toBe(200);
};

const incident: Incident = {
  id: 'INC-20261127-901',
  dedupKey: 'k',
  severity: 'P3',
  status: 'triggered',
  title: 't',
  alert: {
    source: 'alertmanager',
    dedupKey: 'k',
    name: 'ValidationCacheHitRateLow',
    status: 'firing',
    severityLabel: 'info',
    summary: 'Validation cache hit rate below 70 %',
    runbook: '2-validation-engine-dashboard',
    labels: { alertname: 'ValidationCacheHitRateLow', service: 'mcp-semantic' },
  },
  createdAt: '2026-11-27T10:00:00.000Z',
  tierReached: -1,
  pages: {},
  repeats: 0,
  timeline: [],
};

describe('chat and ticket adapters against real endpoints', () => {
  it('publishes AWS Chatbot custom notifications to the chat topic, in its documented format', async () => {
    const queue = await subscribeQueue(endpoints.topics.chat);
    const chat = new ChatbotChat(new SNSClient(awsClientConfig(localTarget())), endpoints.topics.chat);
    await chat.post(chatMessage('opened', incident, 'https://runbooks.example/2.md'));
    const [body] = await queue.receive(1, 5_000);
    const notification = ChatbotNotificationSchema.parse(
      JSON.parse((JSON.parse(body!) as { Message: string }).Message),
    );
    expect(notification).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: {
        textType: 'client-markdown',
        title: expect.stringContaining('[P3] INC-20261127-901 opened'),
      },
      metadata: { threadId: 'INC-20261127-901', eventType: 'mcp-ops.incident.opened' },
    });
    expect(notification.content.description).toContain('Incident ID: INC-20261127-901');
  });

  it('posts to a Slack webhook whose URL comes from Secrets Manager', async () => {
    const slack = await httpReceiver();
    try {
      const arn = await localSecret('test/slack-webhook', `${slack.url}/services/T0/B0/XYZ`);
      const chat = new SlackWebhookChat(
        secretReader(new SecretsManagerClient(awsClientConfig(localTarget())), arn),
      );
      await chat.post(chatMessage('reminder', incident, 'https://runbooks.example/2.md', ['still open']));
      expect(slack.requests).toHaveLength(1);
      expect(slack.requests[0]).toMatchObject({ method: 'POST', path: '/services/T0/B0/XYZ' });
      expect((slack.requests[0]!.body as { text: string }).text).toMatch(
        /^\*\[P3\] INC-20261127-901 is still unacknowledged/,
      );
    } finally {
      await slack.close();
    }
  });

  it('creates the P0 incident channel through the Slack API with the bot token from Secrets Manager', async () => {
    const slack = await httpReceiver((_r, i) => ({
      body:
        i === 0
          ? { ok: true, channel: { id: 'C1' } }
          : { ok: false, error: i === 1 ? 'name_taken' : 'restricted_action' },
    }));
    try {
      const arn = await localSecret('test/slack-bot', 'xoxb-local-token');
      const channels = new SlackIncidentChannels(
        secretReader(new SecretsManagerClient(awsClientConfig(localTarget())), arn),
        `${slack.url}/api`,
      );
      expect(await channels.create({ id: 'INC-20261127-902' })).toBe('#incident-20261127-902');
      expect(slack.requests[0]).toMatchObject({
        path: '/api/conversations.create',
        headers: { authorization: 'Bearer xoxb-local-token' },
        body: { name: 'incident-20261127-902', is_private: false },
      });
      // Made by an earlier try that died: the same channel.
      expect(await channels.create({ id: 'INC-20261127-902' })).toBe('#incident-20261127-902');
      await expect(channels.create({ id: 'INC-20261127-903' })).rejects.toThrow(/restricted_action/);
    } finally {
      await slack.close();
    }
  });

  it('opens Jira- and GitHub-shaped tickets with the secret authorization and one idempotency key, and comments', async () => {
    const receiver = await httpReceiver((request) =>
      request.path.startsWith('/rest/')
        ? { status: 201, body: { key: 'OPS-42' } }
        : { status: 201, body: { number: 7 } },
    );
    try {
      const arn = await localSecret('test/tickets', 'Bearer local-ticket-token');
      const authorization = secretReader(new SecretsManagerClient(awsClientConfig(localTarget())), arn);
      const jira: TicketsConfig = {
        url: `${receiver.url}/rest/api/2/issue`,
        shape: 'jira',
        commentUrl: `${receiver.url}/rest/api/2/issue/{ref}/comment`,
        authorizationSecretName: 'test/tickets',
        jiraProject: 'OPS',
        jiraIncidentType: 'Incident',
      };
      const tickets = new WebhookTickets(jira, authorization);
      const request = ticketRequest(incident, 'https://runbooks.example/2.md');
      expect(await tickets.open(request)).toBe('OPS-42');
      await tickets.comment('OPS-42', 'Resolved by alice');
      const [created, commented] = receiver.requests;
      expect(created!.headers).toMatchObject({
        authorization: 'Bearer local-ticket-token',
        'idempotency-key': 'mcp-ops-INC-20261127-901',
      });
      expect(created!.body).toMatchObject({
        fields: {
          project: { key: 'OPS' },
          issuetype: { name: 'Bug' },
          summary: expect.stringContaining('[P3] INC-20261127-901 ValidationCacheHitRateLow'),
          labels: ['mcp-ops', 'bug', 'p3', 'mcp-ops-INC-20261127-901'],
        },
      });
      expect(commented).toMatchObject({
        path: '/rest/api/2/issue/OPS-42/comment',
        body: { body: 'Resolved by alice' },
      });

      const github = new WebhookTickets(
        {
          ...jira,
          shape: 'github',
          url: `${receiver.url}/repos/o/r/issues`,
          commentUrl: `${receiver.url}/repos/o/r/issues/{ref}/comments`,
        },
        authorization,
      );
      expect(await github.open(request)).toBe('7');
      expect(receiver.requests[2]!.body).toMatchObject({
        title: expect.stringContaining('INC-20261127-901'),
        labels: expect.arrayContaining(['bug']),
      });
      // A failing ticket system is an error naming what was called (the claim retries it later).
      const failing = new WebhookTickets({ ...jira, url: `${receiver.url}/missing` }, authorization);
      await receiver.close();
      await expect(failing.open(request)).rejects.toThrow();
    } finally {
      await receiver.close().catch(() => undefined);
    }
  });
});

describe('severity end to end: the real Prometheus and Alertmanager, the deployed wiring', () => {
  let tickets: Awaited<ReturnType<typeof httpReceiver>>;
  let ports: ReturnType<typeof escalationPorts>;
  /** The same wiring with related-alert grouping off, for an alert that must stand alone. */
  let ungrouped: ReturnType<typeof escalationPorts>;

  beforeAll(async () => {
    tickets = await httpReceiver((_r, i) => ({ status: 201, body: { key: `OPS-${100 + i}` } }));
    const secretArn = await localSecret('test/e2e-tickets', 'Bearer e2e-token');
    const env = (escalation: Record<string, unknown>) => ({
      MCP_OPS_CONFIG: JSON.stringify({
        escalation: {
          tickets: { url: `${tickets.url}/rest/api/2/issue`, authorizationSecretName: 'test/e2e-tickets' },
          ...escalation,
        },
      }),
      INCIDENTS_TABLE: endpoints.tables.incidents,
      DELIVERIES_TABLE: endpoints.tables.deliveries,
      TIER_TOPICS: JSON.stringify(endpoints.topics.tiers),
      LINK_SECRET_ARN: endpoints.secrets.linkSecret,
      LINK_BASE_URL: 'https://respond.example/',
      CHAT_TOPIC_ARN: endpoints.topics.chat,
      TICKETS_SECRET_ARN: secretArn,
    });
    ports = escalationPorts(localTarget(), settingsFromEnv(env({})));
    ungrouped = escalationPorts(localTarget(), settingsFromEnv(env({ relatedAlertWindowMinutes: 0 })));
    // An incident of the service left open by an earlier run would take this run's alerts in.
    const deps = await ports.deps(() => new Date());
    for (const open of await ports.store.openIncidents())
      if (open.service === 'mcp-semantic') await resolveIncident(deps, open.id, 'test set-up');
    await setFault({});
  });

  afterAll(async () => {
    await setFault({});
    await tickets?.close();
  });

  /**
   * Clears the service's faults and waits until Alertmanager holds none of `names` and has had a
   * group interval to send their resolves: a new firing is then a new notification, not a repeat.
   */
  async function quiet(names: string[]) {
    await setFault({});
    await eventually(
      async () => {
        const active = (await (
          await fetch(`${endpoints.alertmanager}/api/v2/alerts?active=true`)
        ).json()) as Array<{
          labels: Record<string, string>;
        }>;
        return active.some((a) => names.includes(a.labels.alertname!)) ? undefined : true;
      },
      30_000,
      `${names.join(', ')} to resolve`,
    );
    await new Promise((resolve) => setTimeout(resolve, 6_000));
  }

  /** Reads the alerts topic until `until` holds, feeding every message to intake as Lambda would. */
  async function takeAlertsUntil(
    queue: Awaited<ReturnType<typeof subscribeQueue>>,
    until: (outcomes: Array<{ incidentId?: string; outcome: string; alert: string }>) => boolean,
    what: string,
    wiring = ports,
  ) {
    const outcomes: Array<{ incidentId?: string; outcome: string; alert: string }> = [];
    const deps = await wiring.deps(() => new Date());
    const deadline = Date.now() + 120_000;
    while (!until(outcomes)) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}: ${JSON.stringify(outcomes)}`);
      for (const body of await queue.receive(1, 2_000)) {
        const sns = JSON.parse(body) as { MessageId: string; Message: string };
        // An intake failure fails the test: it is what Lambda would retry, not a probe to repeat.
        outcomes.push(...(await intakeMessage(deps, { messageId: sns.MessageId, message: sns.Message })));
      }
    }
    return outcomes;
  }

  it(
    'all pods down fires the P0 rule: one page to the primary, one chat notice, the related alerts join',
    { timeout: 240_000 },
    async () => {
      // A crash loop left by another suite's cluster would fire its own rule into this incident.
      await clusterInScenario('healthy');
      await quiet(['MCPSemanticCrashLooping']);
      const alerts = await subscribeQueue(endpoints.topics.alerts);
      const primary = await subscribeQueue(endpoints.topics.tiers.primary!);
      const chat = await subscribeQueue(endpoints.topics.chat);
      await setFault({ crash: true });
      const outcomes = await takeAlertsUntil(
        alerts,
        (o) =>
          o.some((x) => x.alert === 'MCPSemanticAllPodsDown') && o.some((x) => x.alert === 'MCPSemanticDown'),
        'MCPSemanticAllPodsDown and MCPSemanticDown to reach intake',
      );
      const ids = new Set(outcomes.filter((o) => o.outcome !== 'resolve-unknown').map((o) => o.incidentId));
      expect(ids.size, JSON.stringify(outcomes)).toBe(1);
      const id = [...ids][0]!;
      const incident = (await ports.store.get(id))!;
      expect(incident.severity).toBe('P0');
      expect(incident.service).toBe('mcp-semantic');
      expect((incident.related ?? []).length).toBeGreaterThanOrEqual(1);
      expect(outcomes.filter((o) => o.outcome === 'opened')).toHaveLength(1);

      const pages = (await primary.receive(3, 5_000))
        .map((b) => JSON.parse(b) as { Subject: string; Message: string })
        .filter((p) => p.Subject.includes(id));
      expect(pages, pages.map((p) => p.Subject).join('; ')).toHaveLength(1);
      const notices = (await chat.receive(5, 5_000))
        .map((b) =>
          ChatbotNotificationSchema.parse(JSON.parse((JSON.parse(b) as { Message: string }).Message)),
        )
        .filter((n) => n.metadata?.threadId === id);
      expect(notices.filter((n) => n.metadata?.eventType === 'mcp-ops.incident.opened')).toHaveLength(1);
      // A P0 opens no ticket (the manual: page, channel, status page); one opened as a P1 and raised
      // keeps the ticket its P1 opened. Never two.
      const ticketsForIt = tickets.requests.filter((r) => JSON.stringify(r.body).includes(id));
      expect(ticketsForIt).toHaveLength(incident.alert.name === 'MCPSemanticAllPodsDown' ? 0 : 1);

      await setFault({});
      await resolveIncident(await ports.deps(() => new Date()), id, 'integration test');
    },
  );

  it(
    'a low cache hit rate fires the P3 rule: a bug ticket on the ticket system, a chat line, no page',
    { timeout: 240_000 },
    async () => {
      await quiet(['ValidationCacheHitRateLow']);
      const alerts = await subscribeQueue(endpoints.topics.alerts);
      const primary = await subscribeQueue(endpoints.topics.tiers.primary!);
      const chat = await subscribeQueue(endpoints.topics.chat);
      await setFault({ cacheHitRate: 0.4 });
      // Other alerts of the service (a rollback the simulated service plays now and then) would take
      // it in as a related alert; grouping is the P0 test's subject, so here it is off.
      const outcomes = await takeAlertsUntil(
        alerts,
        (o) => o.some((x) => x.alert === 'ValidationCacheHitRateLow' && x.outcome === 'opened'),
        'ValidationCacheHitRateLow to open an incident',
        ungrouped,
      );
      const id = outcomes.find(
        (o) => o.alert === 'ValidationCacheHitRateLow' && o.outcome === 'opened',
      )!.incidentId!;
      const incident = (await ungrouped.store.get(id))!;
      expect(incident.severity).toBe('P3');
      const ticket = tickets.requests.find((r) => JSON.stringify(r.body).includes(id))!;
      expect(ticket.headers.authorization).toBe('Bearer e2e-token');
      expect(ticket.body).toMatchObject({ fields: { issuetype: { name: 'Bug' } } });
      expect(incident.ticketRef).toMatch(/^OPS-\d+$/);
      const pages = (await primary.receive(1, 3_000)).filter((b) => b.includes(id));
      expect(pages).toEqual([]);
      const notices = (await chat.receive(1, 5_000))
        .map((b) =>
          ChatbotNotificationSchema.parse(JSON.parse((JSON.parse(b) as { Message: string }).Message)),
        )
        .filter((n) => n.metadata?.threadId === id);
      expect(notices.map((n) => n.metadata?.eventType)).toEqual(['mcp-ops.incident.opened']);
      await setFault({});
      await resolveIncident(await ungrouped.deps(() => new Date()), id, 'integration test');
    },
  );
});
