/**
 * The one way a Lambda handler reads its environment (in the manner of Powertools' envUtils): the
 * variable names the CDK app sets, shared by lib/ and the handlers, and one error naming what is
 * missing or malformed.
 */
import { parseConfig, type OpsConfig } from './config.ts';
import { RequestRefused } from './errors.ts';

/** Environment variables the stack sets on the functions (lib/*-construct.ts). */
export const ENV = {
  /** The whole configuration as JSON (core/config.ts). */
  config: 'MCP_OPS_CONFIG',
  /** Where cleanup keeps its journal and manifest. */
  stateBucket: 'MCP_OPS_STATE_BUCKET',
  reportsTopic: 'REPORTS_TOPIC_ARN',
  reportsBucket: 'REPORTS_BUCKET',
  /** The SES configuration set of the reports (with `reports.email`). */
  mailConfigurationSet: 'REPORTS_MAIL_CONFIGURATION_SET',
  /** Maintenance: where pages go (the alerts topic, which escalation reads). */
  alertsTopic: 'ALERTS_TOPIC_ARN',
  /** Escalation: the incidents and deliveries tables (maintenance reads the incidents table). */
  incidentsTable: 'INCIDENTS_TABLE',
  deliveriesTable: 'DELIVERIES_TABLE',
  /** Escalation: tier name to SNS topic ARN, as JSON. */
  tierTopics: 'TIER_TOPICS',
  /** Escalation: the Secrets Manager ARN of the links' HMAC key. */
  linkSecretArn: 'LINK_SECRET_ARN',
  /** Escalation: the acknowledge/resolve page's URL (absent on that page's own function). */
  linkBaseUrl: 'LINK_BASE_URL',
  linkTtlHours: 'LINK_TTL_HOURS',
  /** The mitigation page's URL: the diagnosis signs its offers' links to it. */
  mitigateBaseUrl: 'MITIGATE_BASE_URL',
  /** Escalation: the chat SNS topic (AWS Chatbot's custom notifications). */
  chatTopicArn: 'CHAT_TOPIC_ARN',
  /** Escalation: Secrets Manager ARNs of the Slack webhook, Slack bot token and ticket Authorization. */
  slackWebhookSecretArn: 'SLACK_WEBHOOK_SECRET_ARN',
  slackBotTokenSecretArn: 'SLACK_BOT_TOKEN_SECRET_ARN',
  ticketsSecretArn: 'TICKETS_SECRET_ARN',
  /** Security incidents: the security team's API, and the secret with its Authorization value. */
  securityApiUrl: 'SECURITY_API_URL',
  /** The evidence bucket (S3 Object Lock) of security incidents. */
  evidenceBucket: 'EVIDENCE_BUCKET',
  securityApiSecretArn: 'SECURITY_API_SECRET_ARN',
} as const;

export class EnvironmentError extends RequestRefused {
  override name = 'EnvironmentError';
}

/** A variable the function cannot work without. */
export function requiredEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value.trim() === '')
    throw new EnvironmentError(
      `environment variable ${name} is not set (the CDK app sets it on the function)`,
    );
  return value;
}

/** A variable that may be absent. */
export function optionalEnv(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** The configuration from MCP_OPS_CONFIG (absent: the manual's defaults). */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): OpsConfig {
  const raw = optionalEnv(ENV.config, env) ?? '{}';
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new EnvironmentError(`environment variable ${ENV.config} is not JSON: ${(error as Error).message}`);
  }
  return parseConfig(json, ENV.config);
}
