import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { TimeZone } from 'aws-cdk-lib/core';
import { Construct } from 'constructs';
import { join } from 'node:path';
import type { OpsConfig } from '../core/config.ts';
import { ENV } from '../core/function-env.ts';
import { maintenanceSchedules } from '../core/maintenance-window.ts';
import { INCIDENTS_TABLE } from '../core/incidents/table.ts';
import type { Checks } from './checks-construct.ts';
import { grantBackupRead, grantClusterRead, reportsMailStatement } from './cluster-reader.ts';
import { JobSchedule } from './daily-schedule.ts';
import type { Foundation } from './foundation.ts';
import { JobFunction } from './job-function.ts';
import { NagSuppressions } from './nag.ts';

export interface MaintenanceProps {
  readonly config: OpsConfig;
  readonly foundation: Foundation;
  /** The incidents table: the pre-check looks for open P0/P1 incidents. */
  readonly incidents: dynamodb.ITable;
  /** The reports' SES identity and configuration set, when `reports.email` is set. */
  readonly mail?: Checks['mail'];
}

export const MAINTENANCE_METRICS_NAMESPACE = 'McpOps/Maintenance';

/**
 * The maintenance job: the manual's "Routine Maintenance Windows" checklist on EventBridge
 * Scheduler schedules in UTC around each window (notice 7 days ahead, reminder and pre-check 24 h
 * ahead, pre-check 1 h ahead, maintenance mode watched through the window, post-check at its end),
 * read-only cluster access through an EKS access entry, its state under the reports bucket's
 * reports/maintenance/, pages through the alerts topic.
 */
export class Maintenance extends Construct {
  readonly job: JobFunction;
  readonly schedules: Record<string, JobSchedule> = {};
  readonly accessEntry: eks.CfnAccessEntry;

  constructor(scope: Construct, id: string, props: MaintenanceProps) {
    super(scope, id);
    const { config, foundation } = props;
    const prefix = config.resourcePrefix;
    this.job = new JobFunction(this, 'Job', {
      entry: join(import.meta.dirname, '..', 'functions', 'maintenance', 'handler.ts'),
      functionName: `${prefix}-maintenance`,
      description: 'Maintenance window checklist: notice, pre-checks, maintenance mode, post-check',
      timeout: Duration.minutes(5),
      memorySize: 512,
      alertsTopic: foundation.alertsTopic,
      serviceName: 'maintenance',
      metricsNamespace: MAINTENANCE_METRICS_NAMESPACE,
      ...(config.clusterNetwork ? { network: config.clusterNetwork } : {}),
      environment: {
        [ENV.config]: JSON.stringify(config),
        [ENV.reportsTopic]: foundation.reportsTopic.topicArn,
        [ENV.reportsBucket]: foundation.reportsBucket.bucketName,
        [ENV.alertsTopic]: foundation.alertsTopic.topicArn,
        [ENV.incidentsTable]: props.incidents.tableName,
        ...(props.mail ? { [ENV.mailConfigurationSet]: props.mail.configurationSetName } : {}),
      },
    });
    const statements = [
      new iam.PolicyStatement({
        sid: 'WindowState',
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [foundation.reportsBucket.arnForObjects('reports/maintenance/*')],
      }),
      // S3 answers a GetObject of a key that is not there (a window's first record, a marker not
      // yet written) with 404 only to a caller that may list the bucket; else 403.
      new iam.PolicyStatement({
        sid: 'WindowStateList',
        actions: ['s3:ListBucket'],
        resources: [foundation.reportsBucket.bucketArn],
      }),
      new iam.PolicyStatement({
        sid: 'OpenIncidents',
        actions: ['dynamodb:Query'],
        resources: [`${props.incidents.tableArn}/index/${INCIDENTS_TABLE.openIndex.name}`],
      }),
      new iam.PolicyStatement({
        sid: 'Page',
        actions: ['sns:Publish'],
        resources: [foundation.alertsTopic.topicArn],
      }),
      new iam.PolicyStatement({
        sid: 'SendReports',
        actions: ['sns:Publish'],
        resources: [foundation.reportsTopic.topicArn],
      }),
      new iam.PolicyStatement({
        sid: 'SendEncrypted',
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: [foundation.topicKey.keyArn],
      }),
    ];
    if (props.mail) statements.push(reportsMailStatement(this, props.mail, 'SendMail'));
    for (const statement of statements) this.job.role.addToPolicy(statement);
    // It pages through the alerts topic, whose policy denies every publisher it does not name.
    foundation.allowAlertPublisher(this.job.role);
    grantBackupRead(this.job.role, foundation.backupBucket);
    NagSuppressions.addResourceSuppressions(
      this.job.role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'The window state lives under reports/maintenance/ (keys carry the window); the pre-check verifies the backup folder latest.txt names. Read-only except that prefix.',
          appliesTo: [
            { regex: '/^Resource::<.*ReportsBucket.*\\.Arn>\\/reports\\/maintenance\\/\\*$/g' },
            `Resource::arn:<AWS::Partition>:s3:::${config.buckets.backup}/*`,
            'Action::kms:GenerateDataKey*',
          ],
        },
      ],
      true,
    );

    this.accessEntry = grantClusterRead(this, 'ClusterAccess', this.job.role, config);

    const descriptions: Record<string, string> = {
      notice: 'Maintenance notice to users, 7 days ahead, and the maintenance ticket',
      reminder: 'Maintenance reminder to users, 24 hours ahead',
      'pre-24h': 'Pre-maintenance check, 24 hours ahead',
      'pre-1h': 'Pre-maintenance check, 1 hour ahead (pages on failure)',
      watch: 'Records maintenance mode on and off through the window',
      post: 'Post-maintenance verification at the window end',
    };
    for (const { stage, expression, exact } of maintenanceSchedules(config.maintenanceWindow)) {
      this.schedules[stage] = new JobSchedule(this, `Schedule-${stage}`, {
        scheduleName: `${prefix}-maintenance-${stage}`,
        description: `${descriptions[stage]}${exact ? '' : ' (weekly; runs only in the window’s week)'}`,
        expression: scheduler.ScheduleExpression.expression(expression, TimeZone.ETC_UTC),
        target: this.job.function,
        input: { stage, at: scheduler.ContextAttribute.scheduledTime },
        deadLetterQueue: this.job.deadLetterQueue,
      });
    }
  }
}
