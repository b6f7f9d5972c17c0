import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { join } from 'node:path';
import type { OpsConfig } from '../core/config.ts';
import { DailySchedule } from './daily-schedule.ts';
import type { Foundation } from './foundation.ts';
import { JobFunction } from './job-function.ts';
import { NagSuppressions } from './nag.ts';
import { ENV } from '../core/function-env.ts';

export interface BackupProps {
  readonly config: OpsConfig;
  readonly foundation: Foundation;
}

export const BACKUP_METRICS_NAMESPACE = 'McpOps/Backup';

/**
 * Daily backup verification: the function, its schedule in the team's zone, read-only access to
 * the backup bucket, and two alarms through the alerts topic (so escalation pages someone): the
 * backup failed verification, or no verification ran for a day.
 */
export class Backup extends Construct {
  readonly job: JobFunction;
  readonly schedule: DailySchedule;
  readonly failedAlarm: cloudwatch.Alarm;
  readonly notRunAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: BackupProps) {
    super(scope, id);
    const { config, foundation } = props;
    const functionName = `${config.resourcePrefix}-backup-verify`;
    this.job = new JobFunction(this, 'Job', {
      entry: join(import.meta.dirname, '..', 'functions', 'backup', 'handler.ts'),
      functionName,
      description: 'Verifies the latest backup: pointer, metadata, age, counts, sizes, sampled checksums',
      timeout: Duration.minutes(10),
      memorySize: 1024,
      alertsTopic: foundation.alertsTopic,
      serviceName: 'backup',
      metricsNamespace: BACKUP_METRICS_NAMESPACE,
      environment: { [ENV.config]: JSON.stringify(config) },
    });
    const backup = foundation.backupBucket;
    this.job.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ListBackups',
        actions: ['s3:ListBucket'],
        resources: [backup.bucketArn],
      }),
    );
    this.job.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadBackups',
        actions: ['s3:GetObject'],
        resources: [backup.arnForObjects('*')],
      }),
    );
    NagSuppressions.addResourceSuppressions(
      this.job.role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'Verification reads latest.txt, the folder it names and sampled objects of the backup bucket; the folder is only known at run time. Read only.',
          appliesTo: [`Resource::arn:<AWS::Partition>:s3:::${config.buckets.backup}/*`],
        },
      ],
      true,
    );

    this.schedule = new DailySchedule(this, 'Daily', {
      scheduleName: `${config.resourcePrefix}-backup-verify`,
      description: 'Daily backup verification',
      time: config.schedules.backupVerify,
      timeZone: config.schedules.timeZone,
      target: this.job.function,
      input: {},
      deadLetterQueue: this.job.deadLetterQueue,
    });

    const verified = (statistic: string, period: Duration) =>
      new cloudwatch.Metric({
        namespace: BACKUP_METRICS_NAMESPACE,
        metricName: 'BackupVerified',
        dimensionsMap: { service: 'backup' },
        statistic,
        period,
      });
    this.failedAlarm = new cloudwatch.Alarm(this, 'FailedAlarm', {
      alarmName: `${config.resourcePrefix}-backup-verification-failed`,
      alarmDescription:
        'severity=critical; runbook=backup-verification; the latest backup failed verification (missing, stale, incomplete or corrupt). Run `mcp-ops backup verify` for the named failures.',
      metric: verified('Minimum', Duration.hours(1)),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    // A verification that never ran is as bad as a failed one: nothing for a whole day pages.
    this.notRunAlarm = new cloudwatch.Alarm(this, 'NotRunAlarm', {
      alarmName: `${config.resourcePrefix}-backup-verification-not-run`,
      alarmDescription:
        'severity=critical; runbook=backup-verification; no backup verification has completed for 24 hours. Check the backup-verify function, its schedule and its log group.',
      metric: verified('SampleCount', Duration.days(1)),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    const alerts = new actions.SnsAction(foundation.alertsTopic);
    for (const alarm of [this.failedAlarm, this.notRunAlarm]) {
      alarm.addAlarmAction(alerts);
      alarm.addOkAction(alerts);
    }
  }
}
