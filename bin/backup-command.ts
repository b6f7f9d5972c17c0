// `mcp-ops backup verify`: the backup job's verdict on the latest backup.
import { S3Client } from '@aws-sdk/client-s3';
import { json, type CommandContext, type CommandResult } from './command-context.ts';
import { s3ClientConfig } from '../core/aws.ts';
import { S3ObjectStore } from '../core/adapters/s3-object-store.ts';
import { BackupRequestError, backupVerifyJob } from '../functions/backup/backup-job.ts';
import { formatBackupVerdict } from '../core/backup-verify.ts';

export async function run(context: CommandContext): Promise<CommandResult> {
  const { values } = context;
  const request: Record<string, unknown> = {};
  const bucket = values.bucket ?? context.endpoints?.buckets.backup;
  if (bucket) request.bucket = bucket;
  if (values.sample !== undefined) {
    if (!/^\d+$/.test(values.sample))
      throw new BackupRequestError(`--sample: expected a whole number, got "${values.sample}"`);
    request.sampleSize = Number(values.sample);
  }
  const maxAge = values['max-age-hours'];
  if (maxAge !== undefined) {
    if (!(Number(maxAge) > 0))
      throw new BackupRequestError(`--max-age-hours: expected a positive number, got "${maxAge}"`);
    request.maxAgeHours = Number(maxAge);
  }
  const verdict = await backupVerifyJob(request, {
    config: context.config,
    store: new S3ObjectStore(new S3Client(s3ClientConfig(context.target))),
    now: () => new Date(),
  });
  return {
    output: context.structured ? json(verdict) : formatBackupVerdict(verdict),
    exit: verdict.verified ? 0 : 1,
  };
}
