import { mapBounded } from '../../core/bounded.ts';
import { DEFAULT_RETRY, type RetryOptions } from '../../core/retry.ts';
import type { KeyError, ObjectStore, StoredObject } from '../../core/object-store.ts';
import { deleteWithRetry } from './batch-delete.ts';
import { RunJournal, type Checkpoint, type PartitionState } from './run-journal.ts';
import {
  CleanupRequestError,
  isExpired,
  type RetentionPolicy,
  type RetentionSource,
} from './retention-policy.ts';
import {
  countExpiring,
  countObject,
  emptyReport,
  mergeReports,
  type StorageReport,
} from './storage-report.ts';

export interface CleanupPorts {
  readonly store: ObjectStore;
  readonly now: () => Date;
  /** Bucket of the run's checkpoint and manifest (the reports bucket when deployed). */
  readonly stateBucket: string;
}

export interface CleanupOptions {
  /** Top-level prefixes listed at once. */
  readonly listConcurrency: number;
  /** DeleteObjects requests in flight at once. */
  readonly deleteConcurrency: number;
  readonly pageSize: number;
  readonly batchSize: number;
  readonly retry: RetryOptions;
  /** Asked between pages and batches: true stops the run cleanly so a fresh invocation resumes it. */
  readonly shouldPause: () => boolean;
}

export const DEFAULT_CLEANUP_OPTIONS: CleanupOptions = {
  listConcurrency: 8,
  deleteConcurrency: 16,
  pageSize: 1000,
  batchSize: 1000,
  retry: DEFAULT_RETRY,
  shouldPause: () => false,
};

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
  /** True when maxDeletes stopped the selection: more objects have expired than were deleted. */
  capped: boolean;
  /** On a versioned bucket, deletes add markers and free no bytes until lifecycle removes old versions. */
  versioned: boolean;
  durationMs: number;
  report: StorageReport;
  failures: KeyError[];
  manifest?: string;
}

/** A simple counting semaphore: at most `size` holders at once. */
class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];
  constructor(size: number) {
    this.free = size;
  }
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free += 1;
  }
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
  let checkpoint: Checkpoint;
  const counters = { deleted: 0, failed: 0, bytesFreed: 0 };
  const failures: KeyError[] = [];
  const recordBatch = (outcome: { deleted: number; failed: KeyError[]; bytes: number }) => {
    counters.deleted += outcome.deleted;
    counters.failed += outcome.failed.length;
    counters.bytesFreed += outcome.bytes;
    for (const failure of outcome.failed) if (failures.length < 20) failures.push(failure);
  };

  const givenUp = new Set<string>();
  const existing = journal ? await journal.loadCheckpoint() : undefined;
  if (journal && existing) {
    if (existing.status === 'completed') {
      throw new CleanupRequestError(`resumeRunId: run ${policy.runId} has already completed`);
    }
    checkpoint = { ...existing, invocation: existing.invocation + 1, status: 'running' };
    // Finish the batches an earlier invocation journalled but may not have deleted, then count
    // everything already done from the manifest itself.
    try {
      for (const pending of await journal.unfinishedBatches()) {
        const result = await deleteWithRetry(store, policy.bucket, pending.objects, options.retry);
        await journal.recordBatch(pending.id, result);
      }
    } catch (error) {
      throw stoppedRun(policy.runId, error);
    }
    const done = await journal.manifestTotals();
    Object.assign(counters, done);
    for (const key of await journal.failedKeys()) givenUp.add(key);
  } else {
    checkpoint = {
      version: 1,
      runId: policy.runId,
      policy: { ...policy, cutoff: policy.cutoff.toISOString() },
      status: 'running',
      invocation: 0,
      startedAt: new Date(started).toISOString(),
      partitions: await findPartitions(store, policy),
    };
  }

  // maxDeletes is a budget shared by every partition; what is already deleted or failed counts.
  let budget = policy.maxDeletes - counters.deleted - counters.failed;
  let capped = false;
  const takeBudget = () => {
    if (budget <= 0) {
      capped = true;
      return false;
    }
    budget -= 1;
    return true;
  };

  const slots = new Slots(options.deleteConcurrency);
  let paused = false;
  let fatal: unknown;
  let lastSave = 0;
  let saving: Promise<void> = Promise.resolve();
  const save = (force: boolean) => {
    if (!journal) return saving;
    const at = Date.now();
    if (!force && at - lastSave < 1000) return saving;
    lastSave = at;
    const snapshot = JSON.stringify(checkpoint);
    saving = saving
      .then(() => journal.saveCheckpoint(snapshot))
      .catch((error: unknown) => {
        fatal ??= error;
      });
    return saving;
  };

  const processPartition = async (partitionIndex: number) => {
    const partition = checkpoint.partitions[partitionIndex]!;
    if (partition.done) return;
    // Progress is committed batch by batch, in order: the saved cursor never passes a key whose
    // batch has not finished, so a resumed listing starts exactly after what is settled.
    const live = {
      scanned: partition.scanned,
      selected: partition.selected,
      report: cloneReport(partition.report),
    };
    let lastListed = partition.cursor;
    let batch: StoredObject[] = [];
    let seq = 0;
    let committed = -1;
    const finished = new Set<number>();
    const snapshots = new Map<number, Omit<PartitionState, 'prefix' | 'rootOnly' | 'done'>>();
    const inFlight = new Set<Promise<void>>();

    const commit = () => {
      while (finished.has(committed + 1)) {
        committed += 1;
        const snap = snapshots.get(committed)!;
        snapshots.delete(committed);
        Object.assign(partition, snap);
      }
    };

    const submit = async () => {
      const objects = batch;
      batch = [];
      const mySeq = seq;
      seq += 1;
      snapshots.set(mySeq, { cursor: lastListed, ...cloneProgress(live) });
      if (!journal) {
        finished.add(mySeq);
        commit();
        return;
      }
      await slots.acquire();
      const id = `${String(checkpoint.invocation).padStart(4, '0')}-${String(partitionIndex).padStart(5, '0')}-${String(mySeq).padStart(7, '0')}`;
      const task = (async () => {
        try {
          await journal.recordPending(id, objects);
          const result = await deleteWithRetry(store, policy.bucket, objects, options.retry);
          await journal.recordBatch(id, result);
          recordBatch(result);
          finished.add(mySeq);
          commit();
          void save(false);
        } catch (error) {
          fatal ??= error;
        } finally {
          slots.release();
        }
      })();
      inFlight.add(task);
      void task.finally(() => inFlight.delete(task));
    };

    let token: string | undefined;
    listing: do {
      if (options.shouldPause() || fatal) {
        paused = true;
        break;
      }
      const page = await store.listPage({
        bucket: policy.bucket,
        prefix: partition.prefix,
        delimiter: partition.rootOnly ? '/' : undefined,
        startAfter: partition.cursor,
        continuationToken: token,
        pageSize: options.pageSize,
      });
      for (const object of page.objects) {
        lastListed = object.key;
        live.scanned += 1;
        countObject(live.report, object);
        if (isExpired(object, policy) && !givenUp.has(object.key) && takeBudget()) {
          live.selected += 1;
          countExpiring(live.report, object, policy.prefix);
          batch.push(object);
          if (batch.length >= options.batchSize) {
            await submit();
            if (options.shouldPause() || fatal) {
              paused = true;
              break listing;
            }
          }
        }
      }
      token = page.nextToken;
    } while (token);

    if (!paused && batch.length > 0) await submit();
    await Promise.all([...inFlight]);
    if (!paused && !fatal) {
      Object.assign(partition, { cursor: lastListed, ...cloneProgress(live), done: true });
    }
  };

  await mapBounded(
    checkpoint.partitions.map((_, index) => index),
    options.listConcurrency,
    processPartition,
  );

  const everythingDone = checkpoint.partitions.every((p) => p.done);
  checkpoint.status = fatal ? 'failed' : everythingDone ? 'completed' : 'paused';
  await save(true);
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

function stoppedRun(runId: string, cause: unknown): Error {
  const message = cause instanceof Error ? cause.message : String(cause);
  return new Error(`cleanup run ${runId} stopped: ${message}. Resume it with resumeRunId "${runId}".`, {
    cause,
  });
}

function cloneReport(report: StorageReport): StorageReport {
  return {
    objects: report.objects,
    bytes: report.bytes,
    largest: report.largest.map((o) => ({ ...o })),
    expiring: Object.fromEntries(Object.entries(report.expiring).map(([k, v]) => [k, { ...v }])),
  };
}

function cloneProgress(live: { scanned: number; selected: number; report: StorageReport }) {
  return { scanned: live.scanned, selected: live.selected, report: cloneReport(live.report) };
}
