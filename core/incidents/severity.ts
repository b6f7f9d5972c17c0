import type { NormalizedAlert } from './alert.ts';

export type IncidentSeverity = 'P0' | 'P1' | 'P2' | 'P3';

/**
 * The manual's incident severities from an alert: an explicit `priority` label wins (the rules
 * give the manual's P0 outages theirs: rules/mcp-semantic.rules.yml, one place); critical is P1 (partial outage: crash loops, error rate > 10 %), warning is P2
 * (degraded: error rate 5-10 %), info is P3 (low cache hit rate). Unparsed input is P1: nobody
 * can tell what it was, so it pages the primary at once rather than wait (a malformed alert still
 * pages someone).
 */
export function incidentSeverity(alert: NormalizedAlert): IncidentSeverity {
  if (alert.source === 'unparsed') return 'P1';
  if (alert.priority && /^P[0-3]$/.test(alert.priority)) return alert.priority as IncidentSeverity;
  // A security signal without a priority of its own is the manual's breach: P0, 5 minutes.
  if (alert.category === 'security') return 'P0';
  switch (alert.severityLabel) {
    case 'critical':
      return 'P1';
    case 'info':
      return 'P3';
    default:
      return 'P2';
  }
}

const RANK: Record<IncidentSeverity, number> = { P0: 0, P1: 1, P2: 2, P3: 3 };

/** The worse of two severities (P0 is the worst). */
export function worseSeverity(a: IncidentSeverity, b: IncidentSeverity): IncidentSeverity {
  return RANK[a] <= RANK[b] ? a : b;
}
