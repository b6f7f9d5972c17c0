// Lambda edge: the function URL behind the acknowledge / resolve links in every page.
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { awsTargetFromEnv } from '../../core/aws.ts';
import { respondToLink } from './respond.ts';
import { escalationPorts, powertoolsMetrics, settingsFromEnv } from './wiring.ts';

const logger = new Logger();
const metrics = new Metrics();
const settings = settingsFromEnv();
const ports = escalationPorts(awsTargetFromEnv(), settings);

async function respond(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2> {
  const deps = await ports.deps(() => new Date(), powertoolsMetrics(metrics));
  const answer = await respondToLink(deps, event.queryStringParameters ?? {}, settings.config.onCall.tiers);
  logger.info('link response', { status: answer.status, message: answer.message });
  return {
    statusCode: answer.status,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
    body: `${answer.message}\n`,
  };
}

export const handler = middy(respond).use(injectLambdaContext(logger)).use(logMetrics(metrics));
