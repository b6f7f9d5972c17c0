// Lambda edge of the diagnosis follow-up and the post-incident review: the incidents table's
// stream (by the event source's filters: new incidents, and incidents a person resolved) or a
// direct {"incidentId": "INC-...", "review"?: true}; the page has gone before this runs.
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { clusterReaders } from '../../core/adapters/cluster-readers.ts';
import { S3ObjectStore } from '../../core/adapters/s3-object-store.ts';
import { awsTargetFromEnv, s3ClientConfig } from '../../core/aws.ts';
import { ENV, optionalEnv, requiredEnv } from '../../core/function-env.ts';
import { S3EvidenceStore } from '../../core/adapters/s3-evidence-store.ts';
import type { EscalationDeps } from '../../core/incidents/deps.ts';
import { afterQuarantine, type SecurityFollowUpDeps } from './security-follow-up.ts';
import { answerRefusals } from '../../core/refusals.ts';
import { workOf, type Work } from './request.ts';
import { followUpIncident, type FollowUpOutcome } from './follow-up.ts';
import { writeReview } from './review.ts';
import { escalationPorts, settingsFromEnv } from '../../core/incidents/wiring.ts';
import { tracer, traced } from '../../core/tracing.ts';

const logger = new Logger();
const metrics = new Metrics();
const settings = settingsFromEnv();
const config = settings.config;
const reportsBucket = requiredEnv(ENV.reportsBucket);
const target = awsTargetFromEnv();
const ports = escalationPorts(target, settings, traced);
const s3 = traced(new S3Client(s3ClientConfig(target)));
const cluster = clusterReaders(config, target, traced);
const prometheus = cluster.prometheus;

/** Keeps a file of the incident's in the reports bucket; answers where a person finds it. */
async function putReport(key: string, body: string, contentType: string): Promise<string> {
  await s3.send(
    new PutObjectCommand({ Bucket: reportsBucket, Key: key, Body: body, ContentType: contentType }),
  );
  return `s3://${reportsBucket}/${key}`;
}

const evidenceBucket = optionalEnv(ENV.evidenceBucket);
const evidenceStore = evidenceBucket ? new S3EvidenceStore(s3, evidenceBucket) : undefined;

/** The Security Team and the evidence capture, for a security incident's follow-ups. */
function securityDeps(deps: EscalationDeps): SecurityFollowUpDeps {
  return {
    ...(deps.security ? { team: deps.security.team } : {}),
    ...(evidenceStore
      ? {
          evidence: {
            source: () => cluster.kube(),
            store: evidenceStore,
            namespace: config.cluster.namespace,
            retentionDays: config.security.evidenceRetentionDays,
          },
        }
      : {}),
  };
}

async function followUp(event: unknown) {
  // The cluster is connected on first use: a batch of reviews alone never needs it.
  cluster.fresh();
  const deps = await ports.deps(() => new Date());
  const outcomes: Array<{ incidentId: string; kind: Work['kind']; done: boolean }> = [];
  const failures: Array<{ itemIdentifier: string }> = [];
  for (const { kind, incidentId, itemId } of workOf(event)) {
    try {
      if (kind === 'evidence') {
        const done = await afterQuarantine(
          { ...deps, ...securityDeps(deps), now: () => new Date() },
          incidentId,
        );
        outcomes.push({ incidentId, kind, done: done.captured });
        logger.info(done.captured ? 'evidence captured after quarantine' : 'no second capture', {
          incidentId,
          ...done,
        });
        continue;
      }
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
            archive: (id, markdown) =>
              putReport(`reports/reviews/${id}.md`, markdown, 'text/markdown; charset=utf-8'),
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
          diagnosis: {
            config,
            kube: await cluster.kube(),
            prometheus,
            cleanupRuns: { store: new S3ObjectStore(s3), bucket: reportsBucket },
            now: () => new Date(),
          },
          store: deps.store,
          pager: deps.pager,
          tiers: deps.tiers,
          policy: deps.policy,
          ...(deps.chat ? { chat: deps.chat } : {}),
          ...(deps.runbookBaseUrl ? { runbookBaseUrl: deps.runbookBaseUrl } : {}),
          ...(deps.links.mitigateBaseUrl
            ? {
                mitigationLinks: {
                  baseUrl: deps.links.mitigateBaseUrl,
                  secret: deps.links.secret,
                  ttlHours: config.mitigation.linkHours,
                },
              }
            : {}),
          security: securityDeps(deps),
          async archive(id, text, json) {
            await putReport(`reports/diagnosis/${id}.json`, json, 'application/json');
            return putReport(`reports/diagnosis/${id}.txt`, text, 'text/plain; charset=utf-8');
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
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .use(answerRefusals(logger, 'diagnosis request'));
