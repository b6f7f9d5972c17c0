// Lambda edge: the alerts SNS topic → incidents and pages.
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { awsTargetFromEnv } from '../../core/aws.ts';
import { deliveriesFromEvent } from './deliveries.ts';
import { intakeMessage, type IntakeOutcome } from './escalation.ts';
import { escalationPorts, powertoolsMetrics, settingsFromEnv } from './wiring.ts';

const logger = new Logger();
const metrics = new Metrics();
const ports = escalationPorts(awsTargetFromEnv(), settingsFromEnv());

async function intake(event: unknown): Promise<IntakeOutcome[]> {
  const deps = await ports.deps(() => new Date(), powertoolsMetrics(metrics));
  const outcomes: IntakeOutcome[] = [];
  for (const delivery of deliveriesFromEvent(event)) {
    let result: IntakeOutcome[];
    try {
      result = await intakeMessage(deps, delivery);
    } catch (error) {
      // Each alert's own failure, so the log says why before Lambda retries the delivery.
      const causes = error instanceof AggregateError ? error.errors : [error];
      logger.error('alert delivery failed', {
        messageId: delivery.messageId,
        causes: causes.map((c) => (c instanceof Error ? `${c.name}: ${c.message}` : String(c))),
      });
      throw error;
    }
    logger.info('alert delivery', { messageId: delivery.messageId, outcomes: result });
    outcomes.push(...result);
  }
  return outcomes;
}

export const handler = middy(intake).use(injectLambdaContext(logger)).use(logMetrics(metrics));
