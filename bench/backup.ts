// Backup verification of a 100,000-object backup on the local S3 server: our verifier (pointer,
// metadata, full listing compared key by key, 20 sampled read-backs) against the floor of any
// verifier, a bare ListObjectsV2 loop over the same folder plus the same 20 GETs.
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Agent } from 'node:http';
import { s3ClientConfig } from '../core/aws.ts';
import { S3ObjectStore } from '../core/adapters/s3-object-store.ts';
import { verifyBackup } from '../core/backup-verify.ts';
import { fixtureObjectKey, writeBackupFixture } from '../stack/backup-fixture.ts';
import { stackUp } from '../stack/stack.ts';
import type { BenchResult } from './bench-result.ts';

const OBJECTS = Number(process.env.BENCH_BACKUP_OBJECTS ?? 100_000);
const SAMPLE = 20;
const FOLDER = 'backup-20261125T0300Z';

async function ensureBackup(s3: S3Client, store: S3ObjectStore, bucket: string): Promise<number> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch(() => undefined);
  const existing = await store.getText(bucket, `${FOLDER}/metadata.json`);
  if (existing && JSON.parse(existing).objectCount === OBJECTS) return 0;
  const started = performance.now();
  await writeBackupFixture(s3, {
    bucket,
    folder: FOLDER,
    objects: OBJECTS,
    completedAt: new Date(Date.now() - 3 * 3_600_000),
    s3Checksums: true,
    concurrency: 48,
  });
  return (performance.now() - started) / 1000;
}

async function bareListing(s3: S3Client, bucket: string): Promise<number> {
  let token: string | undefined;
  let count = 0;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: `${FOLDER}/`, ContinuationToken: token }),
    );
    count += page.KeyCount ?? 0;
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  // Spread over the backup, whatever its size: object i * OBJECTS / SAMPLE (always inside it).
  for (let i = 0; i < Math.min(SAMPLE, OBJECTS); i++) {
    const index = Math.floor((i * OBJECTS) / Math.min(SAMPLE, OBJECTS));
    const answer = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: `${FOLDER}/${fixtureObjectKey(index)}` }),
    );
    await answer.Body?.transformToByteArray();
  }
  return count;
}

export async function run(): Promise<BenchResult> {
  const { endpoints } = await stackUp(undefined, () => {});
  const s3 = new S3Client({
    ...s3ClientConfig({ region: endpoints.region, endpoint: endpoints.aws.endpoint }),
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 64 }) }),
  });
  const store = new S3ObjectStore(s3);
  const bucket = `bench-backup-${OBJECTS}`;
  const writeSeconds = await ensureBackup(s3, store, bucket);

  const floorStarted = performance.now();
  const listed = await bareListing(s3, bucket);
  const floorSeconds = (performance.now() - floorStarted) / 1000;

  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  let peakHeap = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => {
    const usage = process.memoryUsage();
    peakRss = Math.max(peakRss, usage.rss);
    peakHeap = Math.max(peakHeap, usage.heapUsed);
  }, 25);
  const started = performance.now();
  const verdict = await verifyBackup(store, {
    bucket,
    maxAgeHours: 26,
    sampleSize: SAMPLE,
    now: () => new Date(),
  });
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  if (!verdict.verified)
    throw new Error(`the benchmark backup failed verification: ${verdict.failures.join(', ')}`);

  return {
    title: `Backup verification of ${OBJECTS.toLocaleString('en-US')} objects (moto S3 on loopback)`,
    rows: [
      {
        name: 'verifyBackup (ours)',
        figures: {
          seconds,
          objects_per_s: OBJECTS / seconds,
          peak_rss_mb: peakRss / 2 ** 20,
          peak_heap_mb: peakHeap / 2 ** 20,
          sampled: verdict.sampled,
        },
      },
      {
        name: 'bare list + 20 GETs (floor)',
        figures: { seconds: floorSeconds, objects_per_s: listed / floorSeconds, sampled: SAMPLE },
      },
    ],
    ratios: { vs_bare_listing: floorSeconds / seconds },
    extra: {
      objects: OBJECTS,
      seconds,
      peak_rss_mb: peakRss / 2 ** 20,
      rss_before_mb: rssBefore / 2 ** 20,
      fixture_write_seconds: writeSeconds,
      verdict: { ...verdict, checks: verdict.checks },
    },
  };
}
