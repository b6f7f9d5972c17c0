// An alert storm through escalation intake on the local stack (DynamoDB and SNS in moto):
// 10,000 alerts over 200 fingerprints, delivered by concurrent "invocations" in random order.
// Ours vs paging every alert (what hand-paging off an alert stream amounts to) and vs the target.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import { awsClientConfig, type AwsTarget } from '../core/aws.ts';
import { parseConfig, type OnCallTier } from '../core/config.ts';
import { DynamoDbIncidentStore } from '../core/incidents/dynamodb-store.ts';
import { configuredResponse } from '../core/incidents/deps.ts';
import { intakeMessage } from '../functions/escalation/intake.ts';
import { type Pager } from '../core/outbox/pager.ts';
import type { Page } from '../core/outbox/page-message.ts';
import { SnsPager } from '../core/outbox/adapters/sns-pager.ts';
import { seedDeliveriesTable, seedIncidentsTable } from '../stack/moto.ts';
import { stackUp } from '../stack/stack.ts';
import type { BenchResult } from './bench-result.ts';

const ALERTS = Number(process.env.BENCH_ESCALATION_ALERTS ?? 10_000);
const FINGERPRINTS = Number(process.env.BENCH_ESCALATION_FINGERPRINTS ?? 200);
const CONCURRENCY = Number(process.env.BENCH_ESCALATION_CONCURRENCY ?? 32);
const TARGET_P99_MS = 1_000;

function httpOptions(target: AwsTarget) {
  return {
    ...awsClientConfig(target),
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 128 }) }),
  };
}

class CountingPager implements Pager {
  sent = 0;
  constructor(private readonly inner: Pager) {}
  async page(tier: OnCallTier, page: Page): Promise<void> {
    await this.inner.page(tier, page);
    this.sent += 1;
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function amMessage(fingerprint: string, run: string): string {
  return JSON.stringify({
    receiver: 'alerts-sns',
    status: 'firing',
    alerts: [
      {
        status: 'firing',
        // P1: paged at once. No service label, so the 200 are 200 incidents, not one with related alerts.
        labels: { alertname: `Storm-${run}`, instance: fingerprint, severity: 'critical' },
        annotations: { summary: `storm alert ${fingerprint}` },
        fingerprint: `${run}-${fingerprint}`,
      },
    ],
  });
}

export async function run(): Promise<BenchResult> {
  const { endpoints } = await stackUp(undefined, () => {});
  const target = { region: endpoints.region, endpoint: endpoints.aws.endpoint };
  const runId = randomUUID().slice(0, 8);
  // A fresh table per run, so earlier runs and tests do not weigh on the figures.
  const table = `mcp-ops-incidents-bench-${runId}`;
  const deliveriesTable = `mcp-ops-alert-deliveries-bench-${runId}`;
  await seedIncidentsTable(target, table);
  await seedDeliveriesTable(target, deliveriesTable);
  const db = DynamoDBDocumentClient.from(new DynamoDBClient(httpOptions(target)), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const store = new DynamoDbIncidentStore(db, table, deliveriesTable);
  // Fresh tier topics, each fanned out to one SQS queue as a deployment would to its pager: the
  // stack's own topics carry every queue the tests ever subscribed, and moto delivers to each of
  // them inside the publish call.
  const config = parseConfig({});
  const sns = new SNSClient(httpOptions(target));
  const sqs = new SQSClient(httpOptions(target));
  const topics: Record<string, string> = {};
  const queues: string[] = [];
  for (const tier of config.onCall.tiers) {
    const topicArn = (await sns.send(new CreateTopicCommand({ Name: `bench-${runId}-page-${tier.name}` })))
      .TopicArn!;
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `bench-${runId}-${tier.name}` }));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    await sns.send(
      new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: Attributes!.QueueArn }),
    );
    topics[tier.name] = topicArn;
    queues.push(QueueUrl!);
  }
  const pager = new CountingPager(new SnsPager(sns, topics));
  const deps = {
    store,
    pager,
    now: () => new Date('2026-11-25T10:00:00Z'),
    ...configuredResponse(config),
    links: { baseUrl: 'https://respond.example/', secret: 'bench-secret-0123456789abcdef', ttlHours: 24 },
  };

  const deliveries = Array.from({ length: ALERTS }, (_, i) => ({
    messageId: `${runId}-${i}`,
    message: amMessage(`fp-${String(i % FINGERPRINTS).padStart(3, '0')}`, runId),
  }));
  for (let i = deliveries.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [deliveries[i], deliveries[j]] = [deliveries[j]!, deliveries[i]!];
  }

  console.log(
    `intake of ${ALERTS} alerts over ${FINGERPRINTS} fingerprints, ${CONCURRENCY} concurrent invocations...`,
  );
  const latencies: { opened: number[]; other: number[] } = { opened: [], other: [] };
  let next = 0;
  let failures = 0;
  const errors = new Map<string, number>();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < deliveries.length) {
        const delivery = deliveries[next++]!;
        const t0 = performance.now();
        try {
          const [outcome] = await intakeMessage(deps, delivery);
          (outcome?.outcome === 'opened' ? latencies.opened : latencies.other).push(performance.now() - t0);
        } catch (error) {
          failures += 1;
          const text = error instanceof AggregateError ? String(error.errors[0]) : String(error);
          errors.set(text, (errors.get(text) ?? 0) + 1);
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  // What reached the pager queues: every page once.
  let delivered = 0;
  for (const QueueUrl of queues) {
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    delivered += Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0);
  }
  const open = (await store.openIncidents()).filter((i) => i.alert.name === `Storm-${runId}`);

  const all = [...latencies.opened, ...latencies.other].sort((a, b) => a - b);
  const opened = [...latencies.opened].sort((a, b) => a - b);
  const other = [...latencies.other].sort((a, b) => a - b);
  const intakeP99 = percentile(all, 99);
  return {
    title: `Escalation intake: ${ALERTS} alerts, ${FINGERPRINTS} fingerprints, ${CONCURRENCY} concurrent, moto ${endpoints.aws.endpoint}`,
    rows: [
      {
        name: 'ours (dedup, conditional writes)',
        figures: {
          alerts: ALERTS,
          'alerts/s': ALERTS / seconds,
          'p50 ms': percentile(all, 50),
          'p99 ms': intakeP99,
          'first-page p99 ms': opened.length ? percentile(opened, 99) : 0,
          'repeat p99 ms': other.length ? percentile(other, 99) : 0,
          pages: pager.sent,
          'in queues': delivered,
          incidents: open.length,
          failures,
        },
      },
      { name: 'paging every alert', figures: { alerts: ALERTS, pages: ALERTS } },
      { name: 'target', figures: { 'p99 ms': TARGET_P99_MS, pages: FINGERPRINTS } },
    ],
    ratios: {
      intake_p99_vs_target: intakeP99 / TARGET_P99_MS,
      pages_vs_every_alert: pager.sent / ALERTS,
    },
    extra: {
      intake_p50_ms: percentile(all, 50),
      intake_p99_ms: intakeP99,
      pages_sent: pager.sent,
      pages_delivered_to_queues: delivered,
      distinct_incidents: open.length,
      expected_incidents: FINGERPRINTS,
      throughput_alerts_per_s: ALERTS / seconds,
      failures,
      // Lambda retries a failed delivery (and dead-letters it after that); these are the first tries.
      failure_reasons: Object.fromEntries(errors),
      table,
    },
  };
}
