import type {
  CoreV1Event,
  V1ClusterRole,
  V1ClusterRoleBinding,
  V1ConfigMap,
  V1Deployment,
  V1Ingress,
  V1Job,
  V1NetworkPolicy,
  V1Node,
  V1Pod,
  V1ReplicaSet,
  V1Role,
  V1RoleBinding,
} from '@kubernetes/client-node';

/** CPU in cores and memory in bytes, as metrics.k8s.io reports them. */
export interface Usage {
  readonly cpuCores: number;
  readonly memoryBytes: number;
}

export interface PodUsage {
  readonly pod: string;
  readonly containers: ReadonlyArray<{ readonly name: string } & Usage>;
}

export interface NodeUsage extends Usage {
  readonly node: string;
}

export interface SecretMetadata {
  readonly name: string;
  readonly type?: string;
  readonly created?: Date;
}

/**
 * What the checks read from Kubernetes, and nothing more. Lists that can be large come in pages
 * (limit/continue), so a namespace of thousands of pods never sits in memory at once.
 */
export interface KubernetesPort {
  pods(namespace: string, labelSelector?: string): AsyncIterable<V1Pod[]>;
  /** A container's log since `sinceSeconds`; `previous`: the container's previous instance (before its last restart). */
  podLog(
    namespace: string,
    pod: string,
    container: string,
    sinceSeconds: number,
    options?: { previous?: boolean; tailLines?: number },
  ): Promise<string>;
  jobs(namespace: string, labelSelector: string): Promise<V1Job[]>;
  /** Events of type Warning in the namespace. */
  warningEvents(namespace: string): AsyncIterable<CoreV1Event[]>;
  nodes(): Promise<V1Node[]>;
  podUsage(namespace: string, labelSelector?: string): Promise<PodUsage[]>;
  nodeUsage(): Promise<NodeUsage[]>;
  /** GET through the API server's pod proxy: `/api/v1/namespaces/<ns>/pods/<pod>:<port>/proxy/<path>`. */
  podProxyGet(namespace: string, pod: string, port: number, path: string): Promise<string>;
  /**
   * GET through the API server's service proxy (`/api/v1/namespaces/<ns>/services/<name>:<port>/proxy/<path>`),
   * with the status the proxied service (or the API server) answered.
   */
  serviceProxyGet(
    namespace: string,
    service: string,
    port: number | string,
    pathAndQuery: string,
  ): Promise<{ status: number; body: string }>;
  /** A Deployment (spec, status, annotations), or undefined when there is none of that name. */
  deployment(namespace: string, name: string): Promise<V1Deployment | undefined>;
  /** The Deployment's ReplicaSets (each a revision: its annotation, image and creation time). */
  replicaSets(namespace: string, labelSelector: string): Promise<V1ReplicaSet[]>;
  /** A ConfigMap with its metadata (managedFields say when each field manager last changed it). */
  configMap(namespace: string, name: string): Promise<V1ConfigMap | undefined>;
  /** An Ingress (networking.k8s.io/v1), or undefined when there is none of that name. */
  ingress(namespace: string, name: string): Promise<V1Ingress | undefined>;
  /** A ConfigMap's data, or undefined when there is no such ConfigMap. */
  configMapData(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  networkPolicies(namespace: string): Promise<V1NetworkPolicy[]>;
  roles(namespace: string): Promise<V1Role[]>;
  roleBindings(namespace: string): Promise<V1RoleBinding[]>;
  clusterRoles(): Promise<V1ClusterRole[]>;
  clusterRoleBindings(): Promise<V1ClusterRoleBinding[]>;
  /** Secrets' metadata only (PartialObjectMetadata): their data is never fetched. */
  secretsMetadata(namespace: string): Promise<SecretMetadata[]>;
}

const CPU_UNITS: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1 };
const MEMORY_UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

/** "250m" → 0.25 cores; "2" → 2; "12345n" → 0.000012345. */
export function parseCpu(quantity: string | undefined): number | undefined {
  const match = quantity?.match(/^(\d+(?:\.\d+)?)(n|u|m)?$/);
  if (!match) return undefined;
  return Number(match[1]) * CPU_UNITS[match[2] ?? '']!;
}

/** "2Gi" → 2147483648; "900Mi"; "1000k"; plain bytes. */
export function parseMemory(quantity: string | undefined): number | undefined {
  const match = quantity?.match(/^(\d+(?:\.\d+)?)(k|M|G|T|Ki|Mi|Gi|Ti)?$/);
  if (!match) return undefined;
  return Number(match[1]) * MEMORY_UNITS[match[2] ?? '']!;
}
