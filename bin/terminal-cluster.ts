// How a command run from a terminal reads the cluster: a kubeconfig (--kubeconfig, the local
// stack's read-only one with --local, else KUBECONFIG, else ~/.kube/config; --context) and
// Prometheus at the local stack's or the configuration's URL; with --local, the configuration
// names the local stack's backup bucket.
import { KubeConfig } from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubernetesClient } from '../core/adapters/kubernetes-client.ts';
import { PrometheusHttp } from '../core/adapters/prometheus-http.ts';
import type { OpsConfig } from '../core/config.ts';
import type { StackEndpoints } from '../stack/endpoints.ts';

export interface TerminalClusterReaders {
  readonly config: OpsConfig;
  readonly kube: KubernetesClient;
  readonly prometheus: PrometheusHttp;
}

/**
 * The kubeconfig as kubectl finds it: `--kubeconfig`, else the local stack's (`--local`), else
 * `KUBECONFIG` (its first file), else `~/.kube/config`; `--context` picks a context in it.
 * Undefined when there is none.
 */
export function loadKubeconfig(
  options: { kubeconfig?: string; context?: string; local?: string },
  usageError: (message: string) => Error,
  env: NodeJS.ProcessEnv = process.env,
): KubeConfig | undefined {
  const home = join(env.HOME ?? homedir(), '.kube', 'config');
  const fromEnv = env.KUBECONFIG?.split(delimiter).find((p) => p.length > 0);
  const path = options.kubeconfig ?? options.local ?? fromEnv ?? (existsSync(home) ? home : undefined);
  if (!path) return undefined;
  if (!existsSync(path)) throw usageError(`kubeconfig ${path} does not exist`);
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  if (options.context) {
    const names = kc.getContexts().map((c) => c.name);
    if (!names.includes(options.context))
      throw usageError(
        `--context ${options.context}: no such context in ${path} (it has ${names.join(', ') || 'none'})`,
      );
    kc.setCurrentContext(options.context);
  }
  return kc;
}

/** @param usageError the command's own error for a missing kubeconfig (its exit code). */
export function terminalClusterReaders(
  options: { config: OpsConfig; endpoints?: StackEndpoints; kubeconfig?: string; context?: string },
  usageError: (message: string) => Error,
): TerminalClusterReaders {
  const { config, endpoints } = options;
  const kc = loadKubeconfig(
    { ...options, ...(endpoints?.kubernetes ? { local: endpoints.kubernetes.kubeconfigReadonly } : {}) },
    usageError,
  );
  if (!kc)
    throw usageError(
      'no cluster access: pass --kubeconfig, set KUBECONFIG, have ~/.kube/config, or use --local',
    );
  return {
    config: endpoints
      ? { ...config, buckets: { ...config.buckets, backup: endpoints.buckets.backup } }
      : config,
    kube: new KubernetesClient(kc),
    prometheus: new PrometheusHttp(endpoints?.prometheus ?? config.prometheus.url),
  };
}
