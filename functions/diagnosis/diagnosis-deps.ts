import type { OpsConfig } from '../../core/config.ts';
import type { KubernetesPort } from '../../core/kubernetes.ts';
import type { PrometheusPort } from '../../core/prometheus.ts';

/** What a diagnosis reads: the cluster and Prometheus, read-only. */
export interface DiagnosisDeps {
  readonly config: OpsConfig;
  readonly kube: KubernetesPort;
  readonly prometheus: PrometheusPort;
  readonly now: () => Date;
  /** Each part's own limit (default 20 s): a part that takes longer says so and the rest is sent. */
  readonly partTimeoutMs?: number;
}
