// `mcp-ops doctor` on the local stack, as shipped (the built CLI on plain node): with everything in
// place it exits 0; each prerequisite removed in turn, it names that one, with its fix, and exit 1.
import { PutMetricAlarmCommand, DeleteAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CreateEmailIdentityCommand, DeleteEmailIdentityCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { ListSubscriptionsByTopicCommand, SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import { CoreV1Api, RbacAuthorizationV1Api, type KubernetesObject } from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { buildCli } from '../../tools/build-cli.ts';
import type { DoctorCheck } from '../../bin/doctor-checks.ts';
import { awsClientConfig } from '../../core/aws.ts';
import { CHECKS_ROLE_NAME } from '../../core/cluster-access.ts';
import { DASHBOARDS_CONFIGMAP } from '../../lib/dashboards.ts';
import { apply, readonlyRbac } from '../../stack/kube/cluster.ts';
import { localClients, localTarget } from '../support/aws.ts';
import { clusterInScenario, type LocalCluster } from '../support/cluster.ts';
import { httpReceiver } from '../support/http-receiver.ts';

const endpoints = inject('endpoints');
let bundle: string;
let cluster: LocalCluster;
let grafana: Awaited<ReturnType<typeof httpReceiver>>;
let configFile: string;
let dir: string;

interface Report {
  problems: number;
  checks: DoctorCheck[];
}

async function doctor(...args: string[]): Promise<{ code: number; report: Report }> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [
      bundle,
      'doctor',
      '--local',
      '--config',
      configFile,
      '-o',
      'json',
      ...args,
    ]);
    return { code: 0, report: JSON.parse(stdout) as Report };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    if (!failed.stdout) throw new Error(`doctor could not run (${failed.code}): ${failed.stderr}`);
    return { code: failed.code, report: JSON.parse(failed.stdout) as Report };
  }
}

/** The checks that found a problem, by name. */
const problems = (report: Report) => report.checks.filter((c) => c.status === 'problem');

async function expectOnly(name: string, detail: RegExp, args: string[] = []): Promise<void> {
  const { code, report } = await doctor(...args);
  expect(code).toBe(1);
  expect(problems(report).map((c) => c.name)).toEqual([name]);
  const found = problems(report)[0]!;
  expect(found.detail).toMatch(detail);
  expect(found.fix?.length).toBeGreaterThan(10);
}

function writeConfig(extra: Record<string, unknown> = {}): void {
  writeFileSync(configFile, JSON.stringify({ grafana: { baseUrl: grafana.url }, ...extra }));
}

const dashboards = () => parseYaml(readFileSync(DASHBOARDS_CONFIGMAP, 'utf8')) as KubernetesObject;

async function deleteDashboards(): Promise<void> {
  const map = dashboards();
  await cluster
    .client('admin')
    .makeApiClient(CoreV1Api)
    .deleteNamespacedConfigMap({
      name: map.metadata!.name!,
      namespace: map.metadata!.namespace ?? 'mcp-system',
    });
}

describe('mcp-ops doctor on the local stack', () => {
  beforeAll(async () => {
    bundle = await buildCli(join(process.cwd(), 'out', 'cli-doctor'));
    cluster = await clusterInScenario('healthy');
    // Grafana is not packaged for Debian: a stand-in answers its health endpoint, as Grafana does.
    grafana = await httpReceiver((request) =>
      request.path === '/api/health' ? { body: { database: 'ok' } } : { status: 404 },
    );
    dir = mkdtempSync(join(tmpdir(), 'mcp-ops-doctor-'));
    configFile = join(dir, 'mcp-ops.config.json');
    writeConfig();
    await apply(cluster.client('admin'), dashboards());
  });

  afterAll(async () => {
    await grafana.close();
    // The cluster as it was: the dashboards ConfigMap is the operator's to apply (dashboards.test.ts).
    await deleteDashboards().catch(() => undefined);
  });

  it('exits 0 when everything is in place, and says what it skipped', async () => {
    const { code, report } = await doctor();
    expect(problems(report)).toEqual([]);
    expect(code).toBe(0);
    const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]));
    expect(byName['Kubernetes RBAC']!.status).toBe('ok');
    expect(byName['Prometheus and its rules']!.detail).toMatch(
      /service proxy \(mcp-system\/prometheus-mcp:9090\): all \d+ alert rules loaded/,
    );
    expect(byName['Alertmanager route to the alerts topic']!.status).toBe('ok');
    expect(byName['SES sender']!.detail).toMatch(/verified, out of the sandbox/);
    expect(byName['SNS subscriptions']!.status).toBe('ok');
    expect(byName['Grafana and the dashboards']!.status).toBe('ok');
    expect(byName['EKS access entries']!.status).toBe('skipped');
  });

  it('names the RBAC binding removed', async () => {
    const admin = cluster.client('admin');
    await admin.makeApiClient(RbacAuthorizationV1Api).deleteClusterRoleBinding({ name: CHECKS_ROLE_NAME });
    try {
      await expectOnly('Kubernetes RBAC', /reads refused: mcp-ops:readonly cannot list pods/);
    } finally {
      for (const object of readonlyRbac()) await apply(admin, object);
    }
  });

  it('names Prometheus unreachable by its configured access path', async () => {
    writeConfig({ prometheus: { service: { name: 'prometheus-elsewhere' } } });
    try {
      // The proxy to another Service is refused by RBAC too: both say what is wrong.
      const { code, report } = await doctor();
      expect(code).toBe(1);
      const prometheus = report.checks.find((c) => c.name === 'Prometheus and its rules')!;
      expect(prometheus.status).toBe('problem');
      expect(prometheus.detail).toMatch(/prometheus-elsewhere:9090\) unreachable/);
    } finally {
      writeConfig();
    }
  });

  it('names an Alertmanager that does not route to the alerts topic', async () => {
    const other = await httpReceiver(() => ({
      body: { config: { original: 'route:\n  receiver: nowhere\nreceivers:\n  - name: nowhere\n' } },
    }));
    try {
      await expectOnly(
        'Alertmanager route to the alerts topic',
        /has no sns_configs receiver for arn:aws:sns:/,
        ['--alertmanager-url', other.url],
      );
    } finally {
      await other.close();
    }
  });

  it('names the SES identity deleted, and the account in the sandbox', async () => {
    const ses = new SESv2Client(awsClientConfig(localTarget()));
    const identity = endpoints.mail.from;
    await ses.send(new DeleteEmailIdentityCommand({ EmailIdentity: identity }));
    try {
      await expectOnly('SES sender', /identity .* is not verified for sending/);
    } finally {
      await ses.send(new CreateEmailIdentityCommand({ EmailIdentity: identity }));
    }
    const sandbox = (on: boolean) =>
      fetch(`${endpoints.aws.endpoint}/moto-api/mcp-ops/ses-account`, {
        method: 'PUT',
        body: JSON.stringify({ productionAccessEnabled: !on }),
      });
    await sandbox(true);
    try {
      await expectOnly('SES sender', /in the SES sandbox/);
    } finally {
      await sandbox(false);
    }
  });

  it('names the page topic left without a subscription', async () => {
    const { sns } = localClients();
    const topic = endpoints.topics.tiers.secondary!;
    const subscriptions =
      (await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topic }))).Subscriptions ?? [];
    // Every subscription goes (the stack's e-mail one, and any queue another suite subscribed),
    // and comes back after.
    const removed = subscriptions.filter((s) => s.Protocol === 'email' || s.Protocol === 'sqs');
    for (const s of removed) await sns.send(new UnsubscribeCommand({ SubscriptionArn: s.SubscriptionArn! }));
    try {
      await expectOnly('SNS subscriptions', /no confirmed subscription on page-secondary$/);
    } finally {
      for (const s of removed)
        await sns.send(
          new SubscribeCommand({ TopicArn: topic, Protocol: s.Protocol!, Endpoint: s.Endpoint! }),
        );
    }
  });

  it('names Grafana not answering, and the dashboards ConfigMap missing', async () => {
    writeConfig({ grafana: { baseUrl: 'http://127.0.0.1:9' } });
    try {
      await expectOnly('Grafana and the dashboards', /http:\/\/127\.0\.0\.1:9 does not answer/);
    } finally {
      writeConfig();
    }
    await deleteDashboards();
    try {
      await expectOnly('Grafana and the dashboards', /ConfigMap mcp-ops-dashboards is not in the cluster/);
    } finally {
      await apply(cluster.client('admin'), dashboards());
    }
  });

  it('names an alarm whose action reaches no topic', async () => {
    const { cloudwatch } = localClients();
    const name = `mcp-ops-doctor-test-${Date.now()}`;
    await cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: name,
        Namespace: 'McpOps/Test',
        MetricName: 'Nothing',
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: [`arn:aws:sns:${endpoints.region}:${endpoints.aws.accountId}:mcp-ops-deleted-topic`],
      }),
    );
    try {
      await expectOnly(
        'CloudWatch alarms',
        new RegExp(`${name} → .*mcp-ops-deleted-topic \\(no such topic\\)`),
      );
    } finally {
      await cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: [name] }));
    }
  });
});
