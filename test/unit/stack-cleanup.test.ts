import { CONFIG_READER_GROUP, configReaderManifests } from '../../core/cluster-access.ts';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { parseAlertMessage } from '../../functions/escalation/alerts.ts';
import { incidentSeverity } from '../../core/incidents/severity.ts';
import { parseConfig } from '../../core/config.ts';
import { DailySchedule } from '../../lib/daily-schedule.ts';
import { McpOpsStack } from '../../lib/mcp-ops-stack.ts';

const app = new App();
const stack = new McpOpsStack(app, 'McpOps', {
  config: parseConfig({}),
  env: { account: '111122223333', region: 'eu-west-1' },
});
const template = Template.fromStack(stack);

function statementsOf(rolePrefix: string) {
  const policies = template.findResources('AWS::IAM::Policy');
  const ours = Object.entries(policies).filter(([id]) => id.startsWith(rolePrefix));
  return ours.flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>);
}

describe('the cleanup job in the stack', () => {
  it('is a Node.js function with a 15-minute limit, its own log group and a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'mcp-ops-cleanup',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Timeout: 900,
      MemorySize: 1024,
      DeadLetterConfig: {
        TargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('CleanupJobDeadLetterQueue'), 'Arn'] },
      },
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('CleanupJobLogs') } },
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: 'cleanup',
          POWERTOOLS_METRICS_NAMESPACE: 'McpOps/Cleanup',
          MCP_OPS_STATE_BUCKET: { Ref: Match.stringLikeRegexp('ReportsBucket') },
        }),
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'mcp-ops-cleanup-dlq',
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1_209_600,
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 2 });
  });

  it('may list and delete in the artifacts bucket only, keep its state under cleanup/, and re-invoke itself', () => {
    const statements = statementsOf('CleanupJobRole');
    const bySid = (sid: string) => statements.find((s) => s.Sid === sid);
    expect(bySid('ListArtifacts')).toMatchObject({
      Action: ['s3:ListBucket', 's3:GetBucketVersioning'],
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::mcp-artifacts']] },
    });
    expect(bySid('DeleteExpiredArtifacts')).toMatchObject({
      Action: 's3:DeleteObject',
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::mcp-artifacts/*']] },
    });
    expect(bySid('RunStateAndManifest')).toMatchObject({
      Action: ['s3:GetObject', 's3:PutObject'],
      Resource: {
        'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/ReportsBucket/), 'Arn'] }, '/cleanup/*']],
      },
    });
    expect(bySid('ListRunState')).toMatchObject({
      Action: 's3:ListBucket',
      Condition: { StringLike: { 's3:prefix': ['cleanup/*'] } },
    });
    expect(bySid('ContinueLongRun')).toMatchObject({
      Action: 'lambda:InvokeFunction',
      Resource: {
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, ':lambda:eu-west-1:111122223333:function:mcp-ops-cleanup'],
        ],
      },
    });
    // Logs only into its own group; nothing touches the backup bucket.
    expect(JSON.stringify(statements)).not.toContain('mcp-artifacts-backup');
    expect(statements.map((s) => s.Action).flat()).not.toContain('s3:*');
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/CleanupJobDeadLetterQueue/), 'Arn'] },
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'] }),
    );
    // The ConfigMap's retention: DescribeCluster on that one cluster, and an access entry whose
    // group may get only the service's ConfigMap (core/cluster-access.ts).
    expect(bySid('DescribeCluster')).toMatchObject({
      Action: 'eks:DescribeCluster',
      Resource: {
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, ':eks:eu-west-1:111122223333:cluster/mcp-cluster'],
        ],
      },
    });
    template.hasResourceProperties('AWS::EKS::AccessEntry', {
      ClusterName: 'mcp-cluster',
      PrincipalArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('CleanupJobRole'), 'Arn'] },
      KubernetesGroups: [CONFIG_READER_GROUP],
    });
    const [role] = configReaderManifests('mcp-system', 'mcp-semantic-config');
    expect(role!.rules).toEqual([
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['mcp-semantic-config'], verbs: ['get'] },
    ]);
    expect(statements).toHaveLength(8);
  });

  it('denies deleting under the configured protected prefixes, whatever the code does', () => {
    expect(statementsOf('CleanupJobRole').find((s) => s.Sid === 'NeverDeleteProtected')).toBeUndefined();
    const guarded = Template.fromStack(
      new McpOpsStack(new App(), 'Guarded', {
        config: parseConfig({ retention: { protectedPrefixes: ['releases/', 'models/golden/'] } }),
        env: { account: '111122223333', region: 'eu-west-1' },
      }),
    );
    const statements = Object.entries(guarded.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('CleanupJobRole'))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>);
    const arn = (key: string) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::mcp-artifacts/${key}`]],
    });
    expect(statements.find((s) => s.Sid === 'NeverDeleteProtected')).toEqual({
      Sid: 'NeverDeleteProtected',
      Effect: 'Deny',
      Action: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
      Resource: [arn('releases/*'), arn('models/golden/*')],
    });
  });

  it('alarms on errors, on dead letters and on storage above 90 %, paging through the alerts topic and resolving too', () => {
    const alertsTopic = { Ref: Match.stringLikeRegexp('AlertsTopic') };
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'mcp-ops-cleanup-errors',
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Threshold: 1,
      AlarmActions: [alertsTopic],
      OKActions: [alertsTopic],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'mcp-ops-cleanup-dead-letters',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      AlarmActions: [alertsTopic],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'mcp-ops-artifact-storage-full',
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 90,
      Metrics: Match.arrayWith([Match.objectLike({ Expression: '100 * used / capacity' })]),
      AlarmActions: [alertsTopic],
      OKActions: [alertsTopic],
    });
    // "Storage > 90 %: Critical": the alarm as CloudWatch sends it arrives as a critical (P1) page.
    const storage = Object.values(template.findResources('AWS::CloudWatch::Alarm')).find(
      (a) => a.Properties.AlarmName === 'mcp-ops-artifact-storage-full',
    )!;
    const [alert] = parseAlertMessage(
      JSON.stringify({
        AlarmName: 'mcp-ops-artifact-storage-full',
        AlarmDescription: storage.Properties.AlarmDescription,
        NewStateValue: 'ALARM',
        NewStateReason: 'Threshold Crossed',
      }),
    );
    expect(alert).toMatchObject({ severityLabel: 'critical', runbook: 'runbook-4-storage-full' });
    expect(alert!.labels.service).toBe('mcp-semantic');
    expect(incidentSeverity(alert!)).toBe('P1');
  });
});

describe('a daily schedule', () => {
  it('runs at the team’s local time through daylight-saving changes, with retries and a dead-letter queue', () => {
    const scheduleStack = new Stack(new App(), 'ScheduleTest');
    const fn = new lambda.Function(scheduleStack, 'Target', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {}'),
    });
    const dlq = new sqs.Queue(scheduleStack, 'Dlq');
    new DailySchedule(scheduleStack, 'Morning', {
      scheduleName: 'mcp-ops-morning-report',
      description: 'Morning checklist',
      time: '09:00',
      timeZone: 'America/Los_Angeles',
      target: fn,
      input: { report: 'morning' },
      deadLetterQueue: dlq,
    });
    const t = Template.fromStack(scheduleStack);
    t.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'mcp-ops-morning-report',
      ScheduleExpression: 'cron(0 9 * * ? *)',
      ScheduleExpressionTimezone: 'America/Los_Angeles',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: Match.objectLike({
        Input: '{"report":"morning"}',
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 1200 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('Dlq'), 'Arn'] } },
      }),
    });
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'lambda:InvokeFunction', Resource: Match.anyValue() }),
        ]),
      },
    });
  });
});
