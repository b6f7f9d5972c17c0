// The cleanup job's published record under cleanup/ in the reports bucket: each run's folder
// (named by its id, which starts with its UTC time) and its summary. The cleanup job writes it;
// other jobs (the incident diagnosis, Runbook 4) read it through these functions alone, so the
// format is a contract in core/, not something one job takes from another.
import type { KeyError, ObjectStore } from './object-store.ts';

export const CLEANUP_STATE_PREFIX = 'cleanup/';

/** A run's folder under cleanup/: its id, as the cleanup's `newRunId` makes them. */
export const RUN_FOLDER = /^cleanup\/\d{8}T\d{6}Z-[a-z0-9]{6}\/$/;

/** Where the retention came from: the request, the service's ConfigMap, or retention.defaultDays. */
export type RetentionSource = 'request' | 'configmap' | 'config';
export type SkipReason = 're-uploaded' | 'protected' | 'outside prefix';
export type SkippedCounts = Partial<Record<SkipReason, number>>;

/** The bucket as the run found it: size, largest objects, what expires by top-level prefix. */
export interface StorageReport {
  objects: number;
  bytes: number;
  largest: Array<{ key: string; size: number; lastModified: string }>;
  /** What the cleanup removes (or would), by top-level prefix. */
  expiring: Record<string, { objects: number; bytes: number }>;
}

/** A run's summary.json: what it decided, did and found (also the cleanup's answer). */
export interface CleanupSummary {
  runId: string;
  status: 'completed' | 'paused';
  dryRun: boolean;
  bucket: string;
  prefix: string;
  retentionDays: number;
  /** `configmap`: the ConfigMap's artifact.retention.days; `config`: retention.defaultDays (no usable key). */
  retentionSource: RetentionSource;
  cutoff: string;
  scanned: number;
  /** Objects selected for deletion (expired, unprotected, within maxDeletes). */
  matched: number;
  deleted: number;
  failed: number;
  bytesFreed: number;
  /**
   * Keys a paused run had journalled for deletion that no longer qualified when the run resumed
   * and judged them again (re-uploaded since, under a protected prefix today, already gone).
   */
  skipped: SkippedCounts;
  /** True when maxDeletes stopped the selection: more objects have expired than were deleted. */
  capped: boolean;
  /** On a versioned bucket, deletes add markers and free no bytes until lifecycle removes old versions. */
  versioned: boolean;
  durationMs: number;
  report: StorageReport;
  failures: KeyError[];
  manifest?: string;
}

/** When a run started, from its id (`20261125T101500Z-ab12cd`); undefined for another shape. */
export function runStartedAt(runId: string): Date | undefined {
  const m = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z-/.exec(runId);
  return m ? new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`) : undefined;
}

/**
 * A state object that may not exist, listed before it is read: on S3 a role allowed to list only
 * cleanup/ (as the cleanup and diagnose roles are) gets 403, not 404, for a missing key.
 */
export async function readListed(
  store: ObjectStore,
  bucket: string,
  key: string,
): Promise<string | undefined> {
  const found = await store.listPage({ bucket, prefix: key, pageSize: 1 });
  if (!found.objects.some((o) => o.key === key)) return undefined;
  return store.getText(bucket, key);
}

/**
 * The newest finished run's summary (with its storage report) under cleanup/ in the state bucket,
 * or undefined when none finished. Run ids start with their UTC time, so the newest sort last; a
 * paused run has no summary yet, so up to `lookBack` of the newest are tried.
 */
export async function latestCleanupSummary(
  store: ObjectStore,
  bucket: string,
  lookBack = 5,
): Promise<CleanupSummary | undefined> {
  const runs: string[] = [];
  let token: string | undefined;
  do {
    const page = await store.listPage({
      bucket,
      prefix: CLEANUP_STATE_PREFIX,
      delimiter: '/',
      continuationToken: token,
    });
    runs.push(...page.prefixes);
    token = page.nextToken;
  } while (token);
  const finished = runs.filter((run) => RUN_FOLDER.test(run));
  for (const run of finished.sort().reverse().slice(0, lookBack)) {
    // Listed before it is read: on S3 a reader allowed to list only these prefixes gets 403, not
    // 404, for a summary that does not exist (a paused run's).
    const text = await readListed(store, bucket, `${run}summary.json`);
    if (text !== undefined) return JSON.parse(text) as CleanupSummary;
  }
  return undefined;
}
