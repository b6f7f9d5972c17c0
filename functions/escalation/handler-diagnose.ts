// Lambda edge of the diagnosis follow-up and the post-incident review: the incidents table's
// stream (by the event source's filters: new incidents, and incidents a person resolved) or a
// direct {"incidentId": "INC-...", "review"?: true}; the page has gone before this runs.
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import { z } from 'zod';
import { clusterReaders } from '../../core/adapters/cluster-readers.ts';
import { awsTargetFromEnv, s3ClientConfig } from '../../core/aws.ts';
import { ENV, requiredEnv } from '../../core/function-env.ts';
import { answerRefusals } from '../../core/refusals.ts';
import { describeIssues } from '../../core/zod-issues.ts';
import { followUpIncident, type FollowUpOutcome } from './diagnosis-follow-up.ts';
import { writeReview } from './review.ts';
import { escalationPorts, settingsFromEnv } from './wiring.ts';

const logger = new Logger();
const metrics = new Metrics();
const settings = settingsFromEnv();
const config = settings.config;
const reportsBucket = requiredEnv(ENV.reportsBucket);
const target = awsTargetFromEnv();
const ports = escalationPorts(target, settings);
const s3 = new S3Client(s3ClientConfig(target));
const cluster = clusterReaders(config, target);
const prometheus = cluster.prometheus;

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
const DirectEvent = z
  .object({ incidentId: z.string().regex(INCIDENT_ID), review: z.boolean().optional() })
  .strict();

export class DiagnoseRequestError extends Error {
  override name = 'DiagnoseRequestError';
}

type Work = { kind: 'diagnose' | 'review'; incidentId: string; itemId?: string };

/**
 * What a stream batch asks for: a new incident (INSERT) is diagnosed; an incident a person resolved
 * (MODIFY to status resolved) gets its post-incident review. Each with its record's id.
 */
function workOf(event: unknown): Work[] {
  const direct = DirectEvent.safeParse(event);
  if (direct.success)
    return [{ kind: direct.data.review ? 'review' : 'diagnose', incidentId: direct.data.incidentId }];
  const stream = StreamEvent.safeParse(event);
  if (!stream.success)
    throw new DiagnoseRequestError(
      `expected a DynamoDB stream batch or {"incidentId": "INC-YYYYMMDD-NNN"}: ${describeIssues(stream.error.issues)}`,
    );
  return stream.data.Records.flatMap((r): Work[] => {
    const image = r.dynamodb.NewImage;
    const id = image?.id?.S;
    if (typeof id !== 'string' || !INCIDENT_ID.test(id)) return [];
    const itemId = r.eventID ? { itemId: r.eventID } : {};
    if (r.eventName === 'INSERT') return [{ kind: 'diagnose', incidentId: id, ...itemId }];
    if (r.eventName === 'MODIFY' && image?.status?.S === 'resolved' && image.review === undefined)
      return [{ kind: 'review', incidentId: id, ...itemId }];
    return [];
  });
}

async function followUp(event: unknown) {
  cluster.fresh();
  const kubernetes = await cluster.kube();
  const deps = await ports.deps(() => new Date());
  const outcomes: Array<{ incidentId: string; kind: Work['kind']; done: boolean }> = [];
  const failures: Array<{ itemIdentifier: string }> = [];
  for (const { kind, incidentId, itemId } of workOf(event)) {
    try {
      if (kind === 'review') {
        const review = await writeReview(
          {
            store: deps.store,
            prometheus,
            pager: deps.pager,
            tiers: deps.tiers,
            ...(deps.chat ? { chat: deps.chat } : {}),
            ...(deps.runbookBaseUrl ? { runbookBaseUrl: deps.runbookBaseUrl } : {}),
            now: () => new Date(),
            async archive(id, markdown) {
              const key = `reports/reviews/${id}.md`;
              await s3.send(
                new PutObjectCommand({
                  Bucket: reportsBucket,
                  Key: key,
                  Body: markdown,
                  ContentType: 'text/markdown; charset=utf-8',
                }),
              );
              return `s3://${reportsBucket}/${key}`;
            },
          },
          incidentId,
        );
        outcomes.push({ incidentId, kind, done: review.written });
        if (review.written)
          logger.info('post-incident review drafted', { incidentId, ref: review.ref, to: review.to });
        else logger.info('no review written', { ...review });
        continue;
      }
      const outcome: FollowUpOutcome = await followUpIncident(
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
      outcomes.push({ incidentId, kind, done: outcome.sent });
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
      logger.error(`${kind === 'review' ? 'post-incident review' : 'diagnosis follow-up'} failed`, {
        incidentId,
        error: (error as Error).message,
      });
      if (!itemId) throw error;
      failures.push({ itemIdentifier: itemId });
    }
  }
  // Only the failed records are retried (ReportBatchItemFailures); sent ones are recorded on the incident.
  return { batchItemFailures: failures, outcomes };
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
