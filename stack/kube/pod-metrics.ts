// Waits, bounded, until metrics-server reports usage for every pod of the service: a first report
// on a fresh stack should judge CPU and memory, not say "not measured" because metrics-server has
// not scraped yet (it scrapes every 15 s, and needs two scrapes for a rate).
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { NAMESPACE } from './scenarios.ts';

export interface PodMetricsWait {
  readonly ready: boolean;
  readonly waitedMs: number;
  /** Why it gave up, when it did: which pods still had no usage. */
  readonly reason?: string;
}

export async function waitForPodMetrics(
  kc: KubeConfig,
  options: { timeoutMs?: number; labelSelector?: string; intervalMs?: number } = {},
): Promise<PodMetricsWait> {
  const { timeoutMs = 90_000, labelSelector = 'app=mcp-semantic', intervalMs = 1_000 } = options;
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const started = Date.now();
  let missing: string[] = [];
  let lastError = '';
  for (;;) {
    try {
      const pods = (await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector })).items
        .filter((p) => p.status?.phase === 'Running')
        .map((p) => p.metadata!.name!);
      const usage = (await custom.listNamespacedCustomObject({
        group: 'metrics.k8s.io',
        version: 'v1beta1',
        namespace: NAMESPACE,
        plural: 'pods',
        labelSelector,
      })) as { items: Array<{ metadata: { name: string } }> };
      const measured = new Set(usage.items.map((i) => i.metadata.name));
      missing = pods.filter((p) => !measured.has(p));
      if (pods.length > 0 && missing.length === 0) return { ready: true, waitedMs: Date.now() - started };
      if (pods.length === 0) lastError = `no running pod matches ${labelSelector}`;
    } catch (error) {
      lastError = `metrics.k8s.io did not answer: ${(error as Error).message.split('\n')[0]}`;
    }
    if (Date.now() - started > timeoutMs)
      return {
        ready: false,
        waitedMs: Date.now() - started,
        reason:
          missing.length > 0
            ? `metrics-server has no usage yet for ${missing.length} pod(s) (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''})`
            : lastError || 'no usage reported',
      };
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
