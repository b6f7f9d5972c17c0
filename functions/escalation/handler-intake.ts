// Lambda edge: the alerts SNS topic → incidents and pages.
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { z } from 'zod';
import { awsTargetFromEnv } from '../../core/aws.ts';
import { sha256 } from './alerts.ts';
import { intakeMessage, type IntakeOutcome } from './escalation.ts';
import { escalationPorts, powertoolsMetrics, settingsFromEnv } from './wiring.ts';

const logger = new Logger();
const metrics = new Metrics();
const ports = escalationPorts(awsTargetFromEnv(), settingsFromEnv());

const SnsEventSchema = z.object({
  Records: z
    .array(
      z.object({
        Sns: z.object({
          MessageId: z.string().min(1),
          Message: z.string(),
          Subject: z.string().nullish(),
        }),
      }),
    )
    .min(1),
});

/** Deliveries to take in: an SNS event's records, or, for anything else, the event itself as a raw message. */
export function deliveries(event: unknown): Array<{ messageId: string; message: string }> {
  const parsed = SnsEventSchema.safeParse(event);
  if (parsed.success)
    return parsed.data.Records.map((r) => ({ messageId: r.Sns.MessageId, message: r.Sns.Message }));
  const raw = typeof event === 'string' ? event : (JSON.stringify(event) ?? String(event));
  return [{ messageId: `raw-${sha256(raw).slice(0, 32)}`, message: raw }];
}

async function intake(event: unknown): Promise<IntakeOutcome[]> {
  const deps = await ports.deps(() => new Date(), powertoolsMetrics(metrics));
  const outcomes: IntakeOutcome[] = [];
  for (const delivery of deliveries(event)) {
    const result = await intakeMessage(deps, delivery);
    logger.info('alert delivery', { messageId: delivery.messageId, outcomes: result });
    outcomes.push(...result);
  }
  return outcomes;
}

export const handler = middy(intake).use(injectLambdaContext(logger)).use(logMetrics(metrics));
