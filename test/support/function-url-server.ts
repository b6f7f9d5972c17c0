import type { Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { lambdaContext } from './lambda-context.ts';

type UrlHandler = (event: unknown, context: Context) => Promise<unknown>;

interface UrlResult {
  statusCode?: number;
  headers?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
}

/** Bodies a function URL hands over as text; any other body arrives base64-encoded, as in Lambda. */
const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript))/i;

/**
 * A local HTTP server on loopback that turns each request into a Lambda function URL event
 * (payload format 2.0) for a real handler, and its answer back into HTTP, as a function URL does.
 * Paths under `/__test/` are served by the test itself (`pages`), never by the handler.
 */
export async function functionUrlServer(
  handler: UrlHandler,
  functionName: string,
  pages: Record<string, string> = {},
) {
  const requests: Array<{ method: string; url: string; headers: IncomingMessage['headers'] }> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (url.pathname.startsWith('/__test/')) {
        res.writeHead(pages[url.pathname] ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
        res.end(pages[url.pathname] ?? '');
        return;
      }
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      const body = Buffer.concat(chunks);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = String(v);
      const text = TEXT_TYPES.test(headers['content-type'] ?? '');
      const query = Object.fromEntries(url.searchParams);
      const event = {
        version: '2.0',
        routeKey: '$default',
        rawPath: url.pathname,
        rawQueryString: url.search.slice(1),
        ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
        headers,
        requestContext: {
          accountId: 'anonymous',
          apiId: 'local',
          domainName: headers.host ?? '127.0.0.1',
          http: {
            method: req.method,
            path: url.pathname,
            protocol: 'HTTP/1.1',
            sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
            userAgent: headers['user-agent'] ?? '',
          },
          requestId: randomUUID(),
          routeKey: '$default',
          stage: '$default',
          time: new Date().toUTCString(),
          timeEpoch: Date.now(),
        },
        ...(body.length ? { body: text ? body.toString('utf8') : body.toString('base64') } : {}),
        isBase64Encoded: body.length > 0 && !text,
      };
      handler(event, lambdaContext(functionName))
        .then((answer) => {
          const result = answer as UrlResult;
          res.writeHead(result.statusCode ?? 200, result.headers ?? {});
          res.end(result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? ''));
        })
        .catch((error: unknown) => {
          res.writeHead(502, { 'content-type': 'text/plain' });
          res.end(`handler failed: ${(error as Error).message}`);
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    /** Every request that reached the handler, in order. */
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
