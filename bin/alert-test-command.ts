// `mcp-ops alert test [--severity P3]`: a synthetic Alertmanager alert published to the real alerts
// topic, followed through the incidents table (opened, chat, page or none as the severity says),
// then resolved as a person resolves it (`mcp-ops resolve`: an incident is ended by no one else),
// with the time each step took. Its `service` label is its own, so it never joins a real incident.
import { randomUUID } from 'node:crypto';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { actor, json, type CommandContext, type CommandResult } from './command-context.ts';
import { escalationSettings } from './escalation-commands.ts';
import { topicArnsByName } from './topic-names.ts';
import { awsClientConfig } from '../core/aws.ts';
import type { OpsConfig } from '../core/config.ts';
import { DependencyFailed, RequestRefused } from '../core/errors.ts';
import { parseAlertMessage } from '../functions/escalation/alerts.ts';
import { resolveIncident } from '../functions/escalation/actions.ts';
import type { Incident } from '../core/incidents/incident.ts';
import { pagesAtOnce, responsePolicy } from '../core/incidents/policy.ts';
import { escalationPorts } from '../core/incidents/wiring.ts';
import { ENV } from '../core/function-env.ts';

class AlertTestRefused extends RequestRefused {}

const SEVERITY_LABEL = { P0: 'critical', P1: 'critical', P2: 'warning', P3: 'info' } as const;
type Priority = keyof typeof SEVERITY_LABEL;

export interface Step {
  readonly step: string;
  /** Seconds after publishing; undefined when it never came. */
  readonly afterSeconds?: number;
  readonly detail: string;
}

/** The Alertmanager webhook body Alertmanager's SNS receiver publishes (ALERT-FORMATS.md). */
export function syntheticAlert(testId: string, priority: Priority, by: string, now: Date): string {
  return JSON.stringify({
    version: '4',
    receiver: 'alerts-sns',
    status: 'firing',
    groupLabels: { alertname: 'McpOpsAlertTest' },
    commonLabels: { alertname: 'McpOpsAlertTest' },
    alerts: [
      {
        status: 'firing',
        labels: {
          alertname: 'McpOpsAlertTest',
          severity: SEVERITY_LABEL[priority],
          priority,
          service: `mcp-ops-alert-test-${testId}`,
          mcp_ops_alert_test: testId,
        },
        annotations: {
          summary: `Synthetic ${priority} alert from mcp-ops alert test by ${by}; it is resolved by the test. No action needed.`,
        },
        startsAt: now.toISOString(),
        fingerprint: `mcp-ops-alert-test-${testId}`,
      },
    ],
  });
}

async function alertsTopic(context: CommandContext, sns: SNSClient, config: OpsConfig): Promise<string> {
  const named =
    context.values['alerts-topic'] ?? context.endpoints?.topics.alerts ?? process.env[ENV.alertsTopic];
  if (named) return named;
  const wanted = `${config.resourcePrefix}-alerts`;
  const found = (await topicArnsByName(sns)).get(wanted);
  if (found) return found;
  throw new AlertTestRefused(
    `no topic named ${wanted}: pass --alerts-topic ARN (the stack output AlertsTopicArn)`,
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function run(context: CommandContext): Promise<CommandResult> {
  const { values } = context;
  const priority = (values.severity ?? 'P3').toUpperCase();
  if (!(priority in SEVERITY_LABEL))
    throw new AlertTestRefused(`--severity: expected P0, P1, P2 or P3, got "${values.severity}"`);
  const timeoutSeconds = values.timeout === undefined ? 120 : Number(values.timeout);
  if (!(timeoutSeconds > 0 && timeoutSeconds <= 3600))
    throw new AlertTestRefused(`--timeout: expected seconds between 1 and 3600, got "${values.timeout}"`);
  const config = context.config;
  const policy = responsePolicy(config);
  const response = policy.severities[priority as Priority];
  const by = actor(values);
  const sns = new SNSClient(awsClientConfig(context.target));
  const topic = await alertsTopic(context, sns, config);
  const ports = escalationPorts(
    context.target,
    await escalationSettings(config, context.target, context.endpoints),
  );

  const testId = randomUUID().slice(0, 8);
  const start = new Date();
  const message = syntheticAlert(testId, priority as Priority, by, start);
  const [alert] = parseAlertMessage(message);
  const elapsed = (at: string | Date) => Math.round((new Date(at).getTime() - start.getTime()) / 100) / 10;
  const steps: Step[] = [];
  const wantPage = pagesAtOnce(policy, priority as Priority);
  if (wantPage)
    context.progress(`${priority} pages at once: the first on-call tier will be paged by this test.`);
  try {
    await sns.send(
      new PublishCommand({ TopicArn: topic, Message: message, Subject: `mcp-ops alert test ${testId}` }),
    );
  } catch (error) {
    // The alerts topic denies every publisher it does not name (escalation.alertPublishers).
    if (/^AuthorizationError/.test((error as Error).name))
      throw new DependencyFailed(
        `the alerts topic refused this identity: add its role ARN to escalation.alertPublishers and cdk deploy, or test through CloudWatch (aws cloudwatch set-alarm-state --alarm-name ${config.resourcePrefix}-artifact-storage-full --state-value ALARM --state-reason test)`,
        { cause: error, retryable: false },
      );
    throw error;
  }

  // Once the alert is out, a failure must not leave its incident open unsaid (a P0/P1 one climbs
  // the ladder): the error names the test and how to end it.
  const afterPublish = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw new DependencyFailed(
        `test alert ${testId} was published, then following it failed (${(error as Error).message}); its incident may be open: mcp-ops incidents, then mcp-ops resolve INC-...`,
        { cause: error },
      );
    }
  };
  steps.push({ step: 'published', afterSeconds: 0, detail: `${priority} McpOpsAlertTest to ${topic}` });
  context.progress(`published test alert ${testId}; waiting for its incident ...`);

  const deadline = start.getTime() + timeoutSeconds * 1000;
  let incident: Incident | undefined;
  const done = (i: Incident) =>
    (!wantPage || i.timeline.some((e) => e.event === 'paged')) &&
    (!response.chat || i.timeline.some((e) => e.event === 'notified' && e.detail.startsWith('chat')));
  while (Date.now() < deadline) {
    incident = await afterPublish(() => ports.store.openIncidentFor(alert!.dedupKey));
    if (incident && done(incident)) break;
    await sleep(500);
  }
  if (!incident) {
    steps.push({
      step: 'opened',
      detail: `no incident within ${timeoutSeconds} s: is the intake function subscribed to ${topic}, and did it fail (its errors alarm, its DLQ)?`,
    });
    const report = { testId, priority, passed: false, steps };
    return { output: context.structured ? json(report) : text(report), exit: 1 };
  }
  const first = (event: string, prefix = '') =>
    incident!.timeline.find((e) => e.event === event && e.detail.startsWith(prefix));
  const opened = first('opened')!;
  steps.push({
    step: 'opened',
    afterSeconds: elapsed(opened.at),
    detail: `${incident.id} ${incident.severity}`,
  });
  const chat = first('notified', 'chat');
  if (response.chat)
    steps.push(
      chat
        ? { step: 'chat', afterSeconds: elapsed(chat.at), detail: chat.detail }
        : { step: 'chat', detail: `not posted within ${timeoutSeconds} s` },
    );
  const ticket = first('notified', 'ticket');
  if (response.ticket)
    steps.push(
      ticket
        ? { step: 'ticket', afterSeconds: elapsed(ticket.at), detail: ticket.detail }
        : { step: 'ticket', detail: 'none opened by then (is escalation.tickets configured?)' },
    );
  const paged = first('paged');
  if (wantPage)
    steps.push(
      paged
        ? { step: 'paged', afterSeconds: elapsed(paged.at), detail: paged.detail }
        : { step: 'paged', detail: `no page within ${timeoutSeconds} s` },
    );
  else steps.push({ step: 'page', detail: `none (${priority} pages ${response.page})` });

  const id = incident.id;
  const resolved = await afterPublish(async () =>
    resolveIncident(await ports.deps(() => new Date()), id, by),
  );
  const resolvedAt = resolved?.timeline.find((e) => e.event === 'resolved')?.at;
  steps.push(
    resolved
      ? { step: 'resolved', ...(resolvedAt ? { afterSeconds: elapsed(resolvedAt) } : {}), detail: `by ${by}` }
      : { step: 'resolved', detail: `${incident.id} was already ended by someone else` },
  );
  const passed = done(incident) && resolved !== undefined;
  const report = { testId, priority, incidentId: incident.id, passed, steps };
  return { output: context.structured ? json(report) : text(report), exit: passed ? 0 : 1 };
}

function text(report: {
  testId: string;
  priority: string;
  incidentId?: string;
  passed: boolean;
  steps: readonly Step[];
}): string {
  const width = Math.max(...report.steps.map((s) => s.step.length));
  return [
    `alert test ${report.testId} (${report.priority})${report.incidentId ? `: ${report.incidentId}` : ''}`,
    ...report.steps.map(
      (s) =>
        `  ${s.step.padEnd(width)}  ${s.afterSeconds === undefined ? '     -' : `${s.afterSeconds.toFixed(1).padStart(5)}s`}  ${s.detail}`,
    ),
    report.passed ? 'passed' : 'FAILED',
  ].join('\n');
}
