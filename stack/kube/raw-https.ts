// Bare HTTPS to the API server with a kubeconfig's credentials (keep-alive, JSON in and out, no
// client library): for seeding many objects fast and for the report benchmark's raw-fetch
// contender. The code under test always talks through @kubernetes/client-node.
import type { KubeConfig } from '@kubernetes/client-node';
import https from 'node:https';

export interface RawKube {
  request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<string>;
  close(): void;
}

export async function rawKube(kc: KubeConfig, maxSockets = 64): Promise<RawKube> {
  const options: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(options);
  const server = new URL(kc.getCurrentCluster()!.server);
  const agent = new https.Agent({
    keepAlive: true,
    maxSockets,
    ...(options.ca ? { ca: options.ca } : {}),
    ...(options.cert ? { cert: options.cert } : {}),
    ...(options.key ? { key: options.key } : {}),
  });
  return {
    request: (method, path, body) =>
      new Promise<string>((resolve, reject) => {
        const data = body === undefined ? undefined : JSON.stringify(body);
        const request = https.request(
          {
            host: server.hostname,
            port: server.port,
            path,
            method,
            agent,
            headers: {
              ...(options.headers ?? {}),
              ...(data === undefined
                ? {}
                : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) }),
            },
          },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () => {
              const text = Buffer.concat(chunks).toString();
              if (response.statusCode === 200 || response.statusCode === 201) resolve(text);
              else reject(new Error(`${method} ${path}: HTTP ${response.statusCode} ${text.slice(0, 300)}`));
            });
          },
        );
        request.on('error', reject);
        request.end(data);
      }),
    close: () => agent.destroy(),
  };
}
