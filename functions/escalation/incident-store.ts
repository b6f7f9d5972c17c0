import type { Incident, IncidentStatus, TimelineEvent } from './incident.ts';

/**
 * The incidents port. Every write is conditional, so a duplicate delivery, a Lambda retry or two
 * ticks racing change an incident once: a call that loses its condition returns false (or the
 * incident that won), never throws for it.
 */
export type CreateOutcome =
  | { readonly created: true }
  | { readonly created: false; readonly duplicateOf: string }
  | { readonly created: false; readonly existing: Incident | undefined };

export interface IncidentStore {
  /** The next number of the day's counter; never the same twice. */
  nextIncidentNumber(day: string): Promise<number>;
  openIncidentFor(dedupKey: string): Promise<Incident | undefined>;
  get(id: string): Promise<Incident | undefined>;
  /** The incident a delivery (an SNS message's alert) was already taken into, if any. */
  incidentForDelivery(deliveryKey: string): Promise<string | undefined>;
  /**
   * Creates the incident and records the delivery that opened it, in one write: refused when the
   * delivery was already taken in, or when an incident is already open for the dedup key.
   */
  create(incident: Incident, deliveryKey: string): Promise<CreateOutcome>;
  /**
   * Counts a repeat of the alert on an open incident and records the delivery, in one write:
   * `duplicate` when the delivery was already taken in, `closed` when the incident was resolved.
   */
  recordRepeat(id: string, deliveryKey: string, at: Date): Promise<'joined' | 'duplicate' | 'closed'>;
  /**
   * Claims the right to send page `key` (a tier, or `resolved:<tier>`): true for one caller only,
   * unless an earlier claim is older than `staleBefore` (its sender died). Only while the incident's
   * status is one of `statuses`.
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
  /** Moves the incident from tier `from` to tier `to`; false when it is no longer triggered at `from`. */
  escalate(
    id: string,
    from: number,
    to: number,
    nextAt: Date | undefined,
    event: TimelineEvent,
  ): Promise<boolean>;
  /** Held (maintenance) to triggered at `tier`; false when no longer held. */
  release(id: string, tier: number, nextAt: Date | undefined, event: TimelineEvent): Promise<boolean>;
  acknowledge(id: string, by: string, event: TimelineEvent): Promise<Incident | undefined>;
  /** Resolves and frees the dedup key; undefined when already resolved (or unknown). */
  resolve(id: string, event: TimelineEvent): Promise<Incident | undefined>;
  /** Every open incident (triggered, held or acknowledged). */
  openIncidents(): Promise<Incident[]>;
}
