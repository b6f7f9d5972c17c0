// Retention cleanup at scale on the local S3 server: ours vs the endpoint's raw DeleteObjects limit
// vs the manual's `aws s3 ls | awk | xargs aws s3 rm` pipeline (timed on a sample, extrapolated).
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Agent } from 'node:http';
import { s3ClientConfig, type AwsTarget } from '../core/aws.ts';
import { parseConfig } from '../core/config.ts';
import { S3ObjectStore } from '../core/s3-object-store.ts';
import { cleanupJob } from '../functions/cleanup/cleanup-job.ts';
import { stackUp } from '../stack/stack.ts';
import type { BenchResult } from './run.ts';

const OBJECTS = Number(process.env.BENCH_CLEANUP_OBJECTS ?? 200_000);
const RAW_PER_LEVEL = Number(process.env.BENCH_CLEANUP_RAW_PER_LEVEL ?? 20_000);
const RAW_LEVELS = [1, 4, 8, 16, 32];
const MANUAL_SAMPLE = Number(process.env.BENCH_CLEANUP_MANUAL_SAMPLE ?? 1_000);
const PREFIXES = 20;
const DAY_MS = 86_400_000;

function client(target: AwsTarget): S3Client {
  return new S3Client({
    ...s3ClientConfig(target),
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 64 }) }),
  });
}

async function populate(s3: S3Client, bucket: string, keys: readonly string[]): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 48 }, async () => {
      while (next < keys.length) {
        const Key = keys[next++]!;
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'x' }));
      }
    }),
  );
  return (performance.now() - started) / 1000;
}

function keySet(count: number, tag: string): string[] {
  return Array.from(
    { length: count },
    (_, i) => `${tag}-${String(i % PREFIXES).padStart(2, '0')}/obj-${String(i).padStart(7, '0')}.bin`,
  );
}

/** DeleteObjects in a tight loop over known keys (no listing, no journal): the endpoint's limit. */
async function rawRate(
  s3: S3Client,
  bucket: string,
  keys: readonly string[],
  concurrency: number,
): Promise<number> {
  const batches: string[][] = [];
  for (let i = 0; i < keys.length; i += 1000) batches.push(keys.slice(i, i + 1000));
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < batches.length) {
        const batch = batches[next++]!;
        await s3.send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        );
      }
    }),
  );
  return keys.length / ((performance.now() - started) / 1000);
}

/** List a page, delete it, repeat (deletes in flight up to `concurrency`): the endpoint's limit for a job that must list. */
async function rawListDeleteRate(
  s3: S3Client,
  bucket: string,
  total: number,
  concurrency: number,
): Promise<number> {
  const started = performance.now();
  const inFlight = new Set<Promise<unknown>>();
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    const objects = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
    if (objects.length > 0) {
      const call = s3.send(
        new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }),
      );
      inFlight.add(call);
      void call.finally(() => inFlight.delete(call));
      if (inFlight.size >= concurrency) await Promise.race(inFlight);
    }
    token = page.NextContinuationToken;
  } while (token);
  await Promise.all(inFlight);
  return total / ((performance.now() - started) / 1000);
}

function manualPipeline(endpoint: string, bucket: string): { seconds: number; deleted: number } {
  if (
    spawnSync('sh', ['-c', 'command -v aws && aws --version'], { encoding: 'utf8' }).stdout.includes(
      'aws-cli/2.9',
    ) === false
  ) {
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'awscli'], {
      stdio: 'inherit',
    });
  }
  // The runbook's command as written, pointed at the local endpoint; "90 days ago" becomes tomorrow
  // so every sample object is older than the cutoff.
  const script = `aws --endpoint-url ${endpoint} s3 ls s3://${bucket}/ --recursive | \
  awk '{if ($1 < "'$(date -d 'tomorrow' +%Y-%m-%d)'") print $4}' | \
  xargs -I {} aws --endpoint-url ${endpoint} s3 rm s3://${bucket}/{}`;
  const started = performance.now();
  const run = spawnSync('bash', ['-c', script], {
    encoding: 'utf8',
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_DEFAULT_REGION: 'us-east-1',
      PATH: `/usr/bin:${process.env.PATH}`,
    },
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = (performance.now() - started) / 1000;
  const deleted = (run.stdout.match(/^delete: /gm) ?? []).length;
  if (deleted === 0) throw new Error(`the manual's pipeline deleted nothing: ${run.stderr.slice(0, 500)}`);
  return { seconds, deleted };
}

export async function run(): Promise<BenchResult> {
  const { endpoints } = await stackUp(undefined, () => {});
  const target = { region: endpoints.region, endpoint: endpoints.aws.endpoint };
  const s3 = client(target);
  const tag = randomUUID().slice(0, 6);

  // 1. Ours: the real job (listing, report, journal, manifest) over OBJECTS objects in PREFIXES prefixes.
  const ourBucket = `bench-ours-${tag}`;
  await s3.send(new CreateBucketCommand({ Bucket: ourBucket }));
  console.log(`creating ${OBJECTS} objects ...`);
  const populateSeconds = await populate(s3, ourBucket, keySet(OBJECTS, 'p'));
  console.log(`  ${populateSeconds.toFixed(1)} s (${(OBJECTS / populateSeconds).toFixed(0)} puts/s)`);
  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  const started = performance.now();
  const summary = await cleanupJob(
    { bucket: ourBucket, retentionDays: 90, dryRun: false, maxDeletes: OBJECTS },
    {
      config: parseConfig({}),
      store: new S3ObjectStore(s3),
      now: () => new Date(Date.now() + 91 * DAY_MS),
      stateBucket: endpoints.buckets.reports,
      configMapRetentionDays: async () => undefined,
    },
  );
  const ourSeconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  if (summary.deleted !== OBJECTS) throw new Error(`ours deleted ${summary.deleted} of ${OBJECTS}`);
  const ourRate = OBJECTS / ourSeconds;
  console.log(`  ours: ${ourRate.toFixed(0)} objects/s`);

  // 2. The endpoint's raw limit: DeleteObjects of known keys at several concurrencies; the best counts.
  const rawBucket = `bench-raw-${tag}`;
  await s3.send(new CreateBucketCommand({ Bucket: rawBucket }));
  const rawKeys = keySet(RAW_PER_LEVEL * RAW_LEVELS.length, 'r');
  console.log(`creating ${rawKeys.length} objects for the raw limit ...`);
  await populate(s3, rawBucket, rawKeys);
  const rawRates: Record<string, number> = {};
  for (const [i, level] of RAW_LEVELS.entries()) {
    // Each level deletes its own keys, spread across prefixes like ours.
    const slice = rawKeys.filter((_, k) => k % RAW_LEVELS.length === i);
    rawRates[`c${level}`] = await rawRate(s3, rawBucket, slice, level);
    console.log(`  raw at concurrency ${level}: ${rawRates[`c${level}`]!.toFixed(0)} objects/s`);
  }
  const [bestLevel, rawBest] = Object.entries(rawRates).sort((a, b) => b[1] - a[1])[0]!;

  // 2b. A job must list to find its objects: the same endpoint's list-then-delete loop, same size as ours.
  const listDeleteBucket = `bench-listdel-${tag}`;
  await s3.send(new CreateBucketCommand({ Bucket: listDeleteBucket }));
  console.log(`creating ${OBJECTS} objects for the list+delete loop ...`);
  await populate(s3, listDeleteBucket, keySet(OBJECTS, 'l'));
  const rawListDelete = await rawListDeleteRate(s3, listDeleteBucket, OBJECTS, Number(bestLevel.slice(1)));
  console.log(`  raw list+delete: ${rawListDelete.toFixed(0)} objects/s`);

  // 3. The manual's pipeline on a sample.
  const manualBucket = `bench-manual-${tag}`;
  await s3.send(new CreateBucketCommand({ Bucket: manualBucket }));
  await populate(s3, manualBucket, keySet(MANUAL_SAMPLE, 'm'));
  console.log(`running the manual's pipeline on ${MANUAL_SAMPLE} objects ...`);
  const manual = manualPipeline(endpoints.aws.endpoint, manualBucket);
  const manualRate = manual.deleted / manual.seconds;

  return {
    title: `Retention cleanup of ${OBJECTS} objects on the local S3 server (moto), objects deleted per second`,
    rows: [
      {
        name: 'mcp-ops cleanup (list + report + journal + delete)',
        figures: { objects: OBJECTS, seconds: ourSeconds, 'objects/s': ourRate },
      },
      {
        name: `raw DeleteObjects loop (best: ${bestLevel})`,
        figures: { objects: RAW_PER_LEVEL, 'objects/s': rawBest },
      },
      {
        name: 'raw ListObjectsV2 + DeleteObjects loop',
        figures: { objects: OBJECTS, 'objects/s': rawListDelete },
      },
      {
        name: 'manual: aws s3 ls | awk | xargs aws s3 rm',
        figures: {
          objects: manual.deleted,
          seconds: manual.seconds,
          'objects/s': manualRate,
          'extrapolated s': OBJECTS / manualRate,
        },
      },
    ],
    ratios: {
      vs_raw: ourRate / rawBest,
      vs_raw_list_delete: ourRate / rawListDelete,
      vs_manual: ourRate / manualRate,
    },
    extra: { rawRates, peak_rss_mb: peakRss / 2 ** 20, summary: { ...summary, report: undefined } },
  };
}
