// How a command run from a terminal reads the cluster: a kubeconfig (--kubeconfig, the local
// stack's read-only one with --local, else KUBECONFIG) and Prometheus at the local stack's or the
// configuration's URL; with --local, the configuration names the local stack's backup bucket.
import { KubeConfig } from '@kubernetes/client-node';
import { KubernetesClient } from '../core/adapters/kubernetes-client.ts';
import { PrometheusHttp } from '../core/adapters/prometheus-http.ts';
import type { OpsConfig } from '../core/config.ts';
import type { StackEndpoints } from '../stack/endpoints.ts';

export interface TerminalClusterReaders {
  readonly config: OpsConfig;
  readonly kube: KubernetesClient;
  readonly prometheus: PrometheusHttp;
}

/** @param usageError the command's own error for a missing kubeconfig (its exit code). */
export function terminalClusterReaders(
  options: { config: OpsConfig; endpoints?: StackEndpoints; kubeconfig?: string },
  usageError: (message: string) => Error,
): TerminalClusterReaders {
  const { config, endpoints } = options;
  const path = options.kubeconfig ?? endpoints?.kubernetes?.kubeconfigReadonly ?? process.env.KUBECONFIG;
  if (!path) throw usageError('no cluster access: pass --kubeconfig, set KUBECONFIG or use --local');
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return {
    config: endpoints
      ? { ...config, buckets: { ...config.buckets, backup: endpoints.buckets.backup } }
      : config,
    kube: new KubernetesClient(kc),
    prometheus: new PrometheusHttp(endpoints?.prometheus ?? config.prometheus.url),
  };
}
