/**
 * Playbook step 1 as a follow-up: once an incident is open (and paged: the page never waits for
 * this), the manual's assessment and its runbook's steps are read, archived in full, and a short
 * summary goes to the tiers paged so far and to chat, on the same incident. The incident records
 * it once: a retried follow-up finds the record and sends nothing more.
 */
import type { OnCallTier } from '../../core/config.ts';
import { diagnose } from './diagnose.ts';
import { diagnosisSummary, diagnosisText } from './summary.ts';
import { runbookOf, type Diagnosis } from './model.ts';
import type { DiagnosisDeps } from './diagnosis-deps.ts';
import type { Pager } from '../../core/outbox/pager.ts';
import type { IncidentStore } from '../../core/incidents/store.ts';
import { tellTiersAndChat, tiersPaged, type Chat } from '../../core/outbox/notify.ts';
import { pagesAtOnce, type ResponsePolicy } from '../../core/incidents/policy.ts';
import { generationOf, type EvidenceRecord, type Incident } from '../../core/incidents/incident.ts';
import { describeTarget } from '../../core/mitigation/actions.ts';
import { mitigationLink } from '../../core/mitigation/links.ts';
import { isSecurity } from '../../core/incidents/alert.ts';
import {
  captureOnce,
  evidenceLines,
  quarantineOffers,
  type SecurityFollowUpDeps,
} from './security-follow-up.ts';

export interface FollowUpDeps {
  readonly diagnosis: DiagnosisDeps;
  readonly store: IncidentStore;
  readonly pager: Pager;
  readonly tiers: readonly OnCallTier[];
  readonly policy: ResponsePolicy;
  readonly chat?: Chat;
  readonly runbookBaseUrl?: string;
  /** Where the offered mitigations link to, and the key that signs them; absent: none offered. */
  readonly mitigationLinks?: { readonly baseUrl: string; readonly secret: string; readonly ttlHours: number };
  /** Security incidents: the Security Team, and the evidence capture. */
  readonly security?: SecurityFollowUpDeps;
  /** Keeps the full diagnosis (text and JSON); answers where a person finds it. */
  archive(incidentId: string, text: string, json: string): Promise<string>;
}

export type FollowUpOutcome =
  | { readonly incidentId: string; readonly sent: false; readonly reason: string }
  | {
      readonly incidentId: string;
      readonly sent: true;
      readonly to: string[];
      readonly ref: string;
      readonly diagnosis: Diagnosis;
    };

export async function followUpIncident(deps: FollowUpDeps, incidentId: string): Promise<FollowUpOutcome> {
  const incident = await deps.store.get(incidentId);
  if (!incident) return { incidentId, sent: false, reason: 'no such incident' };
  // Evidence first: read-only, so taken at once, and the digest rides in the message below. A
  // capture that fails never holds the diagnosis back: the message says so, and the stream's retry
  // (thrown below, after the diagnosis is recorded) captures it then.
  const security = isSecurity(incident.alert);
  let evidence: EvidenceRecord | undefined;
  let evidenceError: string | undefined;
  if (security && incident.status !== 'resolved') {
    try {
      evidence = await captureOnce(
        { ...deps.security, store: deps.store, now: deps.diagnosis.now },
        incident,
        'initial',
      );
    } catch (error) {
      evidenceError = (error as Error).message.split('\n')[0]!.slice(0, 200);
    }
  }
  const evidenceRetry = () =>
    new Error(`evidence of ${incidentId} not captured (${evidenceError}); the stream retries it`);
  if (incident.diagnosis) {
    if (evidenceError) throw evidenceRetry();
    return { incidentId, sent: false, reason: `already sent (${incident.diagnosis})` };
  }
  if (incident.status === 'resolved')
    return { incidentId, sent: false, reason: 'resolved before its diagnosis' };
  const diagnosis = await diagnose(deps.diagnosis, {
    ...(runbookOf(incident.alert.runbook) ? { runbook: runbookOf(incident.alert.runbook)! } : {}),
    incidentId,
    alertAt: new Date(incident.alert.startedAt ?? incident.createdAt),
  });
  const ref = await deps.archive(incidentId, diagnosisText(diagnosis), JSON.stringify(diagnosis, null, 2));
  const summary = [
    ...(security ? [...evidenceLines(evidence, incident.alert.pods ?? [], evidenceError), ''] : []),
    diagnosisSummary(diagnosis, ref),
    ...offerLines(deps, incident, {
      ...diagnosis,
      offers: security ? [...quarantineOffers(incident), ...diagnosis.offers] : diagnosis.offers,
    }),
  ].join('\n');
  // The tiers paged so far; an incident that pages at once whose page is still on its way: the primary.
  const latest = (await deps.store.get(incidentId)) ?? incident;
  let tiers = tiersPaged(deps.tiers, latest);
  if (tiers.length === 0 && latest.status !== 'held' && pagesAtOnce(deps.policy, latest.severity))
    tiers = deps.tiers.slice(0, 1);
  // A security incident's follow-up goes to the Security Team too (it has the evidence and links).
  if (security && deps.security?.team) tiers = [...tiers, deps.security.team];
  // SNS subjects stop at 100 characters: the headline is cut to fit, visibly.
  const lead = `[${latest.severity}] ${incidentId} diagnosis: `;
  const subject =
    lead.length + diagnosis.headline.length <= 99
      ? `${lead}${diagnosis.headline}`
      : `${lead}${diagnosis.headline.slice(0, 98 - lead.length)}…`;
  // Claim, send, confirm per destination: a retry (the stream's) sends only what is not out yet.
  const { told: to, refused } = await tellTiersAndChat(
    { ...deps, now: deps.diagnosis.now },
    tiers,
    latest,
    'diagnosed',
    { subject, lines: summary.split('\n') },
    'diagnosis',
  );
  if (refused.length > 0)
    throw new Error(
      `diagnosis of ${incidentId} not delivered to ${refused.join(', ')}; the stream retries it (what went out is not sent again)`,
    );
  await deps.store.recordDiagnosis(incidentId, ref, {
    at: deps.diagnosis.now().toISOString(),
    event: 'diagnosed',
    detail: `${diagnosis.headline} (full diagnosis: ${ref})`,
    note: summary,
  });
  if (evidenceError) throw evidenceRetry();
  return { incidentId, sent: true, to, ref, diagnosis };
}

/**
 * The mitigations the evidence supports, each a signed link to the mitigation page (which shows
 * the change and its dry run; only its button acts), bound to this incident and the exact target.
 */
export function offerLines(deps: FollowUpDeps, incident: Incident, diagnosis: Diagnosis): string[] {
  const links = deps.mitigationLinks;
  if (!links || diagnosis.offers.length === 0) return [];
  const expiresAt = new Date(deps.diagnosis.now().getTime() + links.ttlHours * 3_600_000);
  const deployment = deps.diagnosis.config.cluster.deployment;
  return [
    '',
    'Mitigate (each link shows the change and its dry run; nothing changes until you press its button):',
    ...diagnosis.offers
      .slice(0, 6)
      .flatMap((offer) => [
        `- ${describeTarget(offer.target, deployment)}: ${offer.why}`,
        `  ${mitigationLink(links.baseUrl, links.secret, { incidentId: incident.id, generation: generationOf(incident), sentTo: 'on-call', target: offer.target, expiresAt })}`,
      ]),
  ];
}
