import type { OpsConfig } from '../../core/config.ts';
import type { KubernetesPort } from '../../core/kubernetes.ts';
import type { ObjectStore } from '../../core/object-store.ts';
import type { PrometheusPort } from '../../core/prometheus.ts';

/** What a diagnosis reads: the cluster and Prometheus, read-only. */
export interface DiagnosisDeps {
  readonly config: OpsConfig;
  readonly kube: KubernetesPort;
  readonly prometheus: PrometheusPort;
  readonly now: () => Date;
  /**
   * Where the cleanup job keeps its runs (the reports bucket): Runbook 4 shows the storage report of
   * the newest finished run. Absent: that part says it was not given one.
   */
  readonly cleanupRuns?: { readonly store: ObjectStore; readonly bucket: string };
  /** Each part's own limit (default 20 s): a part that takes longer says so and the rest is sent. */
  readonly partTimeoutMs?: number;
}
