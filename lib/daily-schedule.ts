import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { TimeZone } from 'aws-cdk-lib/core';
import { Construct } from 'constructs';
import { NagSuppressions } from './nag.ts';

export interface DailyScheduleProps {
  readonly scheduleName: string;
  readonly description: string;
  /** "HH:MM" in `timeZone`; EventBridge Scheduler follows the zone's daylight-saving changes. */
  readonly time: string;
  readonly timeZone: string;
  readonly target: lambda.IFunction;
  /** The event the function receives. */
  readonly input: Record<string, unknown>;
  readonly deadLetterQueue: sqs.IQueue;
}

/** A daily EventBridge Scheduler schedule in the team's time zone that invokes one job. */
export class DailySchedule extends Construct {
  readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: DailyScheduleProps) {
    super(scope, id);
    // Its own role, usable only by Scheduler from this account, that may invoke this one target.
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: `Lets EventBridge Scheduler run ${props.scheduleName}`,
    });
    const [hour, minute] = props.time.split(':').map((part) => String(Number(part)));
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      scheduleName: props.scheduleName,
      description: props.description,
      schedule: scheduler.ScheduleExpression.cron({
        minute,
        hour,
        timeZone: TimeZone.of(props.timeZone),
      }),
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
  }
}
