/**
 * One partition (a top-level prefix) of a retention cleanup run: listed page by page, expired
 * objects gathered into batches, each batch journalled then deleted, with the partition's cursor
 * committed only past batches that have finished (in order), so a resumed run starts exactly after
 * what is settled. The partitions of a run share a SweepRun: the delete budget, the delete slots,
 * the counters and the first fatal error.
 */
import type { KeyError, ObjectStore, StoredObject } from '../../core/object-store.ts';
import { deleteWithRetry } from './batch-delete.ts';
import type { CleanupOptions } from './cleanup-options.ts';
import { isExpired, type RetentionPolicy } from './retention-policy.ts';
import type { Checkpoint, PartitionState, RunJournal } from './run-journal.ts';
import { countExpiring, countObject, type StorageReport } from './storage-report.ts';

export interface RunCounters {
  deleted: number;
  failed: number;
  bytesFreed: number;
}

type Progress = Omit<PartitionState, 'prefix' | 'rootOnly' | 'done'>;

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

/** What the partitions of one run share. */
export class SweepRun {
  readonly counters: RunCounters = { deleted: 0, failed: 0, bytesFreed: 0 };
  readonly failures: KeyError[] = [];
  /** True when maxDeletes stopped the selection. */
  capped = false;
  paused = false;
  fatal: unknown;
  readonly slots: Slots;
  private budget: number;
  private lastSave = 0;
  private saving: Promise<void> = Promise.resolve();

  constructor(
    readonly store: ObjectStore,
    readonly policy: RetentionPolicy,
    readonly options: CleanupOptions,
    readonly checkpoint: Checkpoint,
    readonly journal: RunJournal | undefined,
    /** Keys an earlier invocation failed to delete: not tried again in this run. */
    readonly givenUp: ReadonlySet<string>,
    done?: RunCounters,
  ) {
    if (done) Object.assign(this.counters, done);
    this.slots = new Slots(options.deleteConcurrency);
    // maxDeletes is a budget shared by every partition; what is already deleted or failed counts.
    this.budget = policy.maxDeletes - this.counters.deleted - this.counters.failed;
  }

  takeBudget(): boolean {
    if (this.budget <= 0) {
      this.capped = true;
      return false;
    }
    this.budget -= 1;
    return true;
  }

  /** True, and the run marked paused, when asked to pause or after a fatal error. */
  stopRequested(): boolean {
    if (this.options.shouldPause() || this.fatal) this.paused = true;
    return this.paused;
  }

  recordBatch(outcome: { deleted: number; failed: KeyError[]; bytes: number }): void {
    this.counters.deleted += outcome.deleted;
    this.counters.failed += outcome.failed.length;
    this.counters.bytesFreed += outcome.bytes;
    for (const failure of outcome.failed) if (this.failures.length < 20) this.failures.push(failure);
  }

  /** Saves the checkpoint, at most once a second unless forced; saves never overlap. */
  save(force: boolean): Promise<void> {
    const journal = this.journal;
    if (!journal) return this.saving;
    const at = Date.now();
    if (!force && at - this.lastSave < 1000) return this.saving;
    this.lastSave = at;
    const snapshot = JSON.stringify(this.checkpoint);
    this.saving = this.saving
      .then(() => journal.saveCheckpoint(snapshot))
      .catch((error: unknown) => {
        this.fatal ??= error;
      });
    return this.saving;
  }
}

/** Batches of one partition in submission order; the partition's saved state only moves past finished ones. */
class BatchSequence {
  private next = 0;
  private committed = -1;
  private readonly finished = new Set<number>();
  private readonly snapshots = new Map<number, Progress>();

  constructor(private readonly partition: PartitionState) {}

  /** Registers a batch with the progress the partition reaches once it (and all before it) finish. */
  open(progress: Progress): number {
    const seq = this.next;
    this.next += 1;
    this.snapshots.set(seq, progress);
    return seq;
  }

  finish(seq: number): void {
    this.finished.add(seq);
    while (this.finished.has(this.committed + 1)) {
      this.committed += 1;
      Object.assign(this.partition, this.snapshots.get(this.committed)!);
      this.snapshots.delete(this.committed);
    }
  }
}

export async function sweepPartition(run: SweepRun, partitionIndex: number): Promise<void> {
  const { store, policy, options, journal, checkpoint } = run;
  const partition = checkpoint.partitions[partitionIndex]!;
  if (partition.done) return;
  const live = {
    scanned: partition.scanned,
    selected: partition.selected,
    report: cloneReport(partition.report),
  };
  let lastListed = partition.cursor;
  let batch: StoredObject[] = [];
  const sequence = new BatchSequence(partition);
  const inFlight = new Set<Promise<void>>();

  const submit = async () => {
    const objects = batch;
    batch = [];
    const seq = sequence.open({ cursor: lastListed, ...cloneProgress(live) });
    if (!journal) {
      sequence.finish(seq);
      return;
    }
    await run.slots.acquire();
    const id = `${String(checkpoint.invocation).padStart(4, '0')}-${String(partitionIndex).padStart(5, '0')}-${String(seq).padStart(7, '0')}`;
    const task = (async () => {
      try {
        await journal.recordPending(id, objects);
        const result = await deleteWithRetry(store, policy.bucket, objects, options.retry);
        await journal.recordBatch(id, result);
        run.recordBatch(result);
        sequence.finish(seq);
        void run.save(false);
      } catch (error) {
        run.fatal ??= error;
      } finally {
        run.slots.release();
      }
    })();
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task));
  };

  let token: string | undefined;
  listing: do {
    if (run.stopRequested()) break;
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
      if (isExpired(object, policy) && !run.givenUp.has(object.key) && run.takeBudget()) {
        live.selected += 1;
        countExpiring(live.report, object, policy.prefix);
        batch.push(object);
        if (batch.length >= options.batchSize) {
          await submit();
          if (run.stopRequested()) break listing;
        }
      }
    }
    token = page.nextToken;
  } while (token);

  if (!run.paused && batch.length > 0) await submit();
  await Promise.all([...inFlight]);
  if (!run.paused && !run.fatal) {
    Object.assign(partition, { cursor: lastListed, ...cloneProgress(live), done: true });
  }
}

function cloneReport(report: StorageReport): StorageReport {
  return {
    objects: report.objects,
    bytes: report.bytes,
    largest: report.largest.map((o) => ({ ...o })),
    expiring: Object.fromEntries(Object.entries(report.expiring).map(([k, v]) => [k, { ...v }])),
  };
}

function cloneProgress(live: { scanned: number; selected: number; report: StorageReport }): Progress {
  return { scanned: live.scanned, selected: live.selected, report: cloneReport(live.report) };
}
