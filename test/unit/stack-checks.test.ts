import { App, Aspects } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadAllYaml } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHECKS_CLUSTER_RULES, CHECKS_GROUP } from '../../core/cluster-access.ts';
import { parseConfig } from '../../core/config.ts';
import { deadlineOf } from '../../lib/checks-construct.ts';
import { clusterAccessManifest, RBAC_MANIFEST_FILE } from '../../lib/cluster-access-manifest.ts';
import { McpOpsStack } from '../../lib/mcp-ops-stack.ts';

const app = new App();
const stack = new McpOpsStack(app, 'McpOps', {
  config: parseConfig({ schedules: { timeZone: 'Europe/Berlin' } }),
  env: { account: '111122223333', region: 'eu-west-1' },
});
const template = Template.fromStack(stack);

function checksStatements() {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.entries(policies)
    .filter(([id]) => id.startsWith('ChecksJobRole'))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>);
}

describe('the checks job in the stack', () => {
  it('runs the morning report at 09:00, the evening at 18:00 and the security check at 08:30 in the team’s zone', () => {
    for (const [name, cron, input] of [
      ['mcp-ops-morning-report', 'cron(0 9 * * ? *)', '{"report":"morning"}'],
      ['mcp-ops-evening-report', 'cron(0 18 * * ? *)', '{"report":"evening"}'],
      ['mcp-ops-security-report', 'cron(30 8 * * ? *)', '{"report":"security"}'],
    ]) {
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        Name: name,
        ScheduleExpression: cron,
        ScheduleExpressionTimezone: 'Europe/Berlin',
        Target: Match.objectLike({ Input: input }),
      });
    }
  });

  it('checks delivery at 09:30 and 18:30 and pages through the alerts topic when a report is missing', () => {
    expect(deadlineOf('09:00', 30)).toBe('09:30');
    expect(deadlineOf('23:45', 30)).toBe('00:15');
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'mcp-ops-morning-report-watchdog',
      ScheduleExpression: 'cron(30 9 * * ? *)',
      Target: Match.objectLike({ Input: '{"watchdog":"morning"}' }),
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'mcp-ops-evening-report-watchdog',
      ScheduleExpression: 'cron(30 18 * * ? *)',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'mcp-ops-morning-report-not-delivered',
      Namespace: 'McpOps/Checks',
      MetricName: 'ReportOnTime',
      Dimensions: Match.arrayWith([{ Name: 'report', Value: 'morning' }]),
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      AlarmActions: [{ Ref: Match.stringLikeRegexp('AlertsTopic') }],
    });
  });

  it('reaches the cluster through an EKS access entry to the read-only group, never static credentials', () => {
    template.hasResourceProperties('AWS::EKS::AccessEntry', {
      ClusterName: 'mcp-cluster',
      Type: 'STANDARD',
      KubernetesGroups: [CHECKS_GROUP],
      PrincipalArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ChecksJobRole'), 'Arn'] },
    });
    const env = Object.values(template.findResources('AWS::Lambda::Function')).find(
      (f) => f.Properties.FunctionName === 'mcp-ops-checks',
    )?.Properties.Environment.Variables as Record<string, unknown>;
    expect(Object.keys(env)).not.toContain('KUBECONFIG');
    expect(JSON.stringify(env)).not.toMatch(/token|password/i);
  });

  it('may publish only to the reports topic, write only under reports/, and read the backup bucket', () => {
    const statements = checksStatements();
    const bySid = (sid: string) => statements.find((s) => s.Sid === sid);
    expect(JSON.stringify(bySid('SendReports')?.Resource)).toMatch(/ReportsTopic/);
    expect(JSON.stringify(bySid('ArchiveReports')?.Resource)).toMatch(/ReportsBucket.*\/reports\/\*/);
    expect(bySid('ReadBackups')?.Action).toBe('s3:GetObject');
    expect(bySid('DescribeCluster')?.Resource).toEqual({
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, ':eks:eu-west-1:111122223333:cluster/mcp-cluster'],
      ],
    });
    const actions = statements.flatMap((s) => [s.Action].flat()).map(String);
    expect(actions.filter((a) => /Delete|\*$/.test(a) && !a.startsWith('kms:GenerateDataKey'))).toEqual([]);
  });
});

describe('the reports by SES', () => {
  it('declares the sender identity and a configuration set, and may send only as them; cdk-nag clean', () => {
    const mailApp = new App();
    const mailStack = new McpOpsStack(mailApp, 'Mail', {
      config: parseConfig({
        reports: {
          recipients: ['sre@example.com', 'lead@example.com'],
          email: { from: 'mcp-ops@reports.example.com', identity: 'reports.example.com' },
        },
      }),
      env: { account: '111122223333', region: 'eu-west-1' },
    });
    Aspects.of(mailStack).add(new AwsSolutionsChecks());
    const mail = Template.fromStack(mailStack);
    mail.hasResourceProperties('AWS::SES::EmailIdentity', {
      EmailIdentity: 'reports.example.com',
      ConfigurationSetAttributes: { ConfigurationSetName: Match.anyValue() },
    });
    mail.hasResourceProperties('AWS::SES::ConfigurationSet', {
      Name: 'mcp-ops-reports',
      SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
    });
    mail.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      EventDestination: Match.objectLike({
        MatchingEventTypes: Match.arrayWith(['bounce', 'complaint', 'reject']),
        CloudWatchDestination: Match.anyValue(),
      }),
    });
    mail.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'mcp-ops-checks',
      Environment: { Variables: Match.objectLike({ REPORTS_MAIL_CONFIGURATION_SET: Match.anyValue() }) },
    });
    for (const alarm of ['mcp-ops-report-mail-bounced', 'mcp-ops-report-mail-fallback'])
      mail.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: alarm,
        AlarmDescription: Match.stringLikeRegexp('^severity=warning; runbook=report-delivery;'),
      });
    const statements = Object.entries(mail.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('ChecksJobRole'))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>);
    const send = statements.filter((s) => [s.Action].flat().some((a) => String(a).startsWith('ses:')));
    expect(send).toHaveLength(1);
    expect(send[0]!.Action).toBe('ses:SendEmail');
    expect(JSON.stringify(send[0]!.Resource)).toBe(
      JSON.stringify([
        {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':ses:eu-west-1:111122223333:identity/reports.example.com'],
          ],
        },
        {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':ses:eu-west-1:111122223333:configuration-set/mcp-ops-reports',
            ],
          ],
        },
      ]),
    );
    expect(
      Annotations.fromStack(mailStack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*')),
    ).toEqual([]);
    // Without reports.email: no SES at all, the reports topic carries them.
    expect(Object.keys(template.findResources('AWS::SES::EmailIdentity'))).toEqual([]);
    expect(
      checksStatements().filter((s) => [s.Action].flat().some((a) => String(a).startsWith('ses:'))),
    ).toEqual([]);
  });

  it('refuses an identity that does not cover the sender', () => {
    expect(() =>
      parseConfig({ reports: { email: { from: 'ops@example.com', identity: 'other.example.org' } } }),
    ).toThrow(/identity must be the from address or its domain/);
  });
});

describe('the read-only cluster access', () => {
  it('grants no write verb and is the committed manifest, kept in step', () => {
    for (const rule of CHECKS_CLUSTER_RULES)
      expect(rule.verbs.filter((v) => !['get', 'list', 'watch'].includes(v))).toEqual([]);
    expect(readFileSync(RBAC_MANIFEST_FILE, 'utf8')).toBe(clusterAccessManifest());
    const objects = loadAllYaml(readFileSync(RBAC_MANIFEST_FILE, 'utf8')) as Array<{
      kind: string;
      rules?: unknown[];
    }>;
    expect(objects.map((o) => o.kind)).toEqual([
      'ClusterRole',
      'ClusterRoleBinding',
      'Role',
      'RoleBinding',
      'Role',
      'RoleBinding',
      'Role',
      'RoleBinding',
    ]);
    expect(JSON.stringify(objects[2]!.rules)).toBe(
      '[{"apiGroups":[""],"resources":["secrets"],"verbs":["list"]}]',
    );
    // Prometheus through the service proxy: that one Service and port, get only.
    expect(objects[4]!.rules).toEqual([
      {
        apiGroups: [''],
        resources: ['services/proxy'],
        verbs: ['get'],
        resourceNames: ['prometheus-mcp:9090'],
      },
    ]);
    // The cleanup's group: the service's ConfigMap, get only.
    expect(objects[6]!.rules).toEqual([
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['mcp-semantic-config'], verbs: ['get'] },
    ]);
  });
});

describe('the checks job in a private cluster network', () => {
  it('runs in the configured subnets and security groups only when asked, with the interface rights, cdk-nag clean', () => {
    const privateApp = new App();
    const privateStack = new McpOpsStack(privateApp, 'Private', {
      config: parseConfig({
        clusterNetwork: {
          subnetIds: ['subnet-0a1b2c3d', 'subnet-4e5f6a7b'],
          securityGroupIds: ['sg-0123abcd'],
        },
      }),
      env: { account: '111122223333', region: 'eu-west-1' },
    });
    Aspects.of(privateStack).add(new AwsSolutionsChecks());
    const privateTemplate = Template.fromStack(privateStack);
    privateTemplate.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'mcp-ops-checks',
      VpcConfig: { SubnetIds: ['subnet-0a1b2c3d', 'subnet-4e5f6a7b'], SecurityGroupIds: ['sg-0123abcd'] },
    });
    // Only the function that talks to the cluster; the others stay outside any VPC.
    privateTemplate.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'mcp-ops-escalation-intake',
      VpcConfig: Match.absent(),
    });
    const statements = Object.entries(privateTemplate.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('ChecksJob'))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>);
    expect(statements.find((s) => s.Sid === 'VpcNetworkInterfaces')).toMatchObject({
      Action: expect.arrayContaining(['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface']),
    });
    const errors = Annotations.fromStack(privateStack).findError(
      '*',
      Match.stringLikeRegexp('AwsSolutions-.*'),
    );
    expect(errors).toEqual([]);
    // And without it, no VPC anywhere.
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'mcp-ops-checks',
      VpcConfig: Match.absent(),
    });
    expect(() =>
      parseConfig({ clusterNetwork: { subnetIds: ['vpc-1'], securityGroupIds: ['sg-1'] } }),
    ).toThrow(/clusterNetwork.subnetIds.0: expected a subnet id/);
  });
});
