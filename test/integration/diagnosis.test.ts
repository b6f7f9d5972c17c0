// The diagnosis against the local stack: the real API server (kwok pods with their states, logs
// and events), metrics-server, Prometheus over the simulated service with faults.
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { KubernetesClient } from '../../core/adapters/kubernetes-client.ts';
import { PrometheusHttp } from '../../core/adapters/prometheus-http.ts';
import { parseConfig } from '../../core/config.ts';
import { diagnose } from '../../functions/diagnosis/diagnose.ts';
import { diagnosisSummary } from '../../functions/diagnosis/summary.ts';
import { type Diagnosis } from '../../functions/diagnosis/model.ts';
import type { DiagnosisDeps } from '../../functions/diagnosis/diagnosis-deps.ts';
import { STACK_DIR } from '../../stack/endpoints.ts';
import { rollOut } from '../../stack/kube/scenarios.ts';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../../core/adapters/s3-object-store.ts';
import { cleanupJob } from '../../functions/cleanup/cleanup-job.ts';
import { followUpIncident } from '../../functions/diagnosis/follow-up.ts';
import { writeReview } from '../../functions/diagnosis/review.ts';
import { parseExposition } from '../../core/prometheus.ts';
import { acknowledgeIncident, resolveIncident } from '../../functions/escalation/actions.ts';
import { intakeMessage } from '../../functions/escalation/intake.ts';
import { escalationPorts, settingsFromEnv } from '../../core/incidents/wiring.ts';
import { localClients, localTarget, subscribeQueue } from '../support/aws.ts';
import { setServiceFault } from '../support/checks.ts';
import { amMessage, localEscalationEnv } from '../support/escalation-harness.ts';
import { clusterInScenario } from '../support/cluster.ts';
import { eventually } from '../support/eventually.ts';

const endpoints = inject('endpoints');

async function depsFor(scenario: Parameters<typeof clusterInScenario>[0]): Promise<DiagnosisDeps> {
  const cluster = await clusterInScenario(scenario);
  return {
    config: parseConfig({}),
    kube: new KubernetesClient(cluster.client('readonly')),
    prometheus: new PrometheusHttp(endpoints.prometheus),
    now: () => new Date(),
  };
}

const partOf = (d: Diagnosis, id: string) => d.parts.find((p) => p.id === id)!;

/** The repository's crash-loop rule (rules/mcp-semantic.rules.yml), on kube-state-metrics' pod states. */
const CRASH_LOOP_RULE = 'MCPSemanticCrashLooping';

describe('diagnosis on the local stack', () => {
  const servers: Server[] = [];
  afterEach(async () => setServiceFault('reset'));
  afterAll(() => {
    for (const s of servers) s.close();
  });

  it('Runbook 3 on an OOM-killed pod names the exit code, OOMKilled, the pod’s events and its node', async () => {
    const deps = await depsFor('oom-killed');
    const d = await diagnose(deps, { runbook: 3, incidentId: 'INC-20261128-001' });
    expect(d.failedParts).toEqual([]);
    const crashes = partOf(d, 'crashes');
    expect(crashes.lines.join('\n')).toMatch(/exit code 137 \(OOMKilled\)/);
    expect(crashes.lines.join('\n')).toMatch(/event BackOff .*Back-off restarting failed container/);
    expect(crashes.lines.join('\n')).toMatch(/node mcp-node-\d: Ready/);
    // The previous container's log: its last error line, or why it could not be read.
    expect(d.findings).toContainEqual(
      expect.stringMatching(
        /previous log's last error: \S+ ERROR cannot allocate 512Mi for validation cache segment: out of memory$/,
      ),
    );
    expect(d.headline).toMatch(/exit code 137 \(OOMKilled\)/);
    const summary = diagnosisSummary(d, 's3://reports/diagnosis/INC-20261128-001.txt');
    console.log(summary);
    expect(summary.split('\n')[0]).toMatch(/^Diagnosis for INC-20261128-001 \(Runbook 3: Pod Crash Loop\): /);
  }, 120_000);

  it('a crash loop fires its rule (kube-state-metrics → Prometheus → Alertmanager): the page first, then the diagnosis on the same incident', async () => {
    const ports = escalationPorts(
      localTarget(),
      settingsFromEnv(localEscalationEnv(endpoints, 'https://respond.example/')),
    );
    const escalation = await ports.deps(() => new Date());
    // An incident of the service left open elsewhere would take this alert in as a related one.
    for (const open of await ports.store.openIncidents())
      if (open.service === 'mcp-semantic') await resolveIncident(escalation, open.id, 'test set-up');
    // A healthy cluster first, until Alertmanager holds no crash loop: the next one is a new notice.
    await clusterInScenario('healthy');
    await eventually(
      async () => {
        const active = (await (
          await fetch(`${endpoints.alertmanager}/api/v2/alerts?active=true`)
        ).json()) as Array<{ labels: Record<string, string> }>;
        return active.some((a) => a.labels.alertname === CRASH_LOOP_RULE) ? undefined : true;
      },
      60_000,
      `${CRASH_LOOP_RULE} to resolve`,
    );
    const alerts = await subscribeQueue(endpoints.topics.alerts);
    const primary = await subscribeQueue(endpoints.topics.tiers.primary!);
    const deps = await depsFor('oom-killed');
    const started = Date.now();
    let id: string | undefined;
    while (!id) {
      if (Date.now() - started > 120_000)
        throw new Error(`no incident opened by ${CRASH_LOOP_RULE} within 2 minutes`);
      for (const body of await alerts.receive(1, 2_000)) {
        const sns = JSON.parse(body) as { MessageId: string; Message: string };
        for (const outcome of await intakeMessage(escalation, {
          messageId: sns.MessageId,
          message: sns.Message,
        }))
          if (outcome.outcome === 'opened' && outcome.alert === CRASH_LOOP_RULE) id = outcome.incidentId;
      }
    }
    const pagedAfter = (Date.now() - started) / 1000;
    const incident = (await ports.store.get(id))!;
    expect(incident).toMatchObject({
      severity: 'P1',
      alert: { name: CRASH_LOOP_RULE, runbook: 'runbook-3-pod-crash-loop' },
    });
    const { s3 } = localClients();
    const outcome = await followUpIncident(
      {
        diagnosis: deps,
        store: ports.store,
        pager: escalation.pager,
        tiers: escalation.tiers,
        policy: escalation.policy,
        async archive(incidentId, text) {
          const key = `reports/diagnosis/${incidentId}.txt`;
          await s3.send(new PutObjectCommand({ Bucket: endpoints.buckets.reports, Key: key, Body: text }));
          return `s3://${endpoints.buckets.reports}/${key}`;
        },
      },
      id,
    );
    expect(outcome).toMatchObject({ sent: true, to: ['primary'] });
    const received = (await primary.receive(2, 10_000)).map(
      (b) => JSON.parse(b) as { Subject: string; Message: string },
    );
    const mine = received.filter((m) => m.Subject.includes(id!));
    // The page, then its follow-up: Runbook 3 read for it.
    expect(mine.map((m) => m.Subject.includes('diagnosis'))).toEqual([false, true]);
    const followUp = mine[1]!.Message;
    expect(followUp).toMatch(/exit code 137 \(OOMKilled\)/);
    expect(followUp).toMatch(
      /previous log's last error: \S+ ERROR cannot allocate 512Mi for validation cache segment: out of memory/,
    );
    expect(followUp).toContain(
      `Full diagnosis: s3://${endpoints.buckets.reports}/reports/diagnosis/${id}.txt`,
    );
    console.log(
      `${incident.alert.name} (${incident.severity}, ${incident.alert.runbook}) paged ${pagedAfter.toFixed(1)} s after the cluster crash-looped:\n${followUp}`,
    );
    expect((await ports.store.get(id))!.timeline.at(-1)).toMatchObject({ event: 'diagnosed' });
    await resolveIncident(escalation, id, 'integration test');
    await clusterInScenario('healthy');
  }, 240_000);

  it('resolving an incident drafts its review: the timeline as recorded, the requests that failed over exactly its window', async () => {
    await clusterInScenario('healthy');
    const ports = escalationPorts(
      localTarget(),
      settingsFromEnv(localEscalationEnv(endpoints, 'https://respond.example/')),
    );
    const escalation = await ports.deps(() => new Date());
    /** What the service itself counted: its 5xx answers, from its own /metrics. */
    const failedSoFar = async () => {
      const scrape = parseExposition(await (await fetch(endpoints.service.metrics)).text());
      return (scrape.get('http_requests_total') ?? [])
        .filter((s) => /^5/.test(s.labels.status_code ?? ''))
        .reduce((a, s) => a + s.value, 0);
    };
    await setServiceFault('reset');
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const startsAt = new Date();
    const before = await failedSoFar();
    const name = `ReviewWindow${Date.now()}`;
    const [opened] = await intakeMessage(escalation, {
      messageId: `m-${name}`,
      message: amMessage(name, {
        severity: 'critical',
        runbook: 'runbook-1-high-error-rate',
        summary: 'error rate fault (test)',
        startsAt,
      }),
    });
    const id = opened!.incidentId!;
    await setServiceFault({ errorRate: 0.5 });
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    await setServiceFault('reset');
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await acknowledgeIncident(escalation, id, 'tester');
    await resolveIncident(escalation, id, 'tester', 'fault cleared');
    const after = await failedSoFar();
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // Prometheus scrapes past the end
    const { s3 } = localClients();
    const review = await writeReview(
      {
        store: ports.store,
        prometheus: new PrometheusHttp(endpoints.prometheus),
        pager: escalation.pager,
        tiers: escalation.tiers,
        now: () => new Date(),
        async archive(incidentId, markdown) {
          const key = `reports/reviews/${incidentId}.md`;
          await s3.send(
            new PutObjectCommand({ Bucket: endpoints.buckets.reports, Key: key, Body: markdown }),
          );
          return `s3://${endpoints.buckets.reports}/${key}`;
        },
      },
      id,
    );
    if (!review.written) throw new Error(review.reason);
    const incident = (await ports.store.get(id))!;
    const resolvedAt = incident.timeline.find((e) => e.event === 'resolved')!.at;
    expect(review.impact.window).toEqual({
      start: startsAt.toISOString(),
      end: resolvedAt,
      seconds: Math.round((new Date(resolvedAt).getTime() - startsAt.getTime()) / 1000),
    });
    const counted = after - before;
    console.log(
      `requests failed: review ${review.impact.requestsFailed}, the service's own counters ${counted}`,
    );
    expect(counted).toBeGreaterThan(10);
    // The window's ends fall in quiet seconds (no fault): Prometheus' samples there are the counters.
    expect(Math.abs((review.impact.requestsFailed as number) - counted)).toBeLessThanOrEqual(2);
    expect(review.markdown).toContain(`- Requests failed: ${review.impact.requestsFailed} (HTTP 5xx`);
    const acknowledgedAt = incident.timeline.find((e) => e.event === 'acknowledged')!.at;
    expect(review.markdown).toContain(
      `- ${acknowledgedAt.slice(0, 10)} ${acknowledgedAt.slice(11, 16)} UTC - Investigation started`,
    );
    expect(incident.review).toBe(review.ref);
  }, 120_000);

  it('Runbook 3 on a crash loop names the crash and the last error of the log', async () => {
    const d = await diagnose(await depsFor('crash-loop'), { runbook: 3 });
    expect(partOf(d, 'pods').findings).toEqual(['2 of 5 pods not ready']);
    expect(partOf(d, 'crashes').findings.join('\n')).toMatch(
      /CrashLoopBackOff, 1[45] restarts, last exit code 1 \(Error\)/,
    );
    expect(partOf(d, 'errors').lines.join('\n')).toMatch(
      /FATAL cannot load config: key validation\.cache\.size/,
    );
    expect(partOf(d, 'crashes').lines.join('\n')).toMatch(
      /previous log's last error: \S+ FATAL cannot load config: key validation\.cache\.size: invalid value "fifty thousand"/,
    );
  }, 120_000);

  it('Runbook 1 names the error types and the rollout that preceded the alert', async () => {
    const cluster = await clusterInScenario('healthy');
    await rollOut(cluster.client('admin'), {
      version: 'v3.1.0',
      ready: 5,
      errorsInLogs: 2,
      logDir: join(STACK_DIR, 'kube', 'logs'),
    });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await setServiceFault({ errorRate: 0.3 });
    const alertAt = new Date(Date.now() + 12 * 60_000); // the alert fired 12 minutes after the rollout
    const deps: DiagnosisDeps = {
      config: parseConfig({}),
      kube: new KubernetesClient(cluster.client('readonly')),
      prometheus: new PrometheusHttp(endpoints.prometheus),
      now: () => new Date(),
    };
    const d = await diagnose(deps, { runbook: 1, alertAt });
    expect(d.failedParts).toEqual([]);
    expect(d.changes[0]).toMatch(
      /^revision 2 \(mcp\/semantic-control-plane:v3\.1\.0\) deployed 1[12] min before the alert; previous: revision 1 \(mcp\/semantic-control-plane:v3\.0\.0\): kubectl rollout undo deployment\/mcp-semantic-control-plane -n mcp-system --to-revision=1$/,
    );
    const types = partOf(d, 'error-types');
    expect(types.lines.join('\n')).toMatch(/validation failed for artifact/);
    expect(types.lines.join('\n')).toMatch(
      /dependency errors:\n\s+\d+\s+ERROR promotion failed: timeout after <n>ms contacting registry/,
    );
    expect(d.findings.slice(0, 3).join('\n')).toMatch(/deployed 1[12] min before the alert/);
  }, 120_000);

  it('Runbook 4 shows the storage report of the cleanup job’s newest finished run, read from the reports bucket', async () => {
    const deps = await depsFor('healthy');
    const { s3 } = localClients();
    const store = new S3ObjectStore(s3);
    const bucket = endpoints.buckets.artifacts;
    const prefix = `it-diagnose-${Date.now()}/`;
    await store.putText(bucket, `${prefix}cache/a.bin`, 'x'.repeat(3000));
    await store.putText(bucket, `${prefix}models/big.bin`, 'y'.repeat(9000));
    // Its own state bucket: other suites run the cleanup on clocks set in the future.
    const stateBucket = `it-diagnose-state-${Date.now()}`;
    await s3.send(new CreateBucketCommand({ Bucket: stateBucket }));
    // A real run of the cleanup job (nothing is old enough to delete: it finishes and keeps its summary).
    const run = await cleanupJob(
      { bucket, prefix, retentionDays: 90, dryRun: false },
      {
        config: deps.config,
        store,
        now: () => new Date(),
        stateBucket,
        configMapRetentionDays: async () => undefined,
      },
    );
    expect(run.status).toBe('completed');
    const d = await diagnose({ ...deps, cleanupRuns: { store, bucket: stateBucket } }, { runbook: 4 });
    const storage = partOf(d, 'storage');
    expect(storage.status).toBe('ok');
    expect(storage.lines).toContain(
      `last cleanup run ${run.runId} (applied, 0 min ago): 2 objects, 11.7 KiB in s3://${bucket}/${prefix}; retention 90 days freed 0 B`,
    );
    expect(storage.lines).toContain(
      `     8.8 KiB  ${prefix}models/big.bin  (${new Date().toISOString().slice(0, 10)})`,
    );
    expect(storage.lines).toContain('artifact.retention.days: 90 (ConfigMap mcp-semantic-config)');
  }, 120_000);

  it('Runbook 2 names the cache hit rate against the ConfigMap’s cache size, and the slowest endpoints', async () => {
    const deps = await depsFor('healthy');
    await setServiceFault({ cacheHitRate: 0.35, latencyMs: 400 });
    const d = await eventually(
      async () => {
        const found = await diagnose(deps, { runbook: 2 });
        expect(partOf(found, 'cache').findings).toEqual([
          'cache hit rate 35% (below 70%) with validation.cache.size=10000: consider raising the cache size',
        ]);
        expect(partOf(found, 'endpoints').findings.join()).toMatch(
          /slowest endpoint \/v1\/\S+: p95 \d{3,} ms/,
        );
        // metrics-server has the pods' usage a little after a scenario switch.
        expect(partOf(found, 'resources').lines.join('\n')).toMatch(
          /CPU 0\.\d+ of 4 \(\d+%\), memory \d+Mi of 8Gi/,
        );
        return found;
      },
      60_000,
      'the cache and latency faults in the diagnosis',
    );
    expect(d.failedParts).toEqual([]);
  }, 120_000);

  it('with Prometheus down and a hanging API server, says which parts could not be read, in time', async () => {
    const hanging = createServer((socket) => {
      socket.on('error', () => undefined); // accepts and never answers
    });
    servers.push(hanging);
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const port = (hanging.address() as { port: number }).port;
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'hang', server: `https://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'u', token: 'x' }],
      contexts: [{ name: 'c', cluster: 'hang', user: 'u' }],
      currentContext: 'c',
    });
    const started = Date.now();
    const d = await diagnose(
      {
        config: parseConfig({}),
        kube: new KubernetesClient(kc, 60_000),
        prometheus: new PrometheusHttp('http://127.0.0.1:9', 2_000),
        now: () => new Date(),
        partTimeoutMs: 3_000,
      },
      { runbook: 3 },
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(d.failedParts.map((p) => p.split(':')[0])).toEqual([
      'Pod status',
      'Recent errors (last 50 lines per pod)',
      'Key metrics',
      'Firing alerts',
      'Crashes',
      'Recent rollouts and ConfigMap changes',
      'Maintenance mode',
    ]);
    expect(d.failedParts.join('\n')).toMatch(/could not be read within 3 s/);
    expect(d.failedParts.join('\n')).toMatch(/unreachable/);
    expect(diagnosisSummary(d)).toMatch(/^Diagnosis \(Runbook 3: Pod Crash Loop\): nothing could be read\n/);
  }, 60_000);
});
