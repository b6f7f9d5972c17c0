// Lambda edge: every minute, climb the ladder for incidents nobody acknowledged.
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { awsTargetFromEnv } from '../../core/aws.ts';
import { escalateDueIncidents, type TickOutcome } from './tick.ts';
import { escalationPorts, powertoolsMetrics, settingsFromEnv } from '../../core/incidents/wiring.ts';
import { tracer, traced } from '../../core/tracing.ts';

const logger = new Logger();
const metrics = new Metrics();
const ports = escalationPorts(awsTargetFromEnv(), settingsFromEnv(), traced);

async function tick(): Promise<TickOutcome> {
  const outcome = await escalateDueIncidents(await ports.deps(() => new Date(), powertoolsMetrics(metrics)));
  // A heartbeat: an alarm on its absence says the ladder has stopped climbing.
  metrics.addMetric('TickCompleted', MetricUnit.Count, 1);
  if (outcome.escalated.length || outcome.released.length) logger.info('escalation tick', { ...outcome });
  // Each was skipped and is tried again next minute; IncidentFailures alarms when one persists.
  if (outcome.failures.length)
    logger.error('incidents the tick could not finish', { failures: outcome.failures });
  return outcome;
}

export const handler = middy(tick)
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
