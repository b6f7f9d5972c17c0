import { randomUUID } from 'node:crypto';
import type { OnCallTier, OpsConfig } from '../../core/config.ts';
import { parseAlertMessage, type NormalizedAlert } from './alerts.ts';
import {
  generationOf,
  incidentId,
  utcDay,
  type Incident,
  type IncidentStatus,
  type TimelineEvent,
} from './incident.ts';
import type { IncidentStore } from './incident-store.ts';
import { nextEscalationAt, nextTierIndex } from './ladder.ts';
import { signedLink } from './links.ts';
import { inMaintenanceWindow } from './maintenance.ts';
import { renderPage, renderResolved, type Page } from './page-message.ts';
import { incidentSeverity, isCritical } from './severity.ts';

/** Publishes a page to a tier (its SNS topic when deployed). */
export interface Pager {
  page(tier: OnCallTier, page: Page): Promise<void>;
}

export interface EscalationMetrics {
  count(
    name: 'PagesSent' | 'Escalations' | 'Acknowledgements' | 'ParseFailures' | 'Held',
    dimension?: string,
  ): void;
  timeToAcknowledge(seconds: number): void;
}

export interface EscalationDeps {
  readonly store: IncidentStore;
  readonly pager: Pager;
  readonly now: () => Date;
  readonly tiers: readonly OnCallTier[];
  readonly maintenanceWindow: OpsConfig['maintenanceWindow'];
  readonly links: { readonly baseUrl: string; readonly secret: string; readonly ttlHours: number };
  readonly runbookBaseUrl?: string;
  readonly metrics?: EscalationMetrics;
}

/** A claim older than this is taken to belong to a sender that died; the page is sent again. */
const STALE_CLAIM_MS = 2 * 60_000;

function event(at: Date, kind: TimelineEvent['event'], detail: string, note?: string): TimelineEvent {
  return { at: at.toISOString(), event: kind, detail, ...(note ? { note } : {}) };
}

function linksFor(deps: EscalationDeps, incident: Incident, tier: OnCallTier) {
  const expiresAt = new Date(deps.now().getTime() + deps.links.ttlHours * 3_600_000);
  const claims = { incidentId: incident.id, tier: tier.name, generation: generationOf(incident), expiresAt };
  return {
    ack: signedLink(deps.links.baseUrl, deps.links.secret, { ...claims, action: 'ack' }),
    resolve: signedLink(deps.links.baseUrl, deps.links.secret, { ...claims, action: 'resolve' }),
  };
}

/**
 * Sends one page at most once: claim it with a conditional write, publish, mark it sent. Only a
 * sender that died between claim and publish leaves a claim that goes stale and is retried.
 */
async function sendOnce(
  deps: EscalationDeps,
  incident: Incident,
  key: string,
  statuses: IncidentStatus[],
  tier: OnCallTier,
  page: Page,
  done: TimelineEvent,
): Promise<boolean> {
  const now = deps.now();
  const token = randomUUID();
  const claimed = await deps.store.claimPage(
    incident.id,
    key,
    token,
    now,
    new Date(now.getTime() - STALE_CLAIM_MS),
    statuses,
  );
  if (!claimed) return false;
  await deps.pager.page(tier, page);
  await deps.store.markPageSent(incident.id, key, token, done);
  return true;
}

async function pageTier(deps: EscalationDeps, incident: Incident, index: number): Promise<boolean> {
  const tier = deps.tiers[index];
  if (!tier) return false;
  const page = renderPage(incident, tier, linksFor(deps, incident, tier), deps.runbookBaseUrl);
  const sent = await sendOnce(
    deps,
    incident,
    tier.name,
    ['triggered'],
    tier,
    page,
    event(deps.now(), 'paged', `${tier.title} (${tier.contact})`),
  );
  if (sent) deps.metrics?.count('PagesSent', tier.name);
  return sent;
}

/** Pages the tier an incident has reached if that page was never sent (its sender died). */
async function repairPage(deps: EscalationDeps, incident: Incident): Promise<void> {
  if (incident.status !== 'triggered' || incident.tierReached < 0) return;
  const tier = deps.tiers[incident.tierReached];
  if (tier && incident.pages[tier.name]?.state !== 'sent')
    await pageTier(deps, incident, incident.tierReached);
}

function newIncident(deps: EscalationDeps, alert: NormalizedAlert, id: string): Incident {
  const now = deps.now();
  const severity = incidentSeverity(alert);
  const window = inMaintenanceWindow(now, deps.maintenanceWindow);
  const held = window.inside && !isCritical(severity);
  const first = nextTierIndex(deps.tiers, severity, -1) ?? 0;
  const nextAt = held ? window.end : nextEscalationAt(deps.tiers, severity, first, now);
  return {
    id,
    dedupKey: alert.dedupKey,
    severity,
    status: held ? 'held' : 'triggered',
    title: `${alert.name}: ${alert.summary}`.slice(0, 200),
    alert,
    createdAt: now.toISOString(),
    generation: 1,
    tierReached: held ? -1 : first,
    ...(nextAt ? { nextEscalationAt: nextAt.toISOString() } : {}),
    pages: {},
    repeats: 0,
    timeline: [
      event(now, 'opened', `${alert.source} alert ${alert.name} (${alert.severityLabel} → ${severity})`),
      ...(held ? [event(now, 'held', `maintenance window until ${window.end.toISOString()}`)] : []),
    ],
  };
}

export interface IntakeOutcome {
  readonly incidentId?: string;
  readonly outcome: 'opened' | 'held' | 'joined' | 'duplicate' | 'resolved' | 'resolve-unknown' | 'ignored';
  readonly alert: string;
}

/** One alert from the alerts topic: open an incident and page, join an open one, or resolve it. */
export async function intakeAlert(
  deps: EscalationDeps,
  alert: NormalizedAlert,
  messageId: string,
): Promise<IntakeOutcome> {
  const { store } = deps;
  if (alert.status === 'resolved') {
    const open = await store.openIncidentFor(alert.dedupKey);
    if (!open) return { outcome: 'resolve-unknown', alert: alert.name };
    await resolveIncident(deps, open.id, `alert ${alert.name} resolved`);
    return { incidentId: open.id, outcome: 'resolved', alert: alert.name };
  }
  if (alert.source === 'unparsed') deps.metrics?.count('ParseFailures');

  // One SNS message may carry several alerts: a delivery is one alert of one message.
  const deliveryKey = `${messageId}#${alert.dedupKey}`;
  const duplicate = async (id: string): Promise<IntakeOutcome> => {
    // The first delivery may have died before its page went out: whoever sees it next sends it.
    const incident = await store.get(id);
    if (incident) await repairPage(deps, incident);
    return { incidentId: id, outcome: 'duplicate', alert: alert.name };
  };

  // Join the open incident, or open one; a resolve or a lost race to open sends us round again.
  // A duplicate delivery is recognised by its delivery record, written by whichever path took it.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const openId = await store.openIncidentIdFor(alert.dedupKey);
    if (openId) {
      const repeat = await store.recordRepeat(openId, alert.dedupKey, deliveryKey, deps.now());
      if (repeat.outcome === 'closed') continue;
      if (repeat.outcome === 'duplicate') return duplicate(repeat.incidentId);
      // The incident as just written: repairPage only acts (conditionally) if its page is unsent.
      await repairPage(deps, repeat.incident);
      return { incidentId: openId, outcome: 'joined', alert: alert.name };
    }
    // No open incident: unless this delivery was taken in before (a redelivery after its incident
    // was resolved), open one, then record the delivery. A crash between the two leaves an open
    // incident without the record: the retry finds the incident open and joins it.
    const seen = await store.incidentForDelivery(deliveryKey);
    if (seen) return duplicate(seen);
    const day = utcDay(deps.now());
    const id = incidentId(day, await store.nextIncidentNumber(day));
    const incident = newIncident(deps, alert, id);
    // Lost the race to open it: go round and join the one that won.
    if (!(await store.create(incident))) continue;
    // A concurrent copy of this delivery that lost the race to open joins this incident and may
    // record the delivery first; either way it names this incident.
    await store.recordDelivery(deliveryKey, id, deps.now());
    if (incident.status === 'held') {
      deps.metrics?.count('Held');
      return { incidentId: id, outcome: 'held', alert: alert.name };
    }
    await pageTier(deps, incident, incident.tierReached);
    return { incidentId: id, outcome: 'opened', alert: alert.name };
  }
  throw new Error(`Alert ${alert.name} (${alert.dedupKey}): its incident kept changing; retrying delivery`);
}

/** One SNS delivery: every alert in it, each on its own (one failing does not lose the rest). */
export async function intakeMessage(
  deps: EscalationDeps,
  delivery: { messageId: string; message: string },
): Promise<IntakeOutcome[]> {
  const alerts = parseAlertMessage(delivery.message);
  if (alerts.length === 0) return [{ outcome: 'ignored', alert: 'INSUFFICIENT_DATA' }];
  const outcomes: IntakeOutcome[] = [];
  const errors: unknown[] = [];
  for (const alert of alerts) {
    try {
      outcomes.push(await intakeAlert(deps, alert, delivery.messageId));
    } catch (error) {
      errors.push(error);
    }
  }
  // Lambda retries the delivery; what succeeded is recognised as a duplicate then.
  if (errors.length > 0)
    throw new AggregateError(errors, `${errors.length} of ${alerts.length} alerts failed`);
  return outcomes;
}

export interface TickOutcome {
  readonly escalated: Array<{ incidentId: string; tier: string }>;
  readonly released: string[];
}

/**
 * The scheduled tick: every open incident whose next tier is due climbs, tier by tier, until it is
 * not due; held incidents whose maintenance window ended are released to the primary. Conditional
 * writes make two ticks racing page once; a tick that was missed catches up.
 */
export async function escalateDueIncidents(deps: EscalationDeps): Promise<TickOutcome> {
  const now = deps.now();
  const escalated: TickOutcome['escalated'] = [];
  const released: string[] = [];
  for (const listed of await deps.store.openIncidents()) {
    let incident: Incident | undefined = listed;
    if (incident.status === 'held') {
      if (!incident.nextEscalationAt || new Date(incident.nextEscalationAt) > now) continue;
      const first = nextTierIndex(deps.tiers, incident.severity, -1) ?? 0;
      const nextAt = nextEscalationAt(deps.tiers, incident.severity, first, now);
      if (
        await deps.store.release(
          incident.id,
          first,
          nextAt,
          event(now, 'released', 'maintenance window over'),
        )
      ) {
        released.push(incident.id);
        incident = await deps.store.get(incident.id);
        if (incident) await pageTier(deps, incident, incident.tierReached);
      }
      continue;
    }
    while (
      incident &&
      incident.status === 'triggered' &&
      incident.nextEscalationAt &&
      new Date(incident.nextEscalationAt) <= now
    ) {
      const to = nextTierIndex(deps.tiers, incident.severity, incident.tierReached);
      if (to === undefined) break;
      const dueAt = new Date(incident.nextEscalationAt);
      const nextAt = nextEscalationAt(deps.tiers, incident.severity, to, dueAt);
      const tier = deps.tiers[to]!;
      const won = await deps.store.escalate(
        incident.id,
        incident.tierReached,
        to,
        nextAt,
        event(now, 'escalated', `no acknowledgement: ${tier.title} is due since ${dueAt.toISOString()}`),
      );
      incident = await deps.store.get(incident.id);
      if (!won || !incident) break;
      deps.metrics?.count('Escalations', tier.name);
      escalated.push({ incidentId: incident.id, tier: tier.name });
      await pageTier(deps, incident, to);
    }
    if (incident) await repairPage(deps, incident);
  }
  return { escalated, released };
}

export async function acknowledgeIncident(
  deps: EscalationDeps,
  id: string,
  by: string,
  note?: string,
): Promise<Incident | undefined> {
  const now = deps.now();
  const acked = await deps.store.acknowledge(id, by, event(now, 'acknowledged', by, note));
  if (acked) {
    deps.metrics?.count('Acknowledgements');
    deps.metrics?.timeToAcknowledge((now.getTime() - new Date(acked.createdAt).getTime()) / 1000);
  }
  return acked;
}

/** Resolves an incident and tells every tier already paged, once each. */
export async function resolveIncident(
  deps: EscalationDeps,
  id: string,
  by: string,
  note?: string,
): Promise<Incident | undefined> {
  const resolved = await deps.store.resolve(id, event(deps.now(), 'resolved', by, note));
  if (!resolved) return undefined;
  for (const tier of deps.tiers) {
    if (resolved.pages[tier.name]?.state !== 'sent') continue;
    await sendOnce(
      deps,
      resolved,
      `resolved:${tier.name}`,
      ['resolved'],
      tier,
      renderResolved(resolved, by, note),
      event(deps.now(), 'notified', `${tier.title}: resolved`),
    );
  }
  return resolved;
}
