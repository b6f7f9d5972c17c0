import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { OpsConfig } from '../core/config.ts';
import { INCIDENTS_TABLE } from '../core/incidents/table.ts';
import { MITIGATOR_GROUP, QUARANTINE_GROUP } from '../core/cluster-access.ts';
import { grantClusterRead } from './cluster-reader.ts';
import type { Foundation } from './foundation.ts';
import type { JobFunction } from './job-function.ts';
import { NagSuppressions } from './nag.ts';

/** What escalation's functions may touch: each function's grants on the incident store, secrets and topics. */
export interface EscalationResources {
  /** Where the grants' own constructs (the diagnosis' cluster access entry) are created. */
  readonly scope: Construct;
  readonly table: dynamodb.ITable;
  readonly deliveries: dynamodb.ITable;
  readonly linkSecret: secretsmanager.ISecret;
  readonly notifySecrets: readonly secretsmanager.ISecret[];
}

export class EscalationGrants {
  constructor(private readonly resources: EscalationResources) {}

  /**
   * Intake opens incidents (the day counter, the incident and its open pointer in one transaction),
   * records deliveries, joins repeats and resolves: the widest rights of the three.
   */
  grantIntake(fn: JobFunction): void {
    fn.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'Incidents',
        actions: [
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          // DeleteItem: a resolved alert frees its dedup pointer. (No ConditionCheckItem: the
          // deployed-shape test showed no write of intake ever checks another item.)
          'dynamodb:DeleteItem',
        ],
        resources: [this.resources.table.tableArn],
      }),
    );
    fn.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'Deliveries',
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        resources: [this.resources.deliveries.tableArn],
      }),
    );
  }

  /**
   * The diagnosis reads the cluster (read-only, through an EKS access entry like the checks) and
   * Prometheus, reads the incident and appends its diagnosis, archives it under reports/diagnosis/.
   */
  grantDiagnose(fn: JobFunction, config: OpsConfig, foundation: Foundation): eks.CfnAccessEntry {
    fn.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'Incidents',
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [this.resources.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['INC#*'] } },
      }),
    );
    fn.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ArchiveDiagnosis',
        actions: ['s3:PutObject'],
        resources: [
          foundation.reportsBucket.arnForObjects('reports/diagnosis/*'),
          foundation.reportsBucket.arnForObjects('reports/reviews/*'),
        ],
      }),
    );
    // Runbook 4: the storage report of the cleanup job's newest finished run (cleanup/<run>/summary.json).
    fn.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'CleanupRuns',
        actions: ['s3:ListBucket'],
        resources: [foundation.reportsBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': ['cleanup/', 'cleanup/*/summary.json'] } },
      }),
    );
    fn.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'CleanupSummaries',
        actions: ['s3:GetObject'],
        resources: [foundation.reportsBucket.arnForObjects('cleanup/*/summary.json')],
      }),
    );
    NagSuppressions.addResourceSuppressions(
      fn.role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            "Diagnoses and reviews are archived under reports/diagnosis/ and reports/reviews/ (keys carry the incident id); the cleanup runs' summaries are read from cleanup/<run>/summary.json; the stream actions on the incidents table stream are added by the event source.",
          appliesTo: [
            { regex: '/^Resource::<.*ReportsBucket.*\\.Arn>\\/reports\\/(diagnosis|reviews)\\/\\*$/g' },
            { regex: '/^Resource::<.*ReportsBucket.*\\.Arn>\\/cleanup\\/\\*\\/summary\\.json$/g' },
            { regex: '/^Resource::<.*EvidenceBucket.*\\.Arn>\\/evidence\\/\\*$/g' },
            'Resource::*',
          ],
        },
      ],
      true,
    );
    // Security incidents' evidence: written (with its Object Lock retention) under evidence/, never read back or deleted.
    fn.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteEvidence',
        actions: ['s3:PutObject', 's3:PutObjectRetention'],
        resources: [foundation.evidenceBucket.arnForObjects('evidence/*')],
      }),
    );
    return grantClusterRead(this.resources.scope, 'DiagnoseClusterAccess', fn.role, config, [
      'aps:QueryMetrics',
      'aps:ListAlerts',
    ]);
  }

  /**
   * The mitigation page reads the incident it acts on and records its mitigations there, counts the
   * hour's mitigations, and is the one function whose access entry maps to the writing group
   * (core/cluster-access.ts MITIGATOR_GROUP); no Prometheus, no reports.
   */
  grantMitigate(fn: JobFunction, config: OpsConfig): eks.CfnAccessEntry {
    fn.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'Incidents',
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [this.resources.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['INC#*', 'MITIGATIONS#*'] } },
      }),
    );
    return grantClusterRead(
      this.resources.scope,
      'MitigateClusterAccess',
      fn.role,
      config,
      [],
      [MITIGATOR_GROUP, QUARANTINE_GROUP],
    );
  }

  /** The tick lists open incidents and moves them up the ladder; it creates and deletes nothing. */
  grantTick(fn: JobFunction): void {
    fn.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'Incidents',
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [this.resources.table.tableArn],
      }),
    );
    fn.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'OpenIncidents',
        actions: ['dynamodb:Query'],
        resources: [
          `${this.resources.table.tableArn}/index/${INCIDENTS_TABLE.openIndex.name}`,
          `${this.resources.table.tableArn}/index/${INCIDENTS_TABLE.reviewIndex.name}`,
        ],
      }),
    );
  }

  /**
   * The public link page reads the incident it is asked about and acknowledges or resolves it
   * (freeing its open pointer): incident and pointer items only, no counters, no deliveries, no
   * listing of open incidents.
   */
  grantRespond(fn: JobFunction): void {
    fn.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'Incidents',
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        resources: [this.resources.table.tableArn],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['INC#*', 'OPEN#*', 'SERVICE#*'] },
        },
      }),
    );
  }

  /**
   * Read the link key, publish pages (and the all-clear) to the tier topics and notices to the chat
   * topic, read the chat and ticket secrets when configured: all three do.
   */
  grantPaging(fn: JobFunction, foundation: Foundation): void {
    const role = fn.role;
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'LinkKey',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [this.resources.linkSecret.secretArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'Page',
        actions: ['sns:Publish'],
        resources: [...foundation.tierTopics.values()].map((t) => t.topicArn),
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'Chat',
        actions: ['sns:Publish'],
        resources: [foundation.chatTopic.topicArn],
      }),
    );
    if (this.resources.notifySecrets.length > 0) {
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'NotifySecrets',
          actions: ['secretsmanager:GetSecretValue'],
          // Referenced by name: the ARN ends in a random 6-character suffix Secrets Manager adds.
          resources: this.resources.notifySecrets.map(
            (secret) => secret.secretFullArn ?? `${secret.secretArn}-??????`,
          ),
        }),
      );
    }
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'PageEncrypted',
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: [foundation.topicKey.keyArn],
      }),
    );
    NagSuppressions.addResourceSuppressions(
      role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'kms:GenerateDataKey* is the action family SNS needs to publish to a topic encrypted with this one key.',
          appliesTo: ['Action::kms:GenerateDataKey*'],
        },
      ],
      true,
    );
  }
}
