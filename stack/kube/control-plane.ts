// The local Kubernetes: etcd, kube-apiserver (RBAC, token identities, aggregation), kwok playing
// the kubelets, metrics-server behind an APIService, all on 127.0.0.1.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { httpOk, writeIfChanged, type ServiceSpec } from '../processes.ts';
import type { KubeBinaries } from './build.ts';
import { kubeconfigYaml, type Pki } from './pki.ts';

export const KUBE_PORTS = {
  etcd: Number(process.env.MCP_STACK_ETCD_PORT ?? 12379),
  etcdPeer: Number(process.env.MCP_STACK_ETCD_PEER_PORT ?? 12380),
  apiserver: Number(process.env.MCP_STACK_APISERVER_PORT ?? 16443),
  kwok: Number(process.env.MCP_STACK_KWOK_PORT ?? 10247),
  metricsServer: Number(process.env.MCP_STACK_METRICS_SERVER_PORT ?? 14443),
  /** kube-state-metrics' /metrics, scraped by the local Prometheus. */
  kubeStateMetrics: Number(process.env.MCP_STACK_KUBE_STATE_METRICS_PORT ?? 18080),
  kubeStateMetricsTelemetry: Number(process.env.MCP_STACK_KUBE_STATE_METRICS_TELEMETRY_PORT ?? 18081),
  /** The EKS token webhook (stack/kube/eks-token-webhook.ts). */
  tokenWebhook: Number(process.env.MCP_STACK_TOKEN_WEBHOOK_PORT ?? 16445),
} as const;

/** The cluster name EKS tokens must carry (the configuration's default `cluster.name`). */
export const LOCAL_CLUSTER_NAME = 'mcp-cluster';

/** The webhook as the API server's token authenticator (a kubeconfig naming it), after the token file. */
export function writeTokenWebhookConfig(kubeDir: string): string {
  const file = join(kubeDir, 'token-webhook.kubeconfig');
  mkdirSync(kubeDir, { recursive: true });
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: eks-token-webhook',
      `  cluster: { server: "http://127.0.0.1:${KUBE_PORTS.tokenWebhook}/tokenreview" }`,
      'users:',
      '- name: kube-apiserver',
      '  user: {}',
      'contexts:',
      '- name: webhook',
      '  context: { cluster: eks-token-webhook, user: kube-apiserver }',
      'current-context: webhook',
      '',
    ].join('\n'),
  );
  return file;
}

export function tokenWebhookService(): ServiceSpec {
  return {
    name: 'eks-token-webhook',
    command: process.execPath,
    args: [
      '--import',
      'tsx',
      join(import.meta.dirname, 'eks-token-webhook.ts'),
      '--port',
      String(KUBE_PORTS.tokenWebhook),
      '--cluster',
      LOCAL_CLUSTER_NAME,
    ],
    ready: () => httpOk(`http://127.0.0.1:${KUBE_PORTS.tokenWebhook}/healthz`),
  };
}

/** GET over TLS with our CA and a bearer token; true on 2xx. */
export function httpsOk(url: string, caCert: string, token?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        ca: readFileSync(caCert),
        headers: token ? { authorization: `Bearer ${token}` } : {},
        timeout: 2_000,
      },
      (res) => {
        res.resume();
        resolve((res.statusCode ?? 500) < 300);
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

export function etcdService(bins: KubeBinaries, dataDir: string): ServiceSpec {
  const client = `http://127.0.0.1:${KUBE_PORTS.etcd}`;
  const peer = `http://127.0.0.1:${KUBE_PORTS.etcdPeer}`;
  return {
    name: 'etcd',
    command: bins.etcd,
    args: [
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=default=${peer}`,
      '--listen-metrics-urls=',
      '--unsafe-no-fsync',
      '--log-level=warn',
    ],
    ready: () => httpOk(`${client}/health`),
  };
}

export function apiserverService(bins: KubeBinaries, pki: Pki, tokenWebhookConfig: string): ServiceSpec {
  const server = `https://127.0.0.1:${KUBE_PORTS.apiserver}`;
  return {
    name: 'kube-apiserver',
    command: bins.kubeApiserver,
    args: [
      `--etcd-servers=http://127.0.0.1:${KUBE_PORTS.etcd}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${KUBE_PORTS.apiserver}`,
      `--tls-cert-file=${pki.apiserverCert}`,
      `--tls-private-key-file=${pki.apiserverKey}`,
      `--client-ca-file=${pki.caCert}`,
      `--token-auth-file=${pki.tokenFile}`,
      // EKS tokens (`k8s-aws-v1.`), as the functions send them, checked as EKS checks them.
      `--authentication-token-webhook-config-file=${tokenWebhookConfig}`,
      '--authentication-token-webhook-version=v1',
      '--authentication-token-webhook-cache-ttl=10s',
      '--authorization-mode=RBAC',
      '--anonymous-auth=false',
      '--service-cluster-ip-range=10.0.0.0/24',
      '--service-account-issuer=https://kubernetes.default.svc',
      `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      '--allow-privileged=true',
      // Pod logs: the API server proxies to the node's kubelet endpoint (kwok).
      '--kubelet-preferred-address-types=InternalIP',
      // Aggregation, for metrics.k8s.io served by metrics-server.
      `--requestheader-client-ca-file=${pki.frontProxyCaCert}`,
      '--requestheader-allowed-names=front-proxy-client',
      '--requestheader-username-headers=X-Remote-User',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      `--proxy-client-cert-file=${pki.frontProxyClientCert}`,
      `--proxy-client-key-file=${pki.frontProxyClientKey}`,
      '--endpoint-reconciler-type=none',
      // A scenario's clear deletes 20,000 events at once: more than the one default worker.
      '--delete-collection-workers=16',
      '--v=0',
    ],
    ready: () => httpsOk(`${server}/readyz`, pki.caCert, pki.tokens.admin),
    readyTimeoutMs: 120_000,
  };
}

export function kwokService(
  bins: KubeBinaries,
  pki: Pki,
  adminKubeconfig: string,
  stageFiles: string[],
): ServiceSpec {
  return {
    name: 'kwok',
    command: bins.kwok,
    args: [
      `--kubeconfig=${adminKubeconfig}`,
      ...stageFiles.map((file) => `--config=${file}`),
      '--manage-all-nodes=false',
      '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
      '--node-ip=127.0.0.1',
      `--node-port=${KUBE_PORTS.kwok}`,
      `--server-address=127.0.0.1:${KUBE_PORTS.kwok}`,
      `--tls-cert-file=${pki.localServingCert}`,
      `--tls-private-key-file=${pki.localServingKey}`,
      '--enable-crds=Logs,ClusterLogs,ClusterExec,ResourceUsage,ClusterResourceUsage,Metric',
      // Leases, not status heartbeats: node conditions stay as a scenario sets them.
      '--node-lease-duration-seconds=40',
    ],
    ready: () => httpsOk(`https://127.0.0.1:${KUBE_PORTS.kwok}/healthz`, pki.caCert),
  };
}

export function metricsServerService(bins: KubeBinaries, pki: Pki, adminKubeconfig: string): ServiceSpec {
  return {
    name: 'metrics-server',
    command: bins.metricsServer,
    args: [
      `--kubeconfig=${adminKubeconfig}`,
      `--authentication-kubeconfig=${adminKubeconfig}`,
      `--authorization-kubeconfig=${adminKubeconfig}`,
      `--requestheader-client-ca-file=${pki.frontProxyCaCert}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${KUBE_PORTS.metricsServer}`,
      `--tls-cert-file=${pki.localServingCert}`,
      `--tls-private-key-file=${pki.localServingKey}`,
      '--kubelet-use-node-status-port',
      '--kubelet-insecure-tls',
      '--kubelet-preferred-address-types=InternalIP',
      '--metric-resolution=15s',
    ],
    ready: () => httpsOk(`https://127.0.0.1:${KUBE_PORTS.metricsServer}/livez`, pki.caCert),
  };
}

/**
 * kube-state-metrics, as a cluster's monitoring stack runs it: it watches the pods (and their
 * controllers) of mcp-system and exports their states, such as `kube_pod_container_status_waiting_reason`
 * that the crash-loop rule reads. Locally it watches with the admin identity.
 */
export function kubeStateMetricsService(bins: KubeBinaries, adminKubeconfig: string): ServiceSpec {
  return {
    name: 'kube-state-metrics',
    command: bins.kubeStateMetrics,
    args: [
      `--kubeconfig=${adminKubeconfig}`,
      '--host=127.0.0.1',
      `--port=${KUBE_PORTS.kubeStateMetrics}`,
      '--telemetry-host=127.0.0.1',
      `--telemetry-port=${KUBE_PORTS.kubeStateMetricsTelemetry}`,
      '--resources=pods,deployments,replicasets',
      '--namespaces=mcp-system',
    ],
    ready: () => httpOk(`http://127.0.0.1:${KUBE_PORTS.kubeStateMetrics}/healthz`),
  };
}

export interface Kubeconfigs {
  readonly server: string;
  readonly admin: string;
  readonly readonly: string;
  /** The mitigation function's identity (its own group, the only one that writes). */
  readonly mitigator: string;
}

/** `.stack/kubeconfig` (admin) and `.stack/kubeconfig-readonly` (the identity mcp-ops uses). */
export function writeKubeconfigs(stackDir: string, pki: Pki): Kubeconfigs {
  const server = `https://127.0.0.1:${KUBE_PORTS.apiserver}`;
  mkdirSync(stackDir, { recursive: true });
  const admin = join(stackDir, 'kubeconfig');
  const readonly = join(stackDir, 'kubeconfig-readonly');
  // Unchanged files are left alone: kube-state-metrics restarts (its metrics reset) on a write.
  writeIfChanged(admin, kubeconfigYaml(server, pki.caCert, 'mcp-admin', pki.tokens.admin), 0o600);
  writeIfChanged(
    readonly,
    kubeconfigYaml(server, pki.caCert, 'mcp-ops-readonly', pki.tokens.readonly),
    0o600,
  );
  const mitigator = join(stackDir, 'kubeconfig-mitigator');
  writeIfChanged(
    mitigator,
    kubeconfigYaml(server, pki.caCert, 'mcp-ops-mitigator', pki.tokens.mitigator),
    0o600,
  );
  return { server, admin, readonly, mitigator };
}
