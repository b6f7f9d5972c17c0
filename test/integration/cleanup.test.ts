import {
  CreateBucketCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { parseConfig } from '../../core/config.ts';
import { S3ObjectStore } from '../../core/adapters/s3-object-store.ts';
import { cleanupJob } from '../../functions/cleanup/cleanup-job.ts';
import { RunJournal } from '../../functions/cleanup/run-journal.ts';
import { localClients, localTarget } from '../support/aws.ts';
import { faultyS3Client, type DeleteFault } from '../support/faulty-s3.ts';

const endpoints = inject('endpoints');
const DAY_MS = 86_400_000;
const config = parseConfig({});
const stateBucket = endpoints.buckets.reports;
const FAST_RETRY = { attempts: 6, baseDelayMs: 5, maxDelayMs: 20 };

async function newBucket(s3: S3Client): Promise<string> {
  const bucket = `it-cleanup-${randomUUID().slice(0, 8)}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

async function putAll(s3: S3Client, bucket: string, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 50) {
    await Promise.all(
      keys
        .slice(i, i + 50)
        .map((Key) => s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: `body of ${Key}` }))),
    );
  }
}

async function listAll(s3: S3Client, bucket: string): Promise<Map<string, Date>> {
  const found = new Map<string, Date>();
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const o of page.Contents ?? []) found.set(o.Key!, o.LastModified!);
    token = page.NextContinuationToken;
  } while (token);
  return found;
}

function deps(s3: S3Client, now: Date) {
  return {
    config,
    store: new S3ObjectStore(s3),
    now: () => now,
    stateBucket,
    configMapRetentionDays: async () => undefined,
  };
}

describe('the S3 object store adapter against the moto server', () => {
  it('lists in pages, by folder, after a key; deletes in batches; reads and writes text', async () => {
    const { s3 } = localClients();
    const bucket = await newBucket(s3);
    await putAll(s3, bucket, ['a/1', 'a/2', 'b/1', 'root-1', 'root-2']);
    const store = new S3ObjectStore(s3);

    const first = await store.listPage({ bucket, prefix: '', pageSize: 2 });
    expect(first.objects.map((o) => o.key)).toEqual(['a/1', 'a/2']);
    expect(first.nextToken).toBeDefined();
    const second = await store.listPage({
      bucket,
      prefix: '',
      pageSize: 2,
      continuationToken: first.nextToken,
    });
    expect(second.objects.map((o) => o.key)).toEqual(['b/1', 'root-1']);

    const folders = await store.listPage({ bucket, prefix: '', delimiter: '/' });
    expect(folders.prefixes).toEqual(['a/', 'b/']);
    expect(folders.objects.map((o) => o.key)).toEqual(['root-1', 'root-2']);
    expect(
      (await store.listPage({ bucket, prefix: 'a/', startAfter: 'a/1' })).objects.map((o) => o.key),
    ).toEqual(['a/2']);

    const result = await store.deleteBatch(bucket, ['a/1', 'b/1']);
    expect(result.deleted.sort()).toEqual(['a/1', 'b/1']);
    expect(result.errors).toEqual([]);
    expect([...(await listAll(s3, bucket)).keys()]).toEqual(['a/2', 'root-1', 'root-2']);

    expect(await store.getText(bucket, 'missing.json')).toBeUndefined();
    await store.putText(bucket, 'state.json', '{"x":1}');
    expect(await store.getText(bucket, 'state.json')).toBe('{"x":1}');
    expect(await store.versioning(bucket)).toBe('Disabled');
  });
});

describe('retention cleanup on the local S3 server', () => {
  const { s3 } = localClients();
  let bucket: string;
  let oldKeys: string[];
  let newKeys: string[];
  let cutoffNow: Date;

  // Two generations of objects two seconds apart; the clock is set so that the cutoff falls one
  // second before the newer generation: old ones are one second (or more) past it, new ones one
  // second inside it.
  beforeAll(async () => {
    bucket = await newBucket(s3);
    oldKeys = [
      ...Array.from({ length: 30 }, (_, i) => `builds/${String(i).padStart(3, '0')}.tar`),
      ...Array.from({ length: 5 }, (_, i) => `releases/v${i}.tar`),
      'top-level-old.txt',
    ];
    await putAll(s3, bucket, oldKeys);
    await sleep(2_100);
    newKeys = ['builds/new-1.tar', 'models/new-2.bin', 'top-level-new.txt'];
    await putAll(s3, bucket, newKeys);
    const listed = await listAll(s3, bucket);
    const newest = Math.min(...newKeys.map((k) => listed.get(k)!.getTime()));
    const oldest = Math.max(...oldKeys.map((k) => listed.get(k)!.getTime()));
    expect(newest - oldest).toBeGreaterThanOrEqual(1_000);
    cutoffNow = new Date(newest - 1_000 + 90 * DAY_MS);
  });

  it('reports in a dry run exactly what the real run then deletes, and keeps what is inside the cutoff or protected', async () => {
    const request = { bucket, retentionDays: 90, protectedPrefixes: ['releases/'] };
    const dry = await cleanupJob(request, deps(s3, cutoffNow), { retry: FAST_RETRY });
    expect(dry.dryRun).toBe(true);
    expect(dry.deleted).toBe(0);
    expect((await listAll(s3, bucket)).size).toBe(oldKeys.length + newKeys.length);
    expect(dry.report.objects).toBe(oldKeys.length + newKeys.length);
    expect(dry.report.largest).toHaveLength(20);
    expect(dry.report.expiring).toEqual({
      'builds/': { objects: 30, bytes: 30 * 'body of builds/000.tar'.length },
      '(root)': { objects: 1, bytes: 'body of top-level-old.txt'.length },
    });
    expect(dry.matched).toBe(31);

    const real = await cleanupJob({ ...request, dryRun: false }, deps(s3, cutoffNow), { retry: FAST_RETRY });
    expect(real).toMatchObject({ status: 'completed', matched: 31, deleted: 31, failed: 0 });
    expect(real.bytesFreed).toBe(Object.values(dry.report.expiring).reduce((sum, g) => sum + g.bytes, 0));
    const left = [...(await listAll(s3, bucket)).keys()].sort();
    expect(left).toEqual([...newKeys, ...oldKeys.filter((k) => k.startsWith('releases/'))].sort());

    const manifest = await new RunJournal(new S3ObjectStore(s3), stateBucket, real.runId).readManifest();
    expect(manifest.deleted.sort()).toEqual(oldKeys.filter((k) => !k.startsWith('releases/')).sort());
    expect(real.manifest).toBe(`s3://${stateBucket}/cleanup/${real.runId}/manifest/`);
  });
});

describe('retention cleanup under S3 faults', () => {
  const { s3 } = localClients();

  async function expiredBucket(count: number) {
    const bucket = await newBucket(s3);
    const keys = Array.from({ length: count }, (_, i) => `part-${i % 3}/obj-${String(i).padStart(4, '0')}`);
    await putAll(s3, bucket, keys);
    return { bucket, keys, now: new Date(Date.now() + 100 * DAY_MS) };
  }

  it('retries throttling (503 SlowDown) and keys failed inside a 200 answer to completion', async () => {
    const { bucket, keys, now } = await expiredBucket(60);
    const plan = (call: number): DeleteFault =>
      call < 2 ? 'slow-down' : call === 2 ? 'all-keys-internal-error' : call === 4 ? 'slow-down' : 'pass';
    const faulty = faultyS3Client(localTarget(), plan);
    const summary = await cleanupJob(
      { bucket, retentionDays: 90, dryRun: false },
      { ...deps(faulty.client, now) },
      { retry: FAST_RETRY, batchSize: 20, deleteConcurrency: 1, listConcurrency: 1 },
    );
    expect(faulty.log.slice(0, 5)).toEqual([
      'slow-down',
      'slow-down',
      'all-keys-internal-error',
      'pass',
      'slow-down',
    ]);
    expect(summary).toMatchObject({ status: 'completed', deleted: keys.length, failed: 0 });
    expect((await listAll(s3, bucket)).size).toBe(0);
  });

  it('sends one batch at most retry.attempts DeleteObjects under sustained SlowDown, then stops resumable', async () => {
    // The loop is the only layer that retries deletions (the client tries once, as in the function).
    const { bucket, now } = await expiredBucket(10);
    const faulty = faultyS3Client(localTarget(), () => 'slow-down');
    await expect(
      cleanupJob({ bucket, retentionDays: 90, dryRun: false }, deps(faulty.client, now), {
        retry: FAST_RETRY,
        batchSize: 100,
        deleteConcurrency: 1,
        listConcurrency: 1,
      }),
    ).rejects.toThrow(/Resume it with resumeRunId/);
    // Three partitions (part-0..2), each one batch: attempts per batch, never the SDK's multiple.
    expect(faulty.log.length).toBeLessThanOrEqual(3 * FAST_RETRY.attempts);
    expect(faulty.log.length % FAST_RETRY.attempts).toBe(0);
  });

  it('resumes a run paused half-way, with each object deleted once', async () => {
    const { bucket, keys, now } = await expiredBucket(90);
    let checks = 0;
    const first = await cleanupJob({ bucket, retentionDays: 90, dryRun: false }, deps(s3, now), {
      retry: FAST_RETRY,
      batchSize: 10,
      pageSize: 10,
      listConcurrency: 1,
      deleteConcurrency: 1,
      shouldPause: () => ++checks > 4,
    });
    expect(first.status).toBe('paused');
    expect(first.deleted).toBeGreaterThan(0);
    expect(first.deleted).toBeLessThan(keys.length);
    const afterFirst = (await listAll(s3, bucket)).size;
    expect(afterFirst).toBe(keys.length - first.deleted);

    // A later invocation, a day on: the run keeps its first cutoff.
    const later = new Date(now.getTime() + DAY_MS);
    const second = await cleanupJob({ resumeRunId: first.runId, dryRun: false }, deps(s3, later), {
      retry: FAST_RETRY,
    });
    expect(second).toMatchObject({
      status: 'completed',
      runId: first.runId,
      deleted: keys.length,
      cutoff: first.cutoff,
    });
    expect((await listAll(s3, bucket)).size).toBe(0);
    const manifest = await new RunJournal(new S3ObjectStore(s3), stateBucket, first.runId).readManifest();
    expect(manifest.deleted).toHaveLength(keys.length);
    expect(new Set(manifest.deleted).size).toBe(keys.length);
    await expect(cleanupJob({ resumeRunId: first.runId, dryRun: false }, deps(s3, later))).rejects.toThrow(
      /already completed/,
    );
  });

  it('resumes a run that died on a failed request, settling the batch it had journalled', async () => {
    const { bucket, keys, now } = await expiredBucket(50);
    const faulty = faultyS3Client(localTarget(), (call) => (call === 2 ? 'access-denied' : 'pass'));
    let runId = '';
    await expect(
      cleanupJob({ bucket, retentionDays: 90, dryRun: false }, deps(faulty.client, now), {
        retry: FAST_RETRY,
        batchSize: 10,
        deleteConcurrency: 1,
        listConcurrency: 1,
      }).catch((error: Error) => {
        runId = /resumeRunId "([^"]+)"/.exec(error.message)?.[1] ?? '';
        throw error;
      }),
    ).rejects.toThrow(/Access Denied.*Resume it with resumeRunId/);
    expect(runId).not.toBe('');
    expect((await listAll(s3, bucket)).size).toBeGreaterThan(0);

    const resumed = await cleanupJob({ resumeRunId: runId, dryRun: false }, deps(s3, now), {
      retry: FAST_RETRY,
    });
    expect(resumed).toMatchObject({ status: 'completed', deleted: keys.length, failed: 0 });
    expect((await listAll(s3, bucket)).size).toBe(0);
    const manifest = await new RunJournal(new S3ObjectStore(s3), stateBucket, runId).readManifest();
    expect(manifest.deleted.sort()).toEqual([...keys].sort());
  });

  it('refuses a versioned bucket unless delete markers are chosen explicitly', async () => {
    const { bucket, keys, now } = await expiredBucket(5);
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    );
    await expect(cleanupJob({ bucket, retentionDays: 90, dryRun: false }, deps(s3, now))).rejects.toThrow(
      /is versioned \(Enabled\).*versionedBucket: "add-delete-markers"/,
    );
    expect((await listAll(s3, bucket)).size).toBe(keys.length);
    const summary = await cleanupJob(
      { bucket, retentionDays: 90, dryRun: false, versionedBucket: 'add-delete-markers' },
      deps(s3, now),
    );
    expect(summary).toMatchObject({ deleted: keys.length, versioned: true, bytesFreed: 0 });
    expect((await listAll(s3, bucket)).size).toBe(0);
  });

  it('judges a paused run’s journalled keys again on resume: re-uploaded and newly protected keys are kept', async () => {
    const bucket = await newBucket(s3);
    await putAll(s3, bucket, ['old.bin', 'other.bin', 'releases-v1.bin']);
    const first = await listAll(s3, bucket);
    const uploaded = Math.max(...[...first.values()].map((d) => d.getTime()));
    // Retention 7 days, the cutoff one second after the upload: all three have expired.
    const now = new Date(uploaded + 1_000 + 7 * DAY_MS);
    const dead = faultyS3Client(localTarget(), () => 'access-denied');
    const request = { bucket, retentionDays: 7, dryRun: false, idempotencyKey: `it-${bucket}` };
    let runId = '';
    await expect(
      cleanupJob(request, deps(dead.client, now), { retry: FAST_RETRY, batchSize: 10 }).catch(
        (error: Error) => {
          runId = /resumeRunId "([^"]+)"/.exec(error.message)?.[1] ?? '';
          throw error;
        },
      ),
    ).rejects.toThrow(/Access Denied/);
    expect(runId).not.toBe('');

    // Before the resume: old.bin is uploaded again (fresh), and configuration now protects releases-.
    await sleep(2_100);
    await putAll(s3, bucket, ['old.bin']);
    const later = new Date(now.getTime() + 60_000);
    const protecting = {
      ...deps(s3, later),
      config: parseConfig({ retention: { protectedPrefixes: ['releases-'] } }),
    };
    // A dry-run resume is refused and deletes nothing.
    await expect(cleanupJob({ resumeRunId: runId, dryRun: true }, protecting)).rejects.toThrow(
      /never a dry run/,
    );
    expect([...(await listAll(s3, bucket)).keys()].sort()).toEqual([
      'old.bin',
      'other.bin',
      'releases-v1.bin',
    ]);

    const resumed = await cleanupJob({ resumeRunId: runId, dryRun: false }, protecting, {
      retry: FAST_RETRY,
    });
    expect(resumed).toMatchObject({
      status: 'completed',
      deleted: 1,
      skipped: { 're-uploaded': 1, protected: 1 },
    });
    expect([...(await listAll(s3, bucket)).keys()].sort()).toEqual(['old.bin', 'releases-v1.bin']);
    const manifest = await new RunJournal(new S3ObjectStore(s3), stateBucket, runId).readManifest();
    expect(manifest.deleted).toEqual(['other.bin']);

    // The same request retried (same idempotency key) answers the run it started; nothing more goes.
    const retried = await cleanupJob(request, protecting, { retry: FAST_RETRY });
    expect(retried).toMatchObject({ runId, status: 'completed', deleted: 1 });
    expect((await listAll(s3, bucket)).size).toBe(2);
  });
});
