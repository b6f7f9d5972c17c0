import type { V1Deployment, V1Node, V1Pod, V1PodDisruptionBudget } from '@kubernetes/client-node';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config.ts';
import { mitigationKey, type MitigationTarget } from '../../core/mitigation/actions.ts';
import { signMitigation, verifyMitigation } from '../../core/mitigation/links.ts';
import { signToken } from '../../functions/escalation/links.ts';
import { intakeMessage } from '../../functions/escalation/intake.ts';
import type { MitigationCluster } from '../../functions/mitigate/cluster.ts';
import { drainGuard, maintenanceGuard, memoryGuard, scaleGuard } from '../../functions/mitigate/guards.ts';
import { mitigate, type MitigateDeps } from '../../functions/mitigate/mitigate.ts';
import { answerMitigationUrl } from '../../functions/mitigate/web.ts';
import { mitigationLines } from '../../functions/diagnosis/review.ts';
import { amMessage, escalationDeps, RecordingPager, TestClock } from '../support/escalation-harness.ts';
import { MemoryIncidentStore } from '../support/memory-incident-store.ts';
import { MemoryMitigationLedger } from '../support/memory-mitigation-ledger.ts';

const SECRET = 'unit-test-mitigation-secret';
const NOW = new Date('2026-12-01T12:00:00Z'); // a Tuesday: outside the maintenance window
const claims = (target: MitigationTarget, expiresAt = new Date(NOW.getTime() + 3_600_000)) => ({
  incidentId: 'INC-20261201-001',
  generation: 1,
  sentTo: 'primary',
  target,
  expiresAt,
});

const targets = fc.oneof(
  fc.record({
    action: fc.constant('undo' as const),
    fromRevision: fc.integer({ min: 1, max: 1e6 }),
    toRevision: fc.integer({ min: 1, max: 1e6 }),
  }),
  fc.record({
    action: fc.constant('scale' as const),
    fromReplicas: fc.integer({ min: 0, max: 100 }),
    replicas: fc.integer({ min: 1, max: 100 }),
  }),
  fc.record({
    action: fc.constant('drain' as const),
    node: fc.stringMatching(/^[a-z0-9]([-a-z0-9.]{0,40}[a-z0-9])?$/),
  }),
  fc.record({
    action: fc.constant('restart' as const),
    pod: fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?$/),
    uid: fc.uuid(),
  }),
);

describe('mitigation links', () => {
  it('carry one exact target: every target signed reads back the same, and an altered byte is refused', () => {
    fc.assert(
      fc.property(targets, fc.nat({ max: 60 }), (target, at) => {
        const token = signMitigation(SECRET, claims(target));
        const check = verifyMitigation(token, SECRET, NOW);
        expect(check).toEqual({ ok: true, claims: claims(target) });
        const i = 3 + (at % (token.length - 3));
        const flipped = token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
        if (flipped !== token) expect(verifyMitigation(flipped, SECRET, NOW).ok).toBe(false);
      }),
    );
  });

  it('refuses hostile tokens without throwing, another key, an expired link and an acknowledge token', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 3000 }), fc.stringMatching(/^m1\.[\w-]{0,200}\.[\w-]{43}$/)),
        (token) => {
          expect(verifyMitigation(token, SECRET, NOW).ok).toBe(false);
        },
      ),
    );
    const token = signMitigation(SECRET, claims({ action: 'drain', node: 'n1' }));
    expect(verifyMitigation(token, 'another-key', NOW).ok).toBe(false);
    expect(verifyMitigation(token, 'another-key', NOW, [SECRET]).ok).toBe(true); // a rotated key still opens it
    const expired = signMitigation(
      SECRET,
      claims({ action: 'drain', node: 'n1' }, new Date(NOW.getTime() - 1)),
    );
    expect(verifyMitigation(expired, SECRET, NOW)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('expired'),
    });
    const ack = signToken(SECRET, {
      action: 'ack',
      incidentId: 'INC-20261201-001',
      tier: 'primary',
      generation: 1,
      expiresAt: new Date(NOW.getTime() + 60_000),
    });
    expect(verifyMitigation(ack, SECRET, NOW).ok).toBe(false);
    // A target of the right shape but outside the schema (an action nobody offers) is refused too.
    const payload = Buffer.from(
      JSON.stringify({
        i: 'INC-20261201-001',
        g: 1,
        s: 'primary',
        t: { action: 'delete-namespace' },
        e: 9e9,
      }),
    ).toString('base64url');
    expect(verifyMitigation(`m1.${payload}.${'A'.repeat(43)}`, SECRET, NOW).ok).toBe(false);
  });
});

describe('guard rails', () => {
  const node = (name: string, ready = true, unschedulable = false): V1Node => ({
    metadata: { name },
    spec: { unschedulable },
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });
  const pod = (name: string, nodeName: string, ready = true, owner = 'ReplicaSet'): V1Pod => ({
    metadata: {
      name,
      namespace: 'mcp-system',
      labels: { app: 'mcp-semantic' },
      ownerReferences: [{ kind: owner, name: 'x', uid: 'u', apiVersion: 'v1' }],
    },
    spec: { nodeName, containers: [] },
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });
  const pdb = (spec: V1PodDisruptionBudget['spec']): V1PodDisruptionBudget => ({
    metadata: { name: 'budget', namespace: 'mcp-system' },
    spec,
  });
  const pods = [pod('a', 'n1'), pod('b', 'n1'), pod('c', 'n2'), pod('d', 'n2'), pod('e', 'n3')];

  it('scale: only up, only to the configured maximum, only from what was offered', () => {
    expect(scaleGuard(3, 3, 5, 5)).toBeUndefined();
    expect(scaleGuard(3, 3, 6, 5)).toContain('configured maximum of 5');
    expect(scaleGuard(5, 5, 3, 5)).toContain('only goes up');
    expect(scaleGuard(5, 3, 5, 5)).toContain('already has 5');
  });

  it('drain: not the last schedulable node, never past a PodDisruptionBudget; DaemonSet pods stay', () => {
    const nodes = [node('n1'), node('n2'), node('n3')];
    expect(drainGuard('n1', nodes, pods.slice(0, 2), [], pods)).toBeUndefined();
    expect(drainGuard('n9', nodes, [], [], pods)).toContain('no node n9');
    expect(drainGuard('n1', [node('n1'), node('n2', true, true), node('n3', false)], [], [], pods)).toContain(
      'last schedulable node',
    );
    const selector = { matchLabels: { app: 'mcp-semantic' } };
    expect(drainGuard('n1', nodes, pods.slice(0, 2), [pdb({ minAvailable: 4, selector })], pods)).toContain(
      'leaving 3 where it needs at least 4',
    );
    expect(
      drainGuard('n1', nodes, pods.slice(0, 2), [pdb({ minAvailable: 3, selector })], pods),
    ).toBeUndefined();
    expect(
      drainGuard('n1', nodes, pods.slice(0, 2), [pdb({ minAvailable: '80%', selector })], pods),
    ).toContain('needs at least 4');
    expect(drainGuard('n1', nodes, pods.slice(0, 2), [pdb({ maxUnavailable: 1, selector })], pods)).toContain(
      'allows 1',
    );
    // A budget of other pods, and DaemonSet pods on the node, do not count.
    expect(
      drainGuard(
        'n1',
        nodes,
        pods.slice(0, 2),
        [pdb({ minAvailable: 5, selector: { matchLabels: { app: 'other' } } })],
        pods,
      ),
    ).toBeUndefined();
    expect(
      drainGuard(
        'n1',
        nodes,
        [pod('ds', 'n1', true, 'DaemonSet')],
        [pdb({ minAvailable: 5, selector })],
        pods,
      ),
    ).toBeUndefined();
  });

  it('memory: only up, only to the configured most; the window: only with --force', () => {
    expect(memoryGuard('8Gi', '16Gi', '16Gi')).toBeUndefined();
    expect(memoryGuard('8Gi', '32Gi', '16Gi')).toContain('stops at the configured 16Gi');
    expect(memoryGuard('8Gi', '4Gi', '16Gi')).toContain('only goes up');
    const window = parseConfig({}).maintenanceWindow;
    const inside = new Date('2026-12-05T03:00:00Z'); // the first Saturday, 03:00 UTC
    expect(maintenanceGuard(inside, window, false)).toContain('maintenance window is on');
    expect(maintenanceGuard(inside, window, true)).toBeUndefined();
    expect(maintenanceGuard(NOW, window, false)).toBeUndefined();
  });
});

/** A cluster of one deployment at 3 replicas whose writes can be made to fail. */
function fakeCluster(fail?: Error) {
  const calls: string[] = [];
  let replicas = 3;
  const deployment = (): V1Deployment => ({
    metadata: {
      name: 'mcp-semantic-control-plane',
      generation: replicas,
      resourceVersion: '7',
      annotations: {},
    },
    spec: { replicas, selector: {}, template: { spec: { containers: [{ name: 'c', image: 'i:1' }] } } },
    status: {
      observedGeneration: replicas,
      replicas,
      updatedReplicas: replicas,
      availableReplicas: replicas,
      readyReplicas: replicas,
    },
  });
  const cluster: MitigationCluster = {
    deployment: async () => deployment(),
    replicaSets: async () => [],
    appPods: async () => [],
    pod: async () => undefined,
    podsOnNode: async () => [],
    nodes: async () => [],
    disruptionBudgets: async () => [],
    ingress: async () => undefined,
    patchDeployment: async () => deployment(),
    async scale(to, _rv, dryRun) {
      calls.push(`scale ${to}${dryRun ? ' (dry run)' : ''}`);
      if (fail) throw fail;
      if (!dryRun) replicas = to;
    },
    deletePod: async () => undefined,
    cordon: async () => undefined,
    evict: async () => undefined,
    patchIngress: async () => undefined,
    podsLabelled: async () => [],
    networkPolicy: async () => undefined,
    labelPod: async () => undefined,
    createNetworkPolicy: async () => undefined,
    deleteNetworkPolicy: async () => undefined,
  };
  return { cluster, calls };
}

async function setup(fail?: Error) {
  const store = new MemoryIncidentStore();
  const clock = new TestClock(NOW);
  const pager = new RecordingPager();
  const escalation = escalationDeps(store, clock, pager);
  const [opened] = await intakeMessage(escalation, {
    messageId: 'm-1',
    message: amMessage('HighLatency', { severity: 'critical' }),
  });
  const { cluster, calls } = fakeCluster(fail);
  const ledger = new MemoryMitigationLedger(store);
  const deps: MitigateDeps = {
    store,
    ledger,
    pager,
    tiers: escalation.tiers,
    now: clock.now,
    config: parseConfig({ mitigation: { verifySeconds: 5 } }),
    cluster: async () => cluster,
    pollMs: 5,
  };
  return { deps, store, ledger, calls, pager, id: opened!.incidentId! };
}

describe('acting once', () => {
  const scale: MitigationTarget = { action: 'scale', fromReplicas: 3, replicas: 5 };

  it('acts once; the same action again, from anyone, changes nothing more and says who acted', async () => {
    const { deps, calls, id, pager, store } = await setup();
    const first = await mitigate(deps, { incidentId: id, target: scale, by: 'Dana' });
    expect(first).toMatchObject({ kind: 'acted', record: { state: 'done', by: 'Dana' } });
    const second = await mitigate(deps, { incidentId: id, target: scale, by: 'Sam' });
    expect(second).toMatchObject({ kind: 'taken', message: expect.stringContaining('already done by Dana') });
    expect(calls).toEqual(['scale 5']);
    expect((await store.get(id))!.phase).toBe('monitoring');
    // The post-incident review lists it: what, who, when, the outcome.
    expect(mitigationLines((await store.get(id))!)).toEqual([
      expect.stringMatching(
        /^- 2026-12-01 12:00 UTC Scale mcp-semantic-control-plane from 3 to 5 replicas, by Dana: done \(scaled .*5 replicas available\), finished 2026-12-01 12:00 UTC$/,
      ),
    ]);
    expect(pager.sent.filter((p) => p.page.subject.includes('mitigation done'))).toHaveLength(1);
  });

  it('one in flight per incident: a second action waits for the first', async () => {
    const { deps, ledger, id } = await setup();
    await ledger.claim(
      id,
      1,
      {
        key: 'drain:n1',
        target: { action: 'drain', node: 'n1' },
        description: 'drain',
        by: 'Ann',
        at: NOW.toISOString(),
        state: 'acting',
      },
      new Date(0),
    );
    const refused = await mitigate(deps, { incidentId: id, target: scale, by: 'Dana' });
    expect(refused).toMatchObject({
      kind: 'refused',
      status: 409,
      message: expect.stringContaining('(drain:n1) is in flight'),
    });
  });

  it('the API server refusing the write records it as refused, changes nothing, and lets it be tried again', async () => {
    const { deps, store, id, calls } = await setup(Object.assign(new Error('Forbidden'), { code: 403 }));
    const refused = await mitigate(deps, { incidentId: id, target: scale, by: 'Dana' });
    expect(refused).toMatchObject({
      kind: 'refused',
      message: expect.stringContaining('the cluster refused it: 403: Forbidden'),
    });
    const incident = (await store.get(id))!;
    expect(incident.mitigations![mitigationKey(scale)]!.state).toBe('failed');
    expect(incident.mitigating).toBeUndefined();
    await mitigate(deps, { incidentId: id, target: scale, by: 'Dana' });
    expect(calls).toEqual(['scale 5', 'scale 5']);
  });

  it('the page: a GET dry-runs only, an unreachable cluster is a page that says so', async () => {
    const { deps, calls, id } = await setup();
    const token = signMitigation(SECRET, { ...claims(scale), incidentId: id });
    const event = (method: string, extra: object = {}) => ({
      rawPath: '/',
      requestContext: { http: { method } },
      ...extra,
    });
    const page = await answerMitigationUrl(
      { ...deps, secret: SECRET },
      event('GET', { queryStringParameters: { token } }),
    );
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('would scale mcp-semantic-control-plane from 3 to 5 replicas');
    expect(calls).toEqual(['scale 5 (dry run)']);
    const down = await answerMitigationUrl(
      {
        ...deps,
        secret: SECRET,
        cluster: () => Promise.reject(new Error('connect ECONNREFUSED 10.0.0.1:443')),
      },
      event('GET', { queryStringParameters: { token } }),
    );
    expect(down.statusCode).toBe(503);
    expect(down.body).toContain('ECONNREFUSED');
    expect(await answerMitigationUrl({ ...deps, secret: SECRET }, event('DELETE'))).toMatchObject({
      statusCode: 405,
    });
  });
});
