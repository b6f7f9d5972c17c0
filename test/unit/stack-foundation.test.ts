import { deliveredMarkerKey } from '../../functions/checks/deliver.ts';
import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config.ts';
import { McpOpsStack } from '../../lib/mcp-ops-stack.ts';
import { AwsSolutionsChecks } from '../../lib/nag.ts';
import { evaluate } from '../support/resource-policy.ts';

function synth(configInput: unknown = {}, env?: { account: string; region: string }) {
  const app = new App();
  const stack = new McpOpsStack(app, 'McpOps', { config: parseConfig(configInput), ...(env ? { env } : {}) });
  Aspects.of(stack).add(new AwsSolutionsChecks());
  return { stack, template: Template.fromStack(stack) };
}

describe('the mcp-ops stack', () => {
  const { stack, template } = synth();

  it('passes cdk-nag’s AwsSolutions pack with no unsuppressed errors or warnings', () => {
    const errors = Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'));
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'));
    expect(errors.map((e) => `${e.id}: ${String(e.entry.data)}`)).toEqual([]);
    expect(warnings.map((e) => `${e.id}: ${String(e.entry.data)}`)).toEqual([]);
  });

  it('passes it too with a concrete account and region, as `cdk deploy` with credentials synthesizes it', () => {
    const concrete = synth({}, { account: '111122223333', region: 'eu-west-1' }).stack;
    const errors = Annotations.fromStack(concrete).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'));
    expect(errors.map((e) => `${e.id}: ${String(e.entry.data)}`)).toEqual([]);
  });

  it('would catch a resource that breaks the pack (the check above can fail)', () => {
    const app = new App();
    const bad = new Stack(app, 'Bad');
    new sqs.Queue(bad, 'PlainQueue');
    Aspects.of(bad).add(new AwsSolutionsChecks());
    Template.fromStack(bad);
    const errors = Annotations.fromStack(bad).findError('*', Match.stringLikeRegexp('AwsSolutions-SQS'));
    expect(errors.length).toBeGreaterThan(0);
  });

  it('has a reports topic e-mailing the team, an alerts topic, a chat topic and one page topic per on-call tier', () => {
    for (const name of [
      'mcp-ops-reports',
      'mcp-ops-alerts',
      'mcp-ops-chat',
      'mcp-ops-page-primary',
      'mcp-ops-page-secondary',
      'mcp-ops-page-team-lead',
      'mcp-ops-page-engineering-manager',
      'mcp-ops-page-vp-engineering',
      'mcp-ops-page-security',
    ]) {
      template.hasResourceProperties('AWS::SNS::Topic', {
        TopicName: name,
        KmsMasterKeyId: Match.anyValue(),
      });
    }
    template.resourceCountIs('AWS::SNS::Topic', 9);
    // The Security Team (the manual's security@, 24/7) beside the ladder.
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'security@ninjatech.ai',
      TopicArn: { Ref: Match.stringLikeRegexp('PageTopicsecurity') },
    });
    // GuardDuty's EKS findings reach the alerts topic; the topic key lets that one rule encrypt.
    template.hasResourceProperties('AWS::Events::Rule', {
      Name: 'mcp-ops-guardduty-eks-findings',
      EventPattern: {
        source: ['aws.guardduty'],
        'detail-type': ['GuardDuty Finding'],
        detail: { resource: { resourceType: ['EKSCluster'] } },
      },
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('AlertsTopic') } })],
    });
    // EventBridge may publish to the alerts topic for that one rule only.
    const alertsPolicy = Object.entries(template.findResources('AWS::SNS::TopicPolicy')).find(([id]) =>
      id.includes('AlertsTopic'),
    )![1].Properties.PolicyDocument.Statement as Array<Record<string, unknown>>;
    const fromEvents = alertsPolicy.filter((st) =>
      JSON.stringify(st.Principal).includes('events.amazonaws.com'),
    );
    expect(fromEvents).toHaveLength(1);
    expect(fromEvents[0]).toMatchObject({
      Sid: 'AllowGuardDutyRule',
      Action: 'sns:Publish',
      Condition: { ArnEquals: { 'aws:SourceArn': expect.anything() } },
    });
    expect(JSON.stringify(fromEvents[0]!.Condition)).toContain(':rule/mcp-ops-guardduty-eks-findings');
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops-oncall@ninjatech.ai',
      TopicArn: { Ref: Match.stringLikeRegexp('ReportsTopic') },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'jane.smith@ninjatech.ai',
      TopicArn: { Ref: Match.stringLikeRegexp('PageTopicengineeringmanager') },
    });
  });

  it('refuses plain-HTTP publishing on every topic', () => {
    const policies = template.findResources('AWS::SNS::TopicPolicy');
    expect(Object.keys(policies)).toHaveLength(9);
    for (const policy of Object.values(policies)) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    }
  });

  it('lets CloudWatch alarms use the topic key, and rotates it', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowCloudWatchAlarmsToPublish',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            // Only this account's alarms may use the key.
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: {
                'aws:SourceArn': {
                  'Fn::Join': [
                    '',
                    [
                      'arn:',
                      { Ref: 'AWS::Partition' },
                      ':cloudwatch:',
                      { Ref: 'AWS::Region' },
                      ':',
                      { Ref: 'AWS::AccountId' },
                      ':alarm:*',
                    ],
                  ],
                },
              },
            },
          }),
        ]),
      },
    });
  });

  it('creates only its own buckets and references the service’s by name', () => {
    // The reports archive, its access-log bucket and the evidence bucket; mcp-artifacts and
    // mcp-artifacts-backup are not created.
    template.resourceCountIs('AWS::S3::Bucket', 3);
    // Evidence is write-once: Object Lock in compliance mode, a year by default.
    template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 365 } },
      },
      VersioningConfiguration: { Status: 'Enabled' },
    });
    const names = Object.values(template.findResources('AWS::S3::Bucket')).map(
      (b) => b.Properties?.BucketName,
    );
    expect(names).not.toContain('mcp-artifacts');
    expect(names).not.toContain('mcp-artifacts-backup');
    template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: { LogFilePrefix: 'reports/' },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
  });

  it('keeps reports for archiveDays and the audit trail (cleanup manifests, reviews) for auditDays, no rule covering another', () => {
    const bucket = Object.values(template.findResources('AWS::S3::Bucket')).find(
      (b) => b.Properties?.LoggingConfiguration?.LogFilePrefix === 'reports/',
    )!;
    const rules = bucket.Properties.LifecycleConfiguration.Rules as Array<{
      Prefix: string;
      ExpirationInDays: number;
      Status: string;
    }>;
    const days = Object.fromEntries(rules.map((r) => [r.Prefix, r.ExpirationInDays]));
    expect(days).toEqual({
      'reports/morning/': 90,
      'reports/evening/': 90,
      'reports/security/': 90,
      'reports/diagnosis/': 90,
      'reports/maintenance/': 90,
      'cleanup/': 730,
      'reports/reviews/': 730,
    });
    expect(rules.every((r) => r.Status === 'Enabled')).toBe(true);
    // S3 applies the shorter of overlapping expirations: no prefix may lie under another.
    for (const a of rules)
      for (const b of rules)
        if (a !== b) expect(a.Prefix.startsWith(b.Prefix), `${a.Prefix} under ${b.Prefix}`).toBe(false);
    // Every report the checks deliver is under an archived prefix (reports/<kind>/...).
    for (const kind of ['morning', 'evening', 'security'] as const)
      expect(rules.some((r) => deliveredMarkerKey(kind, '2026-12-03').startsWith(r.Prefix))).toBe(true);
    expect(() => parseConfig({ reports: { archiveDays: 400, auditDays: 365 } })).toThrow(
      /reports.auditDays: auditDays must not be below archiveDays/,
    );
  });

  it('lets this account’s alarms publish to the alerts and page topics, and denies every publisher it does not name', () => {
    const account = '111122223333';
    const region = 'eu-west-1';
    const alertmanager = 'arn:aws:iam::444455556666:role/alertmanager';
    const { template: t } = synth({ escalation: { alertPublishers: [alertmanager] } }, { account, region });
    const roleArn = (prefix: string) => `arn:aws:iam::${account}:role/${prefix}`;
    // The template's policies with CloudFormation's references resolved as a deployment would.
    const resolve = (value: unknown): unknown =>
      JSON.parse(
        JSON.stringify(value)
          .replace(/\{"Ref":"AWS::Partition"\}/g, '"aws"')
          .replace(/\{"Fn::GetAtt":\["(\w+)","Arn"\]\}/g, (_m, id: string) => `"${roleArn(id)}"`),
        (_k, v: unknown) =>
          v && typeof v === 'object' && 'Fn::Join' in (v as object)
            ? ((v as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1] as unknown[]).join('')
            : v,
      );
    const policies = Object.entries(t.findResources('AWS::SNS::TopicPolicy')).map(([id, r]) => ({
      id,
      doc: resolve(r.Properties.PolicyDocument) as { Statement: never[] },
    }));
    const alerts = policies.find((p) => p.id.includes('AlertsTopic'))!.doc;
    const pages = policies.filter((p) => p.id.includes('PageTopic'));
    expect(pages).toHaveLength(6);
    const alarm = (sourceAccount: string) => ({
      principal: { service: 'cloudwatch.amazonaws.com' },
      action: 'sns:Publish',
      context: {
        'aws:SourceAccount': sourceAccount,
        'aws:SourceArn': `arn:aws:cloudwatch:${region}:${sourceAccount}:alarm:mcp-ops-artifact-storage-full`,
        'aws:SecureTransport': 'true',
        'aws:PrincipalServiceName': 'cloudwatch.amazonaws.com',
      },
    });
    for (const doc of [alerts, ...pages.map((p) => p.doc)]) {
      expect(evaluate(doc, alarm(account))).toBe('allowed');
      expect(evaluate(doc, alarm('999999999999'))).toBe('implicit');
    }
    const caller = (arn: string) => ({
      principal: { arn },
      action: 'sns:Publish',
      context: { 'aws:PrincipalArn': arn, 'aws:SecureTransport': 'true' },
    });
    expect(evaluate(alerts, caller(alertmanager))).toBe('allowed');
    // Anyone else of the account, even with sns:Publish in their own policy, is denied by name.
    expect(evaluate(alerts, caller(`arn:aws:iam::${account}:role/developer`), true)).toBe('denied');
    const maintenance = Object.keys(t.findResources('AWS::IAM::Role')).find((id) =>
      id.startsWith('MaintenanceJobRole'),
    )!;
    expect(evaluate(alerts, caller(roleArn(maintenance)), true)).toBe('allowed');
    // The key lets the alarms and the named Alertmanager role encrypt.
    const key = resolve(Object.values(t.findResources('AWS::KMS::Key'))[0]!.Properties.KeyPolicy) as {
      Statement: never[];
    };
    expect(evaluate(key, { ...alarm(account), action: 'kms:GenerateDataKey' })).toBe('allowed');
    expect(
      evaluate(key, {
        ...caller(alertmanager),
        action: 'kms:GenerateDataKey',
        context: { 'kms:ViaService': `sns.${region}.amazonaws.com` },
      }),
    ).toBe('allowed');
  });

  it('follows the configuration: prefix, tiers and recipients', () => {
    const custom = synth({
      resourcePrefix: 'ops-staging',
      reports: { recipients: ['sre@example.com', 'lead@example.com'] },
      onCall: {
        tiers: [
          {
            name: 'primary',
            title: 'Primary',
            contact: 'p@example.com',
            respondWithinMinutes: 10,
            severities: ['P0'],
          },
        ],
      },
    }).template;
    custom.resourceCountIs('AWS::SNS::Topic', 5);
    custom.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'ops-staging-page-primary' });
    // Two report recipients, one tier and the Security Team by e-mail, plus the escalation intake on
    // the alerts topic.
    expect(
      Object.keys(custom.findResources('AWS::SNS::Subscription', { Properties: { Protocol: 'email' } })),
    ).toHaveLength(4);
    custom.resourceCountIs('AWS::SNS::Subscription', 5);
    custom.hasResourceProperties('AWS::DynamoDB::Table', { TableName: 'ops-staging-incidents' });
  });

  it('fails synthesis with the wrong key named', () => {
    expect(
      () =>
        new McpOpsStack(new App(), 'Bad', {
          config: parseConfig({ schedules: { timeZone: 'Nowhere/Here' } }),
        }),
    ).toThrow(/config\.schedules\.timeZone/);
    expect(Stack.isStack(stack)).toBe(true);
  });
});
