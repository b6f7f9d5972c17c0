import type { OnCallTier } from '../../core/config.ts';
import type { IncidentSeverity } from './severity.ts';

/** The index of the next tier an incident of this severity climbs to after `from`, if any. */
export function nextTierIndex(
  tiers: readonly OnCallTier[],
  severity: IncidentSeverity,
  from: number,
): number | undefined {
  for (let i = from + 1; i < tiers.length; i += 1) {
    if (tiers[i]!.severities.includes(severity)) return i;
  }
  return undefined;
}

/**
 * When the tier after `current` is due: the time `current` became due plus its response time.
 * Times are reckoned from when each tier was due, not when a tick noticed, so a missed tick
 * catches up instead of shifting the whole ladder.
 */
export function nextEscalationAt(
  tiers: readonly OnCallTier[],
  severity: IncidentSeverity,
  current: number,
  currentDueAt: Date,
): Date | undefined {
  if (nextTierIndex(tiers, severity, current) === undefined) return undefined;
  const tier = tiers[current];
  if (!tier) return undefined;
  return new Date(currentDueAt.getTime() + tier.respondWithinMinutes * 60_000);
}
