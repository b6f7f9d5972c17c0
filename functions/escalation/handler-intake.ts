// Lambda edge: the alerts SNS topic → incidents and pages.
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { awsTargetFromEnv } from '../../core/aws.ts';
import { deliveriesFromEvent } from './deliveries.ts';
import { intakeMessage, type IntakeOutcome } from './intake.ts';
import { escalationPorts, powertoolsMetrics, settingsFromEnv } from '../../core/incidents/wiring.ts';
import { tracer, traced } from '../../core/tracing.ts';

const logger = new Logger();
const metrics = new Metrics();
const ports = escalationPorts(awsTargetFromEnv(), settingsFromEnv(), traced);

async function intake(event: unknown): Promise<IntakeOutcome[]> {
  const deps = await ports.deps(() => new Date(), powertoolsMetrics(metrics));
  const outcomes: IntakeOutcome[] = [];
  const failed: unknown[] = [];
  // Each delivery on its own: one failing does not hold back the others. A failure is thrown at
  // the end so Lambda retries the event; what succeeded is recognised as a duplicate then.
  for (const delivery of deliveriesFromEvent(event)) {
    try {
      const result = await intakeMessage(deps, delivery);
      logger.info('alert delivery', { messageId: delivery.messageId, outcomes: result });
      outcomes.push(...result);
    } catch (error) {
      const causes = error instanceof AggregateError ? error.errors : [error];
      logger.error('alert delivery failed', {
        messageId: delivery.messageId,
        causes: causes.map((c) => (c instanceof Error ? `${c.name}: ${c.message}` : String(c))),
      });
      failed.push(error);
    }
  }
  if (failed.length === 1) throw failed[0];
  if (failed.length > 1) throw new AggregateError(failed, `${failed.length} alert deliveries failed`);
  return outcomes;
}

export const handler = middy(intake)
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
