import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as eventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Construct } from 'constructs';
import { join } from 'node:path';
import type { OpsConfig } from '../core/config.ts';
import type { Foundation } from './foundation.ts';
import { JobFunction } from './job-function.ts';

// The incident functions that act after the page: the diagnosis (and evidence) from the stream,
// and the mitigation page.

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

/**
 * The diagnosis function on the incidents table's stream: new incidents (the diagnosis, and a
 * security incident's evidence), incidents resolved with no review yet (the review), and
 * quarantined incidents with no second capture yet (the evidence after quarantine).
 */
export function diagnoseFunction(
  scope: Construct,
  props: {
    config: OpsConfig;
    foundation: Foundation;
    table: dynamodb.ITable;
    environment: Record<string, string>;
  },
): JobFunction {
  const { config, foundation } = props;
  const fn = new JobFunction(scope, 'Diagnose', {
    entry: join(import.meta.dirname, '..', 'functions', 'diagnosis', 'handler.ts'),
    functionName: `${config.resourcePrefix}-escalation-diagnose`,
    description:
      'Diagnosis follow-up of new incidents (playbook assessment, runbook steps, security evidence) and post-incident reviews of resolved ones',
    timeout: Duration.seconds(90),
    memorySize: 512,
    alertsTopic: foundation.alertsTopic,
    serviceName: 'escalation-diagnose',
    metricsNamespace: 'McpOps/Escalation',
    ...(config.clusterNetwork ? { network: config.clusterNetwork } : {}),
    environment: props.environment,
  });
  const incident = { pk: { S: lambda.FilterRule.beginsWith('INC#') } };
  fn.function.addEventSource(
    new eventSources.DynamoEventSource(props.table, {
      startingPosition: lambda.StartingPosition.LATEST,
      batchSize: 10,
      retryAttempts: 2,
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      onFailure: new eventSources.SqsDlq(fn.deadLetterQueue),
      filters: [
        lambda.FilterCriteria.filter({
          eventName: lambda.FilterRule.isEqual('INSERT'),
          dynamodb: { NewImage: incident },
        }),
        lambda.FilterCriteria.filter({
          eventName: lambda.FilterRule.isEqual('MODIFY'),
          dynamodb: {
            NewImage: {
              ...incident,
              status: { S: lambda.FilterRule.isEqual('resolved') },
              review: lambda.FilterRule.notExists(),
            },
          },
        }),
        lambda.FilterCriteria.filter({
          eventName: lambda.FilterRule.isEqual('MODIFY'),
          dynamodb: {
            NewImage: {
              ...incident,
              quarantinedAt: { S: lambda.FilterRule.exists() },
              evidenceAfterQuarantine: lambda.FilterRule.notExists(),
            },
          },
        }),
      ],
    }),
  );
  return fn;
}
