// Retention cleanup at scale on the local S3 server: ours vs the endpoint's raw DeleteObjects limit
// vs the manual's `aws s3 ls | awk | xargs aws s3 rm` pipeline (timed on a sample, extrapolated).
import { CreateBucketCommand, DeleteObjectsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Agent } from 'node:http';
import { s3ClientConfig, type AwsTarget } from '../core/aws.ts';
import { stackUp } from '../stack/stack.ts';
import { bundleChild } from './bundle.ts';
import type { BenchResult } from './bench-result.ts';

const OBJECTS = Number(process.env.BENCH_CLEANUP_OBJECTS ?? 200_000);
const RAW_PER_LEVEL = Number(process.env.BENCH_CLEANUP_RAW_PER_LEVEL ?? 20_000);
const RAW_LEVELS = [1, 4, 8, 16, 32];
const MANUAL_SAMPLE = Number(process.env.BENCH_CLEANUP_MANUAL_SAMPLE ?? 1_000);
const PREFIXES = 20;

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

interface ChildFigures {
  mode: string;
  objects: number;
  deleted: number;
  ms: number;
  cpu_us: number;
  peak_rss_mb: number;
}

function runChild(bundle: string, args: Record<string, string | number>): ChildFigures {
  const run = spawnSync(
    process.execPath,
    [bundle, ...Object.entries(args).flatMap(([k, v]) => [`--${k}`, String(v)])],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (run.status !== 0) throw new Error(`${String(args.mode)} failed: ${run.stderr}`);
  const figures = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as ChildFigures;
  if (figures.deleted !== figures.objects)
    throw new Error(`${figures.mode} deleted ${figures.deleted} of ${figures.objects}`);
  return figures;
}

const perSecond = (f: ChildFigures) => f.objects / (f.ms / 1000);
const cpuPerObject = (f: ChildFigures) => f.cpu_us / f.objects;

export async function run(): Promise<BenchResult> {
  const { endpoints } = await stackUp(undefined, () => {});
  const target = { region: endpoints.region, endpoint: endpoints.aws.endpoint };
  const s3 = client(target);
  const tag = randomUUID().slice(0, 6);
  const bundle = await bundleChild('cleanup-child');
  const small = Math.max(1_000, Math.round(OBJECTS / 5));
  const child = {
    endpoint: endpoints.aws.endpoint,
    region: endpoints.region,
    'state-bucket': endpoints.buckets.reports,
  };

  // Every contender's bucket is filled before any is timed, so no timing shares the machine with a fill.
  const buckets = { ours: `bench-ours-${tag}`, oursSmall: `bench-small-${tag}`, bare: `bench-bare-${tag}` };
  for (const [name, bucket] of Object.entries(buckets)) {
    const count = name === 'oursSmall' ? small : OBJECTS;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    console.log(`creating ${count} objects in ${bucket} ...`);
    const seconds = await populate(s3, bucket, keySet(count, name));
    console.log(`  ${seconds.toFixed(1)} s (${(count / seconds).toFixed(0)} puts/s)`);
  }

  // 1. The bare loop and ours, each in its own process, on the same endpoint in the same run.
  const bare = runChild(bundle, {
    ...child,
    mode: 'bare',
    bucket: buckets.bare,
    objects: OBJECTS,
    concurrency: 16,
  });
  console.log(
    `  bare list+delete: ${perSecond(bare).toFixed(0)} objects/s, ${cpuPerObject(bare).toFixed(0)} µs CPU/object`,
  );
  const ours = runChild(bundle, { ...child, mode: 'ours', bucket: buckets.ours, objects: OBJECTS });
  console.log(
    `  ours: ${perSecond(ours).toFixed(0)} objects/s, ${cpuPerObject(ours).toFixed(0)} µs CPU/object`,
  );
  // Memory must not grow with the bucket: ours again on a fifth of it.
  const oursSmall = runChild(bundle, { ...child, mode: 'ours', bucket: buckets.oursSmall, objects: small });
  console.log(
    `  ours on ${small}: peak RSS ${oursSmall.peak_rss_mb.toFixed(0)} MB vs ${ours.peak_rss_mb.toFixed(0)} MB`,
  );

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

  // 3. The manual's pipeline on a sample.
  const manualBucket = `bench-manual-${tag}`;
  await s3.send(new CreateBucketCommand({ Bucket: manualBucket }));
  await populate(s3, manualBucket, keySet(MANUAL_SAMPLE, 'm'));
  console.log(`running the manual's pipeline on ${MANUAL_SAMPLE} objects ...`);
  const manual = manualPipeline(endpoints.aws.endpoint, manualBucket);
  const manualRate = manual.deleted / manual.seconds;

  const row = (f: ChildFigures) => ({
    objects: f.objects,
    seconds: f.ms / 1000,
    'objects/s': perSecond(f),
    'cpu µs/object': cpuPerObject(f),
    'peak rss MB': f.peak_rss_mb,
  });
  return {
    title: `Retention cleanup of ${OBJECTS} objects on the local S3 server (moto), each contender in its own process`,
    rows: [
      { name: 'mcp-ops cleanup (list + report + journal + delete)', figures: row(ours) },
      { name: `mcp-ops cleanup on ${small} objects`, figures: row(oursSmall) },
      { name: 'bare ListObjectsV2 + DeleteObjects loop', figures: row(bare) },
      {
        name: `raw DeleteObjects of known keys (best: ${bestLevel})`,
        figures: { objects: RAW_PER_LEVEL, 'objects/s': rawBest },
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
      {
        name: "target: CPU per object for S3's 3,500 DELETE/s per prefix",
        figures: { 'cpu µs/object': 280 },
      },
    ],
    ratios: {
      vs_raw_list_delete: perSecond(ours) / perSecond(bare),
      cpu_per_object_vs_bare: cpuPerObject(ours) / cpuPerObject(bare),
      ours_cpu_us_per_object: cpuPerObject(ours),
      bare_cpu_us_per_object: cpuPerObject(bare),
      peak_rss_vs_fifth: ours.peak_rss_mb / oursSmall.peak_rss_mb,
      vs_raw: perSecond(ours) / rawBest,
      vs_manual: perSecond(ours) / manualRate,
    },
    extra: { rawRates, ours, oursSmall, bare },
  };
}
