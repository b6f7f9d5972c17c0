// Brings the local Kubernetes up: binaries, PKI, etcd, kube-apiserver, cluster bootstrap (kwok's
// CRDs, read-only RBAC, the metrics.k8s.io APIService), kwok and metrics-server, then the scenario.
import {
  ApiextensionsV1Api,
  KubeConfig,
  KubernetesObjectApi,
  loadAllYaml,
  loadYaml,
  PatchStrategy,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { readFileSync, readdirSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startService, type StartOutcome } from '../processes.ts';
import { ensureKubeBinaries, KWOK_VERSION, kwokModuleDir } from './build.ts';
import {
  apiserverService,
  etcdService,
  KUBE_PORTS,
  kubeStateMetricsService,
  kwokService,
  metricsServerService,
  tokenWebhookService,
  writeKubeconfigs,
  writeTokenWebhookConfig,
  type Kubeconfigs,
} from './control-plane.ts';
import {
  CHECKS_GROUP,
  checksAccessManifests,
  configReaderManifests,
  MITIGATOR_GROUP,
  mitigatorManifests,
  QUARANTINE_GROUP,
  quarantineManifests,
} from '../../core/cluster-access.ts';
import { ensurePki, IDENTITIES } from './pki.ts';

export const KUBE_SERVICE_NAMES = [
  'etcd',
  'eks-token-webhook',
  'kube-apiserver',
  'kwok',
  'metrics-server',
  'kube-state-metrics',
] as const;

export const READONLY_CLUSTER_ROLE = 'mcp-ops-readonly';
export const FIELD_MANAGER = 'mcp-ops-stack';

export function adminClient(kubeconfig: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return kc;
}

/** Server-side apply of any object, as `kubectl apply --server-side` does. */
export async function apply(kc: KubeConfig, object: KubernetesObject): Promise<void> {
  const client = KubernetesObjectApi.makeApiClient(kc);
  await client.patch(object, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
}

/** What mcp-ops may read, and nothing more: the same rules the CDK app grants on EKS. */
export function readonlyRbac(): KubernetesObject[] {
  return [
    // The local read-only identity, and the group the checks function's access entry names (the
    // deployed-shape test's token webhook maps the function's role to it, as EKS does).
    ...checksAccessManifests('mcp-system', [...IDENTITIES.readonly.groups, CHECKS_GROUP]),
    ...configReaderManifests('mcp-system', 'mcp-semantic-config'),
    // The mitigation function's write access, to its own group only (the local identity has it).
    ...mitigatorManifests('mcp-system', 'mcp-semantic-control-plane', 'mcp-semantic-ingress', [
      MITIGATOR_GROUP,
    ]),
    ...quarantineManifests('mcp-system', [QUARANTINE_GROUP]),
  ] as KubernetesObject[];
}

const KWOK_CRDS = [
  'logs',
  'clusterlogs',
  'clusterexecs',
  'metrics',
  'resourceusages',
  'clusterresourceusages',
];

/** kwok's CRDs, its kubelet /metrics/resource Metric, our usage rule, RBAC and the APIService. */
async function bootstrap(kc: KubeConfig): Promise<void> {
  const crdDir = join(kwokModuleDir(), 'kustomize', 'crd', 'bases');
  const extensions = kc.makeApiClient(ApiextensionsV1Api);
  for (const name of KWOK_CRDS) {
    const crd = loadYaml(
      readFileSync(join(crdDir, `kwok.x-k8s.io_${name}.yaml`), 'utf8'),
    ) as KubernetesObject;
    await apply(kc, crd);
  }
  // Wait until the CRDs are served before creating their objects.
  for (const name of KWOK_CRDS) {
    for (let i = 0; i < 50; i += 1) {
      const crd = await extensions.readCustomResourceDefinition({ name: `${name}.kwok.x-k8s.io` });
      if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const metric = loadYaml(
    readFileSync(join(kwokModuleDir(), 'kustomize', 'metrics', 'resource', 'metrics-resource.yaml'), 'utf8'),
  ) as KubernetesObject;
  const objects: KubernetesObject[] = [
    metric,
    ...(loadAllYaml(
      readFileSync(join(import.meta.dirname, 'stages', 'usage.yaml'), 'utf8'),
    ) as KubernetesObject[]),
    // `kubectl exec` into an mcp-system pod runs the command on this machine, where the simulated
    // service answers on the pods' metrics port (the manual's `curl localhost:9090/metrics`).
    {
      apiVersion: 'kwok.x-k8s.io/v1alpha1',
      kind: 'ClusterExec',
      metadata: { name: 'mcp-system-local-exec' },
      spec: { selector: { matchNamespaces: ['mcp-system'] }, execs: [{ local: { workDir: '/tmp' } }] },
    } as KubernetesObject,
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'mcp-system' } },
    ...readonlyRbac(),
    // metrics.k8s.io through the aggregator, as on a real cluster. The Service is ExternalName so
    // the aggregator dials metrics-server on loopback (Endpoints may not name loopback addresses).
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'metrics-server', namespace: 'kube-system' },
      spec: {
        type: 'ExternalName',
        externalName: 'localhost',
        ports: [{ name: 'https', port: KUBE_PORTS.metricsServer, protocol: 'TCP' }],
      },
    } as KubernetesObject,
    {
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: 'v1beta1.metrics.k8s.io' },
      spec: {
        group: 'metrics.k8s.io',
        version: 'v1beta1',
        service: { name: 'metrics-server', namespace: 'kube-system', port: KUBE_PORTS.metricsServer },
        insecureSkipTLSVerify: true,
        groupPriorityMinimum: 100,
        versionPriority: 100,
      },
    } as KubernetesObject,
  ];
  for (const object of objects) await apply(kc, object);
}

export interface KubeUpResult {
  readonly kubeconfigs: Kubeconfigs;
  readonly outcome: Record<string, StartOutcome>;
}

/** The Kubernetes part of `npm run stack:up`: idempotent like the rest. */
export async function kubeUp(stackDir: string, log: (line: string) => void): Promise<KubeUpResult> {
  const buildStarted = Date.now();
  const bins = ensureKubeBinaries(log);
  const built = (Date.now() - buildStarted) / 1000;
  const started = Date.now();
  const kubeDir = join(stackDir, 'kube');
  mkdirSync(kubeDir, { recursive: true });
  const pki = ensurePki(kubeDir);
  const outcome: Record<string, StartOutcome> = {};
  outcome.etcd = await startService(stackDir, etcdService(bins, join(kubeDir, 'etcd')));
  outcome['eks-token-webhook'] = await startService(stackDir, tokenWebhookService());
  outcome['kube-apiserver'] = await startService(
    stackDir,
    apiserverService(bins, pki, writeTokenWebhookConfig(kubeDir)),
  );
  const kubeconfigs = writeKubeconfigs(stackDir, pki);
  const kc = adminClient(kubeconfigs.admin);
  await bootstrap(kc);
  const stages = readdirSync(join(import.meta.dirname, 'stages'))
    .filter((f) => f.startsWith('pod-') && f.endsWith('.yaml'))
    .map((f) => join(import.meta.dirname, 'stages', f));
  outcome.kwok = await startService(stackDir, kwokService(bins, pki, kubeconfigs.admin, stages));
  outcome['metrics-server'] = await startService(
    stackDir,
    metricsServerService(bins, pki, kubeconfigs.admin),
  );
  outcome['kube-state-metrics'] = await startService(
    stackDir,
    kubeStateMetricsService(bins, kubeconfigs.admin),
  );
  log(
    `kubernetes ${kubeconfigs.server} (kwok ${KWOK_VERSION}) up in ${((Date.now() - started) / 1000).toFixed(1)} s` +
      (built > 5 ? ` after ${built.toFixed(0)} s of building` : ' (binaries cached)') +
      `; kubeconfigs ${kubeconfigs.admin} (admin), ${kubeconfigs.readonly} (read-only)`,
  );
  return { kubeconfigs, outcome };
}
