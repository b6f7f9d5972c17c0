import type {
  V1NetworkPolicy,
  V1Deployment,
  V1Ingress,
  V1Node,
  V1Pod,
  V1PodDisruptionBudget,
  V1ReplicaSet,
} from '@kubernetes/client-node';

/**
 * What the mitigation function reads and changes in the cluster: the one Deployment, its
 * ReplicaSets and pods, nodes, the app's PodDisruptionBudgets and the one Ingress. Every write
 * takes `dryRun` (the API server's `dryRun=All`: admission and validation run, nothing is stored)
 * and, where the object has one, the resourceVersion it was read at, so a write on an object that
 * changed since is refused (409) instead of applied.
 */
export interface MitigationCluster {
  deployment(): Promise<V1Deployment | undefined>;
  replicaSets(): Promise<V1ReplicaSet[]>;
  /** The app's pods (the deployment's selector). */
  appPods(): Promise<V1Pod[]>;
  pod(name: string): Promise<V1Pod | undefined>;
  /** Every pod bound to `node`, in every namespace (what a drain evicts). */
  podsOnNode(node: string): Promise<V1Pod[]>;
  nodes(): Promise<V1Node[]>;
  /** PodDisruptionBudgets in the service's namespace. */
  disruptionBudgets(): Promise<V1PodDisruptionBudget[]>;
  ingress(name: string): Promise<V1Ingress | undefined>;

  /** A JSON merge patch of the Deployment, at `resourceVersion`. */
  patchDeployment(patch: object, resourceVersion: string, dryRun: boolean): Promise<V1Deployment>;
  /** The Deployment's scale subresource to `replicas`, at `resourceVersion`. */
  scale(replicas: number, resourceVersion: string, dryRun: boolean): Promise<void>;
  /** Deletes the pod only if it is still the pod of `uid` (a precondition). */
  deletePod(name: string, uid: string, dryRun: boolean): Promise<void>;
  /** `spec.unschedulable: true`. */
  cordon(node: string, dryRun: boolean): Promise<void>;
  /** The Eviction API: the API server refuses (429) what a PodDisruptionBudget forbids. */
  evict(namespace: string, pod: string, dryRun: boolean): Promise<void>;
  /** Pods of the namespace carrying `label=value`. */
  podsLabelled(label: string, value: string): Promise<V1Pod[]>;
  networkPolicy(name: string): Promise<V1NetworkPolicy | undefined>;
  /** Sets (or, with null, removes) labels of one pod, only if it is still the pod of `uid`. */
  labelPod(name: string, uid: string, labels: Record<string, string | null>, dryRun: boolean): Promise<void>;
  createNetworkPolicy(policy: V1NetworkPolicy, dryRun: boolean): Promise<void>;
  deleteNetworkPolicy(name: string, dryRun: boolean): Promise<void>;
  /** A JSON merge patch of the Ingress, at `resourceVersion`. */
  patchIngress(name: string, patch: object, resourceVersion: string, dryRun: boolean): Promise<void>;
}
