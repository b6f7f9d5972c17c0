import { z } from 'zod';

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

const VectorAnswer = z.object({
  status: z.literal('success'),
  data: z.object({
    resultType: z.string(),
    result: z.array(
      z.object({ metric: z.record(z.string(), z.string()), value: z.tuple([z.number(), z.string()]) }),
    ),
  }),
});

const AlertsAnswer = z.object({
  status: z.literal('success'),
  data: z.object({
    alerts: z.array(
      z.object({
        labels: z.record(z.string(), z.string()),
        annotations: z.record(z.string(), z.string()).optional(),
        state: z.string(),
        activeAt: z.string().optional(),
      }),
    ),
  }),
});

export class PrometheusUnreachable extends Error {
  override name = 'PrometheusUnreachable';
}

/** PrometheusPort over the HTTP API (`/api/v1/query`, `/api/v1/alerts`). */
export class PrometheusHttp implements PrometheusPort {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs = 10_000,
  ) {}

  private async get(path: string): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(new URL(path, this.baseUrl), { signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new PrometheusUnreachable(`Prometheus at ${this.baseUrl} unreachable: ${cause}`);
    }
    if (!response.ok) {
      const text = await response.text();
      if (response.status >= 500)
        throw new PrometheusUnreachable(`Prometheus answered HTTP ${response.status}`);
      throw new Error(`Prometheus answered HTTP ${response.status}: ${text.slice(0, 200)}`);
    }
    return response.json();
  }

  async query(expr: string): Promise<Sample[]> {
    const answer = VectorAnswer.parse(await this.get(`/api/v1/query?query=${encodeURIComponent(expr)}`));
    return answer.data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
  }

  async alerts(): Promise<FiringAlert[]> {
    const answer = AlertsAnswer.parse(await this.get('/api/v1/alerts'));
    return answer.data.alerts.map((a) => ({
      name: a.labels.alertname ?? '(unnamed)',
      severity: a.labels.severity ?? 'none',
      state: a.state === 'firing' ? 'firing' : 'pending',
      ...(a.activeAt ? { since: a.activeAt } : {}),
      ...(a.annotations?.summary ? { summary: a.annotations.summary } : {}),
      labels: a.labels,
    }));
  }
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
