import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from './nag.ts';
import { Construct } from 'constructs';

export interface JobFunctionProps {
  /** Path of the handler module (TypeScript), bundled by esbuild. */
  readonly entry: string;
  readonly functionName: string;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize?: number;
  readonly environment?: Record<string, string>;
  /** Concurrent executions reserved for (and capping) this function; none by default. */
  readonly reservedConcurrency?: number;
  /** Runs the function in these VPC subnets with these security groups; outside any VPC by default. */
  readonly network?: { readonly subnetIds: string[]; readonly securityGroupIds: string[] };
  /** Alarm actions (and OK actions, so a recovery resolves the page) go here. */
  readonly alertsTopic: sns.ITopic;
  /** Powertools service name and metrics namespace. */
  readonly serviceName: string;
  readonly metricsNamespace: string;
  /**
   * What its alarms say they are (`severity=` in the description, which intake reads): `critical`
   * pages at once (P1), `warning` is a P2. A job whose failure stops pages is critical.
   */
  readonly alarmSeverity?: 'critical' | 'warning';
}

/**
 * One job's Lambda function with what every job needs around it: its own log group and role (no
 * managed policies), a dead-letter queue for asynchronous invocations, and an alarm on errors that
 * pages through the alerts topic.
 */
export class JobFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly deadLetterQueue: sqs.Queue;
  readonly errorAlarm: cloudwatch.Alarm;
  readonly deadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: JobFunctionProps) {
    super(scope, id);

    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${props.functionName}`,
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${props.functionName}`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn, `${logGroup.logGroupArn}:log-stream:*`],
      }),
    );
    NagSuppressions.addResourceSuppressions(
      this.role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'Log stream names are chosen by Lambda at run time; the wildcard is inside this function’s own log group.',
          appliesTo: [{ regex: '/^Resource::<.*Logs.*\\.Arn>:log-stream:\\*$/g' }],
        },
      ],
      true,
    );

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      queueName: `${props.functionName}-dlq`,
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    NagSuppressions.addResourceSuppressions(this.deadLetterQueue, [
      { id: 'AwsSolutions-SQS3', reason: 'This queue is itself a dead-letter queue.' },
    ]);

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      functionName: props.functionName,
      description: props.description,
      entry: props.entry,
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      ...(props.reservedConcurrency ? { reservedConcurrentExecutions: props.reservedConcurrency } : {}),
      timeout: props.timeout,
      role: this.role,
      logGroup,
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: 2,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace,
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: 'node22',
        sourceMap: true,
        // Stack traces name our files and lines (NODE_OPTIONS=--enable-source-maps), but the map
        // carries no copy of the sources: Node reads the whole map at init, and the sources were
        // 70 % of it (measured by `npm run bench -- coldstart`).
        sourcesContent: false,
        minify: true,
        // Bundle the AWS SDK clients too: the version the tests ran is the version Lambda runs
        // (the runtime's own SDK is another version, updated on AWS's schedule).
        externalModules: [],
        // ESM bundles still meet CommonJS dependencies; give them a require().
        banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
      },
    });
    if (props.network) this.placeInVpc(props.network);
    this.traceActively();
    NagSuppressions.addResourceSuppressions(this.function, [
      {
        id: 'AwsSolutions-L1',
        reason:
          'Pinned to Node.js 22 on purpose: the code is built and tested on Node 20/22, not on the newest runtime.',
      },
    ]);

    const alarmAction = new actions.SnsAction(props.alertsTopic);
    const severity = props.alarmSeverity ?? 'warning';
    this.errorAlarm = new cloudwatch.Alarm(this, 'ErrorsAlarm', {
      alarmName: `${props.functionName}-errors`,
      alarmDescription: `severity=${severity}; service=mcp-ops; ${props.functionName} failed. Runbook: check its log group ${logGroup.logGroupName}.`,
      metric: this.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.deadLetterAlarm = new cloudwatch.Alarm(this, 'DeadLettersAlarm', {
      alarmName: `${props.functionName}-dead-letters`,
      alarmDescription: `severity=${severity}; service=mcp-ops; an invocation of ${props.functionName} was given up and sits in ${props.functionName}-dlq.`,
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    for (const alarm of [this.errorAlarm, this.deadLetterAlarm]) {
      alarm.addAlarmAction(alarmAction);
      alarm.addOkAction(alarmAction);
    }
  }

  /**
   * Subnets and security groups by id (they belong to the cluster's VPC, not to this stack), and
   * the network-interface rights Lambda needs to attach the function there.
   */
  /**
   * X-Ray active tracing (Powertools Tracer, core/tracing.ts): the function's own trace and a
   * subsegment per AWS call. Its two actions in a policy of their own, as CDK's `tracing` option
   * would put them in the role's default policy beside every other grant.
   */
  private traceActively(): void {
    (this.function.node.defaultChild as lambda.CfnFunction).tracingConfig = { mode: 'Active' };
    const traces = new iam.Policy(this, 'Traces', {
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({
          sid: 'XRayTraces',
          actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
          resources: ['*'],
        }),
      ],
    });
    this.function.node.addDependency(traces);
    NagSuppressions.addResourceSuppressions(traces, [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'X-Ray has no resource types: PutTraceSegments and PutTelemetryRecords take only "*" (the actions of AWSXRayDaemonWriteAccess, without the managed policy).',
        appliesTo: ['Resource::*'],
      },
    ]);
  }

  private placeInVpc(network: NonNullable<JobFunctionProps['network']>): void {
    (this.function.node.defaultChild as lambda.CfnFunction).vpcConfig = {
      subnetIds: network.subnetIds,
      securityGroupIds: network.securityGroupIds,
    };
    // A policy of its own, so its suppression does not replace the role's other ones.
    const interfaces = new iam.Policy(this, 'VpcNetworkInterfaces', {
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({
          sid: 'VpcNetworkInterfaces',
          actions: [
            'ec2:CreateNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DescribeSubnets',
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          resources: ['*'],
        }),
      ],
    });
    // The function must not start before it may create its interfaces.
    this.function.node.addDependency(interfaces);
    NagSuppressions.addResourceSuppressions(interfaces, [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'Lambda attaches the function to its VPC through network interfaces it creates at run time; EC2 scopes these actions by no resource known beforehand (the actions of AWSLambdaVPCAccessExecutionRole, without the managed policy).',
        appliesTo: ['Resource::*'],
      },
    ]);
  }
}
