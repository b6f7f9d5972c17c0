import { parseAlertMessage } from '../../functions/escalation/alerts.ts';
import { incidentSeverity } from '../../core/incidents/severity.ts';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config.ts';
import { McpOpsStack } from '../../lib/mcp-ops-stack.ts';

const stack = new McpOpsStack(new App(), 'McpOps', {
  config: parseConfig({}),
  env: { account: '111122223333', region: 'eu-west-1' },
});
const template = Template.fromStack(stack);

function statementsOf(rolePrefix: string) {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.entries(policies)
    .filter(([id]) => id.startsWith(rolePrefix))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>);
}

const tableArn = { 'Fn::GetAtt': [expect.stringMatching(/^EscalationIncidents/), 'Arn'] };
const primaryTopic = { Ref: Match.stringLikeRegexp('PageTopicprimary') };

describe('escalation in the stack', () => {
  it('keeps incidents (point-in-time recovery, open-incidents and pending-reviews indexes) and expiring delivery records in DynamoDB', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        TableName: 'mcp-ops-incidents',
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        GlobalSecondaryIndexes: [
          Match.objectLike({
            IndexName: 'open-incidents',
            KeySchema: [
              { AttributeName: 'openFlag', KeyType: 'HASH' },
              { AttributeName: 'createdAt', KeyType: 'RANGE' },
            ],
          }),
          // Drafted reviews not yet done, by due time: the tick's overdue-review reminders.
          Match.objectLike({
            IndexName: 'pending-reviews',
            KeySchema: [
              { AttributeName: 'reviewPending', KeyType: 'HASH' },
              { AttributeName: 'reviewDueAt', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          }),
        ],
      }),
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'mcp-ops-alert-deliveries',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'mcp-ops/escalation-link-secret',
      GenerateSecretString: { PasswordLength: 48, ExcludePunctuation: true },
    });
  });

  it('has intake on the alerts topic, a tick every minute and a function URL for the links', () => {
    for (const name of ['intake', 'tick', 'respond']) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: `mcp-ops-escalation-${name}`,
        Timeout: 60,
        Environment: {
          Variables: Match.objectLike({
            POWERTOOLS_SERVICE_NAME: `escalation-${name}`,
            POWERTOOLS_METRICS_NAMESPACE: 'McpOps/Escalation',
            INCIDENTS_TABLE: { Ref: Match.stringLikeRegexp('EscalationIncidents') },
            DELIVERIES_TABLE: { Ref: Match.stringLikeRegexp('EscalationDeliveries') },
            LINK_SECRET_ARN: { Ref: Match.stringLikeRegexp('EscalationLinkSecret') },
            TIER_TOPICS: Match.anyValue(),
          }),
        },
      });
    }
    // Pages carry links to the respond function's URL.
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'mcp-ops-escalation-intake',
      Environment: {
        Variables: Match.objectLike({
          LINK_BASE_URL: {
            'Fn::GetAtt': [Match.stringLikeRegexp('EscalationRespondFunctionFunctionUrl'), 'FunctionUrl'],
          },
        }),
      },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: { Ref: Match.stringLikeRegexp('AlertsTopic') },
      Endpoint: { 'Fn::GetAtt': [Match.stringLikeRegexp('EscalationIntakeFunction'), 'Arn'] },
      RedrivePolicy: {
        deadLetterTargetArn: {
          'Fn::GetAtt': [Match.stringLikeRegexp('EscalationIntakeDeadLetterQueue'), 'Arn'],
        },
      },
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'mcp-ops-escalation-tick',
      ScheduleExpression: 'rate(1 minute)',
      Target: Match.objectLike({
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('EscalationTickFunction'), 'Arn'] },
        RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('EscalationTickScheduleRole'), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
      }),
    });
    template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'NONE',
      TargetFunctionArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('EscalationRespondFunction'), 'Arn'] },
    });
  });

  it('lets each function touch only the incidents table, its index, the link key and the page topics', () => {
    for (const role of ['EscalationIntakeRole', 'EscalationTickRole', 'EscalationRespondRole']) {
      const statements = statementsOf(role);
      const bySid = (sid: string) => statements.find((s) => s.Sid === sid);
      expect(bySid('LinkKey'), role).toMatchObject({
        Action: 'secretsmanager:GetSecretValue',
        Resource: { Ref: expect.stringMatching(/EscalationLinkSecret/) },
      });
      const page = bySid('Page') as { Resource: Array<{ Ref: string }> };
      expect(page.Resource.map((r) => r.Ref.replace(/[A-F0-9]{8}$/, '')).sort()).toEqual(
        [
          'FoundationPageTopicengineeringmanager',
          'FoundationPageTopicprimary',
          'FoundationPageTopicsecondary',
          'FoundationPageTopicsecurity',
          'FoundationPageTopicteamlead',
          'FoundationPageTopicvpengineering',
        ].sort(),
      );
      expect(bySid('Chat'), role).toMatchObject({
        Action: 'sns:Publish',
        Resource: { Ref: expect.stringMatching(/^FoundationChatTopic/) },
      });
      // No chat or ticket secrets unless they are configured.
      expect(bySid('NotifySecrets'), role).toBeUndefined();
      expect(bySid('PageEncrypted')).toMatchObject({
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/TopicKey/), 'Arn'] },
      });
      // No statement anywhere names every resource.
      for (const s of statements) expect(s.Resource, JSON.stringify(s)).not.toEqual('*');
      expect(JSON.stringify(statements)).not.toMatch(/dynamodb:\*|sns:\*|Scan/);
    }
    const dynamoOf = (role: string) =>
      statementsOf(role)
        .filter((s) => JSON.stringify(s.Action).includes('dynamodb:'))
        .map(({ Sid, Action, Resource, Condition }) => ({ Sid, Action, Resource, Condition }));
    expect(dynamoOf('EscalationIntakeRole')).toEqual([
      {
        Sid: 'Incidents',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        Resource: tableArn,
        Condition: undefined,
      },
      {
        Sid: 'Deliveries',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^EscalationDeliveries/), 'Arn'] },
        Condition: undefined,
      },
    ]);
    expect(dynamoOf('EscalationTickRole')).toEqual([
      {
        Sid: 'Incidents',
        Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        Resource: tableArn,
        Condition: undefined,
      },
      {
        Sid: 'OpenIncidents',
        Action: 'dynamodb:Query',
        Resource: [
          { 'Fn::Join': ['', [tableArn, '/index/open-incidents']] },
          { 'Fn::Join': ['', [tableArn, '/index/pending-reviews']] },
        ],
        Condition: undefined,
      },
    ]);
    // The public page: the incident it is asked about and its open pointer, nothing else.
    expect(dynamoOf('EscalationRespondRole')).toEqual([
      {
        Sid: 'Incidents',
        Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        Resource: tableArn,
        Condition: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['INC#*', 'OPEN#*', 'SERVICE#*'] },
        },
      },
    ]);
  });

  it('reserves a little concurrency for the public respond page, and reads chat and ticket secrets only when configured', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    const reserved = Object.values(functions)
      .filter((f) => String(f.Properties.FunctionName).startsWith('mcp-ops-escalation-'))
      .map((f) => [f.Properties.FunctionName, f.Properties.ReservedConcurrentExecutions]);
    expect(Object.fromEntries(reserved)).toEqual({
      'mcp-ops-escalation-respond': 5,
      'mcp-ops-escalation-intake': undefined,
      'mcp-ops-escalation-tick': undefined,
    });
    const other = Template.fromStack(
      new McpOpsStack(new App(), 'Configured', {
        config: parseConfig({
          escalation: {
            respondReservedConcurrency: null,
            slackWebhookSecretName: 'team/slack-webhook',
            tickets: {
              url: 'https://example.atlassian.net/rest/api/2/issue',
              authorizationSecretName: 'team/jira',
            },
          },
        }),
        env: { account: '111122223333', region: 'eu-west-1' },
      }),
    );
    other.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'mcp-ops-escalation-respond',
      ReservedConcurrentExecutions: Match.absent(),
      Environment: {
        Variables: Match.objectLike({
          SLACK_WEBHOOK_SECRET_ARN: Match.anyValue(),
          TICKETS_SECRET_ARN: Match.anyValue(),
          CHAT_TOPIC_ARN: { Ref: Match.stringLikeRegexp('FoundationChatTopic') },
        }),
      },
    });
    const secrets = Object.entries(other.findResources('AWS::IAM::Policy'))
      .filter(([id]) => /^Escalation(Intake|Tick|Respond)Role/.test(id))
      .map(([, p]) =>
        (p.Properties.PolicyDocument.Statement as Array<{ Sid?: string; Resource: unknown }>).find(
          (st) => st.Sid === 'NotifySecrets',
        ),
      );
    expect(secrets).toHaveLength(3);
    for (const statement of secrets) {
      const text = JSON.stringify(statement!.Resource);
      expect(text).toMatch(/:secret:team\/slack-webhook-\?{6}"/);
      expect(text).toMatch(/:secret:team\/jira-\?{6}"/);
    }
  });

  it('diagnoses each new incident and reviews each resolved one from the table’s stream, reading the cluster read-only', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'mcp-ops-incidents',
      StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: Match.stringLikeRegexp('EscalationDiagnoseFunction') },
      StartingPosition: 'LATEST',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 2,
      FilterCriteria: {
        Filters: [
          {
            Pattern: JSON.stringify({
              eventName: ['INSERT'],
              dynamodb: { NewImage: { pk: { S: [{ prefix: 'INC#' }] } } },
            }),
          },
          {
            Pattern: JSON.stringify({
              eventName: ['MODIFY'],
              dynamodb: {
                NewImage: {
                  pk: { S: [{ prefix: 'INC#' }] },
                  status: { S: ['resolved'] },
                  review: [{ exists: false }],
                },
              },
            }),
          },
          {
            // A quarantine in place with no second evidence capture yet.
            Pattern: JSON.stringify({
              eventName: ['MODIFY'],
              dynamodb: {
                NewImage: {
                  pk: { S: [{ prefix: 'INC#' }] },
                  quarantinedAt: { S: [{ exists: true }] },
                  evidenceAfterQuarantine: [{ exists: false }],
                },
              },
            }),
          },
        ],
      },
    });
    const statements = statementsOf('EscalationDiagnoseRole');
    const incidents = statements.find((s) => s.Sid === 'Incidents')!;
    expect(incidents.Action).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    expect(incidents.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['INC#*'] } });
    const archive = JSON.stringify(statements.find((s) => s.Sid === 'ArchiveDiagnosis')!.Resource);
    expect(archive).toContain('/reports/diagnosis/*');
    expect(archive).toContain('/reports/reviews/*');
    // Security incidents' evidence: written under evidence/ with its retention, never read or deleted.
    const evidence = statements.find((s) => s.Sid === 'WriteEvidence')!;
    expect(evidence.Action).toEqual(['s3:PutObject', 's3:PutObjectRetention']);
    expect(JSON.stringify(evidence.Resource)).toMatch(/EvidenceBucket.*\/evidence\/\*/);
    // Runbook 4: the cleanup runs' summaries, listed and read, nothing else of the bucket.
    const runs = statements.find((s) => s.Sid === 'CleanupRuns')!;
    expect(runs.Action).toBe('s3:ListBucket');
    expect(runs.Condition).toEqual({ StringLike: { 's3:prefix': ['cleanup/', 'cleanup/*/summary.json'] } });
    const summaries = statements.find((s) => s.Sid === 'CleanupSummaries')!;
    expect(summaries.Action).toBe('s3:GetObject');
    expect(JSON.stringify(summaries.Resource)).toMatch(/\/cleanup\/\*\/summary\.json"\]\]\}$/);
    template.hasResourceProperties('AWS::EKS::AccessEntry', {
      PrincipalArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('EscalationDiagnoseRole'), 'Arn'] },
      KubernetesGroups: ['mcp-ops:readonly'],
    });
  });

  it('gives the mitigation page its own URL, role and access entry: the only one mapped to the writing group', () => {
    template.hasResourceProperties('AWS::Lambda::Url', {
      TargetFunctionArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('EscalationMitigateFunction'), 'Arn'] },
      AuthType: 'NONE',
    });
    const statements = statementsOf('EscalationMitigateRole');
    const incidents = statements.find((s) => s.Sid === 'Incidents')!;
    expect(incidents.Action).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    expect(incidents.Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['INC#*', 'MITIGATIONS#*'] },
    });
    // No S3, no Prometheus, no other table.
    expect(JSON.stringify(statements)).not.toMatch(/s3:|aps:|Deliveries/);
    const entries = Object.values(template.findResources('AWS::EKS::AccessEntry'));
    const writers = entries.filter((e) =>
      JSON.stringify(e.Properties.KubernetesGroups).includes('mitigator'),
    );
    expect(writers).toHaveLength(1);
    expect(writers[0]!.Properties).toMatchObject({
      PrincipalArn: { 'Fn::GetAtt': [expect.stringMatching(/^EscalationMitigateRole/), 'Arn'] },
      KubernetesGroups: ['mcp-ops:mitigator', 'mcp-ops:quarantine'],
    });
    // The diagnosis signs links to it.
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'mcp-ops-escalation-diagnose',
      Environment: {
        Variables: Match.objectLike({
          MITIGATE_BASE_URL: {
            'Fn::GetAtt': [Match.stringLikeRegexp('EscalationMitigateFunctionFunctionUrl'), 'FunctionUrl'],
          },
        }),
      },
    });
  });

  it('pages the primary directly when the ladder stops or escalation itself fails', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'mcp-ops-escalation-tick-stopped',
      Namespace: 'McpOps/Escalation',
      MetricName: 'TickCompleted',
      Dimensions: [{ Name: 'service', Value: 'escalation-tick' }],
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
      AlarmActions: [primaryTopic],
      OKActions: [primaryTopic],
    });
    for (const name of ['intake-errors', 'intake-dead-letters', 'tick-errors', 'tick-dead-letters']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `mcp-ops-escalation-${name}`,
        AlarmActions: [{ Ref: Match.stringLikeRegexp('AlertsTopic') }, primaryTopic],
      });
    }
  });

  it('says each alarm’s severity (intake reads it), alarms on a throttled respond page, a stream behind and a tick failing on an incident, and protects the incidents table', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => a.Properties as { AlarmName: string; AlarmDescription: string },
    );
    // A description with the log group's name in it is an Fn::Join: the references as placeholders.
    const text = (d: unknown): string =>
      typeof d === 'string'
        ? d
        : (d as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1]
            .map((p) => (typeof p === 'string' ? p : 'REF'))
            .join('');
    const descriptionOf = (name: string) => text(alarms.find((a) => a.AlarmName === name)!.AlarmDescription);
    // What intake would make of each (the description is what CloudWatch sends as AlarmDescription).
    const severityOf = (name: string) =>
      incidentSeverity(
        parseAlertMessage(
          JSON.stringify({ AlarmName: name, AlarmDescription: descriptionOf(name), NewStateValue: 'ALARM' }),
        )[0]!,
      );
    expect(severityOf('mcp-ops-escalation-diagnose-errors')).toBe('P2');
    for (const fn of ['intake', 'tick', 'respond'])
      for (const kind of ['errors', 'dead-letters'])
        expect(severityOf(`mcp-ops-escalation-${fn}-${kind}`)).toBe('P1');
    expect(severityOf('mcp-ops-checks-errors')).toBe('P2');
    expect(severityOf('mcp-ops-escalation-respond-throttled')).toBe('P1');
    expect(severityOf('mcp-ops-escalation-tick-incident-failures')).toBe('P1');
    expect(severityOf('mcp-ops-escalation-diagnose-stream-behind')).toBe('P2');
    // Every alarm of the stack says its severity.
    for (const a of alarms)
      expect(text(a.AlarmDescription), a.AlarmName).toMatch(/severity=(critical|warning)/);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'mcp-ops-escalation-respond-throttled',
      MetricName: 'Throttles',
      Namespace: 'AWS/Lambda',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'mcp-ops-escalation-tick-incident-failures',
      MetricName: 'IncidentFailures',
      Dimensions: [{ Name: 'service', Value: 'escalation-tick' }],
      EvaluationPeriods: 5,
      DatapointsToAlarm: 3,
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'mcp-ops-incidents',
      DeletionProtectionEnabled: true,
    });
  });
});
