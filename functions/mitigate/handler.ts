// Lambda edge: the function URL behind the mitigation links in the diagnosis (page, chat,
// follow-up). A GET shows the change, the state now and the API server's dry run; only the
// button's POST acts, as this function's own role (the only one that writes to the cluster).
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { EKSClient } from '@aws-sdk/client-eks';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { eksKubeConfigs } from '../../core/adapters/eks.ts';
import { awsClientConfig, awsTargetFromEnv } from '../../core/aws.ts';
import { DynamoDbMitigationLedger } from '../../core/incidents/dynamodb-mitigations.ts';
import { escalationPorts, settingsFromEnv } from '../../core/incidents/wiring.ts';
import { tracer, traced } from '../../core/tracing.ts';
import { KubeMitigationCluster } from './adapters/kube-cluster.ts';
import { answerMitigationUrl, type PageResponse } from './web.ts';

const logger = new Logger();
const metrics = new Metrics();
const settings = settingsFromEnv();
const config = settings.config;
const target = awsTargetFromEnv();
const ports = escalationPorts(target, settings, traced);
const ledger = new DynamoDbMitigationLedger(ports.db, settings.table);
const kubeConfigs = eksKubeConfigs({
  eks: traced(new EKSClient(awsClientConfig(target))),
  clusterName: config.cluster.name,
  region: target.region,
  credentials: defaultProvider(),
});

async function answer(event: unknown): Promise<PageResponse> {
  const deps = await ports.deps(() => new Date());
  const response = await answerMitigationUrl(
    {
      ...deps,
      config,
      ledger,
      secret: deps.links.secret,
      ...(deps.links.previousSecrets ? { previousSecrets: deps.links.previousSecrets } : {}),
      cluster: async () =>
        new KubeMitigationCluster(
          await kubeConfigs(),
          config.cluster.namespace,
          config.cluster.deployment,
          config.cluster.appSelector,
        ),
      metrics: { count: (name) => metrics.addMetric(name, MetricUnit.Count, 1) },
    },
    event,
  );
  // Never the token: it is the link's authority until it expires.
  logger.info('mitigation request', {
    method: (event as { requestContext?: { http?: { method?: string } } }).requestContext?.http?.method,
    status: response.statusCode,
  });
  return response;
}

export const handler = middy(answer)
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
