// Lambda edge of backup verification: invoked daily by EventBridge Scheduler (and by hand).
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { S3Client } from '@aws-sdk/client-s3';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { awsTargetFromEnv, s3ClientConfig } from '../../core/aws.ts';
import { configFromEnv } from '../../core/function-env.ts';
import { answerRefusals } from '../../core/refusals.ts';
import { S3ObjectStore } from '../../core/adapters/s3-object-store.ts';
import { backupVerifyJob } from './backup-job.ts';
import type { BackupVerdict } from '../../core/backup-verify.ts';
import { tracer, traced } from '../../core/tracing.ts';

const logger = new Logger();
const metrics = new Metrics();
const config = configFromEnv();
const store = new S3ObjectStore(traced(new S3Client(s3ClientConfig(awsTargetFromEnv()))));

export type BackupResponse = BackupVerdict | { error: string };

async function verify(event: unknown): Promise<BackupResponse> {
  const verdict = await backupVerifyJob(event, { config, store, now: () => new Date() });
  // BackupVerified 0 pages through the alarm; its absence for a day pages too (it did not run).
  metrics.addMetric('BackupVerified', MetricUnit.Count, verdict.verified ? 1 : 0);
  if (verdict.ageHours !== undefined)
    metrics.addMetric('BackupAgeHours', MetricUnit.NoUnit, verdict.ageHours);
  const { checks, ...headline } = verdict;
  if (verdict.verified) logger.info('backup verified', { ...headline });
  else logger.error('backup verification failed', { ...headline, checks });
  return verdict;
}

export const handler = middy(verify)
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .use(answerRefusals(logger, 'backup verification request'));
