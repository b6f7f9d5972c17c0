// Creates many objects fast, for seeding the scale scenario: plain JSON over keep-alive HTTPS with
// the admin kubeconfig's credentials, `concurrency` requests in flight. The client library spends
// most of a create in its (de)serializer: 20,000 events took about 58 s through it, about 14 s here.
// Seeding only: the code under test always talks through @kubernetes/client-node.
import type { KubeConfig } from '@kubernetes/client-node';
import https from 'node:https';

export async function bulkCreate(
  kc: KubeConfig,
  items: ReadonlyArray<{ path: string; body: unknown }>,
  concurrency = 64,
): Promise<void> {
  const options: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(options);
  const server = new URL(kc.getCurrentCluster()!.server);
  const agent = new https.Agent({
    keepAlive: true,
    maxSockets: concurrency,
    ...(options.ca ? { ca: options.ca } : {}),
    ...(options.cert ? { cert: options.cert } : {}),
    ...(options.key ? { key: options.key } : {}),
  });
  const post = (path: string, body: unknown) =>
    new Promise<void>((resolve, reject) => {
      const data = JSON.stringify(body);
      const request = https.request(
        {
          host: server.hostname,
          port: server.port,
          path,
          method: 'POST',
          agent,
          headers: {
            ...(options.headers ?? {}),
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(data),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            if (response.statusCode === 201 || response.statusCode === 200) resolve();
            else
              reject(
                new Error(
                  `POST ${path}: HTTP ${response.statusCode} ${Buffer.concat(chunks).toString().slice(0, 300)}`,
                ),
              );
          });
        },
      );
      request.on('error', reject);
      request.end(data);
    });
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: Math.min(concurrency, items.length) }, async () => {
        while (next < items.length) {
          const item = items[next++]!;
          await post(item.path, item.body);
        }
      }),
    );
  } finally {
    agent.destroy();
  }
}
