import { hmac, signedByOneOf } from '../signing.ts';
import { z } from 'zod';
import type { MitigationTarget } from './actions.ts';

/**
 * A mitigation link's claims: signed like the acknowledge link (same secret, its own domain in the
 * signature, so one kind of token can never pass for the other), bound to one incident, its open
 * generation, the tier it was sent to and the exact target.
 */
export interface MitigationClaims {
  readonly incidentId: string;
  readonly generation: number;
  /** Who the link was sent to (a tier's name, or `chat`): recorded with who acted. */
  readonly sentTo: string;
  readonly target: MitigationTarget;
  readonly expiresAt: Date;
}

export const MITIGATION_TOKEN_PARAM = 'token';
/** Far above any target's JSON; anything longer is refused before it is decoded. */
export const MAX_TOKEN_CHARS = 1200;

const name = z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/);
const quantity = z.string().regex(/^\d+(Mi|Gi)$/);
const image = z.string().regex(/^[\w./:@-]{1,255}$/);
const TargetSchema = z.discriminatedUnion('action', [
  z.object({
    action: z.literal('undo'),
    fromRevision: z.number().int().min(1),
    toRevision: z.number().int().min(1),
  }),
  z.object({ action: z.literal('restart'), pod: name, uid: z.string().regex(/^[0-9a-f-]{8,64}$/) }),
  z.object({
    action: z.literal('scale'),
    fromReplicas: z.number().int().min(0),
    replicas: z.number().int().min(1),
  }),
  z.object({ action: z.literal('drain'), node: name }),
  z.object({ action: z.literal('image'), fromImage: image, image }),
  z.object({ action: z.literal('memory'), from: quantity, to: quantity }),
  z.object({ action: z.literal('maintenance-off'), ingress: name }),
  z.object({ action: z.literal('quarantine'), pods: z.array(name).min(1).max(10) }),
  z.object({ action: z.literal('release'), pods: z.array(name).min(1).max(10) }),
]);

const ClaimsSchema = z
  .object({
    i: z.string().regex(/^INC-\d{8}-\d{3,}$/),
    g: z.number().int().min(1).max(999_999),
    s: z.string().regex(/^[a-z][a-z0-9-]{0,40}$/),
    t: TargetSchema,
    e: z.number().int().min(0),
  })
  .strict();

const DOMAIN = 'mcp-ops-mitigation-v1';

function signature(secret: string, payload: string): string {
  return hmac(secret, `${DOMAIN}.${payload}`);
}

export function signMitigation(secret: string, claims: MitigationClaims): string {
  const payload = Buffer.from(
    JSON.stringify({
      i: claims.incidentId,
      g: claims.generation,
      s: claims.sentTo,
      t: claims.target,
      e: Math.floor(claims.expiresAt.getTime() / 1000),
    }),
  ).toString('base64url');
  return `m1.${payload}.${signature(secret, payload)}`;
}

/** The link to the mitigation page for one offer. */
export function mitigationLink(baseUrl: string, secret: string, claims: MitigationClaims): string {
  const url = new URL(baseUrl);
  url.searchParams.set(MITIGATION_TOKEN_PARAM, signMitigation(secret, claims));
  return url.toString();
}

export type MitigationCheck = { ok: true; claims: MitigationClaims } | { ok: false; reason: string };

/**
 * Checks a token: its shape, its signature (with `secret` or one of `previous`, the keys before a
 * rotation), then its claims, then expiry. Every refusal says that nothing was changed.
 */
export function verifyMitigation(
  token: string | undefined,
  secret: string,
  now: Date,
  previous: readonly string[] = [],
): MitigationCheck {
  if (!token) return { ok: false, reason: 'This link carries no token. Nothing was changed.' };
  const match = token.length <= MAX_TOKEN_CHARS ? /^m1\.([\w-]+)\.([\w-]{43})$/.exec(token) : null;
  if (!match) return { ok: false, reason: 'This link is damaged or incomplete. Nothing was changed.' };
  const [, payload, given] = match;
  if (!signedByOneOf([secret, ...previous], `${DOMAIN}.${payload}`, given!))
    return {
      ok: false,
      reason: 'This link is not valid: its signature does not match. Nothing was changed.',
    };
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'This link is damaged or incomplete. Nothing was changed.' };
  }
  const parsed = ClaimsSchema.safeParse(decoded);
  if (!parsed.success)
    return { ok: false, reason: 'This link names no action this page knows. Nothing was changed.' };
  const c = parsed.data;
  const claims: MitigationClaims = {
    incidentId: c.i,
    generation: c.g,
    sentTo: c.s,
    target: c.t,
    expiresAt: new Date(c.e * 1000),
  };
  if (claims.expiresAt.getTime() <= now.getTime())
    return {
      ok: false,
      reason: `This link expired at ${claims.expiresAt.toISOString()}. Nothing was changed; use \`mcp-ops mitigate ${claims.incidentId} ${claims.target.action}\` or a newer diagnosis.`,
    };
  return { ok: true, claims };
}

/** Parses a target a person typed (the CLI) with the same rules as a link's. */
export function parseTarget(value: unknown): MitigationTarget | undefined {
  const parsed = TargetSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
