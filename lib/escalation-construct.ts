import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { join } from 'node:path';
import type { OpsConfig } from '../core/config.ts';
import {
  DELIVERIES_TABLE,
  deliveriesTableName,
  INCIDENTS_TABLE,
  incidentsTableName,
  linkSecretName,
} from '../core/incidents/table.ts';
import type { Foundation } from './foundation.ts';
import { JobFunction } from './job-function.ts';
import { NagSuppressions } from './nag.ts';
import { ENV } from '../core/function-env.ts';
import { EscalationGrants } from './escalation-grants.ts';
import { diagnoseFunction, mitigationFunction } from './incident-functions.ts';

export interface EscalationProps {
  readonly config: OpsConfig;
  readonly foundation: Foundation;
}

export const ESCALATION_METRICS_NAMESPACE = 'McpOps/Escalation';

/**
 * Escalation paging: the alerts topic feeds an intake function that opens incidents in DynamoDB
 * and pages the primary; a one-minute tick climbs the ladder; a function URL takes the signed
 * acknowledge/resolve links. If escalation itself breaks, its alarms page the primary directly,
 * not through the alerts topic that it would have to read.
 */
export class Escalation extends Construct {
  readonly table: dynamodb.Table;
  /** One record per alert delivery taken in (14 days): what makes a redelivery page nobody. */
  readonly deliveries: dynamodb.Table;
  readonly linkSecret: secretsmanager.Secret;
  readonly intake: JobFunction;
  readonly tick: JobFunction;
  readonly respond: JobFunction;
  /** The diagnosis follow-up of each new incident (playbook step 1 and the alert's runbook). */
  readonly diagnose: JobFunction;
  readonly diagnoseAccessEntry: eks.CfnAccessEntry;
  readonly respondUrl: lambda.FunctionUrl;
  /** The mitigation page (functions/mitigate): the only function that writes to the cluster. */
  readonly mitigate: JobFunction;
  readonly mitigateUrl: lambda.FunctionUrl;
  readonly mitigateAccessEntry: eks.CfnAccessEntry;
  readonly tickSchedule: scheduler.Schedule;
  readonly heartbeatAlarm: cloudwatch.Alarm;
  /** The Slack webhook and ticket secrets, when configured (read by all three functions). */
  private readonly notifySecrets: secretsmanager.ISecret[];

  constructor(scope: Construct, id: string, props: EscalationProps) {
    super(scope, id);
    const { config, foundation } = props;
    const prefix = config.resourcePrefix;
    const primaryTopic = foundation.tierTopics.get(config.onCall.tiers[0]!.name)!;

    this.table = new dynamodb.Table(this, 'Incidents', {
      tableName: incidentsTableName(prefix),
      // The incidents are the record of who was paged and who acted: a delete must be deliberate.
      deletionProtection: true,
      partitionKey: { name: INCIDENTS_TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
      // New incidents reach the diagnosis follow-up through the stream (the page never waits for it).
      stream: dynamodb.StreamViewType.NEW_IMAGE,
    });
    // Open incidents (the tick's list), and drafted reviews not yet done (the tick's reminders).
    for (const index of [INCIDENTS_TABLE.openIndex, INCIDENTS_TABLE.reviewIndex])
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });

    this.deliveries = new dynamodb.Table(this, 'Deliveries', {
      tableName: deliveriesTableName(prefix),
      partitionKey: { name: DELIVERIES_TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: DELIVERIES_TABLE.ttlAttribute,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.linkSecret = new secretsmanager.Secret(this, 'LinkSecret', {
      secretName: linkSecretName(prefix),
      description: 'HMAC key that signs the acknowledge/resolve links in pages',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    NagSuppressions.addResourceSuppressions(this.linkSecret, [
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'Rotating the link key invalidates every link in pages already sent (they expire within 24 h); it is rotated by hand as the README describes.',
      },
    ]);

    const tierTopicArns: Record<string, string> = {};
    for (const [name, topic] of foundation.tierTopics) tierTopicArns[name] = topic.topicArn;
    const escalation = config.escalation;
    const slackSecret = escalation.slackWebhookSecretName
      ? secretsmanager.Secret.fromSecretNameV2(this, 'SlackWebhookSecret', escalation.slackWebhookSecretName)
      : undefined;
    const ticketsSecret = escalation.tickets
      ? secretsmanager.Secret.fromSecretNameV2(
          this,
          'TicketsSecret',
          escalation.tickets.authorizationSecretName,
        )
      : undefined;
    const channelsSecret = escalation.slackIncidentChannels
      ? secretsmanager.Secret.fromSecretNameV2(
          this,
          'SlackBotTokenSecret',
          escalation.slackIncidentChannels.botTokenSecretName,
        )
      : undefined;
    const securityApiSecret = config.security.apiSecretName
      ? secretsmanager.Secret.fromSecretNameV2(this, 'SecurityApiSecret', config.security.apiSecretName)
      : undefined;
    this.notifySecrets = [slackSecret, ticketsSecret, channelsSecret, securityApiSecret].filter(
      (x) => x !== undefined,
    );
    const environment = (linkBaseUrl?: string): Record<string, string> => ({
      [ENV.config]: JSON.stringify(config),
      [ENV.incidentsTable]: this.table.tableName,
      [ENV.deliveriesTable]: this.deliveries.tableName,
      [ENV.tierTopics]: Stack.of(this).toJsonString(tierTopicArns),
      [ENV.linkSecretArn]: this.linkSecret.secretArn,
      ...(linkBaseUrl ? { [ENV.linkBaseUrl]: linkBaseUrl } : {}),
      [ENV.chatTopicArn]: foundation.chatTopic.topicArn,
      ...(slackSecret ? { [ENV.slackWebhookSecretArn]: slackSecret.secretArn } : {}),
      ...(ticketsSecret ? { [ENV.ticketsSecretArn]: ticketsSecret.secretArn } : {}),
      ...(channelsSecret ? { [ENV.slackBotTokenSecretArn]: channelsSecret.secretArn } : {}),
      [ENV.securityApiUrl]: config.security.apiUrl,
      ...(securityApiSecret ? { [ENV.securityApiSecretArn]: securityApiSecret.secretArn } : {}),
    });
    const job = (
      name: string,
      handler: string,
      description: string,
      linkBaseUrl?: string,
      reservedConcurrency?: number,
    ) =>
      new JobFunction(this, name, {
        reservedConcurrency,
        entry: join(import.meta.dirname, '..', 'functions', 'escalation', handler),
        functionName: `${prefix}-escalation-${name.toLowerCase()}`,
        description,
        timeout: Duration.seconds(60),
        memorySize: 512,
        alertsTopic: foundation.alertsTopic,
        serviceName: `escalation-${name.toLowerCase()}`,
        metricsNamespace: ESCALATION_METRICS_NAMESPACE,
        environment: environment(linkBaseUrl),
        // A broken intake, tick or respond page stops pages or acknowledgements: page at once.
        alarmSeverity: 'critical',
      });

    // The links' target is created first: the other two put its URL into the links they sign.
    // Its URL is public: a flood of requests there must not take the concurrency that intake and
    // tick need to page.
    this.respond = job(
      'Respond',
      'handler-respond.ts',
      'Acknowledge/resolve pages behind the links in pages (GET shows, the button POSTs)',
      undefined,
      config.escalation.respondReservedConcurrency ?? undefined,
    );
    this.respondUrl = this.respond.function.addFunctionUrl({
      // Links are clicked from a phone: the HMAC signature is the authentication.
      authType: lambda.FunctionUrlAuthType.NONE,
    });
    this.intake = job(
      'Intake',
      'handler-intake.ts',
      'Alerts topic to incidents and pages',
      this.respondUrl.url,
    );
    this.tick = job('Tick', 'handler-tick.ts', 'Climbs the on-call ladder every minute', this.respondUrl.url);

    foundation.alertsTopic.addSubscription(
      new subscriptions.LambdaSubscription(this.intake.function, {
        // When SNS cannot hand an alert to the function at all, the alert waits here (and alarms).
        deadLetterQueue: this.intake.deadLetterQueue,
      }),
    );

    // The mitigation page: its links are signed by the diagnosis, so it comes first.
    ({ fn: this.mitigate, url: this.mitigateUrl } = mitigationFunction(
      this,
      config,
      foundation,
      environment(),
    ));

    this.diagnose = diagnoseFunction(this, {
      config,
      foundation,
      table: this.table,
      environment: {
        ...environment(this.respondUrl.url),
        [ENV.reportsBucket]: foundation.reportsBucket.bucketName,
        [ENV.mitigateBaseUrl]: this.mitigateUrl.url,
        [ENV.evidenceBucket]: foundation.evidenceBucket.bucketName,
      },
    });
    const grants = new EscalationGrants({
      scope: this,
      table: this.table,
      deliveries: this.deliveries,
      linkSecret: this.linkSecret,
      notifySecrets: this.notifySecrets,
    });
    this.diagnoseAccessEntry = grants.grantDiagnose(this.diagnose, config, foundation);

    this.mitigateAccessEntry = grants.grantMitigate(this.mitigate, config);
    for (const fn of [this.intake, this.tick, this.respond, this.diagnose, this.mitigate])
      grants.grantPaging(fn, foundation);
    grants.grantIntake(this.intake);
    grants.grantTick(this.tick);
    grants.grantRespond(this.respond);

    // Its own role (not the stack-wide default), usable only by Scheduler from this account.
    const scheduleRole = new iam.Role(this, 'TickScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'Lets EventBridge Scheduler invoke the escalation tick',
    });
    this.tickSchedule = new scheduler.Schedule(this, 'TickSchedule', {
      scheduleName: `${prefix}-escalation-tick`,
      description: 'Every minute: page the next tier for incidents nobody acknowledged',
      schedule: scheduler.ScheduleExpression.rate(Duration.minutes(1)),
      target: new targets.LambdaInvoke(this.tick.function, {
        input: scheduler.ScheduleTargetInput.fromObject({ source: 'mcp-ops.escalation-tick' }),
        deadLetterQueue: this.tick.deadLetterQueue,
        role: scheduleRole,
        // A missed tick is caught up by the next one; retries would only pile up.
        retryAttempts: 0,
        maxEventAge: Duration.minutes(1),
      }),
    });

    // The target grants itself lambda:InvokeFunction on the function and its versions (`:*`).
    NagSuppressions.addResourceSuppressions(
      scheduleRole,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'Scheduler may invoke the tick function and its versions (`<arn>:*`), nothing else; added by the LambdaInvoke target.',
          appliesTo: [{ regex: '/^Resource::<EscalationTickFunction.*\\.Arn>:\\*$/g' }],
        },
      ],
      true,
    );

    // The ladder must keep climbing: no completed tick for 5 minutes pages the primary directly.
    this.heartbeatAlarm = new cloudwatch.Alarm(this, 'TickHeartbeatAlarm', {
      alarmName: `${prefix}-escalation-tick-stopped`,
      alarmDescription:
        'severity=critical; runbook=alert-escalation; the escalation tick has not completed for 5 minutes: unacknowledged incidents are not being escalated. Check the tick function and its schedule.',
      metric: new cloudwatch.Metric({
        namespace: ESCALATION_METRICS_NAMESPACE,
        metricName: 'TickCompleted',
        dimensionsMap: { service: 'escalation-tick' },
        statistic: 'Sum',
        period: Duration.minutes(5),
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });

    this.reliabilityAlarms(config, foundation);

    const direct = new actions.SnsAction(primaryTopic);
    for (const alarm of [
      this.heartbeatAlarm,
      this.intake.errorAlarm,
      this.intake.deadLetterAlarm,
      this.tick.errorAlarm,
      this.tick.deadLetterAlarm,
    ]) {
      alarm.addAlarmAction(direct);
      alarm.addOkAction(direct);
    }
  }

  /**
   * What else says escalation is unwell, each with its severity: the respond page throttled (its
   * reserved concurrency full: a person cannot acknowledge), the diagnosis stream falling behind,
   * and incidents the tick keeps failing on (their pages may be late).
   */
  private reliabilityAlarms(config: OpsConfig, foundation: Foundation): void {
    const prefix = config.resourcePrefix;
    const alerts = new actions.SnsAction(foundation.alertsTopic);
    const alarms = [
      new cloudwatch.Alarm(this, 'RespondThrottledAlarm', {
        alarmName: `${prefix}-escalation-respond-throttled`,
        alarmDescription:
          'severity=critical; service=mcp-ops; runbook=alert-escalation; the acknowledge/resolve page refused requests (reserved concurrency full): responders cannot acknowledge. Use `mcp-ops ack ID` meanwhile.',
        metric: this.respond.function.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'DiagnoseStreamBehindAlarm', {
        alarmName: `${prefix}-escalation-diagnose-stream-behind`,
        alarmDescription:
          'severity=warning; service=mcp-ops; the incidents stream is more than 5 minutes behind: diagnoses and reviews arrive late.',
        metric: new cloudwatch.Metric({
          namespace: 'AWS/Lambda',
          metricName: 'IteratorAge',
          dimensionsMap: { FunctionName: this.diagnose.function.functionName },
          statistic: 'Maximum',
          period: Duration.minutes(5),
        }),
        threshold: 5 * 60_000,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'TickIncidentFailuresAlarm', {
        alarmName: `${prefix}-escalation-tick-incident-failures`,
        alarmDescription:
          'severity=critical; service=mcp-ops; runbook=alert-escalation; the tick failed on an incident in 3 of the last 5 minutes (its pages may be late; the others go on). Its log names the incident and why.',
        metric: new cloudwatch.Metric({
          namespace: ESCALATION_METRICS_NAMESPACE,
          metricName: 'IncidentFailures',
          dimensionsMap: { service: 'escalation-tick' },
          statistic: 'Sum',
          period: Duration.minutes(1),
        }),
        threshold: 1,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    ];
    for (const alarm of alarms) {
      alarm.addAlarmAction(alerts);
      alarm.addOkAction(alerts);
    }
  }
}
