import type { CoreV1Event, V1Node, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config.ts';
import type { KubernetesPort } from '../../core/kubernetes.ts';
import type { PrometheusPort } from '../../core/prometheus.ts';
import { diagnose } from '../../functions/diagnosis/diagnose.ts';
import { diagnosisSummary } from '../../functions/diagnosis/summary.ts';
import { runbookOf } from '../../functions/diagnosis/model.ts';
import type { DiagnosisDeps } from '../../functions/diagnosis/diagnosis-deps.ts';
import { followUpIncident, type FollowUpDeps } from '../../functions/diagnosis/follow-up.ts';
import { acknowledgeIncident, resolveIncident } from '../../functions/escalation/actions.ts';
import { escalateDueIncidents } from '../../functions/escalation/tick.ts';
import { intakeMessage } from '../../functions/escalation/intake.ts';
import { writeReview } from '../../functions/diagnosis/review.ts';
import { DiagnoseRequestError, workOf } from '../../functions/diagnosis/request.ts';
import {
  amMessage,
  escalationDeps,
  RecordingChat,
  RecordingPager,
  TestClock,
} from '../support/escalation-harness.ts';
import { MemoryIncidentStore } from '../support/memory-incident-store.ts';
import { MemoryObjectStore } from '../support/memory-object-store.ts';

const NOW = new Date('2026-11-28T03:00:00Z');

/** A cluster of two pods, one OOM-killed, with its previous log, its events and a node under memory pressure. */
function fakeCluster(overrides: Partial<KubernetesPort> = {}): KubernetesPort {
  const pod = (name: string, oom: boolean): V1Pod => ({
    metadata: { name, uid: `0000-${name === 'pod-a' ? 'aaaa' : 'bbbb'}` },
    spec: {
      nodeName: 'node-1',
      containers: [{ name: 'semantic-control-plane', resources: { limits: { cpu: '4', memory: '8Gi' } } }],
    },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: oom ? 'False' : 'True' }],
      containerStatuses: [
        {
          name: 'semantic-control-plane',
          image: 'img',
          imageID: '',
          ready: !oom,
          restartCount: oom ? 3 : 0,
          ...(oom
            ? {
                state: { waiting: { reason: 'CrashLoopBackOff' } },
                lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
              }
            : { state: { running: {} } }),
        },
      ],
    },
  });
  const events: CoreV1Event[] = [
    {
      metadata: {},
      involvedObject: { name: 'pod-a' },
      reason: 'BackOff',
      count: 6,
      message: 'Back-off restarting failed container',
    } as CoreV1Event,
  ];
  const node: V1Node = {
    metadata: { name: 'node-1' },
    status: {
      conditions: [
        { type: 'Ready', status: 'True' },
        { type: 'MemoryPressure', status: 'True' },
      ],
    },
  };
  return {
    async *pods() {
      yield [pod('pod-a', true), pod('pod-b', false)];
    },
    async podLog(_ns: string, name: string, _c: string, _s: number, options?: { previous?: boolean }) {
      if (options?.previous)
        return '2026-11-28T02:59:00Z INFO loading\n2026-11-28T02:59:01Z ERROR out of memory allocating 2147483648 bytes for the validation cache\n';
      return name === 'pod-a' ? '2026-11-28T02:59:30Z ERROR validation failed: schema mismatch\n' : '';
    },
    async *warningEvents() {
      yield events;
    },
    nodes: async () => [node],
    podUsage: async () => [],
    replicaSets: async () => [],
    deployment: async () => undefined,
    ingress: async () => undefined,
    configMap: async () => undefined,
    configMapData: async () => ({ 'validation.cache.size': '10000' }),
    ...overrides,
  } as unknown as KubernetesPort;
}

const prometheus: PrometheusPort = { query: async () => [{ labels: {}, value: 1 }], alerts: async () => [] };

function diagnosisDeps(kube = fakeCluster(), prom = prometheus): DiagnosisDeps {
  return { config: parseConfig({}), kube, prometheus: prom, now: () => NOW, partTimeoutMs: 200 };
}

describe('diagnosis', () => {
  it('maps an alert’s runbook label to the manual’s runbook', () => {
    expect(runbookOf('runbook-1-high-error-rate')).toBe(1);
    expect(runbookOf('runbook-3-pod-crash-loop')).toBe(3);
    expect(runbookOf('p0-complete-outage')).toBe(3);
    expect(runbookOf('backup-verification')).toBeUndefined();
  });

  it('Runbook 3 names the exit code, OOMKilled, the previous log’s last error, events and node pressure', async () => {
    const d = await diagnose(diagnosisDeps(), { runbook: 3, incidentId: 'INC-20261128-001' });
    expect(d.failedParts).toEqual([]);
    expect(d.headline).toBe('pod-a: CrashLoopBackOff, 3 restarts, last exit code 137 (OOMKilled)');
    expect(d.findings).toContain(
      "pod-a previous log's last error: 2026-11-28T02:59:01Z ERROR out of memory allocating 2147483648 bytes for the validation cache",
    );
    expect(d.findings).toContain('node node-1: MemoryPressure');
    const crashes = d.parts.find((p) => p.id === 'crashes')!;
    expect(crashes.lines).toContain('  event BackOff (6×): Back-off restarting failed container');
    // Runbook 3's mitigations, each for its exact target: restart the pod (by uid), raise the
    // OOM-killed container's limit (doubled, within the configured 16Gi), drain the node under pressure.
    expect(d.offers.map((o) => o.target)).toEqual([
      { action: 'restart', pod: 'pod-a', uid: '0000-aaaa' },
      { action: 'memory', from: '8Gi', to: '16Gi' },
      { action: 'drain', node: 'node-1' },
    ]);
    const summary = diagnosisSummary(d, 's3://b/reports/diagnosis/INC-20261128-001.txt');
    expect(summary.split('\n')).toEqual([
      'Diagnosis for INC-20261128-001 (Runbook 3: Pod Crash Loop): pod-a: CrashLoopBackOff, 3 restarts, last exit code 137 (OOMKilled)',
      '1. pod-a: CrashLoopBackOff, 3 restarts, last exit code 137 (OOMKilled)',
      "2. pod-a previous log's last error: 2026-11-28T02:59:01Z ERROR out of memory allocating 2147483648 bytes for the validation cache",
      '3. node node-1: MemoryPressure',
      'Changed recently: nothing found',
      'Full diagnosis: s3://b/reports/diagnosis/INC-20261128-001.txt',
    ]);
  });

  it('Runbook 4 shows usage against capacity, the retention days and the newest finished cleanup run’s storage report', async () => {
    const store = new MemoryObjectStore();
    const summary = (runId: string, objects: number) => ({
      runId,
      status: 'completed',
      dryRun: true,
      bucket: 'mcp-artifacts',
      prefix: '',
      retentionDays: 90,
      bytesFreed: 0,
      report: {
        objects,
        bytes: 3 * 2 ** 40,
        largest: [{ key: 'models/big.bin', size: 50 * 2 ** 30, lastModified: '2026-01-02T00:00:00.000Z' }],
        expiring: { 'cache/': { objects: 900, bytes: 2 ** 40 }, 'tmp/': { objects: 10, bytes: 2 ** 30 } },
      },
    });
    await store.putText(
      'reports',
      'cleanup/20261120T090000Z-aaaaaa/summary.json',
      JSON.stringify(summary('20261120T090000Z-aaaaaa', 1)),
    );
    await store.putText(
      'reports',
      'cleanup/20261126T090000Z-bbbbbb/summary.json',
      JSON.stringify(summary('20261126T090000Z-bbbbbb', 2)),
    );
    // The newest run paused half-way: no summary yet, the one before it is shown.
    await store.putText('reports', 'cleanup/20261127T090000Z-cccccc/checkpoint.json', '{}');
    const values: Record<string, number> = {
      'max(artifact_storage_used_bytes)': 0.95 * 4 * 2 ** 40,
      'max(artifact_storage_capacity_bytes)': 4 * 2 ** 40,
    };
    const kube = fakeCluster({ configMapData: async () => ({ 'artifact.retention.days': '90' }) });
    const d = await diagnose(
      {
        ...diagnosisDeps(kube, {
          query: async (e) => [{ labels: {}, value: values[e] ?? 0 }],
          alerts: async () => [],
        }),
        cleanupRuns: { store, bucket: 'reports' },
      },
      { runbook: 4 },
    );
    const storage = d.parts.find((p) => p.id === 'storage')!;
    expect(storage.summary).toBe('95.0% of 4.0 TiB used');
    expect(storage.lines).toEqual([
      'artifact storage used: 3.8 TiB of 4.0 TiB',
      'artifact.retention.days: 90 (ConfigMap mcp-semantic-config)',
      'last cleanup run 20261126T090000Z-bbbbbb (dry run, 42 h ago): 2 objects, 3.0 TiB in s3://mcp-artifacts/; retention 90 days would free 1.0 TiB',
      '  expiring cache/: 900 objects, 1.0 TiB',
      '  expiring tmp/: 10 objects, 1.0 GiB',
      'largest files:',
      '    50.0 GiB  models/big.bin  (2026-01-02)',
    ]);
    expect(d.headline).toBe('artifact storage at 95%: run mcp-ops cleanup (dry run first)');
    // Without the cleanup runs, the part says where the report comes from.
    const bare = await diagnose(diagnosisDeps(kube), { runbook: 4 });
    expect(bare.parts.find((p) => p.id === 'storage')!.lines.at(-1)).toMatch(/^cleanup runs not read here/);
  });

  it('a source that never answers fails its parts within their limit; the rest is still read', async () => {
    const hanging = new Promise<never>(() => {});
    const d = await diagnose(diagnosisDeps(fakeCluster(), { query: () => hanging, alerts: () => hanging }), {
      runbook: 3,
    });
    expect(d.failedParts).toEqual([
      'Key metrics: could not be read within 0.2 s',
      'Firing alerts: could not be read within 0.2 s',
    ]);
    expect(d.parts.find((p) => p.id === 'crashes')!.status).toBe('ok');
  });
});

describe('the diagnosis follow-up of an incident', () => {
  async function opened(severity: string, runbook: string) {
    const store = new MemoryIncidentStore();
    const clock = new TestClock(NOW);
    const pager = new RecordingPager();
    const chat = new RecordingChat();
    const deps = escalationDeps(store, clock, pager, {}, undefined, { chat });
    const message = JSON.parse(amMessage('MCPSemanticCrashLooping', { severity })) as {
      alerts: Array<{ labels: Record<string, string> }>;
    };
    message.alerts[0]!.labels.runbook = runbook;
    const [outcome] = await intakeMessage(deps, {
      messageId: `m-${severity}`,
      message: JSON.stringify(message),
    });
    const archived: string[] = [];
    const follow: FollowUpDeps = {
      diagnosis: diagnosisDeps(),
      store,
      pager,
      tiers: deps.tiers,
      policy: deps.policy,
      chat,
      async archive(id, text) {
        archived.push(text);
        return `s3://reports/reports/diagnosis/${id}.txt`;
      },
    };
    return { id: outcome!.incidentId!, store, pager, chat, follow, archived };
  }

  it('follows the page to the primary and chat, is recorded on the incident, and is sent once', async () => {
    const { id, store, pager, chat, follow, archived } = await opened('critical', 'runbook-3-pod-crash-loop');
    expect(pager.sent.map((p) => p.tier)).toEqual(['primary']);
    const first = await followUpIncident(follow, id);
    expect(first).toMatchObject({
      sent: true,
      to: ['primary', 'chat'],
      ref: `s3://reports/reports/diagnosis/${id}.txt`,
    });
    expect(pager.sent.map((p) => p.tier)).toEqual(['primary', 'primary']);
    expect(pager.sent[1]!.page.subject).toBe(
      `[P1] ${id} diagnosis: pod-a: CrashLoopBackOff, 3 restarts, last exit code 137 (OOMKille…`,
    );
    expect(pager.sent[1]!.page.subject.length).toBeLessThanOrEqual(99);
    expect(pager.sent[1]!.page.body).toContain('exit code 137 (OOMKilled)');
    expect(chat.forIncident(id)).toEqual(['opened', 'diagnosed']);
    expect(archived[0]).toContain('== Crashes: exit codes, previous logs, events, nodes');
    const incident = (await store.get(id))!;
    expect(incident.diagnosis).toBe(`s3://reports/reports/diagnosis/${id}.txt`);
    expect(incident.timeline.at(-1)).toMatchObject({
      event: 'diagnosed',
      note: expect.stringContaining('OOMKilled'),
    });
    expect(await followUpIncident(follow, id)).toMatchObject({
      sent: false,
      reason: expect.stringMatching(/^already sent/),
    });
    expect(pager.sent).toHaveLength(2);
  });

  it('is sent once when the follow-up dies right after a send and the stream retries it', async () => {
    const { id, store, pager, chat, follow } = await opened('critical', 'runbook-3-pod-crash-loop');
    // The process dies after the primary's page went out, before its claim says so.
    const markPageSent = store.markPageSent.bind(store);
    let died = false;
    store.markPageSent = async (...args) => {
      if (!died && args[1] === 'diagnosis:primary') {
        died = true;
        throw new Error('the process died');
      }
      return markPageSent(...args);
    };
    await expect(followUpIncident(follow, id)).rejects.toThrow(/the process died/);
    expect(await followUpIncident(follow, id)).toMatchObject({ sent: true });
    const diagnosisPages = pager.sent.filter((p) => p.page.subject.includes('diagnosis'));
    expect(diagnosisPages.map((p) => p.tier)).toEqual(['primary']);
    expect(chat.forIncident(id).filter((e) => e === 'diagnosed')).toHaveLength(1);
    expect((await store.get(id))!.diagnosis).toBeDefined();
  });

  it('a refused chat post fails the follow-up; the retry posts it without paging again', async () => {
    const { id, pager, chat, follow } = await opened('critical', 'runbook-3-pod-crash-loop');
    let refuse = true;
    const flaky = {
      post: async (message: Parameters<typeof chat.post>[0]) => {
        if (refuse) throw new Error('chat 503 (injected)');
        return chat.post(message);
      },
    };
    await expect(followUpIncident({ ...follow, chat: flaky }, id)).rejects.toThrow(
      /not delivered to chat; the stream retries it/,
    );
    refuse = false;
    expect(await followUpIncident({ ...follow, chat: flaky }, id)).toMatchObject({ sent: true });
    expect(pager.sent.filter((p) => p.page.subject.includes('diagnosis')).map((p) => p.tier)).toEqual([
      'primary',
    ]);
    expect(chat.forIncident(id).filter((e) => e === 'diagnosed')).toHaveLength(1);
  });

  it('an incident that pages nobody (P3) gets its diagnosis in chat only', async () => {
    const { id, pager, follow } = await opened('info', 'runbook-2-high-latency');
    expect(pager.sent).toEqual([]);
    expect(await followUpIncident(follow, id)).toMatchObject({ sent: true, to: ['chat'] });
    expect(pager.sent).toEqual([]);
  });
});

describe('the post-incident review', () => {
  it('is written on resolution over exactly the incident’s window, sent to everyone paged, once', async () => {
    const store = new MemoryIncidentStore();
    const clock = new TestClock(new Date('2026-11-28T03:00:00Z'));
    const pager = new RecordingPager();
    const chat = new RecordingChat();
    const deps = escalationDeps(store, clock, pager, {}, undefined, { chat });
    const message = JSON.parse(amMessage('MCPSemanticErrorRateCritical', { severity: 'critical' })) as {
      alerts: Array<{ startsAt: string }>;
    };
    message.alerts[0]!.startsAt = '2026-11-28T02:58:00Z';
    const [opened] = await intakeMessage(deps, { messageId: 'm-review', message: JSON.stringify(message) });
    const id = opened!.incidentId!;
    clock.advanceMinutes(20); // 03:20: nobody answered, the secondary is paged
    await escalateDueIncidents(deps);
    clock.advanceMinutes(5);
    await acknowledgeIncident(deps, id, 'alice');
    clock.advanceMinutes(47);
    await resolveIncident(deps, id, 'alice', 'rolled back to revision 1');
    const queries: string[] = [];
    const prometheus: PrometheusPort = {
      async query(expr) {
        queries.push(expr);
        if (expr.startsWith('sum(resets(')) return [{ labels: {}, value: 0 }];
        const end = expr.includes('@ 1795839120.000');
        if (expr.includes('http_requests_total')) return [{ labels: {}, value: end ? 1_500 : 300 }];
        return [{ labels: {}, value: end ? 90 : 40 }];
      },
      alerts: async () => [],
    };
    const archived: string[] = [];
    const review = {
      store,
      prometheus,
      pager,
      tiers: deps.tiers,
      chat,
      now: clock.now,
      async archive(incidentId: string, markdown: string) {
        archived.push(markdown);
        return `s3://reports/reports/reviews/${incidentId}.md`;
      },
    };
    const outcome = await writeReview(review, id);
    if (!outcome.written) throw new Error(outcome.reason);
    // From the alert firing (02:58) to the resolution (04:12): 74 minutes.
    expect(outcome.impact).toEqual({
      requestsFailed: 1200,
      validationsFailed: 50,
      window: { start: '2026-11-28T02:58:00.000Z', end: '2026-11-28T04:12:00.000Z', seconds: 4440 },
    });
    expect(queries).toContain('sum(http_requests_total{status_code=~"5.."} @ 1795839120.000)');
    expect(queries).toContain('sum(http_requests_total{status_code=~"5.."} @ 1795834680.000)');
    const md = outcome.markdown;
    expect(md).toContain('**Incident ID:** ' + id);
    expect(md).toContain('**Duration:** 1 hours 14 minutes');
    expect(md).toContain('- 2026-11-28 02:58 UTC - Incident detected (MCPSemanticErrorRateCritical fired)');
    expect(md).toContain('- 2026-11-28 03:25 UTC - Investigation started (acknowledged');
    expect(md).toContain('- 2026-11-28 04:12 UTC - Service restored (resolved');
    expect(md).toContain(
      '- Requests failed: 1200 (HTTP 5xx, 2026-11-28 02:58 UTC to 2026-11-28 04:12 UTC, from Prometheus)',
    );
    expect(md).toContain('## Root Cause');
    expect(md).toContain(`mcp-ops incident review ${id} --done`);
    const reviewPages = pager.sent.filter((p) => p.page.subject.includes('post-incident review'));
    expect(reviewPages.map((p) => p.tier)).toEqual(['primary', 'secondary']);
    expect(chat.forIncident(id)).toContain('reviewed');
    expect(await writeReview(review, id)).toMatchObject({
      written: false,
      reason: expect.stringMatching(/^already written/),
    });
    expect((await store.get(id))!.timeline.filter((e) => e.event === 'reviewed')).toHaveLength(1);
    expect(
      await store.markReviewDone(id, { at: clock.now().toISOString(), event: 'review-done', detail: 'done' }),
    ).toBe(true);
    expect(
      await store.markReviewDone(id, {
        at: clock.now().toISOString(),
        event: 'review-done',
        detail: 'again',
      }),
    ).toBe(false);
  });

  it('is not written while the incident is open', async () => {
    const store = new MemoryIncidentStore();
    const clock = new TestClock(NOW);
    const deps = escalationDeps(store, clock);
    const [opened] = await intakeMessage(deps, {
      messageId: 'm-open',
      message: amMessage('StillOpen', { severity: 'critical' }),
    });
    const outcome = await writeReview(
      {
        store,
        prometheus,
        pager: new RecordingPager(),
        tiers: deps.tiers,
        now: clock.now,
        archive: async () => 'x',
      },
      opened!.incidentId!,
    );
    expect(outcome).toEqual({ incidentId: opened!.incidentId, written: false, reason: 'still triggered' });
  });
});

describe('what the diagnosis function is asked', () => {
  const record = (eventID: string, eventName: string, image: Record<string, unknown>) => ({
    eventID,
    eventName,
    dynamodb: { NewImage: image },
  });
  const incident = (id: string, status: string, extra: Record<string, unknown> = {}) => ({
    pk: { S: `INC#${id}` },
    id: { S: id },
    status: { S: status },
    ...extra,
  });

  it('diagnoses new incidents, reviews each resolved one once per batch at its first record, and skips the rest', () => {
    expect(
      workOf({
        Records: [
          record('1', 'INSERT', incident('INC-20261128-001', 'triggered')),
          record('2', 'MODIFY', incident('INC-20261128-002', 'resolved')),
          // The all-clear pages and the chat notice write it again before its review exists.
          record('3', 'MODIFY', incident('INC-20261128-002', 'resolved')),
          record('4', 'MODIFY', incident('INC-20261128-003', 'resolved', { review: { S: 's3://r' } })),
          record('5', 'MODIFY', incident('INC-20261128-001', 'acknowledged')),
          record('6', 'INSERT', { pk: { S: 'OPEN#x' }, incidentId: { S: 'INC-20261128-001' } }),
        ],
      }),
    ).toEqual([
      { kind: 'diagnose', incidentId: 'INC-20261128-001', itemId: '1' },
      { kind: 'review', incidentId: 'INC-20261128-002', itemId: '2' },
    ]);
    expect(workOf({ incidentId: 'INC-20261128-009', review: true })).toEqual([
      { kind: 'review', incidentId: 'INC-20261128-009' },
    ]);
  });

  it('refuses anything else with a clear error', () => {
    expect(() => workOf({ incidentId: 'INC-1' })).toThrow(DiagnoseRequestError);
    expect(() => workOf({ hello: 'world' })).toThrow(/expected a DynamoDB stream batch/);
  });
});

describe('the post-incident review’s notices', () => {
  it('are sent once when the review dies right after a send and the stream retries it', async () => {
    const store = new MemoryIncidentStore();
    const clock = new TestClock(new Date('2026-11-28T03:00:00Z'));
    const pager = new RecordingPager();
    const chat = new RecordingChat();
    const deps = escalationDeps(store, clock, pager, {}, undefined, { chat });
    const [opened] = await intakeMessage(deps, {
      messageId: 'm-review-once',
      message: amMessage('MCPSemanticErrorRateCritical', { severity: 'critical' }),
    });
    const id = opened!.incidentId!;
    clock.advanceMinutes(30);
    await resolveIncident(deps, id, 'alice', 'rolled back');
    const markPageSent = store.markPageSent.bind(store);
    let died = false;
    store.markPageSent = async (...args) => {
      if (!died && args[1] === 'review:primary') {
        died = true;
        throw new Error('the process died');
      }
      return markPageSent(...args);
    };
    const review = {
      store,
      prometheus: { query: async () => [{ labels: {}, value: 1 }], alerts: async () => [] } as PrometheusPort,
      pager,
      tiers: deps.tiers,
      chat,
      now: clock.now,
      archive: async (incidentId: string) => `s3://reports/reports/reviews/${incidentId}.md`,
    };
    await expect(writeReview(review, id)).rejects.toThrow(/the process died/);
    // The stream's retry: the review is recorded; what went out is not sent again, the rest goes.
    const retried = await writeReview(review, id);
    expect(retried).toMatchObject({ written: true });
    expect(await writeReview(review, id)).toMatchObject({
      written: false,
      reason: expect.stringMatching(/^already written/),
    });
    const notices = pager.sent.filter((p) => p.page.subject.includes('post-incident review'));
    expect(notices.map((p) => p.tier)).toEqual(['primary']);
    expect(chat.forIncident(id).filter((e) => e === 'reviewed')).toHaveLength(1);
  });
});
