import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { join } from 'node:path';
import { inject } from 'vitest';
import { STACK_DIR } from '../../stack/endpoints.ts';
import { currentScenario, NAMESPACE, seedScenario, type Scenario } from '../../stack/kube/scenarios.ts';

export interface LocalCluster {
  readonly server: string;
  /** Admin: for tests that arrange things. */
  readonly kubeconfig: string;
  /** The read-only identity mcp-ops uses: what code under test should get. */
  readonly kubeconfigReadonly: string;
  client(which?: 'admin' | 'readonly'): KubeConfig;
}

function load(path: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

/** Waits until kwok has played every pod in the namespace (each has a pod IP, or has failed). */
async function settled(kc: KubeConfig, timeoutMs = 120_000): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let pending = 0;
    let next: string | undefined;
    do {
      const page = await core.listNamespacedPod({ namespace: NAMESPACE, limit: 500, _continue: next });
      pending += page.items.filter((p) => !p.status?.podIP && p.status?.phase !== 'Failed').length;
      next = page.metadata?._continue;
    } while (next);
    if (pending === 0) return;
    if (Date.now() > deadline) throw new Error(`${pending} pods still not started by kwok`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The local cluster in `scenario` (seeded unless it is in it already), with its kubeconfigs. */
export async function clusterInScenario(scenario: Scenario): Promise<LocalCluster> {
  const kubernetes = inject('endpoints').kubernetes;
  if (!kubernetes) throw new Error('The local stack runs without Kubernetes (MCP_STACK_KUBERNETES=0)');
  const admin = load(kubernetes.kubeconfig);
  if ((await currentScenario(admin)) !== scenario) {
    await seedScenario(admin, scenario, join(STACK_DIR, 'kube', 'logs'));
  }
  await settled(admin);
  return {
    server: kubernetes.server,
    kubeconfig: kubernetes.kubeconfig,
    kubeconfigReadonly: kubernetes.kubeconfigReadonly,
    client: (which = 'readonly') =>
      load(which === 'admin' ? kubernetes.kubeconfig : kubernetes.kubeconfigReadonly),
  };
}

/** The service's pods, listed `limit` at a time as a client pages them; with the number of pages. */
export async function listAllPods(core: CoreV1Api, limit: number): Promise<{ pods: V1Pod[]; pages: number }> {
  const pods: V1Pod[] = [];
  let pages = 0;
  let next: string | undefined;
  do {
    const page = await core.listNamespacedPod({
      namespace: 'mcp-system',
      labelSelector: 'app=mcp-semantic',
      limit,
      _continue: next,
    });
    pods.push(...page.items);
    pages += 1;
    next = page.metadata?._continue;
  } while (next);
  return { pods, pages };
}
