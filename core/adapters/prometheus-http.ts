import { z } from 'zod';
import {
  PrometheusUnreachable,
  type FiringAlert,
  type PrometheusPort,
  type PrometheusTransport,
  type Sample,
} from '../prometheus.ts';

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

/** A GET over HTTP; nothing answering (refused, timed out, no route) is PrometheusUnreachable. */
export async function fetchPrometheus(
  url: string | URL,
  describe: string,
  options: { headers?: Record<string, string>; timeoutMs: number },
): Promise<{ status: number; body: string }> {
  let response: Response;
  try {
    response = await fetch(url, {
      ...(options.headers ? { headers: options.headers } : {}),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new PrometheusUnreachable(`${describe} unreachable: ${cause}`);
  }
  return { status: response.status, body: await response.text() };
}

/** Straight to a URL the caller can reach (inside the cluster's network, or the local stack). */
export function directTransport(baseUrl: string, timeoutMs = 10_000): PrometheusTransport {
  const base = baseUrl.replace(/\/+$/, '');
  const describe = `Prometheus at ${base}`;
  return {
    describe,
    get: (pathAndQuery) => fetchPrometheus(`${base}${pathAndQuery}`, describe, { timeoutMs }),
  };
}

/** PrometheusPort over the HTTP API (`/api/v1/query`, `/api/v1/alerts`), through any transport. */
export class PrometheusHttp implements PrometheusPort {
  private readonly transport: PrometheusTransport;

  /** @param target a base URL (direct) or a transport (service proxy, Amazon Managed Prometheus) */
  constructor(target: string | PrometheusTransport, timeoutMs = 10_000) {
    this.transport = typeof target === 'string' ? directTransport(target, timeoutMs) : target;
  }

  get source(): string {
    return this.transport.describe;
  }

  private async get(path: string): Promise<unknown> {
    const { status, body } = await this.transport.get(path);
    if (status >= 500) throw new PrometheusUnreachable(`${this.transport.describe} answered HTTP ${status}`);
    if (status >= 400)
      throw new Error(`${this.transport.describe} answered HTTP ${status}: ${body.slice(0, 200)}`);
    try {
      return JSON.parse(body) as unknown;
    } catch {
      throw new Error(`${this.transport.describe} answered something other than JSON: ${body.slice(0, 120)}`);
    }
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
