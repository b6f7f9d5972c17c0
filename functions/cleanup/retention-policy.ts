import { z } from 'zod';
import type { OpsConfig } from '../../core/config.ts';
import { describeIssues } from '../../core/zod-issues.ts';
import { InvalidRequest } from '../../core/errors.ts';
import { CLEANUP_STATE_PREFIX, runStartedAt, type RetentionSource } from '../../core/cleanup-record.ts';
export { CLEANUP_STATE_PREFIX, runStartedAt, type RetentionSource } from '../../core/cleanup-record.ts';

const DAY_MS = 86_400_000;
/** 100 years: any longer retention is a typo, and a far larger one makes an invalid cutoff date. */
export const MAX_RETENTION_DAYS = 36_500;
export const MAX_DELETES_LIMIT = 100_000_000;

/** What a person asks of cleanup (`aws lambda invoke` payload or `mcp-ops cleanup` flags). */
export const CleanupRequestSchema = z
  .object({
    /** Days to keep; default: the ConfigMap's `artifact.retention.days`, else configuration (90). */
    retentionDays: z.number().int().positive().max(MAX_RETENTION_DAYS).optional(),
    bucket: z.string().min(3).optional(),
    prefix: z.string().default(''),
    /** A real deletion needs `dryRun: false`, said explicitly; absent means a dry run. */
    dryRun: z.boolean().optional(),
    /** Never delete more than this many objects in one run. */
    maxDeletes: z.number().int().positive().max(MAX_DELETES_LIMIT).default(100_000),
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
    /**
     * One request, one run: a retried invocation carrying the same key (default: the Lambda
     * request id, which Lambda keeps when it retries an asynchronous invoke) continues the run the
     * first one started instead of starting another.
     */
    idempotencyKey: z.string().min(1).max(256).optional(),
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

export class CleanupRequestError extends InvalidRequest {
  constructor(message: string) {
    super(message);
    this.name = 'CleanupRequestError';
  }
}

/** Fields a resume may carry besides its run id: the run keeps its own policy for the rest. */
const RESUME_FIELDS = new Set(['resumeRunId', 'dryRun', 'protectedPrefixes', 'idempotencyKey']);

/** A parsed request: a dry run unless `dryRun: false` was said. */
export type ParsedCleanupRequest = Omit<z.output<typeof CleanupRequestSchema>, 'dryRun'> & {
  dryRun: boolean;
};

export function parseCleanupRequest(input: unknown): ParsedCleanupRequest {
  const parsed = CleanupRequestSchema.safeParse(input ?? {});
  if (!parsed.success) {
    throw new CleanupRequestError(
      `Invalid cleanup request: ${describeIssues(parsed.error.issues, { root: 'request' })}`,
    );
  }
  const request = parsed.data;
  if (request.resumeRunId !== undefined) {
    const extra = Object.keys(input as object).filter((k) => !RESUME_FIELDS.has(k));
    if (extra.length > 0) {
      throw new CleanupRequestError(
        `Invalid cleanup request: ${extra.join(', ')}: a resume continues run ${request.resumeRunId} with its own ` +
          `policy (checked again against today's rules); start a new run to change it`,
      );
    }
    if (request.dryRun !== false) {
      throw new CleanupRequestError(
        `dryRun: resuming run ${request.resumeRunId} deletes objects, so it is never a dry run: say ` +
          `"dryRun": false (mcp-ops: --apply) to resume it, or start a new dry run to see what has expired`,
      );
    }
  }
  return { ...request, dryRun: request.dryRun ?? true };
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
  request: ParsedCleanupRequest,
  config: OpsConfig,
  context: { now: Date; configMapRetentionDays?: number; stateBucket: string; runId?: string },
): RetentionPolicy {
  const bucket = request.bucket ?? config.buckets.artifacts;
  refuseBackupBucket(bucket, config, 'bucket');
  const retentionDays =
    request.retentionDays ?? context.configMapRetentionDays ?? config.retention.defaultDays;
  checkRetentionDays(retentionDays, config, 'retentionDays');
  const protectedPrefixes = protectedPrefixesFor(bucket, request.protectedPrefixes, config, context);
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

function refuseBackupBucket(bucket: string, config: OpsConfig, field: string): void {
  if (bucket === config.buckets.backup) {
    throw new CleanupRequestError(
      `${field}: ${bucket} is the backup bucket; cleanup never deletes backups (they have their own retention)`,
    );
  }
}

function checkRetentionDays(days: number, config: OpsConfig, field: string): void {
  if (!Number.isSafeInteger(days) || days > MAX_RETENTION_DAYS) {
    throw new CleanupRequestError(
      `${field}: expected a whole number of days up to ${MAX_RETENTION_DAYS} (got ${days})`,
    );
  }
  if (days < config.retention.floorDays) {
    throw new CleanupRequestError(
      `${field}: ${days} is below the configured floor of ${config.retention.floorDays} days (config.retention.floorDays)`,
    );
  }
}

/** The request's protected prefixes, today's configured ones, and (in the state bucket) cleanup's own trail. */
function protectedPrefixesFor(
  bucket: string,
  requested: readonly string[],
  config: OpsConfig,
  context: { stateBucket: string },
): string[] {
  const prefixes = new Set([...config.retention.protectedPrefixes, ...requested]);
  // Cleanup's own audit trail is never cleaned by cleanup.
  if (bucket === context.stateBucket) prefixes.add(CLEANUP_STATE_PREFIX);
  return [...prefixes];
}

/** What a checkpoint (or a request marker) says the run's policy is; anything else is refused. */
const StoredPolicySchema = z
  .object({
    bucket: z.string().min(3),
    prefix: z.string(),
    retentionDays: z.number().int().positive(),
    retentionSource: z.enum(['request', 'configmap', 'config']).optional(),
    cutoff: z.iso.datetime({ offset: true }),
    dryRun: z.literal(false, { message: 'a stored run always deletes (dry runs keep no state)' }),
    maxDeletes: z.number().int().positive().max(MAX_DELETES_LIMIT),
    protectedPrefixes: z.array(z.string().min(1)),
    versionedBucket: z.enum(['refuse', 'add-delete-markers']),
  })
  .loose();

/**
 * The policy of a run being resumed, from what its first invocation stored, held to today's rules
 * as a new request is: the bucket is not the backup bucket, the retention is within the floor and
 * the maximum, today's configured protected prefixes (and the request's) are merged in, and the
 * cutoff is no later than the run's start less its retention, nor than now less the floor. A stored
 * policy that breaks a rule stops the run with an error naming the field; nothing is loosened.
 */
export function resumedPolicy(
  runId: string,
  stored: unknown,
  config: OpsConfig,
  context: { now: Date; stateBucket: string; protectedPrefixes?: readonly string[]; source?: string },
): RetentionPolicy {
  const where = context.source ?? 'checkpoint.policy';
  const parsed = StoredPolicySchema.safeParse(stored);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({ ...issue, path: [where, ...issue.path] }));
    throw new CleanupRequestError(`run ${runId} cannot be resumed: ${describeIssues(issues)}`);
  }
  const p = parsed.data;
  const refuse = (field: string, why: string): never => {
    throw new CleanupRequestError(`run ${runId} cannot be resumed: ${where}.${field}: ${why}`);
  };
  try {
    refuseBackupBucket(p.bucket, config, `${where}.bucket`);
    checkRetentionDays(p.retentionDays, config, `${where}.retentionDays`);
  } catch (error) {
    throw new CleanupRequestError(`run ${runId} cannot be resumed: ${(error as Error).message}`);
  }
  const cutoff = new Date(p.cutoff);
  const started = runStartedAt(runId);
  if (!started) refuse('runId', `${runId} is not a run id`);
  // The run id has whole seconds; the cutoff was taken in the same second.
  const latestForRun = started!.getTime() + 999 - p.retentionDays * DAY_MS;
  const latestToday = context.now.getTime() - config.retention.floorDays * DAY_MS;
  if (cutoff.getTime() > latestForRun) {
    refuse(
      'cutoff',
      `${p.cutoff} is later than the run's start less its ${p.retentionDays} days of retention (${new Date(latestForRun).toISOString()})`,
    );
  }
  if (cutoff.getTime() > latestToday) {
    refuse(
      'cutoff',
      `${p.cutoff} is later than now less the floor of ${config.retention.floorDays} days (config.retention.floorDays)`,
    );
  }
  return {
    runId,
    bucket: p.bucket,
    prefix: p.prefix,
    retentionDays: p.retentionDays,
    ...(p.retentionSource ? { retentionSource: p.retentionSource } : {}),
    cutoff,
    dryRun: false,
    maxDeletes: p.maxDeletes,
    protectedPrefixes: protectedPrefixesFor(
      p.bucket,
      [...p.protectedPrefixes, ...(context.protectedPrefixes ?? [])],
      config,
      context,
    ),
    versionedBucket: p.versionedBucket,
  };
}

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
