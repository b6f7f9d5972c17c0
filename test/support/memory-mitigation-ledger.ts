import type { TimelineEvent } from '../../core/incidents/incident.ts';
import type {
  MitigationClaim,
  MitigationLedger,
  MitigationRecord,
} from '../../core/incidents/mitigation-ledger.ts';
import type { MemoryIncidentStore } from './memory-incident-store.ts';

/** The DynamoDB ledger's conditions, on the in-memory store's incidents (for unit tests). */
export class MemoryMitigationLedger implements MitigationLedger {
  readonly hours = new Map<string, number>();
  constructor(private readonly store: MemoryIncidentStore) {}

  async claim(
    id: string,
    generation: number,
    record: MitigationRecord,
    staleBefore: Date,
  ): Promise<MitigationClaim> {
    await Promise.resolve();
    const incident = this.store.incidents.get(id);
    if (!incident || incident.status === 'resolved' || (incident.generation ?? 1) !== generation)
      return { claimed: false, reason: 'closed' };
    const taken = incident.mitigations?.[record.key];
    if (taken && taken.state !== 'failed') return { claimed: false, reason: 'taken', record: taken };
    if (incident.mitigating && incident.mitigating.at >= staleBefore.toISOString())
      return {
        claimed: false,
        reason: 'in-flight',
        key: incident.mitigating.key,
        since: incident.mitigating.at,
      };
    incident.mitigations = { ...incident.mitigations, [record.key]: record };
    incident.mitigating = { key: record.key, at: record.at };
    return { claimed: true };
  }

  async finish(
    id: string,
    key: string,
    result: Pick<MitigationRecord, 'state' | 'outcome' | 'finishedAt'>,
    event: TimelineEvent,
  ): Promise<void> {
    await Promise.resolve();
    const incident = this.store.incidents.get(id)!;
    incident.mitigations = { ...incident.mitigations, [key]: { ...incident.mitigations![key]!, ...result } };
    delete incident.mitigating;
    if (result.state === 'done' && key.startsWith('quarantine:'))
      incident.quarantinedAt = result.finishedAt ?? event.at;
    incident.timeline = [...incident.timeline, event];
  }

  async takeHourSlot(hour: string, cap: number): Promise<boolean> {
    await Promise.resolve();
    const n = this.hours.get(hour) ?? 0;
    if (n >= cap) return false;
    this.hours.set(hour, n + 1);
    return true;
  }
}
