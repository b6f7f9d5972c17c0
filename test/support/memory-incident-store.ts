import type {
  Incident,
  IncidentStatus,
  RelatedAlert,
  TimelineEvent,
  EvidenceRecord,
} from '../../core/incidents/incident.ts';
import { RELATED_LIMIT } from '../../core/incidents/incident.ts';
import type { IncidentSeverity } from '../../core/incidents/severity.ts';
import type { IncidentStore, RepeatOutcome } from '../../core/incidents/store.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * A port-level fake of the incidents table for unit and property tests: the same conditions as
 * the DynamoDB adapter (which has its own tests against moto), with a yield before each write so
 * concurrent callers interleave as they would over the network.
 */
export class MemoryIncidentStore implements IncidentStore {
  readonly incidents = new Map<string, Mutable<Incident>>();
  readonly open = new Map<string, string>();
  readonly counters = new Map<string, number>();
  readonly deliveries = new Map<string, string>();
  readonly services = new Map<string, { id: string; openedAt: string }>();

  private async turn(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
  }

  private copy(incident: Incident | undefined): Incident | undefined {
    return incident ? (structuredClone(incident) as Incident) : undefined;
  }

  async nextIncidentNumber(day: string): Promise<number> {
    await this.turn();
    const n = (this.counters.get(day) ?? 0) + 1;
    this.counters.set(day, n);
    return n;
  }

  async get(id: string): Promise<Incident | undefined> {
    await this.turn();
    return this.copy(this.incidents.get(id));
  }

  async openIncidentFor(dedupKey: string): Promise<Incident | undefined> {
    await this.turn();
    const id = this.open.get(dedupKey);
    const incident = id ? this.incidents.get(id) : undefined;
    return incident && incident.status !== 'resolved' ? this.copy(incident) : undefined;
  }

  async incidentForDelivery(deliveryKey: string): Promise<string | undefined> {
    await this.turn();
    return this.deliveries.get(deliveryKey);
  }

  async create(incident: Incident, related?: { service: string; since: Date }): Promise<boolean> {
    await this.turn();
    const holder = this.open.get(incident.dedupKey);
    if ((holder && this.incidents.get(holder)?.status !== 'resolved') || this.incidents.has(incident.id)) {
      return false;
    }
    if (related) {
      const pointer = this.services.get(related.service);
      if (pointer && pointer.openedAt >= related.since.toISOString()) return false;
      this.services.set(related.service, { id: incident.id, openedAt: incident.createdAt });
    }
    this.open.set(incident.dedupKey, incident.id);
    this.incidents.set(incident.id, structuredClone(incident) as Mutable<Incident>);
    return true;
  }

  async recordDelivery(deliveryKey: string, id: string, _at: Date) {
    await this.turn();
    const seen = this.deliveries.get(deliveryKey);
    if (seen) return { recorded: false as const, incidentId: seen };
    this.deliveries.set(deliveryKey, id);
    return { recorded: true as const };
  }

  async openIncidentIdFor(dedupKey: string): Promise<string | undefined> {
    await this.turn();
    return this.open.get(dedupKey);
  }

  async recordRepeat(id: string, dedupKey: string, deliveryKey: string, at: Date): Promise<RepeatOutcome> {
    await this.turn();
    const incident = this.incidents.get(id);
    if (!incident || incident.status === 'resolved') {
      if (this.open.get(dedupKey) === id) this.open.delete(dedupKey);
      return { outcome: 'closed' };
    }
    incident.repeats += 1;
    incident.lastRepeatAt = at.toISOString();
    const snapshot = this.copy(incident)!;
    const delivery = await this.recordDelivery(deliveryKey, id, at);
    if (!delivery.recorded) return { outcome: 'duplicate', incidentId: delivery.incidentId };
    return { outcome: 'joined', incident: snapshot };
  }

  async relatedIncidentFor(service: string, since: Date): Promise<string | undefined> {
    await this.turn();
    const pointer = this.services.get(service);
    return pointer && pointer.openedAt >= since.toISOString() ? pointer.id : undefined;
  }

  async joinRelated(
    id: string,
    dedupKey: string,
    deliveryKey: string,
    related: RelatedAlert,
    event: TimelineEvent,
  ): Promise<RepeatOutcome> {
    await this.turn();
    const incident = this.incidents.get(id);
    if (!incident || incident.status === 'resolved' || this.open.has(dedupKey)) return { outcome: 'closed' };
    this.open.set(dedupKey, id);
    if ((incident.related ?? []).length >= RELATED_LIMIT) {
      incident.relatedOmitted = (incident.relatedOmitted ?? 0) + 1;
    } else {
      incident.related = [...(incident.related ?? []), related];
      incident.timeline = [...incident.timeline, event];
    }
    incident.firing = { ...(incident.firing ?? {}), [dedupKey]: related.name };
    const snapshot = this.copy(incident)!;
    const delivery = await this.recordDelivery(deliveryKey, id, new Date(related.at));
    if (!delivery.recorded) return { outcome: 'duplicate', incidentId: delivery.incidentId };
    return { outcome: 'joined', incident: snapshot };
  }

  async raiseSeverity(
    id: string,
    severity: IncidentSeverity,
    restartFrom: readonly IncidentSeverity[],
    at: Date,
    event: TimelineEvent,
  ): Promise<Incident | undefined> {
    await this.turn();
    const incident = this.incidents.get(id);
    if (!incident || incident.status === 'resolved' || !(incident.severity > severity)) return undefined;
    if (restartFrom.includes(incident.severity)) {
      incident.ladderStartedAt = at.toISOString();
      incident.nextEscalationAt = at.toISOString();
      if (incident.status === 'held') incident.status = 'triggered';
    }
    incident.severity = severity;
    incident.timeline = [...incident.timeline, event];
    return this.copy(incident);
  }

  async clearFiring(id: string, dedupKey: string): Promise<number> {
    await this.turn();
    const incident = this.incidents.get(id);
    if (this.open.get(dedupKey) === id) this.open.delete(dedupKey);
    if (!incident?.firing) return 0;
    const { [dedupKey]: _gone, ...rest } = incident.firing;
    incident.firing = rest;
    return Object.keys(rest).length;
  }

  async schedule(id: string, nextAt: Date | undefined, statuses: IncidentStatus[]): Promise<void> {
    await this.turn();
    const incident = this.incidents.get(id);
    if (!incident || !statuses.includes(incident.status)) return;
    if (nextAt) incident.nextEscalationAt = nextAt.toISOString();
    else delete incident.nextEscalationAt;
  }

  async recordEvidence(
    id: string,
    which: 'evidence' | 'evidenceAfterQuarantine',
    record: EvidenceRecord,
    event: TimelineEvent,
  ): Promise<boolean> {
    await this.turn();
    const incident = this.incidents.get(id);
    if (!incident || incident[which]) return false;
    incident[which] = record;
    incident.timeline = [...incident.timeline, event];
    return true;
  }

  async recordDiagnosis(id: string, ref: string, event: TimelineEvent): Promise<boolean> {
    await this.turn();
    const incident = this.incidents.get(id);
    if (!incident || incident.diagnosis !== undefined) return false;
    incident.diagnosis = ref;
    incident.timeline = [...incident.timeline, event];
    return true;
  }

  async recordUpdate(
    id: string,
    phase: 'identified' | 'monitoring' | undefined,
    event: TimelineEvent,
  ): Promise<Incident | undefined> {
    await this.turn();
    const incident = this.incidents.get(id);
    if (!incident || incident.status === 'resolved') return undefined;
    if (phase) incident.phase = phase;
    else delete incident.phase;
    incident.lastUpdateAt = event.at;
    incident.timeline = [...incident.timeline, event];
    return this.copy(incident);
  }

  async recordReview(id: string, ref: string, event: TimelineEvent, dueAt: Date): Promise<boolean> {
    await this.turn();
    const incident = this.incidents.get(id);
    if (!incident || incident.review !== undefined) return false;
    incident.review = ref;
    incident.reviewDueAt = dueAt.toISOString();
    incident.timeline = [...incident.timeline, event];
    return true;
  }

  async markReviewDone(id: string, event: TimelineEvent): Promise<boolean> {
    await this.turn();
    const incident = this.incidents.get(id);
    if (!incident?.review || incident.reviewDoneAt !== undefined) return false;
    incident.reviewDoneAt = event.at;
    incident.timeline = [...incident.timeline, event];
    return true;
  }

  async reviewsDue(at: Date): Promise<Incident[]> {
    await this.turn();
    return [...this.incidents.values()]
      .filter((i) => i.review && !i.reviewDoneAt && i.reviewDueAt && i.reviewDueAt <= at.toISOString())
      .map((i) => this.copy(i)!);
  }

  async setReference(id: string, kind: 'ticketRef' | 'channel', ref: string): Promise<void> {
    await this.turn();
    const incident = this.incidents.get(id);
    if (incident) incident[kind] = ref;
  }

  async claimPage(
    id: string,
    key: string,
    token: string,
    at: Date,
    staleBefore: Date,
    statuses: IncidentStatus[],
  ) {
    await this.turn();
    const incident = this.incidents.get(id);
    if (!incident || !statuses.includes(incident.status)) return false;
    const existing = incident.pages[key];
    if (
      existing &&
      existing.state !== 'failed' &&
      !(existing.state === 'claimed' && existing.at < staleBefore.toISOString())
    )
      return false;
    incident.pages = { ...incident.pages, [key]: { state: 'claimed', at: at.toISOString(), token } };
    return true;
  }

  async markPageSent(id: string, key: string, token: string, event: TimelineEvent): Promise<void> {
    await this.turn();
    const incident = this.incidents.get(id);
    const page = incident?.pages[key];
    if (!incident || !page || page.token !== token) return;
    incident.pages = { ...incident.pages, [key]: { ...page, state: 'sent' } };
    incident.timeline = [...incident.timeline, event];
  }

  async markSendFailed(
    id: string,
    key: string,
    token: string,
    failure: { failures: number; error: string; at: Date },
    event?: TimelineEvent,
  ): Promise<void> {
    await this.turn();
    const incident = this.incidents.get(id);
    const page = incident?.pages[key];
    if (!incident || !page || page.token !== token) return;
    incident.pages = {
      ...incident.pages,
      [key]: {
        state: 'failed',
        at: failure.at.toISOString(),
        token,
        failures: failure.failures,
        error: failure.error,
      },
    };
    if (event) incident.timeline = [...incident.timeline, event];
  }

  async escalate(
    id: string,
    from: number,
    to: number,
    nextAt: Date | undefined,
    event: TimelineEvent | undefined,
    statuses: IncidentStatus[],
  ) {
    await this.turn();
    const incident = this.incidents.get(id);
    if (!incident || !statuses.includes(incident.status) || incident.tierReached !== from) return false;
    incident.tierReached = to;
    if (nextAt) incident.nextEscalationAt = nextAt.toISOString();
    else delete incident.nextEscalationAt;
    if (event) incident.timeline = [...incident.timeline, event];
    return true;
  }

  async release(id: string, startedAt: Date, nextAt: Date | undefined, event: TimelineEvent) {
    await this.turn();
    const incident = this.incidents.get(id);
    if (!incident || incident.status !== 'held') return false;
    incident.status = 'triggered';
    incident.ladderStartedAt = startedAt.toISOString();
    if (nextAt) incident.nextEscalationAt = nextAt.toISOString();
    else delete incident.nextEscalationAt;
    incident.timeline = [...incident.timeline, event];
    return true;
  }

  async acknowledge(id: string, by: string, event: TimelineEvent) {
    await this.turn();
    const incident = this.incidents.get(id);
    if (!incident || (incident.status !== 'triggered' && incident.status !== 'held')) return undefined;
    incident.status = 'acknowledged';
    incident.ackedBy = by;
    incident.timeline = [...incident.timeline, event];
    return this.copy(incident);
  }

  async resolve(id: string, event: TimelineEvent) {
    await this.turn();
    const incident = this.incidents.get(id);
    if (!incident || incident.status === 'resolved') return undefined;
    incident.status = 'resolved';
    incident.resolvedAt = event.at;
    delete incident.nextEscalationAt;
    incident.timeline = [...incident.timeline, event];
    for (const key of [incident.dedupKey, ...Object.keys(incident.firing ?? {})])
      if (this.open.get(key) === id) this.open.delete(key);
    for (const [service, pointer] of this.services) if (pointer.id === id) this.services.delete(service);
    return this.copy(incident);
  }

  async openIncidents(): Promise<Incident[]> {
    await this.turn();
    return [...this.incidents.values()].filter((i) => i.status !== 'resolved').map((i) => this.copy(i)!);
  }
}
