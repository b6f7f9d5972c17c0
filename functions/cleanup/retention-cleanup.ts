import { mapBounded } from '../../core/bounded.ts';
import type { ObjectStore, StoredObject } from '../../core/object-store.ts';
import { deleteWithRetry } from './batch-delete.ts';
import { RunJournal, type Checkpoint, type PartitionState, type SkippedKey } from './run-journal.ts';
import { CleanupRequestError, isProtected, type RetentionPolicy } from './retention-policy.ts';
import { emptyReport, mergeReports } from './storage-report.ts';
import type { CleanupSummary } from '../../core/cleanup-record.ts';
export type { CleanupSummary } from '../../core/cleanup-record.ts';
import { DEFAULT_CLEANUP_OPTIONS, type CleanupOptions } from './cleanup-options.ts';
export { DEFAULT_CLEANUP_OPTIONS, type CleanupOptions } from './cleanup-options.ts';
import { SweepRun, sweepPartition, type RunCounters } from './partition-sweep.ts';

export interface CleanupPorts {
  readonly store: ObjectStore;
  readonly now: () => Date;
  /** Bucket of the run's checkpoint and manifest (the reports bucket when deployed). */
  readonly stateBucket: string;
}

/** The top-level prefixes under the run's prefix, each listed on its own, plus the keys directly under it. */
async function findPartitions(store: ObjectStore, policy: RetentionPolicy): Promise<PartitionState[]> {
  const partitions: PartitionState[] = [
    { prefix: policy.prefix, rootOnly: true, done: false, ...freshProgress() },
  ];
  let token: string | undefined;
  do {
    const page = await store.listPage({
      bucket: policy.bucket,
      prefix: policy.prefix,
      delimiter: '/',
      continuationToken: token,
    });
    for (const prefix of page.prefixes) {
      partitions.push({ prefix, rootOnly: false, done: false, ...freshProgress() });
    }
    token = page.nextToken;
  } while (token);
  return partitions;
}

function freshProgress() {
  return { scanned: 0, selected: 0, report: emptyReport() };
}

/**
 * Deletes the objects of `policy.bucket` that expired before `policy.cutoff`, in one listing pass
 * that also gathers the runbook's storage report. A dry run lists and reports and changes nothing.
 * A real run journals every batch before deleting it and records every deleted key in a manifest,
 * so a run stopped at any point (pause, crash) resumes with each object deleted once.
 */
export async function runRetentionCleanup(
  ports: CleanupPorts,
  policy: RetentionPolicy,
  options: CleanupOptions = DEFAULT_CLEANUP_OPTIONS,
): Promise<CleanupSummary> {
  const started = ports.now().getTime();
  const { store } = ports;
  const versioning = await store.versioning(policy.bucket);
  const versioned = versioning !== 'Disabled';
  if (versioned && policy.versionedBucket === 'refuse' && !policy.dryRun) {
    throw new CleanupRequestError(
      `bucket: ${policy.bucket} is versioned (${versioning}). Deleting there adds delete markers and keeps every ` +
        `non-current version, so no storage is freed until a NoncurrentVersionExpiration lifecycle rule removes them. ` +
        `Pass versionedBucket: "add-delete-markers" to go ahead, and see \`mcp-ops cleanup lifecycle\`.`,
    );
  }

  const journal = policy.dryRun ? undefined : new RunJournal(store, ports.stateBucket, policy.runId);
  const { checkpoint, done, givenUp, resumed } = journal
    ? await resumeOrStart(ports, policy, options, journal, started)
    : {
        checkpoint: startCheckpoint(policy, started, await findPartitions(store, policy)),
        done: undefined,
        givenUp: new Set<string>(),
        resumed: false,
      };
  const run = new SweepRun(store, policy, options, checkpoint, journal, givenUp, done);

  await mapBounded(
    checkpoint.partitions.map((_, index) => index),
    options.listConcurrency,
    (index) => sweepPartition(run, index),
  );

  const { counters, failures, capped, fatal } = run;
  const everythingDone = checkpoint.partitions.every((p) => p.done);
  checkpoint.status = fatal ? 'failed' : everythingDone ? 'completed' : 'paused';
  await run.save(true);
  if (fatal) throw stoppedRun(policy.runId, fatal);

  const report = mergeReports(checkpoint.partitions.map((p) => p.report));
  const matched = checkpoint.partitions.reduce((sum, p) => sum + p.selected, 0);
  const summary: CleanupSummary = {
    runId: policy.runId,
    status: everythingDone ? 'completed' : 'paused',
    dryRun: policy.dryRun,
    bucket: policy.bucket,
    prefix: policy.prefix,
    retentionDays: policy.retentionDays,
    retentionSource: policy.retentionSource ?? 'config',
    cutoff: policy.cutoff.toISOString(),
    scanned: checkpoint.partitions.reduce((sum, p) => sum + p.scanned, 0),
    matched: policy.dryRun ? matched : Math.max(matched, counters.deleted + counters.failed),
    deleted: counters.deleted,
    failed: counters.failed,
    bytesFreed: versioned ? 0 : counters.bytesFreed,
    skipped: journal && resumed ? await journal.skippedCounts() : {},
    capped,
    versioned,
    durationMs: ports.now().getTime() - started,
    report,
    failures,
    ...(journal ? { manifest: `s3://${ports.stateBucket}/${journal.manifestPrefix}` } : {}),
  };
  if (journal && everythingDone) await journal.saveSummary(summary);
  return summary;
}

/** A fresh run's checkpoint, or the stored one of the run being resumed (its journalled batches finished first). */
async function resumeOrStart(
  ports: CleanupPorts,
  policy: RetentionPolicy,
  options: CleanupOptions,
  journal: RunJournal,
  started: number,
): Promise<{ checkpoint: Checkpoint; done?: RunCounters; givenUp: Set<string>; resumed: boolean }> {
  const existing = await journal.loadCheckpoint();
  if (!existing) {
    const partitions = await findPartitions(ports.store, policy);
    return { checkpoint: startCheckpoint(policy, started, partitions), givenUp: new Set(), resumed: false };
  }
  if (existing.status === 'completed') {
    throw new CleanupRequestError(`resumeRunId: run ${policy.runId} has already completed`);
  }
  // Finish the batches an earlier invocation journalled but may not have deleted, each key judged
  // again now against today's policy, then count everything already done from the manifest itself.
  try {
    for (const pending of await journal.unfinishedBatches()) {
      const { still, skipped } = await judgeAgain(ports.store, policy, pending.objects);
      const result =
        still.length > 0
          ? await deleteWithRetry(ports.store, policy.bucket, still, options.retry)
          : { deletedKeys: [], deleted: 0, bytes: 0, failed: [] };
      await journal.recordBatch(pending.id, result, skipped);
    }
  } catch (error) {
    throw stoppedRun(policy.runId, error);
  }
  return {
    // The stored policy is replaced by today's, as checked: a later resume starts from it.
    checkpoint: {
      ...existing,
      policy: { ...policy, cutoff: policy.cutoff.toISOString() },
      invocation: existing.invocation + 1,
      status: 'running',
    },
    done: await journal.manifestTotals(),
    givenUp: new Set(await journal.failedKeys()),
    resumed: true,
  };
}

/** Keys looked up at once when a journalled batch is judged again. */
const JUDGE_CONCURRENCY = 16;

/**
 * A journalled batch's keys judged at the moment they are to be deleted: each listed afresh (a
 * one-key listing needs only the ListBucket the run already has), and left alone unless it is still
 * older than the cutoff, inside the run's prefix and not protected by today's policy.
 */
export async function judgeAgain(
  store: ObjectStore,
  policy: RetentionPolicy,
  objects: readonly StoredObject[],
): Promise<{ still: StoredObject[]; skipped: SkippedKey[] }> {
  const verdicts = await mapBounded(objects, JUDGE_CONCURRENCY, async (object) => {
    if (!object.key.startsWith(policy.prefix)) return { key: object.key, reason: 'outside prefix' as const };
    if (isProtected(object.key, policy)) return { key: object.key, reason: 'protected' as const };
    const page = await store.listPage({ bucket: policy.bucket, prefix: object.key, pageSize: 1 });
    const now = page.objects.find((o) => o.key === object.key);
    // Gone already: most likely deleted by the invocation that journalled it and died before its
    // manifest entry. Deleting it again is a no-op that keeps the manifest whole.
    if (!now) return object;
    if (now.lastModified.getTime() >= policy.cutoff.getTime())
      return { key: object.key, reason: 're-uploaded' as const };
    return now;
  });
  const still: StoredObject[] = [];
  const skipped: SkippedKey[] = [];
  for (const verdict of verdicts) {
    if ('reason' in verdict) skipped.push(verdict);
    else still.push(verdict);
  }
  return { still, skipped };
}

function startCheckpoint(policy: RetentionPolicy, started: number, partitions: PartitionState[]): Checkpoint {
  return {
    version: 1,
    runId: policy.runId,
    policy: { ...policy, cutoff: policy.cutoff.toISOString() },
    status: 'running',
    invocation: 0,
    startedAt: new Date(started).toISOString(),
    partitions,
  };
}

export function stoppedRun(runId: string, cause: unknown): Error {
  const message = cause instanceof Error ? cause.message : String(cause);
  return new Error(
    `cleanup run ${runId} stopped: ${message}. Resume it with resumeRunId "${runId}" and dryRun false ` +
      `(mcp-ops cleanup --resume ${runId} --apply).`,
    {
      cause,
    },
  );
}
