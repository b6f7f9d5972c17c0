// What EKS does with a `k8s-aws-v1.` bearer token, for the local API server
// (`--authentication-token-webhook-config-file`): the token is a pre-signed STS GetCallerIdentity
// URL; EKS checks its signature (by calling STS with it), that it names this cluster in the signed
// `x-k8s-aws-id` header and is at most 15 minutes old, then maps the caller's role through the
// cluster's access entries to Kubernetes groups.
//
// moto's STS does not authenticate pre-signed URLs, so this webhook checks the signature itself
// against credentials a test registers (`POST /credentials`: the key it got from AssumeRole, the
// role ARN and the groups of the template's access entry for that role). Loopback only.
//   node --import tsx stack/kube/eks-token-webhook.ts --port 16445 --cluster mcp-cluster
import { SignatureV4 } from '@smithy/signature-v4';
import { createServer, type IncomingMessage } from 'node:http';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { Sha256 } from '../../core/adapters/eks.ts';

const TOKEN_PREFIX = 'k8s-aws-v1.';
/** EKS accepts a token for 15 minutes after it was signed, whatever its URL says. */
const TOKEN_LIFETIME_MS = 15 * 60_000;

export const RegisteredCredentialSchema = z.object({
  accessKeyId: z.string().min(1),
  secretAccessKey: z.string().min(1),
  sessionToken: z.string().optional(),
  /** The role the credentials are a session of, as the access entry names it. */
  roleArn: z.string().startsWith('arn:'),
  groups: z.array(z.string()),
});
export type RegisteredCredential = z.infer<typeof RegisteredCredentialSchema>;

export type TokenVerdict =
  | { authenticated: true; username: string; uid: string; groups: string[] }
  | { authenticated: false; error: string };

function amzDate(value: string): Date | undefined {
  const m = value.match(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/);
  return m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) : undefined;
}

/** Checks one token as EKS would; `now` for tests. */
export async function verifyEksToken(
  token: string,
  options: { cluster: string; credentials: ReadonlyMap<string, RegisteredCredential>; now?: Date },
): Promise<TokenVerdict> {
  if (!token.startsWith(TOKEN_PREFIX)) return { authenticated: false, error: 'not an EKS token' };
  let url: URL;
  try {
    url = new URL(Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    return { authenticated: false, error: 'the token is not a URL' };
  }
  const q = url.searchParams;
  if (!/^sts(\.[a-z0-9-]+)?\.amazonaws\.com$/.test(url.hostname) || url.pathname !== '/')
    return { authenticated: false, error: `not an STS URL: ${url.hostname}${url.pathname}` };
  if (q.get('Action') !== 'GetCallerIdentity')
    return { authenticated: false, error: 'not a GetCallerIdentity request' };
  const signedHeaders = (q.get('X-Amz-SignedHeaders') ?? '').split(';');
  if (!signedHeaders.includes('x-k8s-aws-id'))
    return { authenticated: false, error: 'x-k8s-aws-id is not signed' };
  const credential = (q.get('X-Amz-Credential') ?? '').split('/');
  const [accessKeyId, , region, service] = credential;
  const signedAt = amzDate(q.get('X-Amz-Date') ?? '');
  if (!accessKeyId || !region || service !== 'sts' || !signedAt)
    return { authenticated: false, error: 'malformed credential scope or date' };
  const now = options.now ?? new Date();
  if (now.getTime() - signedAt.getTime() > TOKEN_LIFETIME_MS)
    return { authenticated: false, error: 'token expired' };
  const known = options.credentials.get(accessKeyId);
  if (!known) return { authenticated: false, error: `unknown access key ${accessKeyId}` };
  if (known.sessionToken !== undefined && q.get('X-Amz-Security-Token') !== known.sessionToken)
    return { authenticated: false, error: 'session token does not match' };
  // Sign the same request again with the registered secret: the signatures must agree, and the
  // cluster name is part of what was signed.
  // The request as signed: its own parameters, without the X-Amz-* ones presigning adds.
  const plain: Record<string, string> = {};
  for (const [key, value] of q) if (!key.startsWith('X-Amz-')) plain[key] = value;
  const signer = new SignatureV4({
    service: 'sts',
    region,
    credentials: {
      accessKeyId,
      secretAccessKey: known.secretAccessKey,
      ...(known.sessionToken ? { sessionToken: known.sessionToken } : {}),
    },
    sha256: Sha256,
  });
  const expiresIn = Number(q.get('X-Amz-Expires') ?? '60');
  const again = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname: url.hostname,
      path: '/',
      query: plain,
      headers: { host: url.hostname, 'x-k8s-aws-id': options.cluster },
    },
    { expiresIn, signingDate: signedAt },
  );
  if (again.query?.['X-Amz-Signature'] !== q.get('X-Amz-Signature'))
    return {
      authenticated: false,
      error: `signature does not match (or not for cluster ${options.cluster})`,
    };
  const session = known.roleArn.replace(
    /^arn:([^:]+):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/,
    (_, p, a, r) => `arn:${p}:sts::${a}:assumed-role/${r}/${accessKeyId}`,
  );
  return {
    authenticated: true,
    username: session,
    uid: `aws-iam-authenticator:${accessKeyId}`,
    groups: known.groups,
  };
}

async function body(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
}

export function startTokenWebhook(port: number, cluster: string) {
  const credentials = new Map<string, RegisteredCredential>();
  const server = createServer((request, response) => {
    void (async () => {
      const send = (status: number, payload: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(payload));
      };
      // The API server adds its own query (`?timeout=30s`).
      const path = new URL(request.url ?? '/', 'http://localhost').pathname;
      if (request.method === 'GET' && path === '/healthz') return send(200, { ok: true });
      if (request.method === 'POST' && path === '/credentials') {
        const parsed = RegisteredCredentialSchema.safeParse(await body(request));
        if (!parsed.success) return send(400, { error: parsed.error.message });
        credentials.set(parsed.data.accessKeyId, parsed.data);
        return send(200, { registered: parsed.data.accessKeyId });
      }
      if (request.method === 'POST' && path === '/tokenreview') {
        const review = (await body(request)) as { apiVersion?: string; spec?: { token?: string } };
        const verdict = await verifyEksToken(review.spec?.token ?? '', { cluster, credentials });
        console.log(
          verdict.authenticated
            ? `authenticated ${verdict.username} as ${verdict.groups.join(',')}`
            : `refused: ${verdict.error}`,
        );
        return send(200, {
          apiVersion: review.apiVersion ?? 'authentication.k8s.io/v1',
          kind: 'TokenReview',
          status: verdict.authenticated
            ? {
                authenticated: true,
                user: { username: verdict.username, uid: verdict.uid, groups: verdict.groups },
              }
            : { authenticated: false, error: verdict.error },
        });
      }
      send(404, { error: `no route ${request.method} ${request.url}` });
    })().catch((error: unknown) => {
      response.writeHead(500);
      response.end(String(error));
    });
  });
  server.listen(port, '127.0.0.1');
  return server;
}

if (import.meta.filename === process.argv[1]) {
  const { values } = parseArgs({
    options: { port: { type: 'string' }, cluster: { type: 'string', default: 'mcp-cluster' } },
  });
  const server = startTokenWebhook(Number(values.port), values.cluster!);
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  console.log(`EKS token webhook for cluster ${values.cluster} on 127.0.0.1:${values.port}`);
}
