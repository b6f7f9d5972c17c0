import type { OpsConfig } from '../../core/config.ts';
import type { KubernetesPort } from '../../core/kubernetes.ts';
import type { ObjectStore } from '../../core/object-store.ts';
import type { PrometheusPort } from '../../core/prometheus.ts';
import type { ImageScanPort } from './image-scans.ts';

/** The ports every report section reads through; built by the handler, the CLI or a test. */
export interface ChecksDeps {
  readonly config: OpsConfig;
  readonly kube: KubernetesPort;
  readonly prometheus: PrometheusPort;
  readonly store: ObjectStore;
  readonly imageScans?: ImageScanPort;
  readonly now: () => Date;
}

export function age(from: Date | string | undefined, now: Date): string {
  if (!from) return '?';
  const seconds = Math.max(0, (now.getTime() - new Date(from).getTime()) / 1000);
  if (seconds < 120) return `${Math.round(seconds)}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}

export const percent = (ratio: number | undefined, digits = 1) =>
  ratio === undefined || !Number.isFinite(ratio) ? 'n/a' : `${(ratio * 100).toFixed(digits)}%`;
