// The manual's world in the local cluster, and named scenarios that tests switch between.
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  NetworkingV1Api,
  type KubeConfig,
  type KubernetesObject,
  type V1Deployment,
  type V1Job,
  type V1Node,
  type V1Pod,
  type V1PodTemplateSpec,
  type V1ReplicaSet,
} from '@kubernetes/client-node';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mapBounded } from '../../core/bounded.ts';
import { PROMETHEUS_POD_IP, PROMETHEUS_POD_PORT, SERVICE_POD_IP } from '../pod-network.ts';
import { apply } from './cluster.ts';
import { bulkCreate } from './bulk-create.ts';
import { KUBE_PORTS } from './control-plane.ts';
import {
  appLogs,
  DEPLOYMENT,
  hash,
  IMAGE,
  NAMESPACE,
  podName,
  REPLICA_SET,
  world,
  type PodPlan,
  type Scenario,
  type World,
} from './world.ts';

export { DEPLOYMENT, IMAGE, NAMESPACE, SCENARIOS, type Scenario } from './world.ts';

const SCENARIO_CONFIGMAP = 'mcp-ops-local-scenario';
/** Raised when what a scenario seeds changes, so a cluster seeded by older code is seeded again. */
const WORLD_VERSION = '3';
export const INGRESS = 'mcp-semantic-ingress';
const REVISION = 'deployment.kubernetes.io/revision';
const MAINTENANCE_MODE = 'nginx.ingress.kubernetes.io/custom-http-errors';

const HARDENED = {
  runAsNonRoot: true,
  runAsUser: 10001,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
};

export const labels = { app: 'mcp-semantic', 'app.kubernetes.io/name': 'mcp-semantic-control-plane' };

function container(image = IMAGE) {
  return {
    name: 'semantic-control-plane',
    image,
    ports: [{ name: 'metrics', containerPort: 9090 }],
    resources: { requests: { cpu: '1000m', memory: '2Gi' }, limits: { cpu: '4000m', memory: '8Gi' } },
    securityContext: HARDENED,
  };
}

async function ignoreNotFound(promise: Promise<unknown>): Promise<void> {
  try {
    await promise;
  } catch (error) {
    if ((error as { code?: number }).code !== 404) throw error;
  }
}

const SHARED_LOGS = 'mcp-shared-logs';

/** A log line in the container runtime's (CRI) format, which is what a kubelet, and kwok, read. */
function criLine(line: string): string {
  return `${line.slice(0, 24)} ${/ (ERROR|FATAL) /.test(line) ? 'stderr' : 'stdout'} F ${line}`;
}

/** Removes what a scenario creates (never the namespace: no controller here would finish deleting it). */
async function clear(kc: KubeConfig): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const batch = kc.makeApiClient(BatchV1Api);
  const namespace = NAMESPACE;
  await core.deleteCollectionNamespacedPod({ namespace, gracePeriodSeconds: 0 });
  await apps.deleteCollectionNamespacedReplicaSet({ namespace });
  await apps.deleteCollectionNamespacedDeployment({ namespace });
  await batch.deleteCollectionNamespacedJob({ namespace, propagationPolicy: 'Background' });
  await core.deleteCollectionNamespacedEvent({ namespace });
  await core.deleteCollectionNamespacedEvent({ namespace: 'default' });
  // The Ingress too: maintenance mode (an annotation a test set) must not outlive its scenario.
  await kc.makeApiClient(NetworkingV1Api).deleteCollectionNamespacedIngress({ namespace });
  await core.deleteCollectionNode({ labelSelector: 'mcp-ops.local/node=true' });
  await ignoreNotFound(
    kc.makeApiClient(CustomObjectsApi).deleteClusterCustomObject({
      group: 'kwok.x-k8s.io',
      version: 'v1alpha1',
      plural: 'clusterlogs',
      name: SHARED_LOGS,
    }),
  );
}

function nodeObject(node: World['nodes'][number], now: Date): V1Node {
  const conditions = ['MemoryPressure', 'DiskPressure', 'PIDPressure'].map((type) => ({
    type,
    status: node.pressure === type ? 'True' : 'False',
    reason:
      node.pressure === type
        ? `KubeletHas${type === 'MemoryPressure' ? 'Insufficient' : ''}${type}`
        : `KubeletHasNo${type}`,
    message: node.pressure === type ? `kubelet has ${type}` : `kubelet has no ${type}`,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  }));
  const cpuMilli = Number(node.cpu) * 1000;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: node.name,
      labels: {
        'mcp-ops.local/node': 'true',
        'kubernetes.io/hostname': node.name,
        'node.kubernetes.io/instance-type': 'm6i.4xlarge',
      },
      annotations: {
        'kwok.x-k8s.io/node': 'fake',
        'metrics.k8s.io/resource-metrics-path': `/metrics/nodes/${node.name}/metrics/resource`,
      },
    },
    status: {
      // Where the API server finds this node's kubelet: kwok's endpoint on loopback.
      addresses: [
        { type: 'InternalIP', address: '127.0.0.1' },
        { type: 'Hostname', address: node.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: KUBE_PORTS.kwok } },
      nodeInfo: {
        architecture: 'amd64',
        operatingSystem: 'linux',
        osImage: 'kwok',
        kubeletVersion: 'v1.34.4-kwok',
        kubeProxyVersion: 'v1.34.4-kwok',
        containerRuntimeVersion: 'kwok',
        kernelVersion: 'kwok',
        bootID: '',
        machineID: '',
        systemUUID: '',
      },
      capacity: { cpu: node.cpu, memory: node.memory, pods: '110' },
      allocatable: {
        cpu: `${cpuMilli - 200}m`,
        memory:
          node.memory.replace(/Gi$/, '') === node.memory
            ? node.memory
            : `${Number(node.memory.replace(/Gi$/, '')) - 2}Gi`,
        pods: '110',
      },
      conditions: [
        ...conditions,
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'kubelet is posting ready status',
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        },
      ],
    },
  };
}

async function seedNodes(kc: KubeConfig, nodes: World['nodes'], now: Date): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  for (const node of nodes) {
    const object = nodeObject(node, now);
    await core.createNode({ body: object });
    // Status is the kubelet's to write: set it through the status subresource, as a kubelet does.
    const current = await core.readNode({ name: node.name });
    await core.replaceNodeStatus({
      name: node.name,
      body: { ...current, status: { ...current.status, ...object.status } },
    });
  }
}

/** A pod of the Deployment as the ReplicaSet controller would make it, for kwok to play. */
export function podObject(plan: PodPlan, replicaSet: string, replicaSetUid: string): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: plan.name,
      labels,
      annotations: {
        'mcp-ops.local/usage-cpu': plan.usage.cpu,
        'mcp-ops.local/usage-memory': plan.usage.memory,
        ...(plan.behaviour ? { 'mcp-ops.local/behaviour': plan.behaviour } : {}),
        // In the pod network's namespace (stack/pod-network.ts), where the service answers.
        'mcp-ops.local/pod-ip': SERVICE_POD_IP,
        ...(plan.restarts !== undefined ? { 'mcp-ops.local/restarts': String(plan.restarts) } : {}),
      },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: replicaSet,
          uid: replicaSetUid,
          controller: true,
        },
      ],
    },
    spec: { nodeName: plan.node, containers: [container(plan.image)], serviceAccountName: 'mcp-semantic' },
  };
}

/** A ReplicaSet of the Deployment at `revision`, owned by it, as the controller makes one. */
export function replicaSetObject(
  name: string,
  revision: string,
  deploymentUid: string,
  replicas: number,
  template: V1PodTemplateSpec,
): V1ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      labels,
      annotations: { [REVISION]: revision },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: DEPLOYMENT, uid: deploymentUid, controller: true },
      ],
    },
    spec: { replicas, selector: { matchLabels: { app: 'mcp-semantic' } }, template },
  };
}

/** The pod's log (and its previous container's) as files, and the kwok Logs object that serves them. */
async function seedPodLogs(kc: KubeConfig, plan: PodPlan, logDir: string): Promise<void> {
  const file = join(logDir, `${plan.name}.log`);
  writeFileSync(file, `${plan.logs.map(criLine).join('\n')}\n`);
  const previous = plan.previousLogs ? join(logDir, `${plan.name}.previous.log`) : undefined;
  if (previous) writeFileSync(previous, `${plan.previousLogs!.map(criLine).join('\n')}\n`);
  await apply(kc, {
    apiVersion: 'kwok.x-k8s.io/v1alpha1',
    kind: 'Logs',
    metadata: { name: plan.name, namespace: NAMESPACE },
    spec: {
      logs: [
        {
          containers: ['semantic-control-plane'],
          logsFile: file,
          follow: false,
          ...(previous ? { previousLogsFile: previous } : {}),
        },
      ],
    },
  } as KubernetesObject);
}

async function seedDeployment(kc: KubeConfig, w: World, logDir: string): Promise<void> {
  const apps = kc.makeApiClient(AppsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const replicas = w.pods.length;
  const template = {
    metadata: { labels },
    spec: { containers: [container()], serviceAccountName: 'mcp-semantic' },
  };
  const deployment = await apps.createNamespacedDeployment({
    namespace: NAMESPACE,
    body: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: DEPLOYMENT, labels, annotations: { [REVISION]: '1' } },
      spec: { replicas, selector: { matchLabels: { app: 'mcp-semantic' } }, template },
    } as V1Deployment,
  });
  // No controller-manager runs here: the seeder plays its part, owner references included.
  const rs = await apps.createNamespacedReplicaSet({
    namespace: NAMESPACE,
    body: replicaSetObject(REPLICA_SET, '1', deployment.metadata!.uid!, replicas, template),
  });
  mkdirSync(logDir, { recursive: true });
  if (w.sharedLogs) {
    const file = join(logDir, 'shared.log');
    writeFileSync(file, `${w.sharedLogs.map(criLine).join('\n')}\n`);
    await apply(kc, {
      apiVersion: 'kwok.x-k8s.io/v1alpha1',
      kind: 'ClusterLogs',
      metadata: { name: SHARED_LOGS },
      spec: {
        selector: { matchNamespaces: [NAMESPACE] },
        logs: [{ containers: ['semantic-control-plane'], logsFile: file, follow: false }],
      },
    } as KubernetesObject);
  }
  await mapBounded(w.pods, 64, async (plan) => {
    const pod = podObject(plan, REPLICA_SET, rs.metadata!.uid!);
    await core.createNamespacedPod({ namespace: NAMESPACE, body: pod });
    if (plan.logs.length > 0) await seedPodLogs(kc, plan, logDir);
  });
  const status = {
    replicas,
    readyReplicas: w.readyReplicas,
    availableReplicas: w.readyReplicas,
    updatedReplicas: replicas,
    observedGeneration: 1,
  };
  const d = await apps.readNamespacedDeployment({ name: DEPLOYMENT, namespace: NAMESPACE });
  await apps.replaceNamespacedDeploymentStatus({
    name: DEPLOYMENT,
    namespace: NAMESPACE,
    body: { ...d, status },
  });
  const r = await apps.readNamespacedReplicaSet({ name: REPLICA_SET, namespace: NAMESPACE });
  await apps.replaceNamespacedReplicaSetStatus({
    name: REPLICA_SET,
    namespace: NAMESPACE,
    body: { ...r, status: { ...status, fullyLabeledReplicas: replicas } },
  });
}

async function seedBackups(kc: KubeConfig, w: World, now: Date): Promise<void> {
  const batch = kc.makeApiClient(BatchV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  for (const backup of w.backups) {
    const started = new Date(now.getTime() - backup.hoursAgo * 3_600_000);
    const finished = new Date(started.getTime() + backup.minutes * 60_000);
    const jobLabels = { app: 'mcp-backup', 'job-name': backup.name };
    const job = await batch.createNamespacedJob({
      namespace: NAMESPACE,
      body: {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: backup.name, labels: { app: 'mcp-backup' } },
        spec: {
          backoffLimit: 0,
          manualSelector: true,
          selector: { matchLabels: jobLabels },
          template: {
            metadata: { labels: jobLabels },
            spec: {
              restartPolicy: 'Never',
              containers: [
                {
                  name: 'backup',
                  image: 'mcp/backup:v1.4.2',
                  args: ['backup', '--to', 's3://mcp-artifacts-backup'],
                  securityContext: HARDENED,
                },
              ],
            },
          },
        },
      } as V1Job,
    });
    await core.createNamespacedPod({
      namespace: NAMESPACE,
      body: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `${backup.name}-${hash(backup.name).slice(0, 5)}`,
          labels: jobLabels,
          ...(backup.succeeded ? {} : { annotations: { 'mcp-ops.local/behaviour': 'fail' } }),
          ownerReferences: [
            {
              apiVersion: 'batch/v1',
              kind: 'Job',
              name: backup.name,
              uid: job.metadata!.uid!,
              controller: true,
            },
          ],
        },
        spec: {
          nodeName: w.nodes[0]!.name,
          restartPolicy: 'Never',
          containers: [{ name: 'backup', image: 'mcp/backup:v1.4.2', securityContext: HARDENED }],
        },
      },
    });
    const condition = backup.succeeded
      ? [
          {
            type: 'SuccessCriteriaMet',
            status: 'True',
            lastTransitionTime: finished,
            lastProbeTime: finished,
          },
          { type: 'Complete', status: 'True', lastTransitionTime: finished, lastProbeTime: finished },
        ]
      : [
          {
            type: 'FailureTarget',
            status: 'True',
            reason: 'BackoffLimitExceeded',
            message: 'Job has reached the specified backoff limit',
            lastTransitionTime: finished,
            lastProbeTime: finished,
          },
          {
            type: 'Failed',
            status: 'True',
            reason: 'BackoffLimitExceeded',
            message: 'Job has reached the specified backoff limit',
            lastTransitionTime: finished,
            lastProbeTime: finished,
          },
        ];
    const current = await batch.readNamespacedJob({ name: backup.name, namespace: NAMESPACE });
    await batch.replaceNamespacedJobStatus({
      name: backup.name,
      namespace: NAMESPACE,
      body: {
        ...current,
        status: {
          startTime: started,
          ...(backup.succeeded ? { completionTime: finished, succeeded: 1 } : { failed: 1 }),
          conditions: condition,
          ready: 0,
          terminating: 0,
          uncountedTerminatedPods: {},
        },
      },
    });
  }
}

async function seedEvents(kc: KubeConfig, w: World, now: Date): Promise<void> {
  const events = w.warnings.map((e, i) => ({ ...e, key: `w${i}` }));
  const bulk = Array.from({ length: w.bulkEvents ?? 0 }, (_, i) => ({
    reason: ['BackOff', 'Unhealthy', 'FailedMount', 'Pulled'][i % 4]!,
    kind: 'Pod',
    name: podName(i % Math.max(1, w.pods.length)),
    message: `synthetic event ${i}`,
    minutesAgo: i % 1_440,
    count: 1 + (i % 5),
    key: `b${i}`,
  }));
  const objects = [...events, ...bulk].map((e) => {
    const at = new Date(now.getTime() - e.minutesAgo * 60_000);
    // Events about a node (cluster-scoped) live in `default`, as the kubelet records them.
    const namespace = e.kind === 'Node' ? 'default' : NAMESPACE;
    return {
      path: `/api/v1/namespaces/${namespace}/events`,
      body: {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${e.name}.${hash(e.key).slice(0, 16)}`, namespace },
        involvedObject: {
          kind: e.kind,
          name: e.name,
          ...(e.kind === 'Node' ? {} : { namespace: NAMESPACE }),
          apiVersion: e.kind === 'Job' ? 'batch/v1' : 'v1',
        },
        reason: e.reason,
        message: e.message,
        type: e.reason === 'Pulled' ? 'Normal' : 'Warning',
        count: e.count,
        firstTimestamp: new Date(at.getTime() - e.count * 60_000).toISOString(),
        lastTimestamp: at.toISOString(),
        source: { component: 'kubelet', host: w.nodes[0]!.name },
      },
    };
  });
  await bulkCreate(kc, objects);
}

/** The objects that are the same in every scenario: ConfigMap, NetworkPolicies, RBAC, ServiceAccount. */
function fixtures(): KubernetesObject[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'mcp-semantic-config', namespace: NAMESPACE },
      data: {
        'validation.cache.size': '10000',
        'validation.cache.ttl': '300000',
        'artifact.retention.days': '90',
      },
    } as KubernetesObject,
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'mcp-semantic', namespace: NAMESPACE } },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'mcp-semantic-credentials', namespace: NAMESPACE },
      type: 'Opaque',
      stringData: { 'registry-token': 'local-stack-not-a-real-token' },
    } as KubernetesObject,
    // The service-account controller is not running: its `default` account is made here.
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: NAMESPACE } },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'default-deny-all', namespace: NAMESPACE },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    } as KubernetesObject,
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'mcp-semantic-allow', namespace: NAMESPACE },
      spec: {
        podSelector: { matchLabels: { app: 'mcp-semantic' } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          {
            from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
            ports: [{ port: 9090, protocol: 'TCP' }],
          },
        ],
        egress: [
          {
            ports: [
              { port: 443, protocol: 'TCP' },
              { port: 53, protocol: 'UDP' },
            ],
          },
        ],
      },
    } as KubernetesObject,
    // The manual's ingress; maintenance mode is its custom-http-errors "503" annotation.
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: INGRESS, namespace: NAMESPACE },
      spec: {
        ingressClassName: 'nginx',
        rules: [
          {
            host: 'mcp.example.internal',
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Prefix',
                  backend: { service: { name: 'mcp-semantic', port: { number: 8080 } } },
                },
              ],
            },
          },
        ],
      },
    } as KubernetesObject,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'mcp-semantic', namespace: NAMESPACE },
      rules: [
        {
          apiGroups: [''],
          resources: ['configmaps'],
          resourceNames: ['mcp-semantic-config'],
          verbs: ['get', 'watch'],
        },
      ],
    } as KubernetesObject,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'mcp-semantic', namespace: NAMESPACE },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'mcp-semantic' },
      subjects: [{ kind: 'ServiceAccount', name: 'mcp-semantic', namespace: NAMESPACE }],
    } as KubernetesObject,
  ];
}

/** The scenario the cluster is in now (recorded in a ConfigMap in kube-system), if any. */
export async function currentScenario(kc: KubeConfig): Promise<Scenario | undefined> {
  const core = kc.makeApiClient(CoreV1Api);
  try {
    const map = await core.readNamespacedConfigMap({ name: SCENARIO_CONFIGMAP, namespace: 'kube-system' });
    if (map.data?.worldVersion !== WORLD_VERSION) return undefined;
    return map.data?.scenario as Scenario | undefined;
  } catch (error) {
    if ((error as { code?: number }).code === 404) return undefined;
    throw error;
  }
}

/** Puts the cluster into `scenario`: everything a scenario owns is removed, then seeded afresh. */
/**
 * The manual's `prometheus-mcp.mcp-system:9090`: a Prometheus pod whose IP, in the pod network, leads
 * to the local Prometheus, and a Service over it. With no controller manager here the Endpoints are
 * written by hand, naming the pod (the API server's service proxy only dials addresses of pods).
 */
async function seedPrometheus(kc: KubeConfig, node: string): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const name = 'prometheus-mcp-0';
  const labels = { app: 'prometheus-mcp', 'app.kubernetes.io/name': 'prometheus' };
  const pod = await core.createNamespacedPod({
    namespace: NAMESPACE,
    body: {
      metadata: { name, labels, annotations: { 'mcp-ops.local/pod-ip': PROMETHEUS_POD_IP } },
      spec: {
        nodeName: node,
        securityContext: { runAsNonRoot: true, runAsUser: 65534, fsGroup: 65534 },
        containers: [
          {
            name: 'prometheus',
            image: 'quay.io/prometheus/prometheus:v2.42.0',
            ports: [{ name: 'web', containerPort: PROMETHEUS_POD_PORT }],
            resources: {
              requests: { cpu: '250m', memory: '1Gi' },
              limits: { cpu: '1', memory: '2Gi' },
            },
            securityContext: {
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              capabilities: { drop: ['ALL'] },
            },
          },
        ],
      },
    },
  });
  const objects: KubernetesObject[] = [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'prometheus-mcp', namespace: NAMESPACE, labels },
      spec: { ports: [{ name: 'web', port: 9090, targetPort: PROMETHEUS_POD_PORT, protocol: 'TCP' }] },
    } as KubernetesObject,
    {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'prometheus-mcp', namespace: NAMESPACE, labels },
      subsets: [
        {
          addresses: [
            {
              ip: PROMETHEUS_POD_IP,
              nodeName: node,
              targetRef: { kind: 'Pod', name, namespace: NAMESPACE, uid: pod.metadata!.uid! },
            },
          ],
          ports: [{ name: 'web', port: PROMETHEUS_POD_PORT, protocol: 'TCP' }],
        },
      ],
    } as KubernetesObject,
  ];
  for (const object of objects) await apply(kc, object);
}

export async function seedScenario(
  kc: KubeConfig,
  scenario: Scenario,
  logDir: string,
  now = new Date(),
): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await ignoreNotFound(
    core.deleteNamespacedConfigMap({ name: SCENARIO_CONFIGMAP, namespace: 'kube-system' }),
  );
  await clear(kc);
  const w = world(scenario, now);
  for (const object of fixtures()) await apply(kc, object);
  await seedNodes(kc, w.nodes, now);
  await seedDeployment(kc, w, logDir);
  await seedPrometheus(kc, w.nodes[0]!.name);
  await seedBackups(kc, w, now);
  await seedEvents(kc, w, now);
  await core.createNamespacedConfigMap({
    namespace: 'kube-system',
    body: {
      metadata: { name: SCENARIO_CONFIGMAP },
      data: { scenario, seededAt: now.toISOString(), worldVersion: WORLD_VERSION },
    },
  });
}

/**
 * Plays a rollout of the Deployment to `version`, as `kubectl set image` and the controllers would:
 * the template's image changes (a new generation), a ReplicaSet of revision 2 takes over with new
 * pods, the old one is scaled to 0, and the status says `ready` of the replicas are ready (the rest
 * crash-loop: a rollout stuck at ready/replicas). The cluster then counts as in no named scenario,
 * so the next `clusterInScenario` seeds afresh.
 */
export async function rollOut(
  kc: KubeConfig,
  options: { version: string; ready: number; logDir: string; now?: Date; errorsInLogs?: number },
): Promise<{ image: string; replicaSet: string; revision: string }> {
  const apps = kc.makeApiClient(AppsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const now = options.now ?? new Date();
  const image = IMAGE.replace(/:[^:]+$/, `:${options.version}`);
  const revision = '2';
  const current = await apps.readNamespacedDeployment({ name: DEPLOYMENT, namespace: NAMESPACE });
  const replicas = current.spec?.replicas ?? 5;
  const template = {
    metadata: { labels },
    spec: { containers: [container(image)], serviceAccountName: 'mcp-semantic' },
  };
  const updated = await apps.replaceNamespacedDeployment({
    name: DEPLOYMENT,
    namespace: NAMESPACE,
    body: {
      ...current,
      metadata: {
        ...current.metadata,
        annotations: { ...current.metadata?.annotations, [REVISION]: revision },
      },
      spec: { ...current.spec!, template },
    },
  });
  const replicaSet = `${DEPLOYMENT}-${hash(options.version).slice(0, 10)}`;
  const rs = await apps.createNamespacedReplicaSet({
    namespace: NAMESPACE,
    body: replicaSetObject(replicaSet, revision, updated.metadata!.uid!, replicas, template),
  });
  // The old pods go and their ReplicaSet is scaled to nothing.
  const old = await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: 'app=mcp-semantic' });
  await mapBounded(old.items, 16, (pod) =>
    ignoreNotFound(
      core.deleteNamespacedPod({ name: pod.metadata!.name!, namespace: NAMESPACE, gracePeriodSeconds: 0 }),
    ),
  );
  const previous = await apps.readNamespacedReplicaSet({ name: REPLICA_SET, namespace: NAMESPACE });
  await apps.replaceNamespacedReplicaSet({
    name: REPLICA_SET,
    namespace: NAMESPACE,
    body: { ...previous, spec: { ...previous.spec!, replicas: 0 } },
  });
  mkdirSync(options.logDir, { recursive: true });
  await mapBounded(
    Array.from({ length: replicas }, (_, i) => i),
    16,
    async (i) => {
      const name = `${replicaSet}-${hash(`${options.version}-pod-${i}`).slice(0, 5)}`;
      const plan: PodPlan = {
        name,
        node: `mcp-node-${(i % 3) + 1}`,
        image,
        usage: { cpu: `${300 + ((i * 37) % 200)}m`, memory: `${1024 + ((i * 131) % 512)}Mi` },
        ...(i >= options.ready ? { behaviour: 'crash-loop' as const, restarts: 4 } : {}),
        logs: appLogs(name, options.errorsInLogs ?? 0, now),
      };
      await core.createNamespacedPod({
        namespace: NAMESPACE,
        body: podObject(plan, replicaSet, rs.metadata!.uid!),
      });
      await seedPodLogs(kc, plan, options.logDir);
    },
  );
  const status = {
    replicas,
    updatedReplicas: replicas,
    readyReplicas: options.ready,
    availableReplicas: options.ready,
    ...(options.ready < replicas ? { unavailableReplicas: replicas - options.ready } : {}),
    observedGeneration: updated.metadata!.generation!,
  };
  const latest = await apps.readNamespacedDeployment({ name: DEPLOYMENT, namespace: NAMESPACE });
  await apps.replaceNamespacedDeploymentStatus({
    name: DEPLOYMENT,
    namespace: NAMESPACE,
    body: { ...latest, status },
  });
  await markScenario(kc, `rolled-out-${options.version}-${options.ready}`);
  return { image, replicaSet, revision };
}

/** Switches the manual's maintenance mode on or off (what its step 1 and step 5 patch). */
export async function setMaintenanceMode(kc: KubeConfig, on: boolean): Promise<void> {
  const networking = kc.makeApiClient(NetworkingV1Api);
  const ingress = await networking.readNamespacedIngress({ name: INGRESS, namespace: NAMESPACE });
  const annotations = { ...ingress.metadata?.annotations };
  if (on) annotations[MAINTENANCE_MODE] = '503';
  else delete annotations[MAINTENANCE_MODE];
  await networking.replaceNamespacedIngress({
    name: INGRESS,
    namespace: NAMESPACE,
    body: { ...ingress, metadata: { ...ingress.metadata, annotations } },
  });
  await markScenario(kc, `maintenance-mode-${on ? 'on' : 'off'}`);
}

/** Records that the cluster left its named scenario (the next clusterInScenario seeds again). */
export async function markScenario(kc: KubeConfig, name: string): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const map = await core.readNamespacedConfigMap({ name: SCENARIO_CONFIGMAP, namespace: 'kube-system' });
  await core.replaceNamespacedConfigMap({
    name: SCENARIO_CONFIGMAP,
    namespace: 'kube-system',
    body: { ...map, data: { ...map.data, scenario: name } },
  });
}
