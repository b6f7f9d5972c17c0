import { Duration, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { NagSuppressions } from './nag.ts';
import { Construct } from 'constructs';
import type { OpsConfig } from '../core/config.ts';

/** What the reports bucket keeps for `reports.archiveDays`: the reports and their delivery markers. */
export const REPORT_ARCHIVE_PREFIXES = [
  'reports/morning/',
  'reports/evening/',
  'reports/security/',
  'reports/diagnosis/',
  'reports/maintenance/',
] as const;
/** What it keeps for `reports.auditDays`: what was deleted and why, and what was learned. */
export const AUDIT_TRAIL_PREFIXES = ['cleanup/', 'reports/reviews/'] as const;

export interface FoundationProps {
  readonly config: OpsConfig;
}

/**
 * What every job shares: the encryption key of the topics, the reports topic (e-mail to the team),
 * the alerts topic (CloudWatch alarms and Alertmanager publish here; escalation subscribes), one page
 * topic per on-call tier, the reports archive bucket, and the service's buckets referenced by name.
 */
export class Foundation extends Construct {
  readonly topicKey: kms.Key;
  /** Security incidents' evidence (S3 Object Lock, compliance mode). */
  readonly evidenceBucket: s3.Bucket;
  readonly reportsTopic: sns.Topic;
  readonly alertsTopic: sns.Topic;
  /**
   * The team's chat: incident notices in AWS Chatbot's custom notification format. Point an AWS
   * Chatbot (Amazon Q Developer in chat applications) Slack or Teams channel at it.
   */
  readonly chatTopic: sns.Topic;
  readonly tierTopics: ReadonlyMap<string, sns.Topic>;
  readonly reportsBucket: s3.Bucket;
  readonly artifactsBucket: s3.IBucket;
  readonly backupBucket: s3.IBucket;

  constructor(scope: Construct, id: string, props: FoundationProps) {
    super(scope, id);
    const { config } = props;
    const prefix = config.resourcePrefix;

    // CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key, so the
    // topics share one customer-managed key that CloudWatch and the Scheduler may use.
    this.topicKey = new kms.Key(this, 'TopicKey', {
      alias: `alias/${prefix}-topics`,
      description: 'Encrypts the mcp-ops SNS topics',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Only this account's alarms: without the conditions any account's CloudWatch could use the key
    // (the confused-deputy problem).
    const { account, region, partition } = Stack.of(this);
    this.topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:*` },
        },
      }),
    );

    const topic = (logicalId: string, name: string, displayName: string): sns.Topic =>
      new sns.Topic(this, logicalId, {
        topicName: `${prefix}-${name}`,
        displayName,
        masterKey: this.topicKey,
        enforceSSL: true,
      });

    // `enforceSSL` gives each topic a policy, and that policy replaces SNS's default one: without
    // an allow here no CloudWatch alarm could publish. Only this account's alarms may.
    const alarmsOfThisAccount = (target: sns.Topic) =>
      target.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowThisAccountsAlarms',
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [target.topicArn],
          conditions: {
            StringEquals: { 'aws:SourceAccount': account },
            ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:*` },
          },
        }),
      );

    this.reportsTopic = topic('ReportsTopic', 'reports', 'MCP daily reports');
    for (const recipient of config.reports.recipients) {
      this.reportsTopic.addSubscription(new subscriptions.EmailSubscription(recipient));
    }
    this.alertsTopic = topic('AlertsTopic', 'alerts', 'MCP alerts');
    alarmsOfThisAccount(this.alertsTopic);
    this.guardAlerts(config);
    this.chatTopic = topic('ChatTopic', 'chat', 'MCP incidents (chat)');

    const tiers = new Map<string, sns.Topic>();
    for (const tier of config.onCall.tiers) {
      const tierTopic = topic(`PageTopic-${tier.name}`, `page-${tier.name}`, `MCP page: ${tier.title}`);
      tierTopic.addSubscription(new subscriptions.EmailSubscription(tier.contact));
      alarmsOfThisAccount(tierTopic);
      tiers.set(tier.name, tierTopic);
    }
    // The Security Team (the manual's contacts: security@, 24/7): paged on every security
    // incident beside the ladder; `security` is no tier's name (config refuses it).
    const securityTopic = topic('PageTopic-security', 'page-security', 'MCP page: Security Team');
    securityTopic.addSubscription(new subscriptions.EmailSubscription(config.security.contact));
    alarmsOfThisAccount(securityTopic);
    tiers.set('security', securityTopic);
    this.tierTopics = tiers;
    this.guardDutyFindings(config.resourcePrefix);

    const accessLogs = new s3.Bucket(this, 'AccessLogsBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    NagSuppressions.addResourceSuppressions(accessLogs, [
      {
        id: 'AwsSolutions-S1',
        reason: 'This is the access-log bucket itself; logging it into itself would loop.',
      },
    ]);

    this.reportsBucket = new s3.Bucket(this, 'ReportsBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: false,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'reports/',
      // Reports expire after archiveDays; the audit trail (cleanup manifests, post-incident
      // reviews) after auditDays, so it outlives the data it describes. S3 applies the shorter of
      // two overlapping expirations, so each rule names its own prefixes and none covers another's.
      lifecycleRules: [
        ...REPORT_ARCHIVE_PREFIXES.map((prefix) => ({
          id: `reports-${prefix.split('/')[1]}`,
          prefix,
          expiration: Duration.days(config.reports.archiveDays),
        })),
        ...AUDIT_TRAIL_PREFIXES.map((prefix) => ({
          id: `audit-${prefix.replace(/\/$/, '').replace(/\//g, '-')}`,
          prefix,
          expiration: Duration.days(config.reports.auditDays),
        })),
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Security incidents' evidence: write-once (Object Lock, compliance mode), kept
    // `security.evidenceRetentionDays`; nobody, root included, deletes or overwrites it before then.
    this.evidenceBucket = new s3.Bucket(this, 'EvidenceBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention: s3.ObjectLockRetention.compliance(
        Duration.days(config.security.evidenceRetentionDays),
      ),
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'evidence/',
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // The service's own buckets already exist and are owned elsewhere: referenced, never created.
    this.artifactsBucket = s3.Bucket.fromBucketName(this, 'ArtifactsBucket', config.buckets.artifacts);
    this.backupBucket = s3.Bucket.fromBucketName(this, 'BackupBucket', config.buckets.backup);
  }

  /** The stack's own roles that publish to the alerts topic (added by the jobs that do). */
  private readonly alertRoles: iam.IRole[] = [];

  /**
   * Publishing to the alerts topic pages people and resolves incidents: only the named
   * Alertmanager roles (and Amazon Managed Prometheus for its workspace) are allowed besides the
   * alarms, and every other principal that is not an AWS service is denied, whatever its own IAM
   * policy says. The stack's own publishers are added with `allowAlertPublisher`.
   */
  private guardAlerts(config: OpsConfig): void {
    const { account, region, partition } = Stack.of(this);
    const publishers = config.escalation.alertPublishers;
    if (publishers.length > 0) {
      this.alertsTopic.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowAlertmanager',
          principals: publishers.map((arn) => new iam.ArnPrincipal(arn)),
          actions: ['sns:Publish'],
          resources: [this.alertsTopic.topicArn],
        }),
      );
      // A role of another account needs the topic key too (this account's principals have it
      // through their IAM policies and the key's default statement).
      this.topicKey.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowAlertmanagerToEncrypt',
          principals: publishers.map((arn) => new iam.ArnPrincipal(arn)),
          actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
          resources: ['*'],
          conditions: { StringEquals: { 'kms:ViaService': `sns.${region}.amazonaws.com` } },
        }),
      );
    }
    if (config.prometheus.access === 'amp' && config.prometheus.ampWorkspaceId) {
      const workspace = `arn:${partition}:aps:${region}:${account}:workspace/${config.prometheus.ampWorkspaceId}`;
      const source = {
        StringEquals: { 'aws:SourceAccount': account },
        ArnEquals: { 'aws:SourceArn': workspace },
      };
      this.alertsTopic.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowManagedPrometheusAlertManager',
          principals: [new iam.ServicePrincipal('aps.amazonaws.com')],
          actions: ['sns:Publish', 'sns:GetTopicAttributes'],
          resources: [this.alertsTopic.topicArn],
          conditions: source,
        }),
      );
      this.topicKey.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowManagedPrometheusToEncrypt',
          principals: [new iam.ServicePrincipal('aps.amazonaws.com')],
          actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
          resources: ['*'],
          conditions: source,
        }),
      );
    }
    // Resolved at synthesis, once every job has named its publishing role.
    const allowed = Lazy.list({
      produce: () => [...publishers, ...this.alertRoles.map((r) => r.roleArn)],
    });
    this.alertsTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyEveryOtherPublisher',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['sns:Publish'],
        resources: [this.alertsTopic.topicArn],
        conditions: {
          // AWS services (CloudWatch, Managed Prometheus) carry aws:PrincipalServiceName and are
          // held by their own statements' source conditions instead.
          Null: { 'aws:PrincipalServiceName': 'true' },
          StringNotEquals: { 'aws:PrincipalArn': allowed },
        },
      }),
    );
  }

  /**
   * Amazon GuardDuty's findings about EKS (EKS Protection, Runtime Monitoring) onto the alerts
   * topic as EventBridge sends them; intake reads them as security incidents. The topic's key lets
   * EventBridge encrypt for this rule only.
   */
  private guardDutyFindings(prefix: string): void {
    const ruleName = `${prefix}-guardduty-eks-findings`;
    new events.Rule(this, 'GuardDutyEksFindings', {
      ruleName,
      description: 'GuardDuty findings about EKS clusters to the alerts topic (security incidents)',
      eventPattern: {
        source: ['aws.guardduty'],
        detailType: ['GuardDuty Finding'],
        detail: { resource: { resourceType: ['EKSCluster'] } },
      },
      // The topic as the target, without the SNS target's own grant (which names no source): the
      // statements below let this one rule publish and encrypt, nothing else of EventBridge.
      targets: [{ bind: () => ({ arn: this.alertsTopic.topicArn }) }],
    });
    // The rule's ARN by its name: a reference would make the key wait for the rule, which waits for
    // the topic, which waits for the key.
    const onlyThisRule = {
      ArnEquals: {
        'aws:SourceArn': Stack.of(this).formatArn({
          service: 'events',
          resource: 'rule',
          resourceName: ruleName,
        }),
      },
    };
    this.alertsTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowGuardDutyRule',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alertsTopic.topicArn],
        conditions: onlyThisRule,
      }),
    );
    this.topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowGuardDutyRuleToEncrypt',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: onlyThisRule,
      }),
    );
  }

  /** A role of this stack that publishes to the alerts topic: the deny lets it through. */
  allowAlertPublisher(role: iam.IRole): void {
    this.alertRoles.push(role);
  }

  tierTopic(name: string): sns.Topic {
    const found = this.tierTopics.get(name);
    if (!found) throw new Error(`No on-call tier named "${name}" in config.onCall.tiers`);
    return found;
  }
}
