import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { awsClientConfig, type AwsTarget } from '../../core/aws.ts';
import { parseConfig, type OpsConfig } from '../../core/config.ts';
import { DynamoDbIncidentStore } from './adapters/dynamodb-incident-store.ts';
import { configuredResponse, type EscalationDeps, type EscalationMetrics } from './escalation.ts';
import { ChatbotChat } from './adapters/chatbot-chat.ts';
import { SnsPager } from './adapters/sns-pager.ts';
import { BothChats, SlackWebhookChat } from './adapters/slack-webhook-chat.ts';
import { SlackIncidentChannels } from './adapters/slack-incident-channels.ts';
import { WebhookTickets } from './adapters/webhook-tickets.ts';
import type { Chat } from './notify.ts';
import { describeIssues } from '../../core/zod-issues.ts';

/** What the escalation functions need to know, from their environment (set by the CDK app). */
export const EscalationEnvSchema = z.object({
  MCP_OPS_CONFIG: z.string().default('{}'),
  INCIDENTS_TABLE: z.string().min(1),
  DELIVERIES_TABLE: z.string().min(1),
  TIER_TOPICS: z.string().min(2),
  LINK_SECRET_ARN: z.string().min(1),
  LINK_BASE_URL: z.string().url().optional(),
  LINK_TTL_HOURS: z.coerce.number().positive().default(24),
  /** The chat SNS topic (AWS Chatbot's custom notifications); no chat without it. */
  CHAT_TOPIC_ARN: z.string().min(1).optional(),
  /** Secrets Manager ARN of the Slack incoming webhook URL, when configured. */
  SLACK_WEBHOOK_SECRET_ARN: z.string().min(1).optional(),
  /** Secrets Manager ARN of the Slack bot token that makes P0 incident channels, when configured. */
  SLACK_BOT_TOKEN_SECRET_ARN: z.string().min(1).optional(),
  /** Secrets Manager ARN of the ticket system's Authorization header, when tickets are configured. */
  TICKETS_SECRET_ARN: z.string().min(1).optional(),
});

export interface EscalationSettings {
  readonly config: OpsConfig;
  readonly table: string;
  readonly deliveriesTable: string;
  readonly tierTopics: Record<string, string>;
  readonly secretArn: string;
  readonly linkBaseUrl: string;
  readonly linkTtlHours: number;
  readonly chatTopicArn?: string;
  readonly slackWebhookSecretArn?: string;
  readonly ticketsSecretArn?: string;
  readonly slackBotTokenSecretArn?: string;
}

export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): EscalationSettings {
  const parsed = EscalationEnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`Escalation environment: ${describeIssues(parsed.error.issues)}`);
  }
  const e = parsed.data;
  return {
    config: parseConfig(JSON.parse(e.MCP_OPS_CONFIG)),
    table: e.INCIDENTS_TABLE,
    deliveriesTable: e.DELIVERIES_TABLE,
    tierTopics: z.record(z.string(), z.string()).parse(JSON.parse(e.TIER_TOPICS)),
    secretArn: e.LINK_SECRET_ARN,
    linkBaseUrl: e.LINK_BASE_URL ?? 'https://invalid.example/respond',
    linkTtlHours: e.LINK_TTL_HOURS,
    ...(e.CHAT_TOPIC_ARN ? { chatTopicArn: e.CHAT_TOPIC_ARN } : {}),
    ...(e.SLACK_WEBHOOK_SECRET_ARN ? { slackWebhookSecretArn: e.SLACK_WEBHOOK_SECRET_ARN } : {}),
    ...(e.TICKETS_SECRET_ARN ? { ticketsSecretArn: e.TICKETS_SECRET_ARN } : {}),
    ...(e.SLACK_BOT_TOKEN_SECRET_ARN ? { slackBotTokenSecretArn: e.SLACK_BOT_TOKEN_SECRET_ARN } : {}),
  };
}

const SECRET_TTL_MS = 5 * 60_000;

/** A secret from Secrets Manager, cached for a few minutes per container (rotation shows within them). */
export function secretReader(client: SecretsManagerClient, arn: string): () => Promise<string> {
  let cached: { value: string; at: number } | undefined;
  return async () => {
    if (cached && Date.now() - cached.at < SECRET_TTL_MS) return cached.value;
    const answer = await client.send(new GetSecretValueCommand({ SecretId: arn }));
    if (!answer.SecretString) throw new Error(`Secret ${arn} has no string value`);
    cached = { value: answer.SecretString, at: Date.now() };
    return cached.value;
  };
}

export function powertoolsMetrics(metrics: Metrics): EscalationMetrics {
  return {
    count(name, dimension) {
      if (dimension) {
        const single = metrics.singleMetric();
        single.addDimension('tier', dimension);
        single.addMetric(name, MetricUnit.Count, 1);
      } else metrics.addMetric(name, MetricUnit.Count, 1);
    },
    timeToAcknowledge(seconds) {
      metrics.addMetric('TimeToAcknowledge', MetricUnit.Seconds, seconds);
    },
  };
}

/** Builds the escalation ports from settings: DynamoDB table, SNS tier topics, Secrets Manager. */
export function escalationPorts(target: AwsTarget, settings: EscalationSettings) {
  const db = DynamoDBDocumentClient.from(new DynamoDBClient(awsClientConfig(target)), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const secrets = new SecretsManagerClient(awsClientConfig(target));
  const readSecret = secretReader(secrets, settings.secretArn);
  const sns = new SNSClient(awsClientConfig(target));
  const chats: Chat[] = [];
  if (settings.chatTopicArn) chats.push(new ChatbotChat(sns, settings.chatTopicArn));
  if (settings.slackWebhookSecretArn)
    chats.push(new SlackWebhookChat(secretReader(secrets, settings.slackWebhookSecretArn)));
  const chat = chats.length > 1 ? new BothChats(chats) : chats[0];
  const ticketsConfig = settings.config.escalation.tickets;
  const tickets =
    ticketsConfig && settings.ticketsSecretArn
      ? new WebhookTickets(ticketsConfig, secretReader(secrets, settings.ticketsSecretArn))
      : undefined;
  const channelsConfig = settings.config.escalation.slackIncidentChannels;
  const channels =
    channelsConfig && settings.slackBotTokenSecretArn
      ? new SlackIncidentChannels(
          secretReader(secrets, settings.slackBotTokenSecretArn),
          channelsConfig.apiBaseUrl,
        )
      : undefined;
  return {
    store: new DynamoDbIncidentStore(db, settings.table, settings.deliveriesTable),
    pager: new SnsPager(sns, settings.tierTopics),
    readSecret,
    async deps(now: () => Date, metrics?: EscalationMetrics): Promise<EscalationDeps> {
      return {
        store: this.store,
        pager: this.pager,
        now,
        ...configuredResponse(settings.config),
        links: { baseUrl: settings.linkBaseUrl, secret: await readSecret(), ttlHours: settings.linkTtlHours },
        ...(chat ? { chat } : {}),
        ...(tickets ? { tickets } : {}),
        ...(channels ? { channels } : {}),
        ...(metrics ? { metrics } : {}),
      };
    },
  };
}
