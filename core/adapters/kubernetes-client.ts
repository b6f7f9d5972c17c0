import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  NetworkingV1Api,
  RbacAuthorizationV1Api,
} from '@kubernetes/client-node';
import { Agent, request } from 'node:https';
import type { KubernetesPort, NodeUsage, PodUsage, SecretMetadata } from '../kubernetes.ts';
import { parseCpu, parseMemory } from '../kubernetes.ts';
import { DependencyFailed, retryableStatus } from '../errors.ts';

const PAGE = 500;

interface MetricsList {
  items: Array<{
    metadata: { name: string };
    usage?: Record<string, string>;
    containers?: Array<{ name: string; usage: Record<string, string> }>;
  }>;
}

/** KubernetesPort over @kubernetes/client-node, from a kubeconfig (file, or built from an EKS token). */
export class KubernetesClient implements KubernetesPort {
  private readonly core: CoreV1Api;
  private readonly apps: AppsV1Api;
  private readonly batch: BatchV1Api;
  private readonly custom: CustomObjectsApi;
  private readonly networking: NetworkingV1Api;
  private readonly rbac: RbacAuthorizationV1Api;
  private connecting?: Promise<{ agent: Agent; headers: Record<string, string> }>;

  constructor(
    private readonly kc: KubeConfig,
    private readonly requestTimeoutMs = 20_000,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.apps = kc.makeApiClient(AppsV1Api);
    this.batch = kc.makeApiClient(BatchV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.networking = kc.makeApiClient(NetworkingV1Api);
    this.rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  }

  async *pods(namespace: string, labelSelector?: string) {
    let token: string | undefined;
    do {
      const page = await this.core.listNamespacedPod({
        namespace,
        limit: PAGE,
        ...(labelSelector ? { labelSelector } : {}),
        ...(token ? { _continue: token } : {}),
      });
      // managedFields are most of a pod's bytes and nothing the checks read.
      for (const pod of page.items) if (pod.metadata) delete pod.metadata.managedFields;
      yield page.items;
      token = page.metadata?._continue || undefined;
    } while (token);
  }

  async podLog(
    namespace: string,
    pod: string,
    container: string,
    sinceSeconds: number,
    options: { previous?: boolean; tailLines?: number } = {},
  ): Promise<string> {
    // Through the kept-alive connection: a report reads every pod's log, one TLS handshake each
    // (what the generated client does) made 2,000 pods take 25 s.
    const query = new URLSearchParams({ container, sinceSeconds: String(sinceSeconds) });
    if (options.previous) query.set('previous', 'true');
    if (options.tailLines !== undefined) query.set('tailLines', String(options.tailLines));
    return this.getRaw(
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log?${query}`,
      // The log endpoint answers text but refuses an Accept of text/plain (406).
      '*/*',
    );
  }

  async jobs(namespace: string, labelSelector: string) {
    return (await this.batch.listNamespacedJob({ namespace, labelSelector })).items;
  }

  async *warningEvents(namespace: string) {
    let token: string | undefined;
    do {
      const page = await this.core.listNamespacedEvent({
        namespace,
        fieldSelector: 'type=Warning',
        limit: PAGE,
        ...(token ? { _continue: token } : {}),
      });
      yield page.items;
      token = page.metadata?._continue || undefined;
    } while (token);
  }

  async nodes() {
    return (await this.core.listNode()).items;
  }

  /** One pod as `kubectl get pod -o yaml` shows it, or undefined when there is none. */
  async pod(namespace: string, name: string) {
    try {
      return await this.core.readNamespacedPod({ name, namespace });
    } catch (error) {
      if ((error as { code?: number }).code === 404) return undefined;
      throw error;
    }
  }

  /** Every event of the namespace (all types), as `kubectl get events` lists them. */
  async events(namespace: string) {
    const all = [];
    let token: string | undefined;
    do {
      const page = await this.core.listNamespacedEvent({
        namespace,
        limit: PAGE,
        ...(token ? { _continue: token } : {}),
      });
      all.push(...page.items);
      token = page.metadata?._continue || undefined;
    } while (token);
    return all;
  }

  async podUsage(namespace: string, labelSelector?: string): Promise<PodUsage[]> {
    const list = (await this.custom.listNamespacedCustomObject({
      group: 'metrics.k8s.io',
      version: 'v1beta1',
      namespace,
      plural: 'pods',
      ...(labelSelector ? { labelSelector } : {}),
    })) as MetricsList;
    return list.items.map((item) => ({
      pod: item.metadata.name,
      containers: (item.containers ?? []).map((c) => ({
        name: c.name,
        cpuCores: parseCpu(c.usage.cpu) ?? 0,
        memoryBytes: parseMemory(c.usage.memory) ?? 0,
      })),
    }));
  }

  async nodeUsage(): Promise<NodeUsage[]> {
    const list = (await this.custom.listClusterCustomObject({
      group: 'metrics.k8s.io',
      version: 'v1beta1',
      plural: 'nodes',
    })) as MetricsList;
    return list.items.map((item) => ({
      node: item.metadata.name,
      cpuCores: parseCpu(item.usage?.cpu) ?? 0,
      memoryBytes: parseMemory(item.usage?.memory) ?? 0,
    }));
  }

  async podProxyGet(namespace: string, pod: string, port: number, path: string): Promise<string> {
    const target = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}:${port}/proxy/${path.replace(/^\//, '')}`;
    return this.getRaw(target, 'text/plain');
  }

  async serviceProxyGet(namespace: string, service: string, port: number | string, pathAndQuery: string) {
    const target = `/api/v1/namespaces/${encodeURIComponent(namespace)}/services/${encodeURIComponent(service)}:${encodeURIComponent(String(port))}/proxy/${pathAndQuery.replace(/^\//, '')}`;
    return this.request(target, 'application/json');
  }

  async configMapData(namespace: string, name: string) {
    const found = await unlessNotFound(this.core.readNamespacedConfigMap({ namespace, name }));
    return found ? (found.data ?? {}) : undefined;
  }

  async deployment(namespace: string, name: string) {
    const found = await unlessNotFound(this.apps.readNamespacedDeployment({ namespace, name }));
    if (found?.metadata) delete found.metadata.managedFields;
    return found;
  }

  async replicaSets(namespace: string, labelSelector: string) {
    const list = await this.apps.listNamespacedReplicaSet({ namespace, labelSelector });
    for (const rs of list.items) if (rs.metadata) delete rs.metadata.managedFields;
    return list.items;
  }

  async configMap(namespace: string, name: string) {
    return unlessNotFound(this.core.readNamespacedConfigMap({ namespace, name }));
  }

  async ingress(namespace: string, name: string) {
    return unlessNotFound(this.networking.readNamespacedIngress({ namespace, name }));
  }

  async networkPolicies(namespace: string) {
    return (await this.networking.listNamespacedNetworkPolicy({ namespace })).items;
  }

  async roles(namespace: string) {
    return (await this.rbac.listNamespacedRole({ namespace })).items;
  }

  async roleBindings(namespace: string) {
    return (await this.rbac.listNamespacedRoleBinding({ namespace })).items;
  }

  async clusterRoles() {
    return (await this.rbac.listClusterRole()).items;
  }

  async clusterRoleBindings() {
    return (await this.rbac.listClusterRoleBinding()).items;
  }

  async secretsMetadata(namespace: string): Promise<SecretMetadata[]> {
    // Asking for PartialObjectMetadataList: the API server strips data before it leaves the cluster.
    const text = await this.getRaw(
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`,
      'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1',
    );
    const list = JSON.parse(text) as {
      kind?: string;
      items?: Array<{
        metadata?: { name?: string; creationTimestamp?: string; annotations?: Record<string, string> };
      }>;
    };
    if (list.kind !== 'PartialObjectMetadataList')
      throw new Error(`expected secrets' metadata only, the API server answered ${list.kind}`);
    return (list.items ?? []).map((item) => ({
      name: item.metadata?.name ?? '',
      ...(item.metadata?.creationTimestamp ? { created: new Date(item.metadata.creationTimestamp) } : {}),
    }));
  }

  /** One kept-alive agent with the kubeconfig's CA, client certificate and auth headers. */
  private connection(): Promise<{ agent: Agent; headers: Record<string, string> }> {
    this.connecting ??= (async () => {
      const options: Record<string, unknown> & { headers?: Record<string, string> } = {};
      await this.kc.applyToHTTPSOptions(options);
      const agent = new Agent({
        keepAlive: true,
        maxSockets: 32,
        ...(options.ca ? { ca: options.ca as string } : {}),
        ...(options.cert ? { cert: options.cert as string } : {}),
        ...(options.key ? { key: options.key as string } : {}),
        ...(options.rejectUnauthorized === false || this.kc.getCurrentCluster()?.skipTLSVerify
          ? { rejectUnauthorized: false }
          : {}),
      });
      return { agent, headers: options.headers ?? {} };
    })();
    return this.connecting;
  }

  /** A GET the generated clients cannot express (a custom Accept, a proxied or plain-text answer). */
  private async getRaw(path: string, accept: string): Promise<string> {
    const { status, body } = await this.request(path, accept);
    if (status >= 400)
      throw new KubernetesHttpError(
        `GET ${path.split('?')[0]}: HTTP ${status}: ${body.slice(0, 300)}`,
        status,
      );
    return body;
  }

  private async request(path: string, accept: string): Promise<{ status: number; body: string }> {
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    const url = new URL(path, cluster.server);
    const { agent, headers } = await this.connection();
    const options = {
      method: 'GET',
      headers: { ...headers, Accept: accept },
      timeout: this.requestTimeoutMs,
      agent,
    };
    return new Promise((resolve, reject) => {
      const req = request(url, options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 500, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      });
      req.on('timeout', () =>
        req.destroy(new Error(`GET ${url.pathname}: no answer in ${this.requestTimeoutMs} ms`)),
      );
      req.on('error', reject);
      req.end();
    });
  }
}

/** The API server (or what it proxies to) answered with an error status. */
export class KubernetesHttpError extends DependencyFailed {
  override name = 'KubernetesHttpError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message, { retryable: retryableStatus(status) });
  }
}

/** The object, or undefined when the API server answers 404. */
async function unlessNotFound<T>(request: Promise<T>): Promise<T | undefined> {
  try {
    return await request;
  } catch (error) {
    if ((error as { code?: number }).code === 404) return undefined;
    throw error;
  }
}
