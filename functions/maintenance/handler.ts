// Lambda edge of the maintenance job: EventBridge Scheduler sends
// {"stage": "notice"|"reminder"|"pre-24h"|"pre-1h"|"watch"|"post", "at": <scheduled time>}.
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { clusterReaders } from '../../core/adapters/cluster-readers.ts';
import { S3ObjectStore } from '../../core/adapters/s3-object-store.ts';
import { awsClientConfig, awsTargetFromEnv, s3ClientConfig } from '../../core/aws.ts';
import { configFromEnv, ENV, optionalEnv, requiredEnv } from '../../core/function-env.ts';
import { answerRefusals } from '../../core/refusals.ts';
import { alertsTopicPager, maintenanceMailer, openIncidentsFrom } from './adapters/aws-maintenance.ts';
import { runMaintenanceEvent } from './maintenance-job.ts';
import { tracer, traced } from '../../core/tracing.ts';

const logger = new Logger();
const metrics = new Metrics();
const config = configFromEnv();
const env = {
  reportsTopic: requiredEnv(ENV.reportsTopic),
  reportsBucket: requiredEnv(ENV.reportsBucket),
  alertsTopic: requiredEnv(ENV.alertsTopic),
  incidentsTable: requiredEnv(ENV.incidentsTable),
  configurationSet: optionalEnv(ENV.mailConfigurationSet),
};
const target = awsTargetFromEnv();
const sns = traced(new SNSClient(awsClientConfig(target)));
const cluster = clusterReaders(config, target, traced);
const mail = config.reports.email;
const mailer = maintenanceMailer({
  sns,
  reportsTopicArn: env.reportsTopic,
  ...(mail
    ? {
        ses: {
          client: traced(new SESv2Client(awsClientConfig(target))),
          from: mail.from,
          ...(env.configurationSet ? { configurationSet: env.configurationSet } : {}),
        },
      }
    : {}),
});
const db = DynamoDBDocumentClient.from(traced(new DynamoDBClient(awsClientConfig(target))));

async function maintenance(event: unknown) {
  cluster.fresh();
  const outcome = await runMaintenanceEvent(event, {
    config,
    kube: await cluster.kube(),
    prometheus: cluster.prometheus,
    store: new S3ObjectStore(traced(new S3Client(s3ClientConfig(target)))),
    stateBucket: env.reportsBucket,
    mail: mailer,
    page: alertsTopicPager(sns, env.alertsTopic),
    openIncidents: openIncidentsFrom(db, env.incidentsTable),
    now: () => new Date(),
  });
  if ('result' in outcome) {
    const failed = outcome.result.items.filter((i) => i.status === 'FAIL').map((i) => i.name);
    metrics.addDimension('stage', outcome.stage);
    metrics.addMetric('MaintenanceCheckPassed', MetricUnit.Count, outcome.result.passed ? 1 : 0);
    if (outcome.result.passed)
      logger.info('maintenance check passed', { stage: outcome.stage, window: outcome.window });
    else logger.error('maintenance check failed', { stage: outcome.stage, window: outcome.window, failed });
  } else logger.info('maintenance step', { ...outcome });
  return outcome;
}

export const handler = middy(maintenance)
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .use(answerRefusals(logger, 'maintenance request'));
