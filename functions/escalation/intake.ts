import { parseAlertMessage, type NormalizedAlert } from './alerts.ts';
import { incidentId, utcDay, type Incident, type IncidentStatus } from '../../core/incidents/incident.ts';
import { inMaintenanceWindow } from '../../core/maintenance-window.ts';
import { nextStep, pagesAtOnce } from '../../core/incidents/policy.ts';
import { incidentSeverity, worseSeverity } from '../../core/incidents/severity.ts';
import { event } from '../../core/outbox/send-once.ts';
import type { EscalationDeps } from '../../core/incidents/deps.ts';
import { announce, openTicket, postChat } from './notices.ts';
import { advance } from './ladder.ts';
import { resolveIncident } from './actions.ts';

function newIncident(deps: EscalationDeps, alert: NormalizedAlert, id: string): Incident {
  const now = deps.now();
  const severity = incidentSeverity(alert);
  const window = inMaintenanceWindow(now, deps.maintenanceWindow);
  const held = window.inside && !pagesAtOnce(deps.policy, severity);
  const base = {
    id,
    dedupKey: alert.dedupKey,
    severity,
    status: (held ? 'held' : 'triggered') as IncidentStatus,
    title: `${alert.name}: ${alert.summary}`.slice(0, 200),
    alert,
    createdAt: now.toISOString(),
    generation: 1,
    tierReached: -1,
    ...(serviceOf(alert) ? { service: serviceOf(alert) } : {}),
    firing: { [alert.dedupKey]: alert.name },
    pages: {},
    repeats: 0,
    timeline: [
      event(now, 'opened', `${alert.source} alert ${alert.name} (${alert.severityLabel} → ${severity})`),
      ...(held ? [event(now, 'held', `maintenance window until ${window.end.toISOString()}`)] : []),
    ],
  };
  const nextAt = held ? window.end : nextStep(deps.policy, base)?.dueAt;
  return { ...base, ...(nextAt ? { nextEscalationAt: nextAt.toISOString() } : {}) };
}

/** The service an alert is about: alerts of one service within the window are one failure. */
export function serviceOf(alert: NormalizedAlert): string | undefined {
  return alert.labels.service ?? alert.labels.app ?? alert.labels.job;
}

export interface IntakeOutcome {
  readonly incidentId?: string;
  readonly outcome:
    | 'opened'
    | 'held'
    | 'joined'
    | 'related'
    | 'duplicate'
    | 'resolved'
    | 'cleared'
    | 'resolve-unknown'
    | 'ignored';
  readonly alert: string;
}

/**
 * A related alert joins an open incident of its service: recorded, then the severity raised to the
 * worse of the two. The raise is its own conditional write (only ever upwards), so two alerts
 * joining at once can never write a lower severity over a higher one.
 */
async function joinRelated(
  deps: EscalationDeps,
  alert: NormalizedAlert,
  relatedId: string,
  deliveryKey: string,
): Promise<IntakeOutcome | undefined> {
  const now = deps.now();
  const severity = incidentSeverity(alert);
  const joined = await deps.store.joinRelated(
    relatedId,
    alert.dedupKey,
    deliveryKey,
    { at: now.toISOString(), name: alert.name, severity, summary: alert.summary.slice(0, 200) },
    event(now, 'related', `${alert.name} (${severity}) joined`),
  );
  if (joined.outcome === 'closed') return undefined;
  if (joined.outcome === 'duplicate')
    return { incidentId: joined.incidentId, outcome: 'duplicate', alert: alert.name };
  let incident = joined.incident;
  if (worseSeverity(incident.severity, severity) !== incident.severity) {
    // Raised from a severity that does not page at once to one that does: its clock starts now.
    const quiet = (['P0', 'P1', 'P2', 'P3'] as const).filter((s) => !pagesAtOnce(deps.policy, s));
    const restartFrom = pagesAtOnce(deps.policy, severity) ? quiet : [];
    incident =
      (await deps.store.raiseSeverity(
        relatedId,
        severity,
        restartFrom,
        now,
        event(now, 'related', `severity raised to ${severity} by ${alert.name}`),
      )) ?? incident;
    await openTicket(deps, incident);
  }
  await postChat(
    deps,
    incident,
    'related',
    `chat:related:${alert.dedupKey}`,
    ['triggered', 'held', 'acknowledged'],
    [`Joined: ${alert.name} (${severity}): ${alert.summary}`],
  );
  await advance(deps, incident);
  return { incidentId: relatedId, outcome: 'related', alert: alert.name };
}

/** A resolved alert: it stops firing in its incident, which resolves when none fires any more. */
async function alertResolved(deps: EscalationDeps, alert: NormalizedAlert): Promise<IntakeOutcome> {
  const open = await deps.store.openIncidentFor(alert.dedupKey);
  if (!open) return { outcome: 'resolve-unknown', alert: alert.name };
  const still = await deps.store.clearFiring(open.id, alert.dedupKey);
  if (still > 0) return { incidentId: open.id, outcome: 'cleared', alert: alert.name };
  await resolveIncident(deps, open.id, `alert ${alert.name} resolved`);
  return { incidentId: open.id, outcome: 'resolved', alert: alert.name };
}

/** One alert from the alerts topic: open an incident and page, join an open one, or resolve it. */
export async function intakeAlert(
  deps: EscalationDeps,
  alert: NormalizedAlert,
  messageId: string,
): Promise<IntakeOutcome> {
  const { store } = deps;
  if (alert.status === 'resolved') return alertResolved(deps, alert);
  if (alert.source === 'unparsed') deps.metrics?.count('ParseFailures');

  // One SNS message may carry several alerts: a delivery is one alert of one message.
  const deliveryKey = `${messageId}#${alert.dedupKey}`;
  const duplicate = async (id: string): Promise<IntakeOutcome> => {
    // The first delivery may have died before its page went out: whoever sees it next sends it.
    const incident = await store.get(id);
    if (incident) {
      await advance(deps, incident);
      await announce(deps, incident);
    }
    return { incidentId: id, outcome: 'duplicate', alert: alert.name };
  };
  const service = serviceOf(alert);
  const windowMinutes = deps.relatedWindowMinutes ?? 0;

  // Join the open incident, or open one; a resolve or a lost race to open sends us round again.
  // A duplicate delivery is recognised by its delivery record, written by whichever path took it.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const openId = await store.openIncidentIdFor(alert.dedupKey);
    if (openId) {
      const repeat = await store.recordRepeat(openId, alert.dedupKey, deliveryKey, deps.now());
      if (repeat.outcome === 'closed') continue;
      if (repeat.outcome === 'duplicate') return duplicate(repeat.incidentId);
      // The incident as just written: advance only acts (conditionally) on what is due or unsent.
      await advance(deps, repeat.incident);
      await announce(deps, repeat.incident);
      return { incidentId: openId, outcome: 'joined', alert: alert.name };
    }
    // No open incident: unless this delivery was taken in before (a redelivery after its incident
    // was resolved), join a related open incident of the service, or open one, then record the
    // delivery. A crash between the two leaves an open incident without the record: the retry
    // finds the incident open and joins it.
    const seen = await store.incidentForDelivery(deliveryKey);
    if (seen) return duplicate(seen);
    const since = new Date(deps.now().getTime() - windowMinutes * 60_000);
    if (service && windowMinutes > 0) {
      const relatedId = await store.relatedIncidentFor(service, since);
      if (relatedId) {
        const joined = await joinRelated(deps, alert, relatedId, deliveryKey);
        if (joined) return joined;
        continue;
      }
    }
    const day = utcDay(deps.now());
    const id = incidentId(day, await store.nextIncidentNumber(day));
    const incident = newIncident(deps, alert, id);
    // Lost the race to open it (this alert, or another of the service within the window): go
    // round and join the one that won.
    const related = service && windowMinutes > 0 ? { service, since } : undefined;
    if (!(await store.create(incident, related))) continue;
    // A concurrent copy of this delivery that lost the race to open joins this incident and may
    // record the delivery first; either way it names this incident.
    await store.recordDelivery(deliveryKey, id, deps.now());
    if (incident.status === 'held') {
      deps.metrics?.count('Held');
      await announce(deps, incident);
      return { incidentId: id, outcome: 'held', alert: alert.name };
    }
    // The page first (P0/P1 at once), then the chat notice and the ticket.
    await advance(deps, incident);
    await announce(deps, (await store.get(id)) ?? incident);
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
