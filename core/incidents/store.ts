import type { EvidenceRecord, Incident, IncidentStatus, RelatedAlert, TimelineEvent } from './incident.ts';
import type { IncidentSeverity } from './severity.ts';

/**
 * The incidents port. Every write is conditional, so a duplicate delivery, a Lambda retry or two
 * ticks racing change an incident once: a call that loses its condition returns false (or the
 * incident that won), never throws for it.
 */
export type RepeatOutcome =
  | { readonly outcome: 'joined'; readonly incident: Incident }
  /** The delivery was taken in before, by `incidentId` (perhaps an earlier, resolved incident). */
  | { readonly outcome: 'duplicate'; readonly incidentId: string }
  | { readonly outcome: 'closed' };

export interface IncidentStore {
  /** The next number of the day's counter; never the same twice. */
  nextIncidentNumber(day: string): Promise<number>;
  openIncidentFor(dedupKey: string): Promise<Incident | undefined>;
  /** The id of the open incident for a dedup key, from its pointer alone (one read). */
  openIncidentIdFor(dedupKey: string): Promise<string | undefined>;
  get(id: string): Promise<Incident | undefined>;
  /** The incident a delivery (an SNS message's alert) was already taken into, if any. */
  incidentForDelivery(deliveryKey: string): Promise<string | undefined>;
  /**
   * Creates the incident; false when one is already open for its dedup key, or (with `related`)
   * another incident of the service opened since `related.since` (the caller joins it).
   */
  create(incident: Incident, related?: { service: string; since: Date }): Promise<boolean>;
  /** The open incident of a service opened since `since`, which its related alerts join. */
  relatedIncidentFor(service: string, since: Date): Promise<string | undefined>;
  /**
   * Joins alert `dedupKey` to open incident `id` as a related alert (its open pointer names the
   * incident, it fires there), then records the delivery. `closed` when the incident was resolved
   * or the alert got an open incident meanwhile (the caller goes round).
   */
  joinRelated(
    id: string,
    dedupKey: string,
    deliveryKey: string,
    related: RelatedAlert,
    event: TimelineEvent,
  ): Promise<RepeatOutcome>;
  /**
   * Raises the incident's severity to `severity` if that is worse than what it has (never lowers
   * it); if it had one of `restartFrom`, its clock restarts at `at`, its next step is due then, and
   * a maintenance hold ends (a severity that pages at once is never held).
   * The incident as written, or undefined when nothing was raised.
   */
  raiseSeverity(
    id: string,
    severity: IncidentSeverity,
    restartFrom: readonly IncidentSeverity[],
    at: Date,
    event: TimelineEvent,
  ): Promise<Incident | undefined>;
  /** Alert `dedupKey` stopped firing in incident `id` (its pointer freed): how many still fire. */
  clearFiring(id: string, dedupKey: string): Promise<number>;
  /**
   * Records that a delivery was taken into incident `id`: false with the incident that has it
   * when the delivery was recorded before (a duplicate).
   */
  recordDelivery(
    deliveryKey: string,
    id: string,
    at: Date,
  ): Promise<{ readonly recorded: true } | { readonly recorded: false; readonly incidentId: string }>;
  /**
   * Counts a repeat on incident `id` unless it is resolved (`closed`: its open pointer is freed),
   * then records the delivery: `duplicate` when the delivery was already taken in (the count may
   * then be one too high; a repeat pages nobody, so only the delivery record must be exact).
   */
  recordRepeat(id: string, dedupKey: string, deliveryKey: string, at: Date): Promise<RepeatOutcome>;
  /**
   * Claims the right to send page `key` (a tier, or `resolved:<tier>`): true for one caller only,
   * unless an earlier claim is older than `staleBefore` (its sender died) or the last try failed.
   * Only while the incident's status is one of `statuses`.
   */
  claimPage(
    id: string,
    key: string,
    token: string,
    at: Date,
    staleBefore: Date,
    statuses: IncidentStatus[],
  ): Promise<boolean>;
  markPageSent(id: string, key: string, token: string, event: TimelineEvent): Promise<void>;
  /**
   * The send claimed with `token` failed: the record becomes `failed` (claimable again at once)
   * with its count of failures and the error, and `event` (when given) joins the timeline.
   */
  markSendFailed(
    id: string,
    key: string,
    token: string,
    failure: { failures: number; error: string; at: Date },
    event?: TimelineEvent,
  ): Promise<void>;
  /**
   * Moves the incident from tier `from` to tier `to` and sets when its next step is due; false
   * when it is no longer at `from` or no longer in one of `statuses`.
   */
  escalate(
    id: string,
    from: number,
    to: number,
    nextAt: Date | undefined,
    event: TimelineEvent | undefined,
    statuses: IncidentStatus[],
  ): Promise<boolean>;
  /** Sets (or clears) when the next step is due, while the status is one of `statuses`. */
  schedule(id: string, nextAt: Date | undefined, statuses: IncidentStatus[]): Promise<void>;
  /** Held (maintenance) to triggered, its clock starting at `startedAt`; false when no longer held. */
  release(id: string, startedAt: Date, nextAt: Date | undefined, event: TimelineEvent): Promise<boolean>;
  /**
   * Records that the diagnosis follow-up was sent (`ref`: where the full diagnosis is) with its
   * timeline event; false when one was recorded already (or there is no such incident).
   */
  recordDiagnosis(id: string, ref: string, event: TimelineEvent): Promise<boolean>;
  /**
   * A status update: the phase (absent: back to Investigating), when, and its timeline event;
   * the incident as updated, or undefined when it is resolved (or unknown).
   */
  recordUpdate(
    id: string,
    phase: 'identified' | 'monitoring' | undefined,
    event: TimelineEvent,
  ): Promise<Incident | undefined>;
  /**
   * Records the post-incident review's draft, once, due at `dueAt` (it is pending until marked
   * done); false when one was recorded already.
   */
  recordReview(id: string, ref: string, event: TimelineEvent, dueAt: Date): Promise<boolean>;
  /** Marks the written review done, once; false when there is no review or it was done already. */
  markReviewDone(id: string, event: TimelineEvent): Promise<boolean>;
  /** Incidents whose review is not marked done and was due at or before `at`. */
  reviewsDue(at: Date): Promise<Incident[]>;
  /**
   * Records an evidence capture (`evidence`, or `evidenceAfterQuarantine`) with its timeline event,
   * once; false when that capture was recorded already (or there is no such incident).
   */
  recordEvidence(
    id: string,
    which: 'evidence' | 'evidenceAfterQuarantine',
    record: EvidenceRecord,
    event: TimelineEvent,
  ): Promise<boolean>;
  /** Records the ticket opened for the incident, or its incident chat channel. */
  setReference(id: string, kind: 'ticketRef' | 'channel', ref: string): Promise<void>;
  acknowledge(id: string, by: string, event: TimelineEvent): Promise<Incident | undefined>;
  /** Resolves and frees its dedup keys and service pointer; undefined when already resolved (or unknown). */
  /**
   * Acknowledges a triggered or held incident (its next step stays as it was: the caller
   * reschedules); undefined when it was not triggered or held.
   */
  resolve(id: string, event: TimelineEvent): Promise<Incident | undefined>;
  /** Every open incident (triggered, held or acknowledged). */
  openIncidents(): Promise<Incident[]>;
}
