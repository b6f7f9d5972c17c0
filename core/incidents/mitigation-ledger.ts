import type { MitigationRecord } from '../mitigation/record.ts';
import type { TimelineEvent } from './incident.ts';

export type { MitigationRecord } from '../mitigation/record.ts';

export type MitigationClaim =
  | { readonly claimed: true }
  /** This exact action was taken before (or is acting now): the record says who and when. */
  | { readonly claimed: false; readonly reason: 'taken'; readonly record: MitigationRecord }
  /** Another mitigation of this incident is in flight. */
  | { readonly claimed: false; readonly reason: 'in-flight'; readonly key: string; readonly since: string }
  | { readonly claimed: false; readonly reason: 'closed' };

/** The mitigations' port: conditional writes on the incident, and the hourly cap's counter. */
export interface MitigationLedger {
  /**
   * Claims `record.key` on open incident `id` of `generation`: one caller wins; a taken key, another
   * mitigation in flight (unless it claimed before `staleBefore`: its function died) or a resolved
   * incident refuse.
   */
  claim(
    id: string,
    generation: number,
    record: MitigationRecord,
    staleBefore: Date,
  ): Promise<MitigationClaim>;
  /** Records the outcome of the claimed key, frees the in-flight slot, adds `event` to the timeline. */
  finish(
    id: string,
    key: string,
    result: Pick<MitigationRecord, 'state' | 'outcome' | 'finishedAt'>,
    event: TimelineEvent,
  ): Promise<void>;
  /** One of the `cap` mitigations of clock hour `hour` (YYYYMMDDHH); false when they are used up. */
  takeHourSlot(hour: string, cap: number): Promise<boolean>;
}

export const STALE_MITIGATION_MS = 15 * 60_000;
