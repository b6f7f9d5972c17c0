// A stand-in for mcp-semantic: serves the manual's metrics on /metrics with prom-client while a
// traffic loop feeds them, and takes fault modes on /control/fault so tests can make alerts fire.
//   node --import tsx stack/simulated-service.ts --port 19100
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { z } from 'zod';
import { describeIssues } from '../core/zod-issues.ts';

export const FaultSchema = z
  .object({
    /** Share of requests that fail, 0..1. */
    errorRate: z.number().min(0).max(1).default(0.0005),
    /** Extra latency added to every request. */
    latencyMs: z.number().min(0).max(60_000).default(0),
    /** The scrape endpoint stops answering, as a crashed pod would. */
    crash: z.boolean().default(false),
    cacheHitRate: z.number().min(0).max(1).default(0.85),
    /** Share of artifact storage in use, 0..1. */
    storageUsedRatio: z.number().min(0).max(1).default(0.42),
  })
  .strict();
export type Fault = z.infer<typeof FaultSchema>;

const STORAGE_CAPACITY_BYTES = 500 * 1024 ** 3;
const ROUTES = ['/v1/validate', '/v1/promote', '/v1/artifacts/upload', '/v1/artifacts/lookup'] as const;
const ERROR_TYPES = ['SchemaMismatchError', 'TimeoutError', 'UpstreamUnavailableError'] as const;
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2.5, 5, 10];

export function createServiceMetrics(registry: Registry) {
  const m = {
    validationTotal: new Counter({
      name: 'validation_total',
      help: 'Total validations',
      registers: [registry],
    }),
    validationErrors: new Counter({
      name: 'validation_errors_total',
      help: 'Validation errors',
      labelNames: ['error_type'],
      registers: [registry],
    }),
    validationDuration: new Histogram({
      name: 'validation_duration_seconds',
      help: 'Validation latency',
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    validationCacheHitRate: new Gauge({
      name: 'validation_cache_hit_rate',
      help: 'Validation cache efficiency (0..1)',
      registers: [registry],
    }),
    promotionTotal: new Counter({ name: 'promotion_total', help: 'Total promotions', registers: [registry] }),
    promotionSuccess: new Counter({
      name: 'promotion_success_total',
      help: 'Successful promotions',
      registers: [registry],
    }),
    promotionFailures: new Counter({
      name: 'promotion_failures_total',
      help: 'Failed promotions',
      registers: [registry],
    }),
    promotionRollbacks: new Counter({
      name: 'promotion_rollbacks_total',
      help: 'Rollbacks',
      registers: [registry],
    }),
    promotionDuration: new Histogram({
      name: 'promotion_duration_seconds',
      help: 'Promotion time',
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200],
      registers: [registry],
    }),
    uploadsTotal: new Counter({
      name: 'artifact_uploads_total',
      help: 'Total uploads',
      registers: [registry],
    }),
    uploadFailures: new Counter({
      name: 'artifact_upload_failures_total',
      help: 'Failed uploads',
      registers: [registry],
    }),
    downloadsTotal: new Counter({
      name: 'artifact_downloads_total',
      help: 'Total downloads',
      registers: [registry],
    }),
    storageUsed: new Gauge({
      name: 'artifact_storage_used_bytes',
      help: 'Storage usage',
      registers: [registry],
    }),
    storageCapacity: new Gauge({
      name: 'artifact_storage_capacity_bytes',
      help: 'Storage capacity',
      registers: [registry],
    }),
    lookupDuration: new Histogram({
      name: 'artifact_lookup_duration_seconds',
      help: 'Lookup latency',
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    httpRequests: new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests',
      labelNames: ['method', 'route', 'status_code'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route', 'status_code'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
  };
  return m;
}
type ServiceMetrics = ReturnType<typeof createServiceMetrics>;

/** One simulated request: metrics move as the real service's would under the current fault. */
export function simulateRequest(
  m: ServiceMetrics,
  fault: Fault,
  random: () => number = Math.random,
  log: (line: string) => void = console.log,
): void {
  const route = ROUTES[Math.floor(random() * ROUTES.length)] ?? ROUTES[0];
  const failed = random() < fault.errorRate;
  const seconds = (5 + random() * 45 + fault.latencyMs) / 1000;
  const status = failed ? '500' : '200';
  m.httpRequests.inc({ method: 'POST', route, status_code: status });
  m.httpDuration.observe({ method: 'POST', route, status_code: status }, seconds);
  const errorType = ERROR_TYPES[Math.floor(random() * ERROR_TYPES.length)] ?? ERROR_TYPES[0];
  switch (route) {
    case '/v1/validate':
      m.validationTotal.inc();
      m.validationDuration.observe(seconds);
      if (failed) m.validationErrors.inc({ error_type: errorType });
      break;
    case '/v1/promote':
      m.promotionTotal.inc();
      m.promotionDuration.observe(30 + random() * 60 + fault.latencyMs / 1000);
      if (failed) {
        m.promotionFailures.inc();
        if (random() < 0.5) m.promotionRollbacks.inc();
      } else m.promotionSuccess.inc();
      break;
    case '/v1/artifacts/upload':
      m.uploadsTotal.inc();
      if (failed) m.uploadFailures.inc();
      break;
    case '/v1/artifacts/lookup':
      m.downloadsTotal.inc();
      m.lookupDuration.observe(seconds);
      break;
  }
  if (failed) {
    log(
      `${new Date().toISOString()} ERROR request ${route} failed after ${Math.round(seconds * 1000)}ms request_id=${Math.floor(random() * 1e9)} ${errorType}`,
    );
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/**
 * @param podPort also serve on this port: the pod's own metrics port (9090 in the manual), which
 *   `kubectl exec <pod> -- curl localhost:9090/metrics` reaches through kwok's local exec, and the
 *   pod network (stack/pod-network.ts) forwards the pods' IP to
 */
export function startSimulatedService(port: number, requestsPerTick = 20, tickMs = 100, podPort?: number) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = createServiceMetrics(registry);
  let fault: Fault = FaultSchema.parse({});
  metrics.storageCapacity.set(STORAGE_CAPACITY_BYTES);

  const tick = setInterval(() => {
    for (let i = 0; i < requestsPerTick; i += 1) simulateRequest(metrics, fault);
    metrics.validationCacheHitRate.set(fault.cacheHitRate);
    metrics.storageUsed.set(Math.round(STORAGE_CAPACITY_BYTES * fault.storageUsedRatio));
  }, tickMs);

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '/').split('?')[0];
    void (async () => {
      if (path === '/metrics' && request.method === 'GET') {
        if (fault.crash) {
          request.socket.destroy();
          return;
        }
        response.writeHead(200, { 'content-type': registry.contentType });
        response.end(await registry.metrics());
      } else if (path === '/healthz') {
        sendJson(response, fault.crash ? 503 : 200, { ok: !fault.crash });
      } else if (path === '/control/fault' && request.method === 'GET') {
        sendJson(response, 200, fault);
      } else if (path === '/control/fault' && request.method === 'POST') {
        const parsed = FaultSchema.partial().safeParse(JSON.parse((await readBody(request)) || '{}'));
        if (!parsed.success) {
          sendJson(response, 400, {
            error: describeIssues(parsed.error.issues, { separator: '\n' }).split('\n'),
          });
          return;
        }
        fault = FaultSchema.parse({ ...fault, ...parsed.data });
        sendJson(response, 200, fault);
      } else if (path === '/control/reset' && request.method === 'POST') {
        fault = FaultSchema.parse({});
        sendJson(response, 200, fault);
      } else {
        sendJson(response, 404, { error: `no route ${request.method} ${path}` });
      }
    })().catch((error: unknown) => sendJson(response, 500, { error: String(error) }));
  };
  const server = createServer(handle);
  server.listen(port, '127.0.0.1');
  const podServer = podPort === undefined ? undefined : createServer(handle).listen(podPort, '127.0.0.1');
  return {
    server,
    close: () => {
      clearInterval(tick);
      server.close();
      podServer?.close();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { port: { type: 'string', default: '19100' }, 'pod-port': { type: 'string' } },
  });
  const podPort = values['pod-port'] === undefined ? undefined : Number(values['pod-port']);
  const service = startSimulatedService(Number(values.port), 20, 100, podPort);
  const stop = () => {
    service.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  console.log(`simulated mcp-semantic listening on 127.0.0.1:${values.port}`);
}
