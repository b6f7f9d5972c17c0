import type { MitigationRecord } from '../mitigation/record.ts';
import type { NormalizedAlert } from './alert.ts';
import type { IncidentSeverity } from './severity.ts';

export type IncidentStatus = 'triggered' | 'held' | 'acknowledged' | 'resolved';

export interface TimelineEvent {
  readonly at: string;
  readonly event:
    | 'opened'
    | 'held'
    | 'paged'
    | 'escalated'
    | 'acknowledged'
    | 'resolved'
    | 'notified'
    | 'released'
    | 'related'
    | 'reminded'
    | 'diagnosed'
    | 'reviewed'
    | 'review-done'
    | 'updated'
    | 'mitigated'
    | 'evidence'
    | 'send-failed';
  readonly detail: string;
  /** What the responder wrote when acknowledging or resolving ("what we know"). */
  readonly note?: string;
}

/**
 * Related alerts listed on one incident (with a timeline line each); more are counted only, so a
 * storm of per-pod alerts keeps the item far below DynamoDB's 400 KB.
 */
export const RELATED_LIMIT = 50;

export interface RelatedAlert {
  readonly at: string;
  readonly name: string;
  readonly severity: IncidentSeverity;
  readonly summary: string;
}

/** Where an evidence capture is, and the SHA-256 of its manifest. */
export interface EvidenceRecord {
  readonly manifest: string;
  readonly digest: string;
  readonly at: string;
  readonly files: number;
}

export interface PageRecord {
  /** `failed`: the last try was refused (the integration down); the next tick tries again. */
  readonly state: 'claimed' | 'sent' | 'failed';
  readonly at: string;
  readonly token: string;
  /** Failed tries so far (a `failed` record; a new claim carries the count on). */
  readonly failures?: number;
  /** Why the last try failed, cut short. */
  readonly error?: string;
}

export interface Incident {
  readonly id: string;
  readonly dedupKey: string;
  readonly severity: IncidentSeverity;
  readonly status: IncidentStatus;
  readonly title: string;
  readonly alert: NormalizedAlert;
  readonly createdAt: string;
  /**
   * The open generation: 1 when opened. Links carry it and act only on the same generation, so a
   * link sent before an incident was resolved can never act on it if it is ever opened again.
   * Records written before generations existed have none and count as 1.
   */
  readonly generation?: number;
  /**
   * When the response clock started: the opening, a maintenance hold's release, or a related
   * alert that raised the severity to one that pages. Absent means `createdAt`.
   */
  readonly ladderStartedAt?: string;
  /**
   * The alerts still firing in this incident (its own and related ones), by dedup key: the
   * incident resolves by itself when the last of them resolves. Absent on records written before
   * related alerts existed: their one alert's resolve resolves them.
   */
  readonly firing?: Record<string, string>;
  /** The service the alert is about; its related alerts join this incident for a while. */
  readonly service?: string;
  /** Alerts of the same service that joined this incident instead of paging again. */
  readonly related?: RelatedAlert[];
  /** Related alerts that joined after `related` reached RELATED_LIMIT: counted, not listed. */
  readonly relatedOmitted?: number;
  /** The ticket opened for it (the ticket system's key or URL). */
  readonly ticketRef?: string;
  /** The incident chat channel created for it (P0: `#incident-YYYYMMDD-NNN`). */
  readonly channel?: string;
  /** Index into the on-call tiers of the highest tier due so far; -1 before the first page. */
  readonly tierReached: number;
  /** When the next tier is due; absent when nothing more will be paged. */
  readonly nextEscalationAt?: string;
  /** Page records by key: the tier name, or `resolved:<tier>` for the all-clear. */
  readonly pages: Record<string, PageRecord>;
  /** Where the diagnosis follow-up's full text is archived, once sent. */
  readonly diagnosis?: string;
  /**
   * The manual's status past Investigating, set by a status update: Identified (the cause is
   * known) or Monitoring (a fix is in, watching). Absent: Investigating.
   */
  readonly phase?: 'identified' | 'monitoring';
  /** When the last status update was posted (the update cadence counts from it). */
  readonly lastUpdateAt?: string;
  /** Where the post-incident review's draft is, once written (on resolution). */
  readonly review?: string;
  /** When the review is due (48 h after its draft); reminders follow until it is marked done. */
  readonly reviewDueAt?: string;
  /** When the review was marked done (`mcp-ops incident review ID --done`). */
  readonly reviewDoneAt?: string;
  /** How many times the alert fired again while this incident was open, and when it last did. */
  readonly repeats: number;
  readonly lastRepeatAt?: string;
  readonly timeline: TimelineEvent[];
  /** Mitigations taken from the page or the CLI, by key (the action and its exact target). */
  readonly mitigations?: Record<string, MitigationRecord>;
  /** The one mitigation acting now (its key and since when); absent when none is in flight. */
  readonly mitigating?: { readonly key: string; readonly at: string };
  /** Security incidents: the evidence captured at once (read-only), and again after quarantine. */
  readonly evidence?: EvidenceRecord;
  readonly evidenceAfterQuarantine?: EvidenceRecord;
  /** When the named pods were quarantined (the deny-all policy and label in place), and by whom. */
  readonly quarantinedAt?: string;
  readonly ackedBy?: string;
  readonly resolvedAt?: string;
}

export function generationOf(incident: Pick<Incident, 'generation'>): number {
  return incident.generation ?? 1;
}

/** Who resolved the incident, from its timeline (the resolve event's detail). */
export function resolvedBy(incident: Pick<Incident, 'timeline'>): string | undefined {
  return incident.timeline.findLast((e) => e.event === 'resolved')?.detail;
}

/** INC-YYYYMMDD-NNN from the UTC day and that day's counter. */
export function incidentId(day: string, number: number): string {
  return `INC-${day}-${String(number).padStart(3, '0')}`;
}

export function utcDay(now: Date): string {
  return now.toISOString().slice(0, 10).replace(/-/g, '');
}

/** The incident's duration so far, for pages and reports. */
export function minutesOpen(incident: Pick<Incident, 'createdAt'>, now: Date): number {
  return Math.floor((now.getTime() - new Date(incident.createdAt).getTime()) / 60_000);
}
