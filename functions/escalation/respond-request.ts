import { z } from 'zod';
import { TOKEN_PARAM } from './links.ts';
import type { RespondRequest } from './respond.ts';

/** The parts of a Lambda function URL request (payload format 2.0) the respond page reads. */
const FunctionUrlEvent = z.object({
  rawPath: z.string().default('/'),
  queryStringParameters: z.record(z.string(), z.string()).optional(),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.string().optional(),
  isBase64Encoded: z.boolean().default(false),
  requestContext: z.object({ http: z.object({ method: z.string().min(1) }) }),
});

/** A form of a token, an action word and a note is far below this; anything bigger is not ours. */
export const MAX_BODY_BYTES = 16 * 1024;

export type ParsedRespondEvent =
  | { readonly ok: true; readonly request: RespondRequest; readonly path: string }
  | { readonly ok: false; readonly status: number; readonly message: string; readonly path: string };

function refusal(status: number, message: string, path = '/'): ParsedRespondEvent {
  return { ok: false, status, message, path };
}

/** Parses a function URL event into a respond request, refusing what no form of ours sends. */
export function parseRespondEvent(event: unknown): ParsedRespondEvent {
  const parsed = FunctionUrlEvent.safeParse(event);
  if (!parsed.success) {
    return refusal(
      400,
      'This is not a function URL request (no requestContext.http.method). Nothing was changed.',
    );
  }
  const e = parsed.data;
  // The form posts back to this path; only a plain absolute path (never `//host`) is echoed.
  const path = /^\/(?!\/)[\w./-]*$/.test(e.rawPath) ? e.rawPath : '/';
  const method = e.requestContext.http.method.toUpperCase();
  const token = e.queryStringParameters?.[TOKEN_PARAM];
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') {
    return { ok: true, path, request: { method, ...(token ? { token } : {}) } };
  }
  if (method !== 'POST') return { ok: true, path, request: { method: 'OTHER', verb: method } };

  const type = Object.entries(e.headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '';
  if (!/^application\/x-www-form-urlencoded\b/i.test(type)) {
    return refusal(
      415,
      `Expected the page's form (application/x-www-form-urlencoded), got "${type || 'no content type'}". Nothing was changed.`,
      path,
    );
  }
  const raw = e.body ?? '';
  const body = e.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (body.length > MAX_BODY_BYTES) {
    return refusal(413, `The form is larger than ${MAX_BODY_BYTES} bytes. Nothing was changed.`, path);
  }
  const form = new URLSearchParams(body.toString('utf8'));
  const field = (name: string) => form.get(name) ?? undefined;
  return {
    ok: true,
    path,
    request: {
      method: 'POST',
      ...(field(TOKEN_PARAM) ? { token: field(TOKEN_PARAM) } : {}),
      ...(field('action') ? { action: field('action') } : {}),
      ...(field('note') ? { note: field('note') } : {}),
    },
  };
}
