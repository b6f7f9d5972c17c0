// How a function outside the cluster reads it: the Kubernetes API through an EKS token (one
// client per invocation: the token and its connection are fresh each time), and Prometheus the
// way `prometheus.access` says, over the same client when through the service proxy.
import { EKSClient } from '@aws-sdk/client-eks';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { awsClientConfig, type AwsTarget, type Instrument, uninstrumented } from '../aws.ts';
import type { OpsConfig } from '../config.ts';
import { eksKubernetes } from './eks.ts';
import type { KubernetesClient } from './kubernetes-client.ts';
import { prometheusFromConfig } from './prometheus-access.ts';

export function clusterReaders(
  config: OpsConfig,
  target: AwsTarget,
  instrument: Instrument = uninstrumented,
) {
  const credentials = defaultProvider();
  const connect = eksKubernetes({
    eks: instrument(new EKSClient(awsClientConfig(target))),
    clusterName: config.cluster.name,
    region: target.region,
    credentials,
  });
  let current: Promise<KubernetesClient> | undefined;
  const kube = () => (current ??= connect());
  return {
    /** The invocation's Kubernetes client (made on first use). */
    kube,
    prometheus: prometheusFromConfig(config.prometheus, { kube, region: target.region, credentials }),
    /** Starts a new invocation: the next kube() makes a new client. */
    fresh(): void {
      current = undefined;
    },
  };
}
