import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { TimeZone } from 'aws-cdk-lib/core';
import { Construct } from 'constructs';
import { NagSuppressions } from './nag.ts';

export interface JobScheduleProps {
  readonly scheduleName: string;
  readonly description: string;
  readonly expression: scheduler.ScheduleExpression;
  readonly target: lambda.IFunction;
  /** The event the function receives (may hold Scheduler's context attributes). */
  readonly input: Record<string, unknown>;
  readonly deadLetterQueue: sqs.IQueue;
}

export interface DailyScheduleProps extends Omit<JobScheduleProps, 'expression'> {
  /** "HH:MM" in `timeZone`; EventBridge Scheduler follows the zone's daylight-saving changes. */
  readonly time: string;
  readonly timeZone: string;
}

/** A daily EventBridge Scheduler schedule in the team's time zone that invokes one job. */
export class DailySchedule extends Construct {
  readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: DailyScheduleProps) {
    super(scope, id);
    const [hour, minute] = props.time.split(':').map((part) => String(Number(part)));
    this.schedule = scheduleJob(this, {
      ...props,
      expression: scheduler.ScheduleExpression.cron({ minute, hour, timeZone: TimeZone.of(props.timeZone) }),
    });
  }
}

/** An EventBridge Scheduler schedule that invokes one job, through a role that may invoke only it. */
export class JobSchedule extends Construct {
  readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: JobScheduleProps) {
    super(scope, id);
    this.schedule = scheduleJob(this, props);
  }
}

/** The schedule and its role, as children `Role` and `Schedule` of `scope`. */
function scheduleJob(scope: Construct, props: JobScheduleProps): scheduler.Schedule {
  // Its own role, usable only by Scheduler from this account, that may invoke this one target.
  const role = new iam.Role(scope, 'Role', {
    assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
    }),
    description: `Lets EventBridge Scheduler run ${props.scheduleName}`,
  });
  const schedule = new scheduler.Schedule(scope, 'Schedule', {
    scheduleName: props.scheduleName,
    description: props.description,
    schedule: props.expression,
    target: new targets.LambdaInvoke(props.target, {
      input: scheduler.ScheduleTargetInput.fromObject(props.input),
      deadLetterQueue: props.deadLetterQueue,
      role,
      retryAttempts: 2,
      maxEventAge: Duration.minutes(20),
    }),
  });
  NagSuppressions.addResourceSuppressions(
    role,
    [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'Scheduler may invoke its one target function and that function’s versions (`<arn>:*`); added by the LambdaInvoke target.',
        appliesTo: [{ regex: '/^Resource::<.*Function.*\\.Arn>:\\*$/g' }],
      },
    ],
    true,
  );
  return schedule;
}
