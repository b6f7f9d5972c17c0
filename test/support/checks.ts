import { KubeConfig } from '@kubernetes/client-node';
import { inject } from 'vitest';
import { parseConfig } from '../../core/config.ts';
import { KubernetesClient } from '../../core/adapters/kubernetes-client.ts';
import { PrometheusHttp } from '../../core/adapters/prometheus-http.ts';
import { S3ObjectStore } from '../../core/adapters/s3-object-store.ts';
import type { ChecksDeps } from '../../functions/checks/checks-deps.ts';
import { localClients } from './aws.ts';

/** The report sections' ports on the local stack: the read-only kubeconfig, Prometheus, moto's S3. */
export function localChecksDeps(over: Partial<ChecksDeps> & { kubeconfig?: string } = {}): ChecksDeps {
  const endpoints = inject('endpoints');
  const kc = new KubeConfig();
  kc.loadFromFile(over.kubeconfig ?? endpoints.kubernetes!.kubeconfigReadonly);
  const { kubeconfig: _, ...rest } = over;
  return {
    config: parseConfig({ buckets: { backup: endpoints.buckets.backup } }),
    kube: new KubernetesClient(kc),
    prometheus: new PrometheusHttp(endpoints.prometheus),
    store: new S3ObjectStore(localClients().s3),
    now: () => new Date(),
    ...rest,
  };
}

/** A fault in the simulated service (`{}` with `reset` clears them all). */
export async function setServiceFault(fault: Record<string, unknown> | 'reset'): Promise<void> {
  const control = inject('endpoints').service.control;
  await fetch(fault === 'reset' ? `${control}/reset` : `${control}/fault`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: fault === 'reset' ? '' : JSON.stringify(fault),
  });
}
