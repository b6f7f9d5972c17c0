// The maintenance job's AWS side: e-mail through SES (the reports topic when SES is not
// configured or refuses), pages as Alertmanager-shaped alerts on the alerts topic (escalation
// takes them from there), and the open incidents from the incidents table's open index.
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { INCIDENTS_TABLE } from '../../../core/incidents/table.ts';
import type { MailMessage } from '../../../core/outbox/mail.ts';
import { sendWithSes, type SesSender } from '../../../core/outbox/ses-mail.ts';
import type { MaintenancePage, OpenIncident } from '../maintenance-deps.ts';

export interface MaintenanceMailSettings {
  readonly ses?: SesSender;
  readonly sns: SNSClient;
  /** The reports topic: the fallback, its subscribers being the team. */
  readonly reportsTopicArn: string;
}

export function maintenanceMailer(settings: MaintenanceMailSettings) {
  const viaTopic = async (to: readonly string[], message: MailMessage, why: string) => {
    const answer = await settings.sns.send(
      new PublishCommand({
        TopicArn: settings.reportsTopicArn,
        Subject: message.subject.slice(0, 99),
        Message: `${message.text}\n--\nFor: ${to.join(', ')}. ${why}\n`,
      }),
    );
    return { via: 'sns' as const, messageId: answer.MessageId ?? '' };
  };
  return async (to: readonly string[], message: MailMessage) => {
    const ses = settings.ses;
    if (!ses)
      return viaTopic(to, message, 'Sent to the reports topic: SES is not configured (reports.email).');
    try {
      const messageId = await sendWithSes(ses, to, message, 'mcp-ops maintenance');
      return { via: 'ses' as const, messageId };
    } catch (error) {
      return viaTopic(to, message, `SES refused it: ${(error as Error).message.slice(0, 200)}`);
    }
  };
}

/** A page as Alertmanager's SNS message in our template's JSON: escalation pages by its priority. */
export function alertsTopicPager(sns: SNSClient, alertsTopicArn: string) {
  return async (page: MaintenancePage): Promise<void> => {
    const labels = {
      alertname: page.alertname,
      severity: 'critical',
      priority: page.priority,
      service: 'mcp-semantic',
      maintenance_window: page.window,
      runbook: 'maintenance',
    };
    const message = {
      receiver: 'mcp-ops-maintenance',
      status: 'firing',
      alerts: [
        {
          status: 'firing',
          labels,
          annotations: {
            summary: page.summary,
            description: page.description,
          },
          startsAt: new Date().toISOString(),
        },
      ],
      groupLabels: { alertname: page.alertname },
      commonLabels: labels,
    };
    await sns.send(
      new PublishCommand({
        TopicArn: alertsTopicArn,
        Subject: `[FIRING] ${page.alertname}`,
        Message: JSON.stringify(message),
      }),
    );
  };
}

/** The open incidents, from the incidents table's open index. */
export function openIncidentsFrom(db: DynamoDBDocumentClient, table: string) {
  return async (): Promise<OpenIncident[]> => {
    const found: OpenIncident[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await db.send(
        new QueryCommand({
          TableName: table,
          IndexName: INCIDENTS_TABLE.openIndex.name,
          KeyConditionExpression: '#open = :open',
          ExpressionAttributeNames: { '#open': INCIDENTS_TABLE.openIndex.partitionKey },
          ExpressionAttributeValues: { ':open': 'OPEN' },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? [])
        found.push({
          id: String(item.id ?? item.pk ?? '?'),
          severity: String(item.severity ?? '?'),
          title: String(item.title ?? ''),
          status: String(item.status ?? '?'),
        });
      start = page.LastEvaluatedKey;
    } while (start);
    return found;
  };
}
