import type { LifecycleRule } from '@aws-sdk/client-s3';

export const LIFECYCLE_RULE_PREFIX = 'mcp-ops-retention';

/**
 * The S3 Lifecycle rules equivalent to a retention cleanup, for buckets past one function's reach.
 * Lifecycle filters can only include, never exclude, so a protected prefix is honoured by writing
 * one rule per top-level prefix that is not protected (and none for keys directly at the root
 * unless the run's prefix is itself a folder).
 */
export function retentionLifecycleRules(input: {
  retentionDays: number;
  topLevelPrefixes: readonly string[];
  protectedPrefixes: readonly string[];
  noncurrentDays?: number;
}): LifecycleRule[] {
  const covered = input.topLevelPrefixes.filter(
    (prefix) => !input.protectedPrefixes.some((p) => prefix.startsWith(p) || p.startsWith(prefix)),
  );
  return covered.map((prefix) => ({
    ID: `${LIFECYCLE_RULE_PREFIX}-${prefix.replace(/[^A-Za-z0-9-]/g, '-').replace(/-+$/, '')}`.slice(0, 255),
    Status: 'Enabled',
    Filter: { Prefix: prefix },
    Expiration: { Days: input.retentionDays },
    ...(input.noncurrentDays
      ? { NoncurrentVersionExpiration: { NoncurrentDays: input.noncurrentDays } }
      : {}),
    AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
  }));
}

/** Keeps the bucket's other rules and replaces only ours. */
export function mergeLifecycleRules(
  existing: readonly LifecycleRule[],
  ours: readonly LifecycleRule[],
): LifecycleRule[] {
  return [...existing.filter((rule) => !rule.ID?.startsWith(LIFECYCLE_RULE_PREFIX)), ...ours];
}
