// Lambda edge of the cleanup job: invoked by hand (`aws lambda invoke --payload '{...}'`).
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { EKSClient } from '@aws-sdk/client-eks';
import { S3Client } from '@aws-sdk/client-s3';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { awsClientConfig, awsTargetFromEnv, s3ClientConfig, singleAttempt } from '../../core/aws.ts';
import { configFromEnv, ENV, requiredEnv } from '../../core/function-env.ts';
import { answerRefusals } from '../../core/refusals.ts';
import { eksKubernetes } from '../../core/adapters/eks.ts';
import { RETENTION_KEY, serviceSettings } from '../../core/service-config.ts';
import { S3ObjectStore } from '../../core/adapters/s3-object-store.ts';
import { cleanupJob } from './cleanup-job.ts';
import type { CleanupSummary } from './retention-cleanup.ts';
import { tracer, traced } from '../../core/tracing.ts';

const logger = new Logger();
const metrics = new Metrics();
const target = awsTargetFromEnv();
const s3 = traced(new S3Client(s3ClientConfig(target)));
/** DeleteObjects is retried by the batch loop alone (batch-delete.ts), so its client tries once. */
const deletes = traced(new S3Client(singleAttempt(s3ClientConfig(target))));
const lambda = traced(new LambdaClient(awsClientConfig(target)));
const config = configFromEnv();
const stateBucket = requiredEnv(ENV.stateBucket);
/** Stop taking new batches this long before the function's time limit, and continue in a fresh invocation. */
const PAUSE_MARGIN_MS = 60_000;

const kube = eksKubernetes({
  eks: traced(new EKSClient(awsClientConfig(target))),
  clusterName: config.cluster.name,
  region: target.region,
  credentials: defaultProvider(),
});

/** The manual's source of truth, `artifact.retention.days`; unreadable or missing: configuration, said so. */
async function configMapRetentionDays(): Promise<number | undefined> {
  try {
    const settings = await serviceSettings(await kube(), config.cluster);
    if (settings.retentionDays === undefined)
      logger.warn('retention from configuration', {
        reason: settings.missing[RETENTION_KEY],
        retentionDays: config.retention.defaultDays,
      });
    return settings.retentionDays;
  } catch (error) {
    logger.warn('retention from configuration: the ConfigMap could not be read', {
      reason: (error as Error).message,
      retentionDays: config.retention.defaultDays,
    });
    return undefined;
  }
}

export type CleanupResponse = CleanupSummary | { error: string };

async function cleanup(event: unknown, context: Context): Promise<CleanupResponse> {
  const summary = await cleanupJob(
    event,
    {
      config,
      store: new S3ObjectStore(s3, deletes),
      now: () => new Date(),
      stateBucket,
      configMapRetentionDays,
      // Lambda keeps the request id when it retries an asynchronous invoke: one request, one run.
      requestId: context.awsRequestId,
    },
    { shouldPause: () => context.getRemainingTimeInMillis() < PAUSE_MARGIN_MS },
  );
  metrics.addMetric('ObjectsDeleted', MetricUnit.Count, summary.deleted);
  metrics.addMetric('BytesFreed', MetricUnit.Bytes, summary.bytesFreed);
  metrics.addMetric('DeleteFailures', MetricUnit.Count, summary.failed);
  const { report, ...headline } = summary;
  logger.info('cleanup run', { ...headline, largest: report.largest.slice(0, 5) });
  if (summary.status === 'paused') {
    await lambda.send(
      new InvokeCommand({
        FunctionName: context.functionName,
        InvocationType: 'Event',
        Payload: Buffer.from(JSON.stringify({ resumeRunId: summary.runId, dryRun: false })),
      }),
    );
    logger.info('continuing in a fresh invocation', { runId: summary.runId });
  }
  return summary;
}

export const handler = middy(cleanup)
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .use(answerRefusals(logger, 'cleanup request'));
