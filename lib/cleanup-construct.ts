import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { CONFIG_READER_GROUP } from '../core/cluster-access.ts';
import type { OpsConfig } from '../core/config.ts';
import type { Foundation } from './foundation.ts';
import { JobFunction } from './job-function.ts';
import { NagSuppressions } from './nag.ts';
import { ENV } from '../core/function-env.ts';

export interface CleanupProps {
  readonly config: OpsConfig;
  readonly foundation: Foundation;
}

export const CLEANUP_METRICS_NAMESPACE = 'McpOps/Cleanup';

/** Retention cleanup (Runbook 4), invoked by hand, plus the manual's storage-full alarm. */
export class Cleanup extends Construct {
  readonly job: JobFunction;
  readonly storageFullAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: CleanupProps) {
    super(scope, id);
    const { config, foundation } = props;
    const functionName = `${config.resourcePrefix}-cleanup`;
    this.job = new JobFunction(this, 'Job', {
      entry: join(import.meta.dirname, '..', 'functions', 'cleanup', 'handler.ts'),
      functionName,
      description: 'Retention cleanup of old artifacts (dry run unless dryRun:false)',
      timeout: Duration.minutes(15),
      memorySize: 1024,
      alertsTopic: foundation.alertsTopic,
      serviceName: 'cleanup',
      metricsNamespace: CLEANUP_METRICS_NAMESPACE,
      ...(config.clusterNetwork ? { network: config.clusterNetwork } : {}),
      environment: {
        [ENV.config]: JSON.stringify(config),
        [ENV.stateBucket]: foundation.reportsBucket.bucketName,
      },
    });
    const role = this.job.role;
    const artifacts = foundation.artifactsBucket;

    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ListArtifacts',
        actions: ['s3:ListBucket', 's3:GetBucketVersioning'],
        resources: [artifacts.bucketArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'DeleteExpiredArtifacts',
        actions: ['s3:DeleteObject'],
        resources: [artifacts.arnForObjects('*')],
      }),
    );
    // The configured protected prefixes are denied by IAM as well as skipped by the code, so a bug
    // in the code cannot delete them either.
    const protectedPrefixes = config.retention.protectedPrefixes;
    if (protectedPrefixes.length > 0) {
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'NeverDeleteProtected',
          effect: iam.Effect.DENY,
          actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
          resources: protectedPrefixes.map((prefix) => artifacts.arnForObjects(`${prefix}*`)),
        }),
      );
    }
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'RunStateAndManifest',
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [foundation.reportsBucket.arnForObjects('cleanup/*')],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ListRunState',
        actions: ['s3:ListBucket'],
        resources: [foundation.reportsBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': ['cleanup/*'] } },
      }),
    );
    // The ConfigMap's artifact.retention.days, read as the function's own role: DescribeCluster for
    // the endpoint, and an access entry mapping the role to a group that may get that one ConfigMap.
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'DescribeCluster',
        actions: ['eks:DescribeCluster'],
        resources: [
          Stack.of(this).formatArn({
            service: 'eks',
            resource: 'cluster',
            resourceName: config.cluster.name,
            arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
          }),
        ],
      }),
    );
    new eks.CfnAccessEntry(this, 'ClusterAccess', {
      clusterName: config.cluster.name,
      principalArn: role.roleArn,
      type: 'STANDARD',
      kubernetesGroups: [CONFIG_READER_GROUP],
    });
    // The function continues a long run in a fresh invocation of itself. The ARN is built from the
    // name, not referenced, so the policy does not depend on the function that depends on it.
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ContinueLongRun',
        actions: ['lambda:InvokeFunction'],
        resources: [
          Stack.of(this).formatArn({
            service: 'lambda',
            resource: 'function',
            resourceName: functionName,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    NagSuppressions.addResourceSuppressions(
      role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'Cleanup deletes any expired object of the artifacts bucket (keys are only known at run time) and keeps its own state under cleanup/ in the reports bucket.',
          appliesTo: [
            `Resource::arn:<AWS::Partition>:s3:::${config.buckets.artifacts}/*`,
            { regex: '/^Resource::<.*ReportsBucket.*\\.Arn>\\/cleanup\\/\\*$/g' },
          ],
        },
      ],
      true,
    );

    // The manual's Runbook 4 trigger: storage usage above 90 %, from the service's own metrics
    // (artifact_storage_used_bytes / capacity) as published to CloudWatch by its exporter.
    this.storageFullAlarm = new cloudwatch.Alarm(this, 'StorageFullAlarm', {
      alarmName: `${config.resourcePrefix}-artifact-storage-full`,
      alarmDescription:
        'severity=critical; service=mcp-semantic; runbook=runbook-4-storage-full; artifact storage above 90 % (Runbook 4: Storage Full). Run `mcp-ops cleanup` (dry run first) or apply the lifecycle rule.',
      metric: new cloudwatch.MathExpression({
        expression: '100 * used / capacity',
        label: 'Artifact storage used (%)',
        period: Duration.minutes(5),
        usingMetrics: {
          used: new cloudwatch.Metric({
            namespace: 'MCP/Semantic',
            metricName: 'artifact_storage_used_bytes',
            statistic: 'Maximum',
          }),
          capacity: new cloudwatch.Metric({
            namespace: 'MCP/Semantic',
            metricName: 'artifact_storage_capacity_bytes',
            statistic: 'Maximum',
          }),
        },
      }),
      threshold: 90,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.MISSING,
    });
    const alert = new actions.SnsAction(foundation.alertsTopic);
    this.storageFullAlarm.addAlarmAction(alert);
    this.storageFullAlarm.addOkAction(alert);
  }
}
