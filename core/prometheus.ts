import { DependencyFailed } from './errors.ts';

export interface Sample {
  readonly labels: Record<string, string>;
  readonly value: number;
}

export interface FiringAlert {
  readonly name: string;
  readonly severity: string;
  readonly state: 'firing' | 'pending';
  readonly since?: string;
  readonly summary?: string;
  readonly labels: Record<string, string>;
}

/** What the reports ask Prometheus: instant queries and the alerts it is evaluating. */
export interface PrometheusPort {
  query(expr: string): Promise<Sample[]>;
  alerts(): Promise<FiringAlert[]>;
}

export class PrometheusUnreachable extends DependencyFailed {
  override name = 'PrometheusUnreachable';
}

/** One GET of Prometheus's HTTP API (`/api/v1/...` with its query), however Prometheus is reached. */
export interface PrometheusTransport {
  /** Where the answers come from, for messages ("Prometheus via the service proxy ..."). */
  readonly describe: string;
  /** The status and body; throws PrometheusUnreachable when nothing answers. */
  get(pathAndQuery: string): Promise<{ status: number; body: string }>;
}

/**
 * Prometheus text exposition (what a pod's /metrics serves) into samples. Comments and malformed
 * lines are skipped; label values may hold escaped quotes.
 */
export function parseExposition(text: string): Map<string, Sample[]> {
  const metrics = new Map<string, Sample[]>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[pair[1]!] = pair[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    const value = Number(match[3]);
    if (Number.isNaN(value) && match[3] !== 'NaN') continue;
    const list = metrics.get(match[1]!) ?? [];
    list.push({ labels, value });
    metrics.set(match[1]!, list);
  }
  return metrics;
}
