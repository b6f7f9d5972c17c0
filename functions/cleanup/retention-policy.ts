import { z } from 'zod';
import type { OpsConfig } from '../../core/config.ts';
import { describeIssues } from '../../core/zod-issues.ts';

const DAY_MS = 86_400_000;

/** What a person asks of cleanup (`aws lambda invoke` payload or `mcp-ops cleanup` flags). */
export const CleanupRequestSchema = z
  .object({
    /** Days to keep; default: the ConfigMap's `artifact.retention.days`, else configuration (90). */
    retentionDays: z.number().int().positive().optional(),
    bucket: z.string().min(3).optional(),
    prefix: z.string().default(''),
    /** A real deletion needs `dryRun: false`, said explicitly. */
    dryRun: z.boolean().default(true),
    /** Never delete more than this many objects in one run. */
    maxDeletes: z.number().int().positive().default(100_000),
    protectedPrefixes: z.array(z.string().min(1)).default([]),
    /**
     * Required on a versioned bucket. `add-delete-markers`: a current version older than the cutoff
     * gets a delete marker; non-current versions and existing markers stay, so no bytes are freed
     * until a NoncurrentVersionExpiration lifecycle rule removes them (`mcp-ops cleanup lifecycle`).
     */
    versionedBucket: z.enum(['refuse', 'add-delete-markers']).default('refuse'),
    /** Continue an earlier run (after a crash, or a pause near the time limit). */
    resumeRunId: z
      .string()
      .regex(/^[0-9TZ-]+-[a-z0-9]{6}$/, { message: 'expected a run id such as 20261125T101500Z-ab12cd' })
      .optional(),
  })
  .strict();
export type CleanupRequest = z.input<typeof CleanupRequestSchema>;

/** The decided policy of one run: the cutoff is a timestamp, computed once. */
export interface RetentionPolicy {
  readonly runId: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly retentionDays: number;
  /** Where retentionDays came from: the request, the service's ConfigMap, or configuration. */
  readonly retentionSource?: RetentionSource;
  readonly cutoff: Date;
  readonly dryRun: boolean;
  readonly maxDeletes: number;
  readonly protectedPrefixes: readonly string[];
  readonly versionedBucket: 'refuse' | 'add-delete-markers';
}

export type RetentionSource = 'request' | 'configmap' | 'config';

export class CleanupRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CleanupRequestError';
  }
}

export function parseCleanupRequest(input: unknown): z.output<typeof CleanupRequestSchema> {
  const parsed = CleanupRequestSchema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  throw new CleanupRequestError(
    `Invalid cleanup request: ${describeIssues(parsed.error.issues, { root: 'request' })}`,
  );
}

/** When a run started, from its id (`20261125T101500Z-ab12cd`); undefined for another shape. */
export function runStartedAt(runId: string): Date | undefined {
  const m = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z-/.exec(runId);
  return m ? new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`) : undefined;
}

export function newRunId(now: Date, random: () => number = Math.random): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const suffix = Math.floor(random() * 36 ** 6)
    .toString(36)
    .padStart(6, '0');
  return `${stamp}-${suffix}`;
}

/**
 * Decides the policy from the request, configuration and the ConfigMap's retention, refusing what
 * could delete what must be kept: a retention under the floor, the backup bucket as target.
 */
export function decidePolicy(
  request: z.output<typeof CleanupRequestSchema>,
  config: OpsConfig,
  context: { now: Date; configMapRetentionDays?: number; stateBucket: string; runId?: string },
): RetentionPolicy {
  const bucket = request.bucket ?? config.buckets.artifacts;
  if (bucket === config.buckets.backup) {
    throw new CleanupRequestError(
      `bucket: ${bucket} is the backup bucket; cleanup never deletes backups (they have their own retention)`,
    );
  }
  const retentionDays =
    request.retentionDays ?? context.configMapRetentionDays ?? config.retention.defaultDays;
  if (retentionDays < config.retention.floorDays) {
    throw new CleanupRequestError(
      `retentionDays: ${retentionDays} is below the configured floor of ${config.retention.floorDays} days (config.retention.floorDays)`,
    );
  }
  const protectedPrefixes = [
    ...new Set([...config.retention.protectedPrefixes, ...request.protectedPrefixes]),
  ];
  // Cleanup's own audit trail is never cleaned by cleanup.
  if (bucket === context.stateBucket) protectedPrefixes.push(CLEANUP_STATE_PREFIX);
  return {
    runId: context.runId ?? newRunId(context.now),
    bucket,
    prefix: request.prefix,
    retentionDays,
    retentionSource:
      request.retentionDays !== undefined
        ? 'request'
        : context.configMapRetentionDays !== undefined
          ? 'configmap'
          : 'config',
    cutoff: new Date(context.now.getTime() - retentionDays * DAY_MS),
    dryRun: request.dryRun,
    maxDeletes: request.maxDeletes,
    protectedPrefixes,
    versionedBucket: request.versionedBucket,
  };
}

export const CLEANUP_STATE_PREFIX = 'cleanup/';

export function isProtected(key: string, policy: Pick<RetentionPolicy, 'protectedPrefixes'>): boolean {
  return policy.protectedPrefixes.some((prefix) => key.startsWith(prefix));
}

/** Expired: last modified strictly before the cutoff, compared as time, and not protected. */
export function isExpired(
  object: { key: string; lastModified: Date },
  policy: Pick<RetentionPolicy, 'cutoff' | 'protectedPrefixes' | 'prefix'>,
): boolean {
  return (
    object.key.startsWith(policy.prefix) &&
    object.lastModified.getTime() < policy.cutoff.getTime() &&
    !isProtected(object.key, policy)
  );
}
