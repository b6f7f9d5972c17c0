/**
 * A security incident's follow-up beside its diagnosis: the evidence, captured at once (read-only)
 * into the evidence bucket and recorded on the incident, its manifest's digest and the quarantine
 * (and its undo) as confirmed links, to the Security Team as well as the tiers paged; and the
 * second capture once the quarantine is in place.
 */
import type { OnCallTier } from '../../core/config.ts';
import {
  captureEvidence,
  type EvidencePhase,
  type EvidenceSource,
  type EvidenceStore,
} from '../../core/evidence.ts';
import type { EvidenceRecord, Incident } from '../../core/incidents/incident.ts';
import type { IncidentStore } from '../../core/incidents/store.ts';
import { event } from '../../core/outbox/send-once.ts';
import type { MitigationOffer } from '../../core/mitigation/actions.ts';
import { tellTiersAndChat, tiersPaged, type Chat } from '../../core/outbox/notify.ts';
import type { Pager } from '../../core/outbox/pager.ts';

export interface SecurityFollowUpDeps {
  /** The Security Team as a page destination (absent: the tiers paged only). */
  readonly team?: OnCallTier;
  readonly evidence?: {
    readonly source: () => Promise<EvidenceSource>;
    readonly store: EvidenceStore;
    readonly namespace: string;
    readonly retentionDays: number;
  };
}

const WHICH: Record<EvidencePhase, 'evidence' | 'evidenceAfterQuarantine'> = {
  initial: 'evidence',
  'after-quarantine': 'evidenceAfterQuarantine',
};

/**
 * Captures `phase` once and records it (a retried stream record finds the record and captures
 * nothing more). The record, or undefined when no evidence store is configured.
 */
export async function captureOnce(
  deps: SecurityFollowUpDeps & { readonly store: IncidentStore; readonly now: () => Date },
  incident: Incident,
  phase: EvidencePhase,
): Promise<EvidenceRecord | undefined> {
  const which = WHICH[phase];
  if (incident[which]) return incident[which];
  const evidence = deps.evidence;
  if (!evidence) return undefined;
  const capture = await captureEvidence(
    {
      source: await evidence.source(),
      store: evidence.store,
      namespace: evidence.namespace,
      retentionDays: evidence.retentionDays,
      now: deps.now,
    },
    incident.id,
    incident.alert.pods ?? [],
    phase,
  );
  const record: EvidenceRecord = {
    manifest: capture.manifest,
    digest: capture.digest,
    at: capture.capturedAt,
    files: capture.files.length,
  };
  const recorded = await deps.store.recordEvidence(
    incident.id,
    which,
    record,
    event(
      deps.now(),
      'evidence',
      `${phase === 'initial' ? 'evidence captured' : 'evidence captured after quarantine'}: ${capture.files.length} file(s), manifest ${capture.manifest} (SHA-256 ${capture.digest})${capture.unreadable.length ? `; could not read ${capture.unreadable.join('; ')}` : ''}`,
    ),
  );
  return recorded ? record : ((await deps.store.get(incident.id))?.[which] ?? record);
}

/** The quarantine of the pods the signal names, and its undo, as offers (links in the follow-up). */
export function quarantineOffers(incident: Incident): MitigationOffer[] {
  const pods = incident.alert.pods ?? [];
  if (pods.length === 0) return [];
  return [
    {
      target: { action: 'quarantine', pods },
      why: `the manual's immediate action for a security breach: isolate ${pods.join(', ')}`,
    },
    {
      target: { action: 'release', pods },
      why: 'the undo, once the investigation no longer needs the isolation',
    },
  ];
}

export function evidenceLines(
  record: EvidenceRecord | undefined,
  pods: readonly string[],
  failure?: string,
): string[] {
  if (failure)
    return [
      `Evidence: NOT captured yet (${failure}); it is tried again; collect it by hand if it keeps failing.`,
    ];
  if (!record)
    return ["Evidence: no evidence bucket is configured; collect it by hand (the manual's step 3)."];
  return [
    `Evidence (${pods.length ? pods.join(', ') : 'no pod named'}: logs, previous logs, pod YAML, events, NetworkPolicies; Object Lock): ${record.manifest}`,
    `Manifest SHA-256: ${record.digest}`,
  ];
}

/**
 * The second capture, once the quarantine is in place (the stream's MODIFY with `quarantinedAt`),
 * told once to the tiers paged, the Security Team and chat.
 */
export async function afterQuarantine(
  deps: SecurityFollowUpDeps & {
    readonly store: IncidentStore;
    readonly now: () => Date;
    readonly tiers: readonly OnCallTier[];
    readonly pager: Pager;
    readonly chat?: Chat;
    readonly runbookBaseUrl?: string;
  },
  incidentId: string,
): Promise<{ captured: boolean; reason?: string }> {
  const incident = await deps.store.get(incidentId);
  if (!incident) return { captured: false, reason: 'no such incident' };
  if (!incident.quarantinedAt) return { captured: false, reason: 'not quarantined' };
  if (incident.evidenceAfterQuarantine) return { captured: false, reason: 'captured already' };
  const record = await captureOnce(deps, incident, 'after-quarantine');
  if (!record) return { captured: false, reason: 'no evidence bucket configured' };
  const latest = (await deps.store.get(incidentId)) ?? incident;
  const tiers = [...tiersPaged(deps.tiers, latest), ...(deps.team ? [deps.team] : [])];
  await tellTiersAndChat(
    deps,
    tiers,
    latest,
    'updated',
    {
      subject: `[${latest.severity}] ${incidentId} quarantined; evidence captured again`,
      lines: [
        `${incidentId}: quarantine in place since ${incident.quarantinedAt}.`,
        ...evidenceLines(record, incident.alert.pods ?? []),
      ],
    },
    'evidence-after-quarantine',
  );
  return { captured: true };
}
