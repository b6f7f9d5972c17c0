import { createHash } from 'node:crypto';
import type { ObjectStore, StoredObject } from '../../core/object-store.ts';
import type { BatchOutcome } from './batch-delete.ts';
import {
  CLEANUP_STATE_PREFIX,
  readListed,
  type SkipReason,
  type SkippedCounts,
  type StorageReport,
} from '../../core/cleanup-record.ts';
export {
  latestCleanupSummary,
  readListed,
  RUN_FOLDER,
  type SkipReason,
  type SkippedCounts,
} from '../../core/cleanup-record.ts';

export interface PartitionState {
  prefix: string;
  /** The keys directly under the run's prefix (listed with a delimiter). */
  rootOnly: boolean;
  /** Every key up to and including this one is settled. */
  cursor?: string;
  done: boolean;
  scanned: number;
  selected: number;
  report: StorageReport;
}

export interface Checkpoint {
  version: 1;
  runId: string;
  policy: {
    bucket: string;
    prefix: string;
    retentionDays: number;
    cutoff: string;
    dryRun: boolean;
    maxDeletes: number;
    protectedPrefixes: readonly string[];
    versionedBucket: 'refuse' | 'add-delete-markers';
  };
  status: 'running' | 'paused' | 'completed' | 'failed';
  /** Counts the invocations of one run, so batch ids never repeat across resumes. */
  invocation: number;
  startedAt: string;
  partitions: PartitionState[];
}

interface PendingBatch {
  id: string;
  objects: StoredObject[];
}

/** Why a key journalled for deletion was left alone when its batch was settled later. */
export interface SkippedKey {
  key: string;
  reason: SkipReason;
}

/** cleanup/<runId>/request.json: the policy the run's request decided, and when. */
export interface RunRequestRecord {
  runId: string;
  requestedAt: string;
  idempotencyKey?: string;
  policy: Checkpoint['policy'];
}

const MANIFEST_NAME = /-d(\d+)-f(\d+)-b(\d+)(?:-s(\d+))?\.json$/;

/** Where the run a request started is remembered: cleanup/requests/<sha256 of its key>.json. */
export function requestMarkerKey(idempotencyKey: string): string {
  return `${CLEANUP_STATE_PREFIX}requests/${createHash('sha256').update(idempotencyKey).digest('hex')}.json`;
}

/**
 * The run's audit trail and resume state in S3, under cleanup/<runId>/:
 *   checkpoint.json           where each prefix's listing stands
 *   pending/<batch>.json      written before a batch is deleted
 *   manifest/<batch>-d<n>-f<n>-b<bytes>.json   every key deleted (and failed), written after
 *   summary.json              the finished run
 * Counts are in the manifest's key names so a resume totals them from one listing.
 */
export class RunJournal {
  readonly base: string;
  constructor(
    private readonly store: ObjectStore,
    private readonly bucket: string,
    runId: string,
  ) {
    this.base = `${CLEANUP_STATE_PREFIX}${runId}/`;
  }

  get manifestPrefix(): string {
    return `${this.base}manifest/`;
  }

  async loadCheckpoint(): Promise<Checkpoint | undefined> {
    const text = await readListed(this.store, this.bucket, `${this.base}checkpoint.json`);
    return text === undefined ? undefined : (JSON.parse(text) as Checkpoint);
  }

  async saveCheckpoint(serialized: string): Promise<void> {
    await this.store.putText(this.bucket, `${this.base}checkpoint.json`, serialized);
  }

  async recordPending(id: string, objects: readonly StoredObject[]): Promise<void> {
    const body = objects.map((o) => ({
      key: o.key,
      size: o.size,
      lastModified: o.lastModified.toISOString(),
    }));
    await this.store.putText(this.bucket, `${this.base}pending/${id}.json`, JSON.stringify(body));
  }

  async recordBatch(id: string, outcome: BatchOutcome, skipped: readonly SkippedKey[] = []): Promise<void> {
    const counts = `-d${outcome.deleted}-f${outcome.failed.length}-b${outcome.bytes}`;
    const key = `${this.manifestPrefix}${id}${counts}${skipped.length > 0 ? `-s${skipped.length}` : ''}.json`;
    await this.store.putText(
      this.bucket,
      key,
      JSON.stringify({ deleted: outcome.deletedKeys, failed: outcome.failed, skipped }),
    );
  }

  /** The run's request as first decided, written once before anything is deleted and never again. */
  async saveRequest(record: RunRequestRecord): Promise<void> {
    await this.store.putText(this.bucket, `${this.base}request.json`, JSON.stringify(record, null, 2));
  }

  async loadRequest(): Promise<RunRequestRecord | undefined> {
    const text = await readListed(this.store, this.bucket, `${this.base}request.json`);
    return text === undefined ? undefined : (JSON.parse(text) as RunRequestRecord);
  }

  async loadSummary<T>(): Promise<T | undefined> {
    const text = await readListed(this.store, this.bucket, `${this.base}summary.json`);
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }

  /** Keys settled after a pause but left alone, by reason, read from the manifest parts that name some. */
  async skippedCounts(): Promise<SkippedCounts> {
    const counts: SkippedCounts = {};
    for (const key of await this.listKeys(this.manifestPrefix)) {
      if (!MANIFEST_NAME.exec(key)?.[4]) continue;
      const text = await this.store.getText(this.bucket, key);
      for (const s of (JSON.parse(text ?? '{}') as { skipped?: SkippedKey[] }).skipped ?? [])
        counts[s.reason] = (counts[s.reason] ?? 0) + 1;
    }
    return counts;
  }

  async saveSummary(summary: unknown): Promise<void> {
    await this.store.putText(this.bucket, `${this.base}summary.json`, JSON.stringify(summary, null, 2));
  }

  private async listKeys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.store.listPage({ bucket: this.bucket, prefix, continuationToken: token });
      keys.push(...page.objects.map((o) => o.key));
      token = page.nextToken;
    } while (token);
    return keys;
  }

  private manifestIds(keys: readonly string[]): Set<string> {
    return new Set(keys.map((k) => k.slice(this.manifestPrefix.length).replace(MANIFEST_NAME, '')));
  }

  /** Batches journalled as pending with no manifest entry: deleted or not, they must be settled. */
  async unfinishedBatches(): Promise<PendingBatch[]> {
    const done = this.manifestIds(await this.listKeys(this.manifestPrefix));
    const pending: PendingBatch[] = [];
    for (const key of await this.listKeys(`${this.base}pending/`)) {
      const id = key.slice(`${this.base}pending/`.length).replace(/\.json$/, '');
      if (done.has(id)) continue;
      const text = await this.store.getText(this.bucket, key);
      const rows = JSON.parse(text ?? '[]') as Array<{ key: string; size: number; lastModified: string }>;
      pending.push({ id, objects: rows.map((r) => ({ ...r, lastModified: new Date(r.lastModified) })) });
    }
    return pending;
  }

  async manifestTotals(): Promise<{ deleted: number; failed: number; bytesFreed: number }> {
    const totals = { deleted: 0, failed: 0, bytesFreed: 0 };
    for (const key of await this.listKeys(this.manifestPrefix)) {
      const match = MANIFEST_NAME.exec(key);
      if (!match) continue;
      totals.deleted += Number(match[1]);
      totals.failed += Number(match[2]);
      totals.bytesFreed += Number(match[3]);
    }
    return totals;
  }

  /** Keys an earlier invocation gave up on: a resumed listing leaves them be (read only from parts with failures). */
  async failedKeys(): Promise<Set<string>> {
    const failed = new Set<string>();
    for (const key of await this.listKeys(this.manifestPrefix)) {
      if (MANIFEST_NAME.exec(key)?.[2] === '0') continue;
      const text = await this.store.getText(this.bucket, key);
      for (const f of (JSON.parse(text ?? '{}') as { failed: Array<{ key: string }> }).failed)
        failed.add(f.key);
    }
    return failed;
  }

  /** Every key the run deleted, and every key it gave up on, read back from the manifest. */
  async readManifest(): Promise<{ deleted: string[]; failed: string[] }> {
    const manifest = { deleted: [] as string[], failed: [] as string[] };
    for (const key of await this.listKeys(this.manifestPrefix)) {
      const text = await this.store.getText(this.bucket, key);
      const part = JSON.parse(text ?? '{}') as { deleted: string[]; failed: Array<{ key: string }> };
      manifest.deleted.push(...part.deleted);
      manifest.failed.push(...part.failed.map((f) => f.key));
    }
    return manifest;
  }
}
