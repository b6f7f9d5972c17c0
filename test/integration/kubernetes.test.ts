import { BatchV1Api, CoreV1Api, Metrics } from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { clusterInScenario, listAllPods } from '../support/cluster.ts';

const run = promisify(execFile);

describe('the local Kubernetes API server', () => {
  it('lists app=mcp-semantic pods with a label selector and limit/continue paging, as the read-only identity', async () => {
    const cluster = await clusterInScenario('healthy');
    const core = cluster.client('readonly').makeApiClient(CoreV1Api);
    const { pods, pages } = await listAllPods(core, 2);
    expect(pods).toHaveLength(5);
    expect(pages).toBe(3);
    for (const pod of pods) {
      expect(pod.metadata?.labels?.app).toBe('mcp-semantic');
      expect(pod.status?.phase).toBe('Running');
      expect(pod.status?.containerStatuses?.[0]?.ready).toBe(true);
      expect(pod.spec?.containers[0]?.resources?.limits).toEqual({ cpu: '4', memory: '8Gi' });
    }
    // Backup jobs are not caught by the selector.
    expect(pods.some((p) => p.metadata?.name?.startsWith('mcp-backup'))).toBe(false);
  });

  it('refuses a write from the read-only identity with a 403 from RBAC', async () => {
    const cluster = await clusterInScenario('healthy');
    const core = cluster.client('readonly').makeApiClient(CoreV1Api);
    await expect(
      core.createNamespacedConfigMap({ namespace: 'mcp-system', body: { metadata: { name: 'nope' } } }),
    ).rejects.toMatchObject({ code: 403 });
    await expect(core.deleteNamespacedPod({ namespace: 'mcp-system', name: 'x' })).rejects.toMatchObject({
      code: 403,
    });
    // Secrets: list in mcp-system only (the security check reads their metadata), never get, nowhere else.
    await expect(
      core.readNamespacedSecret({ namespace: 'mcp-system', name: 'mcp-semantic-credentials' }),
    ).rejects.toMatchObject({ code: 403 });
    await expect(core.listNamespacedSecret({ namespace: 'kube-system' })).rejects.toMatchObject({
      code: 403,
    });
  });

  it('serves pod logs through the API server', async () => {
    const cluster = await clusterInScenario('healthy');
    const core = cluster.client('readonly').makeApiClient(CoreV1Api);
    const [pod] = (await listAllPods(core, 10)).pods;
    const logs = await core.readNamespacedPodLog({ namespace: 'mcp-system', name: pod!.metadata!.name! });
    expect(logs).toMatch(/INFO validation completed request_id=/);
    expect(logs).toMatch(/ERROR validation failed for artifact/);
  });

  it('serves metrics.k8s.io through the aggregator (metrics-server scraping kwok)', async () => {
    const cluster = await clusterInScenario('healthy');
    const metrics = new Metrics(cluster.client('readonly'));
    const deadline = Date.now() + 90_000;
    let pods: Awaited<ReturnType<Metrics['getPodMetrics']>>['items'] = [];
    while (Date.now() < deadline) {
      try {
        pods = (await metrics.getPodMetrics('mcp-system')).items.filter((p) =>
          p.metadata.name.startsWith('mcp-semantic-control-plane-'),
        );
        if (pods.length === 5 && pods.every((p) => p.containers.length > 0)) break;
      } catch {
        // metrics-server needs a scrape or two after start.
      }
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
    expect(pods).toHaveLength(5);
    // The usage kwok reports from the pods' annotations (1024-1535 Mi in the healthy scenario).
    for (const pod of pods) {
      const memory = pod.containers[0]!.usage.memory;
      const factor: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024 };
      const mib = Number(memory.slice(0, -2)) * factor[memory.slice(-2)]!;
      expect(mib, memory).toBeGreaterThanOrEqual(1024);
      expect(mib, memory).toBeLessThan(1536);
    }
    const nodes = await metrics.getNodeMetrics();
    expect(nodes.items.map((n) => n.metadata.name)).toEqual(
      expect.arrayContaining(['mcp-node-1', 'mcp-node-2', 'mcp-node-3']),
    );
  });

  it('plays the crash-loop, OOMKilled, failed-backup and node-pressure scenarios', async () => {
    let cluster = await clusterInScenario('crash-loop');
    let core = cluster.client().makeApiClient(CoreV1Api);
    const crashing = (await listAllPods(core, 50)).pods.filter(
      (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff',
    );
    expect(crashing).toHaveLength(2);
    expect(crashing[0]!.status!.containerStatuses![0]!.restartCount).toBeGreaterThanOrEqual(14);

    cluster = await clusterInScenario('oom-killed');
    core = cluster.client().makeApiClient(CoreV1Api);
    const oom = (await listAllPods(core, 50)).pods.filter(
      (p) => p.status?.containerStatuses?.[0]?.lastState?.terminated?.reason === 'OOMKilled',
    );
    expect(oom).toHaveLength(1);
    expect(oom[0]!.status!.containerStatuses![0]!.lastState!.terminated!.exitCode).toBe(137);

    cluster = await clusterInScenario('failed-backup');
    const batch = cluster.client().makeApiClient(BatchV1Api);
    const jobs = (await batch.listNamespacedJob({ namespace: 'mcp-system', labelSelector: 'app=mcp-backup' }))
      .items;
    const newest = jobs.sort((a, b) => +new Date(b.status!.startTime!) - +new Date(a.status!.startTime!))[0]!;
    expect(newest.status?.failed).toBe(1);
    expect(newest.status?.conditions?.find((c) => c.type === 'Failed')?.reason).toBe('BackoffLimitExceeded');

    cluster = await clusterInScenario('node-pressure');
    core = cluster.client().makeApiClient(CoreV1Api);
    const node = await core.readNode({ name: 'mcp-node-2' });
    expect(node.status?.conditions?.find((c) => c.type === 'MemoryPressure')?.status).toBe('True');
    // Node events are kept in `default`, as the kubelet records them.
    const events = await core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'type=Warning' });
    expect(events.items.map((e) => e.reason)).toContain('EvictionThresholdMet');
  });

  it("runs the manual's morning kubectl lines unchanged", async () => {
    const cluster = await clusterInScenario('healthy');
    // Items 1-5 of the manual's daily-morning-check.sh, verbatim; run by an operator (admin).
    const script = [
      'set -e',
      'echo "1. Checking pod status..."',
      'kubectl get pods -n mcp-system -l app=mcp-semantic',
      'echo "2. Checking recent errors (last hour)..."',
      'kubectl logs -n mcp-system -l app=mcp-semantic --since=1h | grep -i error | tail -20',
      'echo "3. Checking key metrics..."',
      "kubectl exec -n mcp-system $(kubectl get pod -n mcp-system -l app=mcp-semantic -o jsonpath='{.items[0].metadata.name}') -- \\",
      '  curl -s http://localhost:9090/metrics | grep -E "(validation_total|promotion_total|artifact_uploads_total)"',
      'echo "4. Checking last backup..."',
      'kubectl get jobs -n mcp-system -l app=mcp-backup --sort-by=.status.startTime | tail -1',
      'echo "5. Checking resource usage..."',
      'kubectl top pods -n mcp-system -l app=mcp-semantic',
    ].join('\n');
    let out = '';
    const deadline = Date.now() + 90_000;
    for (;;) {
      try {
        out = (await run('bash', ['-c', script], { env: { ...process.env, KUBECONFIG: cluster.kubeconfig } }))
          .stdout;
        break;
      } catch (error) {
        // `kubectl top` fails until metrics-server has scraped twice.
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 3_000));
      }
    }
    const section = (n: number) => out.split(`${n}. `)[1] ?? '';
    expect(
      section(1)
        .trim()
        .split('\n')
        .filter((l) => /Running/.test(l)),
    ).toHaveLength(5);
    expect(section(2)).toMatch(/ERROR validation failed/);
    expect(section(3)).toMatch(/^validation_total \d+/m);
    expect(section(4)).toMatch(/mcp-backup-\d{8}\s+(Complete|1\/1)/);
    expect(section(5)).toMatch(/mcp-semantic-control-plane-\S+\s+\d+m\s+\d+Mi/);
  });
});
