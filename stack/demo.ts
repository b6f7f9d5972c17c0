// npm run demo: the local stack is up (run before this); show a real job against it.
// Until the morning report lands (issue 4) the main job shown is the retention cleanup's dry run:
// the runbook's storage report of the local artifacts bucket, with nothing deleted.
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { s3ClientConfig } from '../core/aws.ts';
import { readEndpoints } from './endpoints.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const endpoints = readEndpoints();
const s3 = new S3Client(s3ClientConfig({ region: endpoints.region, endpoint: endpoints.aws.endpoint }));
const samples = [
  'builds/2026-11-01/app.tar',
  'builds/2026-11-20/app.tar',
  'models/semantic-v3.bin',
  'releases/v3.0.0.tar',
];
for (const [i, key] of samples.entries()) {
  await s3.send(
    new PutObjectCommand({ Bucket: endpoints.buckets.artifacts, Key: key, Body: 'x'.repeat(1024 * (i + 1)) }),
  );
}
const cli = join(import.meta.dirname, '..', 'bin', 'cli.ts');
const run = spawnSync(
  process.execPath,
  ['--import', 'tsx', cli, 'cleanup', '--local', '--protect', 'releases/'],
  {
    encoding: 'utf8',
  },
);
process.stdout.write(run.stdout);
process.stderr.write(run.stderr);
mkdirSync('out', { recursive: true });
writeFileSync(join('out', 'cleanup-dry-run.txt'), run.stdout);
console.log('\n(written to out/cleanup-dry-run.txt; `npm run stack:down` stops the local stack)');
process.exitCode = run.status ?? 1;
