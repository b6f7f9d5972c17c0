// One cleanup contender in its own process, bundled as the Lambda function is and run by plain node,
// so its CPU time and peak memory are its own:
//   ours  the real job (list, storage report, journal, manifest, delete) over the bucket
//   bare  a ListObjectsV2 page, DeleteObjects of it (Quiet), repeat, deletes in flight up to N
// Prints one JSON line: objects, wall ms, CPU µs (user + system), peak RSS.
import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Agent } from 'node:http';
import { parseArgs } from 'node:util';
import { s3ClientConfig, singleAttempt } from '../core/aws.ts';
import { parseConfig } from '../core/config.ts';
import { S3ObjectStore } from '../core/adapters/s3-object-store.ts';
import { cleanupJob } from '../functions/cleanup/cleanup-job.ts';

const DAY_MS = 86_400_000;
const { values } = parseArgs({
  options: {
    mode: { type: 'string' },
    endpoint: { type: 'string' },
    region: { type: 'string', default: 'us-east-1' },
    bucket: { type: 'string' },
    'state-bucket': { type: 'string' },
    objects: { type: 'string' },
    concurrency: { type: 'string', default: '16' },
  },
});
const objects = Number(values.objects);
const s3Config = {
  ...s3ClientConfig({ region: values.region!, endpoint: values.endpoint! }),
  requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 64 }) }),
};
const s3 = new S3Client(s3Config);
/** As the cleanup function has it: DeleteObjects retried by the batch loop alone. */
const deletes = new S3Client(singleAttempt(s3Config));

async function ours(): Promise<number> {
  const summary = await cleanupJob(
    { bucket: values.bucket, retentionDays: 90, dryRun: false, maxDeletes: objects },
    {
      config: parseConfig({}),
      store: new S3ObjectStore(s3, deletes),
      // Every object is older than the cutoff: 91 days from now, the 90-day retention has passed.
      now: () => new Date(Date.now() + 91 * DAY_MS),
      stateBucket: values['state-bucket']!,
      configMapRetentionDays: async () => undefined,
    },
  );
  return summary.deleted;
}

async function bare(): Promise<number> {
  const concurrency = Number(values.concurrency);
  const inFlight = new Set<Promise<unknown>>();
  let deleted = 0;
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: values.bucket, ContinuationToken: token }));
    const batch = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
    if (batch.length > 0) {
      const call = s3
        .send(new DeleteObjectsCommand({ Bucket: values.bucket, Delete: { Objects: batch, Quiet: true } }))
        .then((answer) => (deleted += batch.length - (answer.Errors?.length ?? 0)));
      inFlight.add(call);
      void call.finally(() => inFlight.delete(call));
      if (inFlight.size >= concurrency) await Promise.race(inFlight);
    }
    token = page.NextContinuationToken;
  } while (token);
  await Promise.all(inFlight);
  return deleted;
}

const cpuBefore = process.cpuUsage();
const started = performance.now();
const deleted = values.mode === 'ours' ? await ours() : await bare();
const ms = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
console.log(
  JSON.stringify({
    mode: values.mode,
    objects,
    deleted,
    ms,
    cpu_us: cpu.user + cpu.system,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
  }),
);
