import type { OnCallTier } from '../../core/config.ts';
import { acknowledgeIncident, resolveIncident } from './actions.ts';
import { type EscalationDeps } from '../../core/incidents/deps.ts';
import { generationOf, resolvedBy, type Incident } from '../../core/incidents/incident.ts';
import { verifyToken, type LinkAction, type LinkClaims } from './links.ts';
import { afterAcknowledgement } from '../../core/incidents/policy.ts';

/**
 * What reaches the respond function's URL, as the edge parsed it. Mail scanners and link previews
 * GET (and HEAD) every link they see, so a GET only shows; a person acts by POSTing the form.
 */
export type RespondRequest =
  | { readonly method: 'GET' | 'HEAD' | 'OPTIONS'; readonly token?: string }
  | {
      readonly method: 'POST';
      readonly token?: string;
      readonly action?: string;
      readonly note?: string;
    }
  | { readonly method: 'OTHER'; readonly verb: string };

export type RespondView =
  /** The incident and a button that POSTs the token back for `claims.action`. */
  | {
      readonly kind: 'confirm';
      readonly claims: LinkClaims;
      readonly incident: Incident;
      readonly token: string;
    }
  /** The incident as it stands, with one sentence on what happened (or had already happened). */
  | {
      readonly kind: 'outcome';
      readonly claims: LinkClaims;
      readonly incident: Incident;
      readonly message: string;
    }
  | { readonly kind: 'refused'; readonly message: string }
  /** HEAD and OPTIONS: headers only. */
  | { readonly kind: 'empty' };

export interface RespondAnswer {
  readonly status: number;
  readonly view: RespondView;
}

export const ALLOWED_METHODS = 'GET, HEAD, POST, OPTIONS';
export const NOTE_MAX_CHARS = 1000;

const VERB: Record<LinkAction, { past: string; noun: string }> = {
  ack: { past: 'acknowledged', noun: 'acknowledging' },
  resolve: { past: 'resolved', noun: 'resolving' },
};

const refused = (status: number, message: string): RespondAnswer => ({
  status,
  view: { kind: 'refused', message },
});

/** Who a link was sent to, as recorded when it acts. */
export function linkResponder(claims: LinkClaims, tiers: readonly OnCallTier[]): string {
  const who = tiers.find((t) => t.name === claims.tier);
  return who ? `${who.title} (${who.contact}) via link` : `${claims.tier} via link`;
}

/** One line, printable, bounded: what a responder typed into the note field. */
export function cleanNote(note: string | undefined): string | undefined {
  const text = (note ?? '').replace(/[\p{Cc}\p{Cf}\s]+/gu, ' ').trim();
  return text ? text.slice(0, NOTE_MAX_CHARS) : undefined;
}

/** Already in the state the link asks for, or past it; said plainly, with who did it. */
function alreadyDone(incident: Incident, action: LinkAction): string | undefined {
  if (incident.status === 'resolved') {
    return `${incident.id} is already resolved by ${resolvedBy(incident) ?? 'someone'} at ${incident.resolvedAt}.`;
  }
  if (action === 'ack' && incident.status === 'acknowledged') {
    return `${incident.id} is already acknowledged by ${incident.ackedBy ?? 'someone'}.`;
  }
  return undefined;
}

type Checked = { ok: true; claims: LinkClaims; incident: Incident } | { ok: false; answer: RespondAnswer };

/** Signature, expiry, the incident itself and its generation: what every GET and POST checks. */
async function checkLink(deps: EscalationDeps, token: string | undefined): Promise<Checked> {
  const previous = (await deps.links.previousSecrets?.()) ?? [];
  const check = verifyToken(token, deps.links.secret, deps.now(), previous);
  if (!check.ok) return { ok: false, answer: refused(403, check.reason) };
  const { claims } = check;
  const incident = await deps.store.get(claims.incidentId);
  if (!incident) return { ok: false, answer: refused(404, `There is no incident ${claims.incidentId}.`) };
  if (generationOf(incident) !== claims.generation) {
    return {
      ok: false,
      answer: refused(
        409,
        `This link was sent before ${incident.id} was opened again; it cannot act on it now. Nothing was changed. Use the link in the newest page.`,
      ),
    };
  }
  return { ok: true, claims, incident };
}

/** A GET: show the incident and, if the link's action still applies, the button. Changes nothing. */
async function showLink(deps: EscalationDeps, token: string | undefined): Promise<RespondAnswer> {
  const checked = await checkLink(deps, token);
  if (!checked.ok) return checked.answer;
  const { claims, incident } = checked;
  const done = alreadyDone(incident, claims.action);
  if (done) return { status: 200, view: { kind: 'outcome', claims, incident, message: done } };
  return { status: 200, view: { kind: 'confirm', claims, incident, token: token! } };
}

/** A POST from the page's button: re-verify everything, then act once. */
async function actOnLink(
  deps: EscalationDeps,
  request: Extract<RespondRequest, { method: 'POST' }>,
  tiers: readonly OnCallTier[],
): Promise<RespondAnswer> {
  if (!request.token) {
    return refused(400, 'No token was sent, so nothing was changed. Open the link in the page again.');
  }
  const checked = await checkLink(deps, request.token);
  if (!checked.ok) return checked.answer;
  const { claims, incident } = checked;
  if (request.action !== claims.action) {
    return refused(
      403,
      `This link is for ${VERB[claims.action].noun} ${claims.incidentId}, not ${request.action ? `"${request.action}"` : 'an unnamed action'}. Nothing was changed.`,
    );
  }
  const before = alreadyDone(incident, claims.action);
  if (before) return { status: 200, view: { kind: 'outcome', claims, incident, message: before } };

  const by = linkResponder(claims, tiers);
  const note = cleanNote(request.note);
  const changed =
    claims.action === 'ack'
      ? await acknowledgeIncident(deps, incident.id, by, note)
      : await resolveIncident(deps, incident.id, by, note);
  // Lost a race (a double click, another responder): show what won.
  const now = changed ?? (await deps.store.get(incident.id)) ?? incident;
  const message = changed
    ? claims.action === 'ack'
      ? `${incident.id} acknowledged by ${by}. ${afterAcknowledgement(deps.policy, changed)}`
      : `${incident.id} resolved by ${by}. Everyone paged has been told.`
    : (alreadyDone(now, claims.action) ??
      `${incident.id} was not ${VERB[claims.action].past}: it is ${now.status}.`);
  return { status: 200, view: { kind: 'outcome', claims, incident: now, message } };
}

/** The respond function's whole behaviour: only a POST of a valid token for its action acts. */
export async function respondToRequest(
  deps: EscalationDeps,
  request: RespondRequest,
  tiers: readonly OnCallTier[],
): Promise<RespondAnswer> {
  switch (request.method) {
    case 'HEAD':
      return { status: 200, view: { kind: 'empty' } };
    case 'OPTIONS':
      return { status: 204, view: { kind: 'empty' } };
    case 'GET':
      return showLink(deps, request.token);
    case 'POST':
      return actOnLink(deps, request, tiers);
    default:
      return refused(
        405,
        `${request.verb} is not accepted here: open the link (GET) and press its button (POST). Nothing was changed.`,
      );
  }
}
