import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { JobFunction } from './job-function.ts';

export interface OperationsDashboardProps {
  readonly dashboardName: string;
  /** Every job's function, by the name a person knows it by. */
  readonly jobs: ReadonlyArray<{ readonly label: string; readonly job: JobFunction }>;
}

const PERIOD = Duration.minutes(5);

/** Every metric of a namespace and name across its dimensions (tiers, reports, services), summed. */
function searched(namespace: string, dimensions: string, metricName: string, label: string) {
  return new cloudwatch.MathExpression({
    expression: `SUM(SEARCH('{${namespace},${dimensions}} MetricName="${metricName}"', 'Sum', ${PERIOD.toSeconds()}))`,
    label,
    period: PERIOD,
  });
}

/**
 * mcp-ops watching itself: its functions' invocations, errors, durations and dead letters, the
 * pages it sent and the sends refused, the reports delivered and the cleanup's progress. The
 * service's own dashboards are Grafana's (dashboards/); this one is about mcp-ops.
 */
export class OperationsDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    const { jobs } = props;
    const each = (metric: (job: JobFunction) => cloudwatch.IMetric, label: (name: string) => string) =>
      jobs.map(({ label: name, job }) =>
        (metric(job) as cloudwatch.Metric).with({ label: label(name), period: PERIOD }),
      );
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.days(1),
    });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# mcp-ops in ${Stack.of(this).region}\nIts functions, what they sent, and what was refused. Alarms page through the alerts topic; this is for looking.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Invocations',
        left: each(
          (j) => j.function.metricInvocations({ statistic: 'Sum' }),
          (n) => n,
        ),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Errors',
        left: each(
          (j) => j.function.metricErrors({ statistic: 'Sum' }),
          (n) => n,
        ),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Duration p95 (ms)',
        left: each(
          (j) => j.function.metricDuration({ statistic: 'p95' }),
          (n) => n,
        ),
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Dead letters waiting',
        left: each(
          (j) => j.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' }),
          (n) => `${n} DLQ`,
        ),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Pages sent, escalations, acknowledgements',
        left: [
          searched('McpOps/Escalation', 'service,tier', 'PagesSent', 'pages sent'),
          searched('McpOps/Escalation', 'service,tier', 'Escalations', 'escalations'),
          searched('McpOps/Escalation', 'service', 'Acknowledgements', 'acknowledgements'),
        ],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Refused sends and incidents the tick could not finish',
        left: [
          searched('McpOps/Escalation', 'service,integration', 'IntegrationFailures', 'sends refused'),
          searched('McpOps/Escalation', 'service', 'IncidentFailures', 'incidents failing'),
          searched('McpOps/Escalation', 'service', 'ParseFailures', 'alerts unparsed'),
        ],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Reports delivered, and on time',
        left: [
          searched('McpOps/Checks', 'service,report', 'ReportDelivered', 'delivered'),
          searched('McpOps/Checks', 'service,report', 'ReportOnTime', 'on time (watchdog)'),
          searched('McpOps/Checks', 'service,report', 'ReportMailFallback', 'SES refused, SNS carried'),
        ],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Cleanup progress',
        left: [
          searched('McpOps/Cleanup', 'service', 'ObjectsDeleted', 'objects deleted'),
          searched('McpOps/Cleanup', 'service', 'DeleteFailures', 'delete failures'),
        ],
        right: [searched('McpOps/Cleanup', 'service', 'BytesFreed', 'bytes freed')],
        width: 12,
      }),
    );
  }
}
