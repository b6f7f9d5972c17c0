import { GetMetricDataCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { PublishCommand } from '@aws-sdk/client-sns';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { KUBE_SERVICE_NAMES } from '../../stack/kube/cluster.ts';
import { stackStatus, stackUp, WITH_KUBERNETES } from '../../stack/stack.ts';
import { localClients, subscribeQueue } from '../support/aws.ts';
import { eventually } from '../support/eventually.ts';

const endpoints = inject('endpoints');

async function promQuery(
  query: string,
): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const response = await fetch(`${endpoints.prometheus}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await response.json()) as {
    data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
  };
  return body.data.result;
}

async function setFault(fault: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${endpoints.service.control}/fault`, {
    method: 'POST',
    body: JSON.stringify(fault),
  });
  expect(response.status).toBe(200);
}

describe('the local stack', () => {
  afterEach(async () => {
    await fetch(`${endpoints.service.control}/reset`, { method: 'POST' });
  });

  it('starting it again while it runs is harmless', async () => {
    const again = await stackUp(undefined, () => {});
    expect(again.started).toEqual([]);
    const running = Object.entries(stackStatus())
      .filter(([, state]) => state === 'running')
      .map(([name]) => name);
    expect(again.alreadyRunning.sort()).toEqual(running.sort());
    expect(running).toEqual(
      expect.arrayContaining([
        'moto',
        'simulated-service',
        'alertmanager',
        'prometheus',
        ...(WITH_KUBERNETES ? KUBE_SERVICE_NAMES : []),
      ]),
    );
  });

  it('stores an object in S3 on the moto server and lists it back', async () => {
    const { s3 } = localClients();
    const key = `it/${randomUUID()}.json`;
    await s3.send(
      new PutObjectCommand({ Bucket: endpoints.buckets.artifacts, Key: key, Body: '{"ok":true}' }),
    );
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: endpoints.buckets.artifacts, Prefix: 'it/' }),
    );
    expect(listed.Contents?.map((o) => o.Key)).toContain(key);
    expect(listed.Contents?.find((o) => o.Key === key)?.Size).toBe(11);
  });

  it('delivers a message published to an SNS topic to a subscribed SQS queue', async () => {
    const { sns } = localClients();
    const queue = await subscribeQueue(endpoints.topics.reports);
    await sns.send(
      new PublishCommand({ TopicArn: endpoints.topics.reports, Subject: 'hello', Message: 'report body' }),
    );
    const [body] = await queue.receive(1);
    expect(JSON.parse(body!)).toMatchObject({
      Type: 'Notification',
      Subject: 'hello',
      Message: 'report body',
    });
  });

  it('reads back a metric put to CloudWatch', async () => {
    const { cloudwatch } = localClients();
    const namespace = `McpOpsTest/${randomUUID().slice(0, 8)}`;
    const now = new Date();
    await cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: namespace,
        MetricData: [{ MetricName: 'ReportDelivered', Value: 1, Unit: 'Count', Timestamp: now }],
      }),
    );
    const data = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(now.getTime() - 5 * 60_000),
        EndTime: new Date(now.getTime() + 60_000),
        MetricDataQueries: [
          {
            Id: 'delivered',
            MetricStat: {
              Metric: { Namespace: namespace, MetricName: 'ReportDelivered' },
              Period: 60,
              Stat: 'Sum',
            },
          },
        ],
      }),
    );
    expect(data.MetricDataResults?.[0]?.Values).toEqual([1]);
  });

  it('has Prometheus scraping the simulated service and its key metrics', async () => {
    const totals = await eventually(
      async () => {
        const result = await promQuery(
          '{__name__=~"validation_total|promotion_total|artifact_uploads_total"}',
        );
        return result.length === 3 && result.every((r) => Number(r.value[1]) > 0) ? result : undefined;
      },
      15_000,
      'the key metrics in Prometheus',
    );
    expect(totals.map((r) => r.metric.__name__).sort()).toEqual([
      'artifact_uploads_total',
      'promotion_total',
      'validation_total',
    ]);
    const [up] = await promQuery('up{job="mcp-semantic"}');
    expect(up?.value[1]).toBe('1');
  });

  it('turns an injected error-rate fault into a firing alert that reaches Alertmanager and the alerts topic', async () => {
    const alerts = await subscribeQueue(endpoints.topics.alerts);
    await setFault({ errorRate: 0.5 });
    const firing = await eventually(
      async () => {
        const response = await fetch(`${endpoints.prometheus}/api/v1/alerts`);
        const body = (await response.json()) as {
          data: { alerts: Array<{ labels: Record<string, string>; state: string }> };
        };
        return body.data.alerts.find(
          (a) => a.labels.alertname === 'ValidationErrorRateCritical' && a.state === 'firing',
        );
      },
      45_000,
      'ValidationErrorRateCritical to fire in Prometheus',
    );
    expect(firing.labels).toMatchObject({ severity: 'critical', runbook: 'runbook-1-high-error-rate' });

    const received = await eventually(
      async () => {
        const response = await fetch(`${endpoints.alertmanager}/api/v2/alerts?active=true`);
        const body = (await response.json()) as Array<{ labels: Record<string, string> }>;
        return body.find((a) => a.labels.alertname === 'ValidationErrorRateCritical');
      },
      20_000,
      'Alertmanager to hold the alert',
    );
    expect(received.labels.severity).toBe('critical');

    // The fault fires other rules too (request errors, upload failures): each group is its own
    // message, so read until this one has arrived.
    const seen: string[] = [];
    const delivered = await eventually(
      async () => {
        for (const body of await alerts.receive(1, 2_000))
          seen.push((JSON.parse(body) as { Message: string }).Message);
        return seen.find((m) => m.includes('ValidationErrorRate'));
      },
      45_000,
      'the alert to reach the alerts topic',
    );
    expect(delivered).toMatch(/alertname = ValidationErrorRate/);
  });

  it('makes the down alert fire when the service crashes', async () => {
    await setFault({ crash: true });
    const down = await eventually(
      async () => {
        const [up] = await promQuery('up{job="mcp-semantic"}');
        return up?.value[1] === '0' ? up : undefined;
      },
      20_000,
      'the scrape to fail',
    );
    expect(down.metric.instance).toContain('127.0.0.1');
    const fired = await eventually(
      async () => {
        const response = await fetch(`${endpoints.prometheus}/api/v1/alerts`);
        const body = (await response.json()) as {
          data: { alerts: Array<{ labels: Record<string, string>; state: string }> };
        };
        return body.data.alerts.find((a) => a.labels.alertname === 'MCPSemanticDown' && a.state === 'firing');
      },
      20_000,
      'MCPSemanticDown to fire',
    );
    expect(fired.labels).toMatchObject({ severity: 'critical', runbook: 'runbook-3-pod-crash-loop' });
  });
});
