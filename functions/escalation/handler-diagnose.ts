// Lambda edge of the diagnosis follow-up: the incidents table's stream (new incidents only, by the
// event source's filter) or a direct {"incidentId": "INC-..."}; the page has gone before this runs.
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { EKSClient } from '@aws-sdk/client-eks';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import middy from '@middy/core';
import { z } from 'zod';
import { eksKubernetes } from '../../core/adapters/eks.ts';
import type { KubernetesClient } from '../../core/adapters/kubernetes-client.ts';
import { prometheusFromConfig } from '../../core/adapters/prometheus-access.ts';
import { awsClientConfig, awsTargetFromEnv, s3ClientConfig } from '../../core/aws.ts';
import { ENV, requiredEnv } from '../../core/function-env.ts';
import { answerRefusals } from '../../core/refusals.ts';
import { describeIssues } from '../../core/zod-issues.ts';
import { followUpIncident, type FollowUpOutcome } from './diagnosis-follow-up.ts';
import { escalationPorts, settingsFromEnv } from './wiring.ts';

const logger = new Logger();
const metrics = new Metrics();
const settings = settingsFromEnv();
const config = settings.config;
const reportsBucket = requiredEnv(ENV.reportsBucket);
const target = awsTargetFromEnv();
const ports = escalationPorts(target, settings);
const s3 = new S3Client(s3ClientConfig(target));
const credentials = defaultProvider();
const kube = eksKubernetes({
  eks: new EKSClient(awsClientConfig(target)),
  clusterName: config.cluster.name,
  region: target.region,
  credentials,
});
let current: Promise<KubernetesClient> | undefined;
const prometheus = prometheusFromConfig(config.prometheus, {
  kube: () => (current ??= kube()),
  region: target.region,
  credentials,
});

const INCIDENT_ID = /^INC-\d{8}-\d{3,}$/;
const StreamEvent = z.object({
  Records: z.array(
    z.object({
      eventID: z.string().optional(),
      eventName: z.string(),
      dynamodb: z.object({
        NewImage: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
      }),
    }),
  ),
});
const DirectEvent = z.object({ incidentId: z.string().regex(INCIDENT_ID) }).strict();

export class DiagnoseRequestError extends Error {
  override name = 'DiagnoseRequestError';
}

/** The incidents a stream batch opened (INSERTs of incident items), with their records' ids. */
function incidentsOf(event: unknown): Array<{ incidentId: string; itemId?: string }> {
  const direct = DirectEvent.safeParse(event);
  if (direct.success) return [{ incidentId: direct.data.incidentId }];
  const stream = StreamEvent.safeParse(event);
  if (!stream.success)
    throw new DiagnoseRequestError(
      `expected a DynamoDB stream batch or {"incidentId": "INC-YYYYMMDD-NNN"}: ${describeIssues(stream.error.issues)}`,
    );
  return stream.data.Records.flatMap((r) => {
    const id = r.dynamodb.NewImage?.id?.S;
    return r.eventName === 'INSERT' && typeof id === 'string' && INCIDENT_ID.test(id)
      ? [{ incidentId: id, ...(r.eventID ? { itemId: r.eventID } : {}) }]
      : [];
  });
}

async function followUp(event: unknown) {
  current = undefined;
  const kubernetes = await (current ??= kube());
  const deps = await ports.deps(() => new Date());
  const outcomes: FollowUpOutcome[] = [];
  const failures: Array<{ itemIdentifier: string }> = [];
  for (const { incidentId, itemId } of incidentsOf(event)) {
    try {
      const outcome = await followUpIncident(
        {
          diagnosis: { config, kube: kubernetes, prometheus, now: () => new Date() },
          store: deps.store,
          pager: deps.pager,
          tiers: deps.tiers,
          policy: deps.policy,
          ...(deps.chat ? { chat: deps.chat } : {}),
          ...(deps.runbookBaseUrl ? { runbookBaseUrl: deps.runbookBaseUrl } : {}),
          async archive(id, text, json) {
            const key = `reports/diagnosis/${id}`;
            await s3.send(
              new PutObjectCommand({
                Bucket: reportsBucket,
                Key: `${key}.json`,
                Body: json,
                ContentType: 'application/json',
              }),
            );
            await s3.send(
              new PutObjectCommand({
                Bucket: reportsBucket,
                Key: `${key}.txt`,
                Body: text,
                ContentType: 'text/plain; charset=utf-8',
              }),
            );
            return `s3://${reportsBucket}/${key}.txt`;
          },
        },
        incidentId,
      );
      outcomes.push(outcome);
      if (outcome.sent) {
        metrics.addMetric('DiagnosisSent', MetricUnit.Count, 1);
        metrics.addMetric('DiagnosisSeconds', MetricUnit.Seconds, outcome.diagnosis.durationMs / 1000);
        logger.info('diagnosis sent', {
          incidentId,
          to: outcome.to,
          headline: outcome.diagnosis.headline,
          failedParts: outcome.diagnosis.failedParts,
        });
      } else logger.info('no diagnosis sent', { ...outcome });
    } catch (error) {
      logger.error('diagnosis follow-up failed', { incidentId, error: (error as Error).message });
      if (!itemId) throw error;
      failures.push({ itemIdentifier: itemId });
    }
  }
  // Only the failed records are retried (ReportBatchItemFailures); sent ones are recorded on the incident.
  return {
    batchItemFailures: failures,
    outcomes: outcomes.map((o) => ({ incidentId: o.incidentId, sent: o.sent })),
  };
}

export const handler = middy(followUp)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .use(
    answerRefusals(
      (e): e is DiagnoseRequestError => e instanceof DiagnoseRequestError,
      (m, x) => logger.warn(m, { ...x }),
      'diagnosis request',
    ),
  );
