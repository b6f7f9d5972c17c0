import {
  AppsV1Api,
  CoreV1Api,
  NetworkingV1Api,
  PatchStrategy,
  PolicyV1Api,
  setHeaderOptions,
  type KubeConfig,
  type V1Deployment,
  type V1NetworkPolicy,
} from '@kubernetes/client-node';
import type { MitigationCluster } from '../cluster.ts';

const FIELD_MANAGER = 'mcp-ops-mitigate';
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const dry = (dryRun: boolean) => (dryRun ? { dryRun: 'All' } : {});

function notFound(error: unknown): boolean {
  return (error as { code?: number }).code === 404;
}

async function orUndefined<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (error) {
    if (notFound(error)) return undefined;
    throw error;
  }
}

/** MitigationCluster over @kubernetes/client-node, as the mitigation role (its own group). */
export class KubeMitigationCluster implements MitigationCluster {
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;
  private readonly networking: NetworkingV1Api;
  private readonly policy: PolicyV1Api;

  constructor(
    kc: KubeConfig,
    private readonly namespace: string,
    private readonly deploymentName: string,
    private readonly selector: string,
  ) {
    this.apps = kc.makeApiClient(AppsV1Api);
    this.core = kc.makeApiClient(CoreV1Api);
    this.networking = kc.makeApiClient(NetworkingV1Api);
    this.policy = kc.makeApiClient(PolicyV1Api);
  }

  deployment() {
    return orUndefined(
      this.apps.readNamespacedDeployment({ name: this.deploymentName, namespace: this.namespace }),
    );
  }

  async replicaSets() {
    const list = await this.apps.listNamespacedReplicaSet({
      namespace: this.namespace,
      labelSelector: this.selector,
    });
    return list.items;
  }

  async appPods() {
    const list = await this.core.listNamespacedPod({
      namespace: this.namespace,
      labelSelector: this.selector,
    });
    return list.items;
  }

  pod(name: string) {
    return orUndefined(this.core.readNamespacedPod({ name, namespace: this.namespace }));
  }

  async podsOnNode(node: string) {
    const list = await this.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}` });
    return list.items;
  }

  async nodes() {
    return (await this.core.listNode()).items;
  }

  async disruptionBudgets() {
    return (await this.policy.listNamespacedPodDisruptionBudget({ namespace: this.namespace })).items;
  }

  ingress(name: string) {
    return orUndefined(this.networking.readNamespacedIngress({ name, namespace: this.namespace }));
  }

  async patchDeployment(patch: object, resourceVersion: string, dryRun: boolean): Promise<V1Deployment> {
    return this.apps.patchNamespacedDeployment(
      {
        name: this.deploymentName,
        namespace: this.namespace,
        body: { ...patch, metadata: { ...(patch as { metadata?: object }).metadata, resourceVersion } },
        fieldManager: FIELD_MANAGER,
        ...dry(dryRun),
      },
      merge,
    );
  }

  async scale(replicas: number, resourceVersion: string, dryRun: boolean) {
    await this.apps.patchNamespacedDeploymentScale(
      {
        name: this.deploymentName,
        namespace: this.namespace,
        body: { metadata: { resourceVersion }, spec: { replicas } },
        fieldManager: FIELD_MANAGER,
        ...dry(dryRun),
      },
      merge,
    );
  }

  async deletePod(name: string, uid: string, dryRun: boolean) {
    await this.core.deleteNamespacedPod({
      name,
      namespace: this.namespace,
      // With a body, the API server reads DeleteOptions from it alone: dryRun must be there too.
      body: { preconditions: { uid }, ...(dryRun ? { dryRun: ['All'] } : {}) },
      ...dry(dryRun),
    });
  }

  async cordon(node: string, dryRun: boolean) {
    await this.core.patchNode(
      { name: node, body: { spec: { unschedulable: true } }, fieldManager: FIELD_MANAGER, ...dry(dryRun) },
      merge,
    );
  }

  async evict(namespace: string, pod: string, dryRun: boolean) {
    await this.core.createNamespacedPodEviction({
      name: pod,
      namespace,
      body: {
        apiVersion: 'policy/v1',
        kind: 'Eviction',
        metadata: { name: pod, namespace },
        ...(dryRun ? { deleteOptions: { dryRun: ['All'] } } : {}),
      },
      ...dry(dryRun),
    });
  }

  async podsLabelled(label: string, value: string) {
    return (
      await this.core.listNamespacedPod({ namespace: this.namespace, labelSelector: `${label}=${value}` })
    ).items;
  }

  networkPolicy(name: string) {
    return orUndefined(this.networking.readNamespacedNetworkPolicy({ name, namespace: this.namespace }));
  }

  async labelPod(name: string, uid: string, labels: Record<string, string | null>, dryRun: boolean) {
    // The uid in the patch fails it (409/422) when the name now belongs to another pod.
    await this.core.patchNamespacedPod(
      {
        name,
        namespace: this.namespace,
        body: { metadata: { uid, labels } },
        fieldManager: FIELD_MANAGER,
        ...dry(dryRun),
      },
      merge,
    );
  }

  async createNetworkPolicy(policy: V1NetworkPolicy, dryRun: boolean) {
    await this.networking.createNamespacedNetworkPolicy({
      namespace: this.namespace,
      body: policy,
      fieldManager: FIELD_MANAGER,
      ...dry(dryRun),
    });
  }

  async deleteNetworkPolicy(name: string, dryRun: boolean) {
    await this.networking.deleteNamespacedNetworkPolicy({
      name,
      namespace: this.namespace,
      ...(dryRun ? { body: { dryRun: ['All'] } } : {}),
      ...dry(dryRun),
    });
  }

  async patchIngress(name: string, patch: object, resourceVersion: string, dryRun: boolean) {
    await this.networking.patchNamespacedIngress(
      {
        name,
        namespace: this.namespace,
        body: { ...patch, metadata: { ...(patch as { metadata?: object }).metadata, resourceVersion } },
        fieldManager: FIELD_MANAGER,
        ...dry(dryRun),
      },
      merge,
    );
  }
}
