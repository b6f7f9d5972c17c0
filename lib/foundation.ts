import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
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

    this.reportsTopic = topic('ReportsTopic', 'reports', 'MCP daily reports');
    for (const recipient of config.reports.recipients) {
      this.reportsTopic.addSubscription(new subscriptions.EmailSubscription(recipient));
    }
    this.alertsTopic = topic('AlertsTopic', 'alerts', 'MCP alerts');
    this.chatTopic = topic('ChatTopic', 'chat', 'MCP incidents (chat)');

    const tiers = new Map<string, sns.Topic>();
    for (const tier of config.onCall.tiers) {
      const tierTopic = topic(`PageTopic-${tier.name}`, `page-${tier.name}`, `MCP page: ${tier.title}`);
      tierTopic.addSubscription(new subscriptions.EmailSubscription(tier.contact));
      tiers.set(tier.name, tierTopic);
    }
    this.tierTopics = tiers;

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

    // The service's own buckets already exist and are owned elsewhere: referenced, never created.
    this.artifactsBucket = s3.Bucket.fromBucketName(this, 'ArtifactsBucket', config.buckets.artifacts);
    this.backupBucket = s3.Bucket.fromBucketName(this, 'BackupBucket', config.buckets.backup);
  }

  tierTopic(name: string): sns.Topic {
    const found = this.tierTopics.get(name);
    if (!found) throw new Error(`No on-call tier named "${name}" in config.onCall.tiers`);
    return found;
  }
}
