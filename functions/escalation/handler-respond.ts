// Lambda edge: the function URL behind the acknowledge / resolve links in every page.
// A GET shows the incident and a button; only the button's POST acts (mail scanners GET links).
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { awsTargetFromEnv } from '../../core/aws.ts';
import { respondToRequest } from './respond.ts';
import { renderRespondPage, type RenderedResponse } from './respond-page.ts';
import { parseRespondEvent } from './respond-request.ts';
import { escalationPorts, powertoolsMetrics, settingsFromEnv } from '../../core/incidents/wiring.ts';
import { tracer, traced } from '../../core/tracing.ts';

const logger = new Logger();
const metrics = new Metrics();
const settings = settingsFromEnv();
const ports = escalationPorts(awsTargetFromEnv(), settings, traced);
const tiers = settings.config.onCall.tiers;

async function respond(event: unknown): Promise<RenderedResponse> {
  const parsed = parseRespondEvent(event);
  const answer = parsed.ok
    ? await respondToRequest(
        await ports.deps(() => new Date(), powertoolsMetrics(metrics)),
        parsed.request,
        tiers,
      )
    : { status: parsed.status, view: { kind: 'refused' as const, message: parsed.message } };
  // Never the token: it is the link's authority until it expires.
  const view = answer.view;
  logger.info('link request', {
    method: parsed.ok ? parsed.request.method : 'unparsed',
    status: answer.status,
    view: view.kind,
    ...('incident' in view ? { incidentId: view.incident.id, incidentStatus: view.incident.status } : {}),
    ...(view.kind === 'refused' ? { reason: view.message } : {}),
  });
  return renderRespondPage(answer, parsed.path, tiers);
}

export const handler = middy(respond)
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
