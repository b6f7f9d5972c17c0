import type { Incident, IncidentStatus, TimelineEvent } from './incident.ts';

/**
 * The incidents port. Every write is conditional, so a duplicate delivery, a Lambda retry or two
 * ticks racing change an incident once: a call that loses its condition returns false (or the
 * incident that won), never throws for it.
 */
export interface IncidentStore {
  /** The next number of the day's counter; never the same twice. */
  nextIncidentNumber(day: string): Promise<number>;
  openIncidentFor(dedupKey: string): Promise<Incident | undefined>;
  get(id: string): Promise<Incident | undefined>;
  /** Creates the incident unless one is already open for its dedup key; then returns that one. */
  create(incident: Incident): Promise<{ created: true } | { created: false; existing: Incident | undefined }>;
  /** Adds a repeat of the alert to the timeline; false when this message id was already seen. */
  recordRepeat(id: string, messageId: string, event: TimelineEvent): Promise<boolean>;
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
