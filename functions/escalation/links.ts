import { hmac, signedByOneOf } from '../../core/signing.ts';

export type LinkAction = 'ack' | 'resolve';

export interface LinkClaims {
  readonly action: LinkAction;
  readonly incidentId: string;
  /** Who the link was sent to: the tier's name, recorded as who acknowledged. */
  readonly tier: string;
  /**
   * The incident's open generation when the link was sent. A link acts only on that generation,
   * so a resolve link cannot be replayed on an incident that was opened again.
   */
  readonly generation: number;
  readonly expiresAt: Date;
}

/** The query parameter that carries the signed token in a page's links. */
export const TOKEN_PARAM = 'token';

/**
 * A token reads `ack.INC-20261125-001.primary.1.1795687200.<signature>`: every field is from a
 * fixed alphabet without dots, so it splits unambiguously and is safe in a URL as it is.
 */
const TOKEN =
  /^(ack|resolve)\.(INC-\d{8}-\d{3,})\.([a-z][a-z0-9-]{0,40})\.(\d{1,6})\.(\d{1,12})\.([\w-]{43})$/;

function payload(c: LinkClaims): string {
  return [c.action, c.incidentId, c.tier, c.generation, Math.floor(c.expiresAt.getTime() / 1000)].join('.');
}

const signature = hmac;

export function signToken(secret: string, claims: LinkClaims): string {
  const text = payload(claims);
  return `${text}.${signature(secret, text)}`;
}

/** A short link to the respond page for one action, carrying the signed token. */
export function signedLink(baseUrl: string, secret: string, claims: LinkClaims): string {
  const url = new URL(baseUrl);
  url.searchParams.set(TOKEN_PARAM, signToken(secret, claims));
  return url.toString();
}

export type LinkCheck = { ok: true; claims: LinkClaims } | { ok: false; reason: string };

/**
 * Checks a token: a missing, forged, altered or expired one is refused with the reason. `secret`
 * signs new links; a token signed with one of `previous` (the key before a rotation) still checks,
 * so rotating the key does not break the links in pages already sent.
 */
export function verifyToken(
  token: string | undefined,
  secret: string,
  now: Date,
  previous: readonly string[] = [],
): LinkCheck {
  if (!token) return { ok: false, reason: 'This link carries no token. Nothing was changed.' };
  const match = TOKEN.exec(token);
  if (!match) return { ok: false, reason: 'This link is damaged or incomplete. Nothing was changed.' };
  const [, action, incidentId, tier, generation, expires, given] = match;
  const signed = token.slice(0, token.length - given!.length - 1);
  if (!signedByOneOf([secret, ...previous], signed, given!)) {
    return {
      ok: false,
      reason: 'This link is not valid: its signature does not match. Nothing was changed.',
    };
  }
  const claims: LinkClaims = {
    action: action as LinkAction,
    incidentId: incidentId!,
    tier: tier!,
    generation: Number(generation),
    expiresAt: new Date(Number(expires) * 1000),
  };
  if (claims.expiresAt.getTime() <= now.getTime()) {
    return {
      ok: false,
      reason: `This link expired at ${claims.expiresAt.toISOString()}. Nothing was changed; use the newest page, or \`mcp-ops ack|resolve ${claims.incidentId}\`.`,
    };
  }
  return { ok: true, claims };
}
