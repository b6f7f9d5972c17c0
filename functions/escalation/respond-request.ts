import { parseFunctionUrl } from '../../core/function-url.ts';
import { TOKEN_PARAM } from './links.ts';
import type { RespondRequest } from './respond.ts';

export { MAX_BODY_BYTES } from '../../core/function-url.ts';

export type ParsedRespondEvent =
  | { readonly ok: true; readonly request: RespondRequest; readonly path: string }
  | { readonly ok: false; readonly status: number; readonly message: string; readonly path: string };

/** Parses a function URL event into a respond request, refusing what no form of ours sends. */
export function parseRespondEvent(event: unknown): ParsedRespondEvent {
  const parsed = parseFunctionUrl(event);
  if (!parsed.ok) return parsed;
  const { method, path, query, form } = parsed;
  const token = query[TOKEN_PARAM];
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') {
    return { ok: true, path, request: { method, ...(token ? { token } : {}) } };
  }
  if (method !== 'POST') return { ok: true, path, request: { method: 'OTHER', verb: method } };
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
