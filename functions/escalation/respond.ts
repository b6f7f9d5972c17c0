import type { OnCallTier } from '../../core/config.ts';
import { acknowledgeIncident, resolveIncident, type EscalationDeps } from './escalation.ts';
import { verifyLink } from './links.ts';

export interface LinkAnswer {
  readonly status: number;
  readonly message: string;
}

/** What a click on an acknowledge/resolve link does: verify, then change the incident once. */
export async function respondToLink(
  deps: EscalationDeps,
  query: Record<string, string | undefined>,
  tiers: readonly OnCallTier[],
): Promise<LinkAnswer> {
  const check = verifyLink(query, deps.links.secret, deps.now());
  if (!check.ok) return { status: 403, message: check.reason };
  const { action, incidentId, tier } = check.claims;
  const who = tiers.find((t) => t.name === tier);
  const by = who ? `${who.title} (${who.contact}) via link` : `${tier} via link`;
  if (action === 'ack') {
    const acked = await acknowledgeIncident(deps, incidentId, by);
    if (acked)
      return { status: 200, message: `${incidentId} acknowledged by ${by}. Escalation has stopped.` };
  } else {
    const resolved = await resolveIncident(deps, incidentId, by);
    if (resolved)
      return { status: 200, message: `${incidentId} resolved by ${by}. Everyone paged has been told.` };
  }
  const current = await deps.store.get(incidentId);
  if (!current) return { status: 404, message: `No incident ${incidentId}.` };
  return {
    status: 409,
    message: `${incidentId} is already ${current.status}${current.ackedBy ? ` (by ${current.ackedBy})` : ''}; nothing was changed.`,
  };
}
