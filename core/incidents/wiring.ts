import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { awsClientConfig, type AwsTarget, type Instrument, uninstrumented } from '../aws.ts';
import { OnCallTierSchema, type OpsConfig } from '../config.ts';
import { HttpSecurityApi } from '../outbox/adapters/security-api-http.ts';
import { configFromEnv, ENV, EnvironmentError, optionalEnv, requiredEnv } from '../function-env.ts';
import { DynamoDbIncidentStore } from './dynamodb-store.ts';
import { configuredResponse, type EscalationDeps, type EscalationMetrics } from './deps.ts';
import { ChatbotChat } from '../outbox/adapters/chatbot-chat.ts';
import { SnsPager } from '../outbox/adapters/sns-pager.ts';
import { BothChats, SlackWebhookChat } from '../outbox/adapters/slack-webhook-chat.ts';
import { SlackIncidentChannels } from '../outbox/adapters/slack-incident-channels.ts';
import { WebhookTickets } from '../outbox/adapters/webhook-tickets.ts';
import type { Chat } from '../outbox/notify.ts';

export interface EscalationSettings {
  readonly config: OpsConfig;
  readonly table: string;
  readonly deliveriesTable: string;
  readonly tierTopics: Record<string, string>;
  readonly secretArn: string;
  readonly linkBaseUrl: string;
  readonly linkTtlHours: number;
  readonly mitigateBaseUrl?: string;
  readonly chatTopicArn?: string;
  readonly slackWebhookSecretArn?: string;
  readonly ticketsSecretArn?: string;
  readonly slackBotTokenSecretArn?: string;
  readonly securityApiUrl?: string;
  readonly securityApiSecretArn?: string;
}

/** What the escalation functions need to know, from the environment the CDK app sets. */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): EscalationSettings {
  const optional = (name: string) => optionalEnv(name, env);
  const ttl = optional(ENV.linkTtlHours);
  const linkTtlHours = ttl === undefined ? 24 : Number(ttl);
  if (!(linkTtlHours > 0))
    throw new EnvironmentError(
      `environment variable ${ENV.linkTtlHours} must be a positive number (got ${ttl})`,
    );
  const linkBaseUrl = optional(ENV.linkBaseUrl);
  if (linkBaseUrl !== undefined && !URL.canParse(linkBaseUrl))
    throw new EnvironmentError(`environment variable ${ENV.linkBaseUrl} is not a URL (got ${linkBaseUrl})`);
  const mitigateBaseUrl = optional(ENV.mitigateBaseUrl);
  if (mitigateBaseUrl !== undefined && !URL.canParse(mitigateBaseUrl))
    throw new EnvironmentError(
      `environment variable ${ENV.mitigateBaseUrl} is not a URL (got ${mitigateBaseUrl})`,
    );
  const chatTopicArn = optional(ENV.chatTopicArn);
  const slackWebhookSecretArn = optional(ENV.slackWebhookSecretArn);
  const ticketsSecretArn = optional(ENV.ticketsSecretArn);
  const slackBotTokenSecretArn = optional(ENV.slackBotTokenSecretArn);
  const securityApiUrl = optional(ENV.securityApiUrl);
  if (securityApiUrl !== undefined && !URL.canParse(securityApiUrl))
    throw new EnvironmentError(
      `environment variable ${ENV.securityApiUrl} is not a URL (got ${securityApiUrl})`,
    );
  const securityApiSecretArn = optional(ENV.securityApiSecretArn);
  return {
    config: configFromEnv(env),
    table: requiredEnv(ENV.incidentsTable, env),
    deliveriesTable: requiredEnv(ENV.deliveriesTable, env),
    tierTopics: tierTopicsFrom(requiredEnv(ENV.tierTopics, env)),
    secretArn: requiredEnv(ENV.linkSecretArn, env),
    linkBaseUrl: linkBaseUrl ?? 'https://invalid.example/respond',
    linkTtlHours,
    ...(mitigateBaseUrl ? { mitigateBaseUrl } : {}),
    ...(chatTopicArn ? { chatTopicArn } : {}),
    ...(slackWebhookSecretArn ? { slackWebhookSecretArn } : {}),
    ...(ticketsSecretArn ? { ticketsSecretArn } : {}),
    ...(slackBotTokenSecretArn ? { slackBotTokenSecretArn } : {}),
    ...(securityApiUrl ? { securityApiUrl } : {}),
    ...(securityApiSecretArn ? { securityApiSecretArn } : {}),
  };
}

function tierTopicsFrom(raw: string): Record<string, string> {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    json = undefined;
  }
  const parsed = z.record(z.string(), z.string().min(1)).safeParse(json);
  if (!parsed.success || Object.keys(parsed.data).length === 0)
    throw new EnvironmentError(
      `environment variable ${ENV.tierTopics} must be a JSON object of tier name to topic ARN (got ${raw})`,
    );
  return parsed.data;
}

const SECRET_TTL_MS = 5 * 60_000;

/** A secret from Secrets Manager, cached for a few minutes per container (rotation shows within them). */
/**
 * The link key before its last rotation (Secrets Manager's AWSPREVIOUS stage), or none: links
 * signed with it keep working until they expire.
 */
export function previousSecretReader(client: SecretsManagerClient, arn: string): () => Promise<string[]> {
  let cached: { value: string[]; at: number } | undefined;
  return async () => {
    if (cached && Date.now() - cached.at < SECRET_TTL_MS) return cached.value;
    let value: string[] = [];
    try {
      const answer = await client.send(
        new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSPREVIOUS' }),
      );
      value = answer.SecretString ? [answer.SecretString] : [];
    } catch (error) {
      // No rotation yet: there is no AWSPREVIOUS version.
      if ((error as Error).name !== 'ResourceNotFoundException') throw error;
    }
    cached = { value, at: Date.now() };
    return value;
  };
}

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
        single.addDimension(name === 'IntegrationFailures' ? 'integration' : 'tier', dimension);
        single.addMetric(name, MetricUnit.Count, 1);
      } else metrics.addMetric(name, MetricUnit.Count, 1);
    },
    timeToAcknowledge(seconds) {
      metrics.addMetric('TimeToAcknowledge', MetricUnit.Seconds, seconds);
    },
  };
}

/** Builds the escalation ports from settings: DynamoDB table, SNS tier topics, Secrets Manager. */
export function escalationPorts(
  target: AwsTarget,
  settings: EscalationSettings,
  instrument: Instrument = uninstrumented,
) {
  const db = DynamoDBDocumentClient.from(instrument(new DynamoDBClient(awsClientConfig(target))), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const secrets = instrument(new SecretsManagerClient(awsClientConfig(target)));
  const readSecret = secretReader(secrets, settings.secretArn);
  const readPrevious = previousSecretReader(secrets, settings.secretArn);
  const sns = instrument(new SNSClient(awsClientConfig(target)));
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
  // The Security Team is a page destination when its topic is known (TIER_TOPICS' `security`).
  const security = settings.tierTopics.security
    ? {
        team: OnCallTierSchema.parse({
          name: 'security',
          title: 'Security Team',
          contact: settings.config.security.contact,
          respondWithinMinutes: 5,
          severities: ['P0', 'P1', 'P2', 'P3'],
        }),
        ...(settings.securityApiUrl
          ? {
              api: new HttpSecurityApi(
                settings.securityApiUrl,
                settings.securityApiSecretArn
                  ? secretReader(secrets, settings.securityApiSecretArn)
                  : undefined,
              ),
            }
          : {}),
        namespace: settings.config.cluster.namespace,
      }
    : undefined;
  return {
    db,
    store: new DynamoDbIncidentStore(db, settings.table, settings.deliveriesTable),
    pager: new SnsPager(sns, settings.tierTopics),
    readSecret,
    async deps(now: () => Date, metrics?: EscalationMetrics): Promise<EscalationDeps> {
      return {
        store: this.store,
        pager: this.pager,
        now,
        ...configuredResponse(settings.config),
        links: {
          baseUrl: settings.linkBaseUrl,
          secret: await readSecret(),
          previousSecrets: readPrevious,
          ttlHours: settings.linkTtlHours,
          ...(settings.mitigateBaseUrl ? { mitigateBaseUrl: settings.mitigateBaseUrl } : {}),
        },
        ...(chat ? { chat } : {}),
        ...(tickets ? { tickets } : {}),
        ...(channels ? { channels } : {}),
        ...(security ? { security } : {}),
        ...(metrics ? { metrics } : {}),
      };
    },
  };
}
