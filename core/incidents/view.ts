import type { OnCallTier } from '../config.ts';
import { minutesOpen, type Incident } from './incident.ts';

/**
 * How long the ladder runs for this severity, in minutes: the deadline of its last tier, counted
 * from when the alert fired (each tier's number is a deadline from then, not a wait after the last).
 */
export function ladderMinutes(tiers: readonly OnCallTier[], incident: Pick<Incident, 'severity'>): number {
  const deadlines = tiers
    .filter((t) => t.severities.includes(incident.severity))
    .map((t) => t.respondWithinMinutes);
  return Math.max(0, ...deadlines);
}

function age(minutes: number): string {
  if (minutes < 60) return `${minutes}m`;
  if (minutes < 48 * 60) return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
  return `${Math.floor(minutes / 1440)}d`;
}

/**
 * One line per open incident, oldest first. An incident open longer than its whole ladder is
 * flagged: its resolve probably never came (the alert's OK action or send_resolved is missing).
 */
export function formatIncidentList(incidents: Incident[], tiers: readonly OnCallTier[], now: Date): string {
  if (incidents.length === 0) return 'No open incidents.';
  const sorted = [...incidents].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  return sorted
    .map((i) => {
      const open = minutesOpen(i, now);
      const tier = tiers[i.tierReached]?.name ?? '-';
      const stale = open > ladderMinutes(tiers, i) ? '  STALE: open longer than its ladder' : '';
      return `${i.id}  ${i.severity}  ${i.status.padEnd(12)}  tier=${tier.padEnd(19)}  ${age(open).padStart(6)}  ${i.alert.name}${stale}`;
    })
    .join('\n');
}

export function formatIncident(incident: Incident): string {
  return [
    `${incident.id}  ${incident.severity}  ${incident.status}`,
    `alert:   ${incident.alert.name} (${incident.alert.source}) — ${incident.alert.summary}`,
    `opened:  ${incident.createdAt}`,
    ...(incident.related?.length
      ? [`related: ${incident.related.map((r) => `${r.name} (${r.severity}, ${r.at})`).join('; ')}`]
      : []),
    ...(incident.ticketRef ? [`ticket:  ${incident.ticketRef}`] : []),
    ...(incident.channel ? [`channel: ${incident.channel}`] : []),
    ...(incident.ackedBy ? [`acked:   ${incident.ackedBy}`] : []),
    ...(incident.resolvedAt ? [`resolved: ${incident.resolvedAt}`] : []),
    `repeats: ${incident.repeats}${incident.lastRepeatAt ? ` (last ${incident.lastRepeatAt})` : ''}`,
    'timeline:',
    ...incident.timeline.map((e) => `  ${e.at}  ${e.event.padEnd(12)}  ${e.detail}`),
  ].join('\n');
}
