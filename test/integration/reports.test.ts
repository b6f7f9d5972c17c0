import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CoreV1Api, KubeConfig, NetworkingV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { parseConfig } from '../../core/config.ts';
import { KubernetesClient } from '../../core/adapters/kubernetes-client.ts';
import { PrometheusHttp } from '../../core/adapters/prometheus-http.ts';
import { S3ObjectStore } from '../../core/adapters/s3-object-store.ts';
import { awsReportChannels } from '../../functions/checks/adapters/report-channels.ts';
import { runChecksEvent, type ChecksRuntime } from '../../functions/checks/checks-job.ts';
import { worstOf, type Report, type Section } from '../../functions/checks/report-model.ts';
import { eveningReport, morningReport } from '../../functions/checks/checklists.ts';
import { securitySection } from '../../functions/checks/sections/security.ts';
import { writeBackupFixture } from '../../stack/backup-fixture.ts';
import { clusterInScenario } from '../support/cluster.ts';
import { localClients, subscribeQueue } from '../support/aws.ts';
import { localChecksDeps, setServiceFault } from '../support/checks.ts';
import { eventually } from '../support/eventually.ts';

const endpoints = inject('endpoints');
const { s3, sns } = localClients();
const store = new S3ObjectStore(s3);
const NAMESPACE = 'mcp-system';

const deps = localChecksDeps;

const sectionOf = (report: Report, id: string): Section => {
  const found = report.sections.find((s) => s.id === id);
  if (!found) throw new Error(`no section ${id}`);
  return found;
};

const setFault = setServiceFault;

/** A TCP server that accepts connections and never answers: an API server that hangs. */
async function blackHole(): Promise<{ server: Server; port: number; close: () => void }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    server,
    port,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

describe('the morning report against the local stack', () => {
  afterEach(async () => {
    await fetch(`${endpoints.service.control}/reset`, { method: 'POST' });
  });

  it('reports a healthy cluster section by section with the real clients', async () => {
    await clusterInScenario('healthy');
    const report = await morningReport(deps());
    expect(report.sections.map((s) => s.id)).toEqual([
      'pods',
      'errors',
      'metrics',
      'backup-job',
      'resources',
      'alerts',
      'security',
    ]);
    expect(sectionOf(report, 'pods')).toMatchObject({ status: 'OK', summary: '5 of 5 pods healthy' });
    expect(sectionOf(report, 'errors').summary).toMatch(/error line\(s\) in the last hour from 5 of 5 pods/);
    expect(sectionOf(report, 'metrics').data).toMatchObject({ source: 'prometheus' });
    expect(sectionOf(report, 'backup-job')).toMatchObject({ status: 'OK' });
    expect(sectionOf(report, 'backup-job').summary).toMatch(/^mcp-backup-\d{8}: succeeded/);
    // The local image is not in ECR and nothing scanned it: named, never "no security findings".
    const security = sectionOf(report, 'security');
    expect(security).toMatchObject({ status: 'WARNING', summary: '1 finding(s), 0 critical' });
    expect(security.findings.map((f) => f.text)).toEqual([
      expect.stringMatching(
        /^(\S+, )*mcp\/semantic-control-plane:v3\.0\.0(, \S+)* (\(\d+ images\) are|is) not scanned for vulnerabilities: no scanner is configured\. Fix: /,
      ),
    ]);
    const usage = await eventually(
      async () => {
        const section = await morningReport(deps()).then((r) => sectionOf(r, 'resources'));
        return (section.data as { pods: unknown[] }).pods.length === 5 ? section : undefined;
      },
      60_000,
      'metrics.k8s.io to report all five pods',
    );
    expect(usage.lines[0]).toMatch(/POD\s+CPU\s+%REQ\s+%LIM\s+MEMORY/);
  });

  it('calls a crash-looping pod critical and shows its FATAL log line', async () => {
    await clusterInScenario('crash-loop');
    const report = await morningReport(deps());
    const pods = sectionOf(report, 'pods');
    expect(pods.status).toBe('CRITICAL');
    expect(pods.findings[0]!.text).toMatch(/2 pod\(s\) in CrashLoopBackOff/);
    expect(report.status).toBe('CRITICAL');
    expect(sectionOf(report, 'errors').findings.map((f) => f.text)).toContain(
      '2 FATAL line(s) in the last hour',
    );
  });

  it('names an OOMKilled pod with its exit code', async () => {
    await clusterInScenario('oom-killed');
    const pods = sectionOf(await morningReport(deps()), 'pods');
    expect(pods.findings.map((f) => f.text).join('\n')).toMatch(/1 pod\(s\) OOMKilled/);
    expect(pods.lines.join('\n')).toMatch(/OOMKilled \(exit 137\)/);
  });

  it('calls a failed backup Job critical', async () => {
    await clusterInScenario('failed-backup');
    const section = sectionOf(await morningReport(deps()), 'backup-job');
    expect(section.status).toBe('CRITICAL');
    expect(section.summary).toMatch(/failed/);
  });

  it('shows the alert an injected fault makes fire, and the error rate behind it', async () => {
    await clusterInScenario('healthy');
    await setFault({ errorRate: 0.5 });
    const report = await eventually(
      async () => {
        const r = await morningReport(deps());
        const fired = sectionOf(r, 'alerts').findings.some((f) =>
          f.text.startsWith('ValidationErrorRateCritical'),
        );
        const measured = sectionOf(r, 'metrics').findings.some((f) =>
          f.text.startsWith('Validation error rate'),
        );
        return fired && measured ? r : undefined;
      },
      60_000,
      'ValidationErrorRateCritical in the report',
    );
    expect(sectionOf(report, 'alerts').status).toBe('CRITICAL');
    expect(
      sectionOf(report, 'metrics')
        .findings.map((f) => f.text)
        .join('\n'),
    ).toMatch(/Validation error rate \(5m\) \d+\.\d+% \(> 5% warning, > 10% critical\)/);
  });

  it('falls back to the pods’ /metrics through the API server when Prometheus is down, and says so', async () => {
    await clusterInScenario('healthy');
    const down = await blackHole();
    down.close();
    const report = await morningReport(
      deps({ prometheus: new PrometheusHttp(`http://127.0.0.1:${down.port}`) }),
    );
    const metrics = sectionOf(report, 'metrics');
    expect(metrics.data).toMatchObject({ source: 'pod-proxy' });
    expect(metrics.lines[0]).toMatch(
      /unreachable.*Read 5 pod\(s\)' \/metrics through the Kubernetes API server's pod proxy/,
    );
    const values = (metrics.data as { metrics: Record<string, number | null> }).metrics;
    expect(values.validation_total).toBeGreaterThan(0);
    expect(values.request_p95).toBeGreaterThan(0);
    expect(sectionOf(report, 'alerts')).toMatchObject({ status: 'FAILED' });
    expect(sectionOf(report, 'pods').status).toBe('OK');
  });

  it('still sends the report when the Kubernetes API hangs: those sections failed, the rest intact', async () => {
    const hang = await blackHole();
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'hang', server: `https://127.0.0.1:${hang.port}`, skipTLSVerify: true }],
      users: [{ name: 'u', token: 'x' }],
      contexts: [{ name: 'hang', cluster: 'hang', user: 'u' }],
      currentContext: 'hang',
    });
    const queue = await subscribeQueue(endpoints.topics.reports);
    const channels = awsReportChannels({ s3, sns }, endpoints.topics.reports, endpoints.buckets.reports);
    const runtime: ChecksRuntime = {
      config: parseConfig({ buckets: { backup: endpoints.buckets.backup } }),
      kube: async () => new KubernetesClient(kc, 2_000),
      prometheus: new PrometheusHttp(endpoints.prometheus),
      store,
      channels,
      now: () => new Date(),
      logger: { info: () => {}, error: () => {} },
      metric: () => {},
    };
    try {
      const started = Date.now();
      const result = await runChecksEventWithTimeout(runtime, 3_000);
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(result.failedSections).toEqual(
        expect.arrayContaining(['pods', 'errors', 'backup-job', 'resources', 'security']),
      );
      expect(result.failedSections).not.toContain('alerts');
      expect(result.status).not.toBe('OK');
      const [body] = await queue.receive(1, 20_000);
      const message = JSON.parse(body!) as { Subject: string; Message: string };
      expect(message.Subject).toMatch(/^\[(WARNING|CRITICAL)\] MCP Level 3 morning health check/);
      expect(message.Message).toMatch(/== 1\. Pods \[FAILED\] could not be checked: timed out after 3 s/);
      expect(message.Message).toMatch(/== 6\. Firing alerts \[(OK|WARN|CRIT)\]/);
      expect(message.Message).toMatch(/^Full report: http.*\n {2}\(this link works until \d{4}-\d\d-\d\d /m);
      expect(message.Message).toMatch(/^Archived as s3:\/\/\S+\.html \(AWS console: https:/m);
    } finally {
      hang.close();
    }
  });
});

describe('a scheduled report retried by Lambda is sent once', () => {
  function runtimeWith(store: S3ObjectStore, channels: ChecksRuntime['channels']): ChecksRuntime {
    const d = localChecksDeps();
    return {
      invocationId: `it-${randomUUID()}`,
      config: d.config,
      kube: async () => d.kube,
      prometheus: d.prometheus,
      store,
      channels,
      now: () => new Date(),
      logger: { info: () => {}, error: () => {} },
      metric: () => {},
    };
  }

  it('when the first try dies right after sending: the retry sends nothing; when the send was refused: the retry sends it', async () => {
    await clusterInScenario('healthy');
    const queue = await subscribeQueue(endpoints.topics.reports);
    const channels = awsReportChannels({ s3, sns }, endpoints.topics.reports, endpoints.buckets.reports);
    // The process dies after the e-mail went out, before its claim says so.
    const dying = new S3ObjectStore(s3);
    const putText = dying.putText.bind(dying);
    let died = false;
    dying.putText = async (bucket, key, body, type) => {
      if (!died && key.includes('/invocations/') && body.includes('"sent"')) {
        died = true;
        throw new Error('the process died');
      }
      return putText(bucket, key, body, type);
    };
    const runtime = runtimeWith(dying, { ...channels, store: dying });
    await expect(runChecksEvent({ report: 'morning' }, runtime)).rejects.toThrow(/the process died/);
    const retried = await runChecksEvent({ report: 'morning' }, runtime);
    expect(retried).toMatchObject({ report: 'morning', repeated: expect.stringContaining('"sending"') });
    expect(await queue.receive(2, 8_000)).toHaveLength(1);

    // SNS refuses the first try: nothing went out, so the retry sends it, once.
    let refused = false;
    const refusing = {
      ...channels,
      publish: async (subject: string, message: string) => {
        if (!refused) {
          refused = true;
          throw new Error('SNS refused (injected)');
        }
        return channels.publish(subject, message);
      },
    };
    const second = runtimeWith(store, refusing);
    await expect(runChecksEvent({ report: 'morning' }, second)).rejects.toThrow(/SNS refused/);
    expect(await runChecksEvent({ report: 'morning' }, second)).toMatchObject({ report: 'morning' });
    expect(await queue.receive(2, 8_000)).toHaveLength(1);
  });
});

/** runChecksEvent with a short section timeout, as the handler runs it but quicker. */
async function runChecksEventWithTimeout(runtime: ChecksRuntime, sectionTimeoutMs: number) {
  const { deliverReport } = await import('../../functions/checks/deliver.ts');
  const report = await morningReport(
    {
      config: runtime.config,
      kube: await runtime.kube(),
      prometheus: runtime.prometheus,
      store: runtime.store,
      now: runtime.now,
    },
    { sectionTimeoutMs },
  );
  const delivery = await deliverReport(report, runtime.channels, runtime.config.schedules.timeZone);
  return {
    status: report.status,
    delivery,
    failedSections: report.sections.filter((s) => s.status === 'FAILED').map((s) => s.id),
  };
}

describe('the evening report against the local stack', () => {
  it('verifies the backup, reads the day’s totals, capacity, images and SLOs', async () => {
    await clusterInScenario('node-pressure');
    const report = await eveningReport(deps());
    expect(sectionOf(report, 'backup')).toMatchObject({ status: 'OK' });
    expect(sectionOf(report, 'backup').summary).toMatch(
      /verified, \d+\.\d h old, 200 objects, 20 checksums match/,
    );
    expect(sectionOf(report, 'daily-metrics').summary).toMatch(
      /validations, .* promotions, .* uploads today \(source: prometheus\)/,
    );
    const capacity = sectionOf(report, 'capacity');
    expect(capacity.findings.map((f) => f.text)).toContain('node mcp-node-2 has MemoryPressure');
    const events = sectionOf(report, 'events');
    expect(events.findings[0]!.text).toMatch(
      /serious warning\(s\) today, newest EvictionThresholdMet on Node\/mcp-node-2/,
    );
    expect(sectionOf(report, 'images').status).toBe('OK');
    expect(sectionOf(report, 'slos').lines.join('\n')).toMatch(/Availability\s+99\.9%/);
  });

  it('calls a broken backup critical, naming what failed', async () => {
    const bucket = `it-evening-${randomUUID().slice(0, 8)}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await writeBackupFixture(s3, {
      bucket,
      folder: 'old',
      objects: 5,
      completedAt: new Date(Date.now() - 40 * 3_600_000),
    });
    const report = await eveningReport(deps({ config: parseConfig({ buckets: { backup: bucket } }) }));
    const backup = sectionOf(report, 'backup');
    expect(backup.status).toBe('CRITICAL');
    expect(backup.summary).toBe('backup FAILED verification: stale');
    expect(report.status).toBe('CRITICAL');
  });

  it('the watchdog says whether today’s report went out', async () => {
    const bucket = `it-watchdog-${randomUUID().slice(0, 8)}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const channels = awsReportChannels({ s3, sns }, endpoints.topics.reports, bucket);
    const metrics: Array<[string, number, string]> = [];
    const runtime: ChecksRuntime = {
      config: parseConfig({ buckets: { backup: endpoints.buckets.backup } }),
      kube: async () => deps().kube,
      prometheus: new PrometheusHttp(endpoints.prometheus),
      store,
      channels,
      now: () => new Date(),
      logger: { info: () => {}, error: () => {} },
      metric: (name, value, _unit, report) => metrics.push([name, value, report]),
    };
    expect(await runChecksEvent({ watchdog: 'evening' }, runtime)).toEqual({
      watchdog: 'evening',
      delivered: false,
    });
    const sent = await runChecksEvent({ report: 'evening' }, runtime);
    expect(sent).toMatchObject({ report: 'evening' });
    expect(await runChecksEvent({ watchdog: 'evening' }, runtime)).toEqual({
      watchdog: 'evening',
      delivered: true,
    });
    expect(metrics.filter(([name]) => name === 'ReportOnTime')).toEqual([
      ['ReportOnTime', 0, 'evening'],
      ['ReportOnTime', 1, 'evening'],
    ]);
    expect(metrics.map(([name]) => name)).toEqual(
      expect.arrayContaining(['ReportDelivered', 'ReportStatus', 'ReportDuration', 'SectionsFailed']),
    );
    await expect(runChecksEvent({ report: 'noon' }, runtime)).rejects.toThrow(/expected \{"report"/);
  });
});

describe('the security check against the local cluster', () => {
  const admin = () => {
    const kc = new KubeConfig();
    kc.loadFromFile(endpoints.kubernetes!.kubeconfig);
    return kc;
  };
  const cleanups: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const undo of cleanups.reverse()) await undo().catch(() => undefined);
  });

  it('finds purpose-made bad pods, policies and bindings, and nothing on the good ones', async () => {
    await clusterInScenario('healthy');
    const before = await securitySection(deps());
    // Nothing but the images no scanner looked at (none is configured here).
    expect(before.findings.map((f) => f.text)).toEqual([
      expect.stringMatching(/not scanned for vulnerabilities/),
    ]);

    const kc = admin();
    const core = kc.makeApiClient(CoreV1Api);
    const networking = kc.makeApiClient(NetworkingV1Api);
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    const tag = randomUUID().slice(0, 6);
    await core.createNamespacedPod({
      namespace: NAMESPACE,
      body: {
        metadata: { name: `bad-actor-${tag}`, labels: { app: 'bad-actor' } },
        spec: {
          nodeName: 'mcp-node-1',
          hostNetwork: true,
          volumes: [{ name: 'host', hostPath: { path: '/var/run' } }],
          containers: [{ name: 'shell', image: 'busybox:1.36', securityContext: { privileged: true } }],
        },
      },
    });
    cleanups.push(() =>
      core.deleteNamespacedPod({ namespace: NAMESPACE, name: `bad-actor-${tag}`, gracePeriodSeconds: 0 }),
    );
    const deny = await networking.readNamespacedNetworkPolicy({
      namespace: NAMESPACE,
      name: 'default-deny-all',
    });
    await networking.deleteNamespacedNetworkPolicy({ namespace: NAMESPACE, name: 'default-deny-all' });
    cleanups.push(() =>
      networking.createNamespacedNetworkPolicy({
        namespace: NAMESPACE,
        body: { metadata: { name: 'default-deny-all' }, spec: deny.spec! },
      }),
    );
    await rbac.createNamespacedRoleBinding({
      namespace: NAMESPACE,
      body: {
        metadata: { name: `too-much-${tag}` },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ kind: 'ServiceAccount', name: 'mcp-semantic', namespace: NAMESPACE }],
      },
    });
    cleanups.push(() => rbac.deleteNamespacedRoleBinding({ namespace: NAMESPACE, name: `too-much-${tag}` }));
    await rbac.createClusterRole({
      body: {
        metadata: { name: `everything-${tag}` },
        rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
      },
    });
    cleanups.push(() => rbac.deleteClusterRole({ name: `everything-${tag}` }));
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name: `everything-${tag}` },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `everything-${tag}` },
        subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: NAMESPACE }],
      },
    });
    cleanups.push(() => rbac.deleteClusterRoleBinding({ name: `everything-${tag}` }));

    const after = await securitySection(deps());
    const texts = after.findings.map((f) => `${f.status} ${f.text}`).join('\n');
    expect(texts).toMatch(
      new RegExp(`CRITICAL pod/bad-actor-${tag} uses the host network\\. Fix: remove hostNetwork`),
    );
    expect(texts).toMatch(new RegExp(`CRITICAL pod/bad-actor-${tag} mounts hostPath /var/run`));
    expect(texts).toMatch(/CRITICAL pod\/bad-actor-\w+ container shell runs privileged/);
    expect(texts).toMatch(/WARNING namespace\/mcp-system has no default-deny NetworkPolicy/);
    expect(texts).toMatch(new RegExp(`selected by no NetworkPolicy: bad-actor-${tag}`));
    expect(texts).toMatch(
      new RegExp(
        `CRITICAL rolebinding/too-much-${tag} gives ServiceAccount mcp-system/mcp-semantic cluster-admin in mcp-system`,
      ),
    );
    expect(texts).toMatch(
      new RegExp(
        `CRITICAL clusterrolebinding/everything-${tag} gives ServiceAccount mcp-system/default ClusterRole everything-${tag} with wildcard rules`,
      ),
    );
    expect(worstOf(after.findings)).toBe('CRITICAL');
    const facts = (after.data as { facts: { secrets: { count: number } } }).facts;
    expect(facts.secrets.count).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(after.data)).not.toContain('local-stack-not-a-real-token');
  });
});
