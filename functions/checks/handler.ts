// Lambda edge of the checks job: EventBridge Scheduler sends {"report":"morning"|"evening"|"security"}
// at the team's times, and {"watchdog":"morning"|"evening"} at the delivery deadlines.
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { ECRClient } from '@aws-sdk/client-ecr';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { awsClientConfig, awsTargetFromEnv, s3ClientConfig } from '../../core/aws.ts';
import { clusterReaders } from '../../core/adapters/cluster-readers.ts';
import { awsReportChannels } from './adapters/report-channels.ts';
import { checksEnvironment, runChecksEvent } from './checks-job.ts';
import { EcrImageScans } from './adapters/ecr-image-scans.ts';
import { tracer, traced } from '../../core/tracing.ts';
import { answerRefusals } from '../../core/refusals.ts';

const logger = new Logger();
const metrics = new Metrics();
const env = checksEnvironment(process.env);
const target = awsTargetFromEnv();
const s3 = traced(new S3Client(s3ClientConfig(target)));
const sns = traced(new SNSClient(awsClientConfig(target)));
const mail = env.config.reports.email;
const channels = awsReportChannels(
  { s3, sns },
  env.reportsTopicArn,
  env.reportsBucket,
  mail && {
    ses: traced(new SESv2Client(awsClientConfig(target))),
    from: mail.from,
    to: env.config.reports.recipients,
    ...(env.mailConfigurationSet ? { configurationSet: env.mailConfigurationSet } : {}),
  },
);
const cluster = clusterReaders(env.config, target, traced);

async function checks(event: unknown, context: Context) {
  cluster.fresh();
  return runChecksEvent(event, {
    // Lambda keeps the request id when it retries an asynchronous invoke: a retry sends nothing twice.
    invocationId: context.awsRequestId,
    config: env.config,
    kube: cluster.kube,
    prometheus: cluster.prometheus,
    imageScans: new EcrImageScans(traced(new ECRClient(awsClientConfig(target)))),
    channels,
    store: channels.store,
    ...(env.alertsTopic
      ? {
          securityAlerts: {
            publish: async (subject: string, message: string) => {
              await sns.send(
                new PublishCommand({ TopicArn: env.alertsTopic, Subject: subject, Message: message }),
              );
            },
          },
        }
      : {}),
    now: () => new Date(),
    logger: {
      info: (message, extra) => logger.info(message, { ...extra }),
      error: (message, extra) => logger.error(message, { ...extra }),
    },
    metric: (name, value, unit, report) => {
      const single = metrics.singleMetric();
      single.addDimension('report', report);
      single.addMetric(name, unit === 'seconds' ? MetricUnit.Seconds : MetricUnit.Count, value);
    },
  });
}

export const handler = middy(checks)
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .use(answerRefusals(logger, 'checks request'));
