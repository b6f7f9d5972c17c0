import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { join } from 'node:path';
import type { OpsConfig } from '../core/config.ts';
import type { Foundation } from './foundation.ts';
import { JobFunction } from './job-function.ts';

/**
 * The mitigation page's function and its URL: public like the respond page (the link's signature
 * is the authentication), with a little reserved concurrency of its own, and a timeout of the
 * watch (`mitigation.verifySeconds`) and a little more, since it watches what it changed.
 */
export function mitigationFunction(
  scope: Construct,
  config: OpsConfig,
  foundation: Foundation,
  environment: Record<string, string>,
): { fn: JobFunction; url: lambda.FunctionUrl } {
  const fn = new JobFunction(scope, 'Mitigate', {
    entry: join(import.meta.dirname, '..', 'functions', 'mitigate', 'handler.ts'),
    functionName: `${config.resourcePrefix}-mitigate`,
    description: 'Mitigation pages behind the diagnosis links (GET shows and dry-runs, the button acts once)',
    timeout: Duration.seconds(config.mitigation.verifySeconds + 30),
    memorySize: 512,
    alertsTopic: foundation.alertsTopic,
    serviceName: 'mitigate',
    metricsNamespace: 'McpOps/Escalation',
    ...(config.clusterNetwork ? { network: config.clusterNetwork } : {}),
    ...(config.escalation.respondReservedConcurrency
      ? { reservedConcurrency: Math.min(2, config.escalation.respondReservedConcurrency) }
      : {}),
    environment,
    alarmSeverity: 'warning',
  });
  const url = fn.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
  return { fn, url };
}
