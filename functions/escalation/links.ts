import { createHmac, timingSafeEqual } from 'node:crypto';

export type LinkAction = 'ack' | 'resolve';

export interface LinkClaims {
  readonly action: LinkAction;
  readonly incidentId: string;
  /** Who the link was sent to: the tier's name, recorded as who acknowledged. */
  readonly tier: string;
  readonly expiresAt: Date;
}

function signature(secret: string, c: LinkClaims): string {
  const payload = `${c.action}\n${c.incidentId}\n${c.tier}\n${Math.floor(c.expiresAt.getTime() / 1000)}`;
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

/** A short acknowledge/resolve link on the respond function's URL, HMAC-signed and expiring. */
export function signedLink(baseUrl: string, secret: string, claims: LinkClaims): string {
  const url = new URL(baseUrl);
  url.searchParams.set('a', claims.action);
  url.searchParams.set('i', claims.incidentId);
  url.searchParams.set('t', claims.tier);
  url.searchParams.set('e', String(Math.floor(claims.expiresAt.getTime() / 1000)));
  url.searchParams.set('s', signature(secret, claims));
  return url.toString();
}

export type LinkCheck = { ok: true; claims: LinkClaims } | { ok: false; reason: string };

/** Checks a link's query: a forged, altered or expired link is refused with the reason. */
export function verifyLink(query: Record<string, string | undefined>, secret: string, now: Date): LinkCheck {
  const { a, i, t, e, s } = query;
  if (!a || !i || !t || !e || !s) return { ok: false, reason: 'This link is incomplete.' };
  if (a !== 'ack' && a !== 'resolve') return { ok: false, reason: `Unknown action "${a}".` };
  if (!/^INC-\d{8}-\d{3,}$/.test(i)) return { ok: false, reason: 'This link names no valid incident.' };
  if (!/^\d{1,12}$/.test(e)) return { ok: false, reason: 'This link has no valid expiry.' };
  const claims: LinkClaims = { action: a, incidentId: i, tier: t, expiresAt: new Date(Number(e) * 1000) };
  const expected = Buffer.from(signature(secret, claims));
  const given = Buffer.from(s);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return {
      ok: false,
      reason: 'This link is not valid: its signature does not match. Nothing was changed.',
    };
  }
  if (claims.expiresAt.getTime() <= now.getTime()) {
    return {
      ok: false,
      reason: `This link expired at ${claims.expiresAt.toISOString()}. Nothing was changed.`,
    };
  }
  return { ok: true, claims };
}
