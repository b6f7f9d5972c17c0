import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as ses from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';
import { join } from 'node:path';
import type { OpsConfig } from '../core/config.ts';
import { grantBackupRead, grantClusterRead, reportsMailStatement } from './cluster-reader.ts';
import { DailySchedule } from './daily-schedule.ts';
import type { Foundation } from './foundation.ts';
import { JobFunction } from './job-function.ts';
import { NagSuppressions } from './nag.ts';
import { ENV } from '../core/function-env.ts';

export interface ChecksProps {
  readonly config: OpsConfig;
  readonly foundation: Foundation;
}

export const CHECKS_METRICS_NAMESPACE = 'McpOps/Checks';

/** "09:00" plus `minutes`, as "HH:MM" (the delivery deadline of a report). */
export function deadlineOf(time: string, minutes: number): string {
  const [h, m] = time.split(':').map(Number) as [number, number];
  const total = (h * 60 + m + minutes) % (24 * 60);
  return `${String(Math.floor(total / 60)).padStart(2, '0')}:${String(total % 60).padStart(2, '0')}`;
}

/**
 * The checks job: morning and evening reports and the daily security check on schedules in the
 * team's zone, a watchdog at each report's deadline whose ReportOnTime=0 pages through the alerts
 * topic, read-only access to the cluster through an EKS access entry, and only the AWS access the
 * reports need.
 */
export class Checks extends Construct {
  readonly job: JobFunction;
  readonly schedules: Record<string, DailySchedule> = {};
  readonly lateAlarms: Record<string, cloudwatch.Alarm> = {};
  readonly accessEntry: eks.CfnAccessEntry;
  /** With `reports.email`: the sender identity and the configuration set recording bounces. */
  readonly mail?: {
    identity: ses.EmailIdentity;
    configurationSet: ses.ConfigurationSet;
    identityName: string;
    configurationSetName: string;
  };

  constructor(scope: Construct, id: string, props: ChecksProps) {
    super(scope, id);
    const { config, foundation } = props;
    const prefix = config.resourcePrefix;
    const stack = Stack.of(this);
    this.job = new JobFunction(this, 'Job', {
      entry: join(import.meta.dirname, '..', 'functions', 'checks', 'handler.ts'),
      functionName: `${prefix}-checks`,
      description: 'Morning and evening health reports and the daily security check',
      timeout: Duration.minutes(5),
      memorySize: 512,
      alertsTopic: foundation.alertsTopic,
      serviceName: 'checks',
      metricsNamespace: CHECKS_METRICS_NAMESPACE,
      ...(config.clusterNetwork ? { network: config.clusterNetwork } : {}),
      environment: {
        [ENV.config]: JSON.stringify(config),
        [ENV.reportsTopic]: foundation.reportsTopic.topicArn,
        [ENV.reportsBucket]: foundation.reportsBucket.bucketName,
        // The security check's CRITICAL findings open security incidents through the alerts topic.
        [ENV.alertsTopic]: foundation.alertsTopic.topicArn,
      },
    });
    const role = this.job.role;
    const mail = config.reports.email ? this.reportsMail(config, foundation) : undefined;
    if (mail) {
      this.mail = mail;
      this.job.function.addEnvironment(ENV.mailConfigurationSet, mail.configurationSetName);
    }
    const statements: iam.PolicyStatement[] = [
      new iam.PolicyStatement({
        sid: 'SendReports',
        actions: ['sns:Publish'],
        resources: [foundation.reportsTopic.topicArn],
      }),
      new iam.PolicyStatement({
        sid: 'RaiseSecurityAlerts',
        actions: ['sns:Publish'],
        resources: [foundation.alertsTopic.topicArn],
      }),
      new iam.PolicyStatement({
        sid: 'SendReportsEncrypted',
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: [foundation.topicKey.keyArn],
      }),
      new iam.PolicyStatement({
        sid: 'ArchiveReports',
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [foundation.reportsBucket.arnForObjects('reports/*')],
      }),
      // S3 answers a GetObject of a key not there (the first report's last-delivered pointer, a
      // day's delivery marker the watchdog looks for) with 404 only to a caller that may list the
      // bucket; else 403, and the watchdog would fail instead of saying "not delivered".
      new iam.PolicyStatement({
        sid: 'ReportsList',
        actions: ['s3:ListBucket'],
        resources: [foundation.reportsBucket.bucketArn],
      }),
      new iam.PolicyStatement({
        sid: 'ImageScanFindings',
        actions: ['ecr:DescribeImageScanFindings'],
        resources: [stack.formatArn({ service: 'ecr', resource: 'repository', resourceName: '*' })],
      }),
    ];
    if (mail) statements.push(reportsMailStatement(this, mail));
    for (const statement of statements) role.addToPolicy(statement);
    // It publishes to the alerts topic, whose policy denies every publisher it does not name.
    foundation.allowAlertPublisher(role);
    grantBackupRead(role, foundation.backupBucket);
    NagSuppressions.addResourceSuppressions(
      role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'Reports are archived under reports/ (keys carry the date); the evening backup verification reads the folder latest.txt names; ECR findings are read for whichever repository the pods’ images come from. Read-only except the reports/ prefix.',
          appliesTo: [
            { regex: '/^Resource::<.*ReportsBucket.*\\.Arn>\\/reports\\/\\*$/g' },
            `Resource::arn:<AWS::Partition>:s3:::${config.buckets.backup}/*`,
            {
              regex: '/^Resource::arn:<AWS::Partition>:ecr:.+:(<AWS::AccountId>|\\d{12}):repository\\/\\*$/g',
            },
            'Action::kms:GenerateDataKey*',
          ],
        },
      ],
      true,
    );

    // Cluster access without static credentials: the function's role is mapped to a Kubernetes
    // group bound to the read-only ClusterRole of core/cluster-access.ts (rbac/mcp-ops-readonly.yaml).
    this.accessEntry = grantClusterRead(this, 'ClusterAccess', role, config, [
      'aps:QueryMetrics',
      'aps:ListAlerts',
    ]);

    const { schedules } = config;
    const runs: Array<[string, string, Record<string, string>, string]> = [
      [
        'Morning',
        schedules.morningReport,
        { report: 'morning' },
        'Morning health report (manual: Morning Checklist)',
      ],
      [
        'Evening',
        schedules.eveningReport,
        { report: 'evening' },
        'Evening review (manual: Evening Checklist)',
      ],
      [
        'Security',
        schedules.securityCheck,
        { report: 'security' },
        'Daily security check (manual: Security Monitoring)',
      ],
    ];
    for (const [name, time, input, description] of runs) {
      this.schedules[name] = new DailySchedule(this, `${name}Schedule`, {
        scheduleName: `${prefix}-${name.toLowerCase()}-report`,
        description,
        time,
        timeZone: schedules.timeZone,
        target: this.job.function,
        input,
        deadLetterQueue: this.job.deadLetterQueue,
      });
    }
    const alerts = new actions.SnsAction(foundation.alertsTopic);
    for (const [name, time, kind] of [
      ['Morning', schedules.morningReport, 'morning'],
      ['Evening', schedules.eveningReport, 'evening'],
    ] as const) {
      const deadline = deadlineOf(time, schedules.reportGraceMinutes);
      this.schedules[`${name}Watchdog`] = new DailySchedule(this, `${name}Watchdog`, {
        scheduleName: `${prefix}-${kind}-report-watchdog`,
        description: `Was the ${kind} report delivered by ${deadline}?`,
        time: deadline,
        timeZone: schedules.timeZone,
        target: this.job.function,
        input: { watchdog: kind },
        deadLetterQueue: this.job.deadLetterQueue,
      });
      const alarm = new cloudwatch.Alarm(this, `${name}LateAlarm`, {
        alarmName: `${prefix}-${kind}-report-not-delivered`,
        alarmDescription: `severity=warning; runbook=report-delivery; the ${kind} report was not delivered by ${deadline} (${schedules.timeZone}). Run \`mcp-ops report ${kind} --send\` and check the checks function's log group.`,
        metric: new cloudwatch.Metric({
          namespace: CHECKS_METRICS_NAMESPACE,
          metricName: 'ReportOnTime',
          dimensionsMap: { service: 'checks', report: kind },
          statistic: 'Minimum',
          period: Duration.hours(1),
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(alerts);
      alarm.addOkAction(alerts);
      this.lateAlarms[kind] = alarm;
    }
  }

  /**
   * The SES side of the reports: the sender identity (an address or its domain; SES sends a
   * verification mail or expects the domain's DKIM records), a configuration set that suppresses
   * bounced and complaining addresses and publishes bounces, complaints and rejections to
   * CloudWatch, and alarms (severity warning, through the alerts topic) when mail bounces or SES
   * refuses a report and the SNS fallback carries it.
   */
  private reportsMail(config: OpsConfig, foundation: Foundation) {
    const prefix = config.resourcePrefix;
    const email = config.reports.email!;
    const setName = `${prefix}-reports`;
    const configurationSet = new ses.ConfigurationSet(this, 'ReportsMail', {
      configurationSetName: setName,
      reputationMetrics: true,
      sendingEnabled: true,
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
      tlsPolicy: ses.ConfigurationSetTlsPolicy.REQUIRE,
    });
    const dimension = 'ses:configuration-set';
    configurationSet.addEventDestination('ToCloudWatch', {
      configurationSetEventDestinationName: 'bounces-complaints-rejects',
      destination: ses.EventDestination.cloudWatchDimensions([
        {
          name: dimension,
          source: ses.CloudWatchDimensionSource.MESSAGE_TAG,
          defaultValue: setName,
        },
      ]),
      events: [
        ses.EmailSendingEvent.SEND,
        ses.EmailSendingEvent.DELIVERY,
        ses.EmailSendingEvent.BOUNCE,
        ses.EmailSendingEvent.COMPLAINT,
        ses.EmailSendingEvent.REJECT,
        ses.EmailSendingEvent.RENDERING_FAILURE,
      ],
    });
    const name = email.identity ?? email.from;
    const identity = new ses.EmailIdentity(this, 'Sender', {
      identity: name.includes('@') ? ses.Identity.email(name) : ses.Identity.domain(name),
      configurationSet,
    });
    const alerts = new actions.SnsAction(foundation.alertsTopic);
    /** An alarm (hourly, any value above 0) over `expression` of `metrics`, through the alerts topic. */
    const whenAbove0 = (
      id: string,
      alarmName: string,
      alarmDescription: string,
      expression: string,
      metrics: Record<string, cloudwatch.Metric>,
    ) => {
      const alarm = new cloudwatch.Alarm(this, id, {
        alarmName,
        alarmDescription,
        metric: new cloudwatch.MathExpression({
          expression,
          usingMetrics: metrics,
          period: Duration.hours(1),
        }),
        threshold: 0,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(alerts);
      alarm.addOkAction(alerts);
      return alarm;
    };
    const hourly = (
      namespace: string,
      metricName: string,
      statistic: string,
      dimensionsMap: Record<string, string>,
    ) =>
      new cloudwatch.Metric({ namespace, metricName, dimensionsMap, statistic, period: Duration.hours(1) });
    whenAbove0(
      'ReportMailBounced',
      `${prefix}-report-mail-bounced`,
      `severity=warning; runbook=report-delivery; a report e-mail bounced or drew a complaint (SES configuration set ${setName}). Check reports.recipients; SES suppresses the address until it is removed from the account's suppression list.`,
      'bounces + complaints',
      {
        bounces: hourly('AWS/SES', 'Bounce', 'Sum', { [dimension]: setName }),
        complaints: hourly('AWS/SES', 'Complaint', 'Sum', { [dimension]: setName }),
      },
    );
    whenAbove0(
      'ReportMailFallback',
      `${prefix}-report-mail-fallback`,
      `severity=warning; runbook=report-delivery; SES refused a report and the reports SNS topic carried it as plain text. The checks function's log says why (unverified identity, sandbox, throttling).`,
      'MAX([morning, evening, security])',
      Object.fromEntries(
        (['morning', 'evening', 'security'] as const).map((report) => [
          report,
          hourly(CHECKS_METRICS_NAMESPACE, 'ReportMailFallback', 'Maximum', { service: 'checks', report }),
        ]),
      ),
    );
    return { identity, configurationSet, identityName: name, configurationSetName: setName };
  }
}
