import { z } from 'zod';

/**
 * The parts of a Lambda function URL request (payload format 2.0) that our confirmation pages
 * read: the method, the query, and on POST the page's form. What no form of ours sends is refused.
 */
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

export type ParsedFunctionUrl =
  | {
      readonly ok: true;
      readonly method: string;
      readonly query: Readonly<Record<string, string>>;
      /** The POSTed form (empty for other methods). */
      readonly form: URLSearchParams;
      /** The page's own path, where its form posts back (a plain absolute path, never `//host`). */
      readonly path: string;
    }
  | { readonly ok: false; readonly status: number; readonly message: string; readonly path: string };

export function parseFunctionUrl(event: unknown): ParsedFunctionUrl {
  const parsed = FunctionUrlEvent.safeParse(event);
  if (!parsed.success)
    return {
      ok: false,
      status: 400,
      message: 'This is not a function URL request (no requestContext.http.method). Nothing was changed.',
      path: '/',
    };
  const e = parsed.data;
  const path = /^\/(?!\/)[\w./-]*$/.test(e.rawPath) ? e.rawPath : '/';
  const method = e.requestContext.http.method.toUpperCase();
  const query = e.queryStringParameters ?? {};
  if (method !== 'POST') return { ok: true, method, query, form: new URLSearchParams(), path };
  const type = Object.entries(e.headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '';
  if (!/^application\/x-www-form-urlencoded\b/i.test(type))
    return {
      ok: false,
      status: 415,
      message: `Expected the page's form (application/x-www-form-urlencoded), got "${type || 'no content type'}". Nothing was changed.`,
      path,
    };
  const raw = e.body ?? '';
  const body = e.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (body.length > MAX_BODY_BYTES)
    return {
      ok: false,
      status: 413,
      message: `The form is larger than ${MAX_BODY_BYTES} bytes. Nothing was changed.`,
      path,
    };
  return { ok: true, method, query, form: new URLSearchParams(body.toString('utf8')), path };
}
