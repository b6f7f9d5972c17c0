import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config.ts';
import { McpOpsStack } from '../../lib/mcp-ops-stack.ts';

const app = new App();
const stack = new McpOpsStack(app, 'McpOps', {
  config: parseConfig({ schedules: { timeZone: 'Europe/London', backupVerify: '06:45' } }),
  env: { account: '111122223333', region: 'eu-west-1' },
});
const template = Template.fromStack(stack);

describe('backup verification in the stack', () => {
  it('runs daily at the configured time in the team’s zone', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'mcp-ops-backup-verify',
      ScheduleExpression: 'cron(45 6 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/London',
      Target: Match.objectLike({
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('BackupJobFunction'), 'Arn'] },
        RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 2 }),
      }),
    });
  });

  it('may only list and read the backup bucket', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const statements = Object.entries(policies)
      .filter(([id]) => id.startsWith('BackupJobRole'))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>);
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions.filter((a) => String(a).startsWith('s3:')).sort()).toEqual([
      's3:GetObject',
      's3:ListBucket',
    ]);
    expect(statements.find((s) => s.Sid === 'ReadBackups')?.Resource).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::mcp-artifacts-backup/*']],
    });
  });

  it('pages through the alerts topic when verification fails and when it has not run for a day', () => {
    const alertsTopic = { Ref: Match.stringLikeRegexp('AlertsTopic') };
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'mcp-ops-backup-verification-failed',
      MetricName: 'BackupVerified',
      Namespace: 'McpOps/Backup',
      Statistic: 'Minimum',
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [alertsTopic],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'mcp-ops-backup-verification-not-run',
      MetricName: 'BackupVerified',
      Statistic: 'SampleCount',
      Period: 86_400,
      TreatMissingData: 'breaching',
      AlarmActions: [alertsTopic],
    });
  });
});
