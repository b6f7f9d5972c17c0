import { z } from 'zod';
import { clockTime, MANUAL_SEVERITY_RESPONSE, SeverityResponseSchema, weekday } from './config-on-call.ts';

/** What escalation does beyond the ladder: chat, tickets, incident channels, links, the related-alert window. */
export const EscalationConfigSchema = z
  .object({
    respondReservedConcurrency: z
      .number()
      .int()
      .min(1)
      .max(100)
      .nullable()
      .default(5)
      .describe(
        'Concurrent executions reserved for the public acknowledge/resolve page, so a flood of requests there cannot starve intake and tick. `null` reserves none (accounts whose concurrency limit is 10 cannot reserve any).',
      ),
    severities: z
      .object({
        P0: SeverityResponseSchema.default(MANUAL_SEVERITY_RESPONSE.P0),
        P1: SeverityResponseSchema.default(MANUAL_SEVERITY_RESPONSE.P1),
        P2: SeverityResponseSchema.default(MANUAL_SEVERITY_RESPONSE.P2),
        P3: SeverityResponseSchema.default(MANUAL_SEVERITY_RESPONSE.P3),
      })
      .prefault({})
      .describe('What each severity gets (defaults: the manual\'s "Incident Severity Levels").'),
    businessHours: z
      .object({
        days: z.array(weekday).min(1).default([1, 2, 3, 4, 5]),
        start: clockTime.default('09:00'),
        end: clockTime.default('17:00'),
      })
      .prefault({})
      .refine((b) => b.start < b.end, { message: 'start must be before end', path: ['start'] })
      .describe(
        'Support hours, in `schedules.timeZone`: a `business-hours` severity pages only inside them. Days are 0 (Sunday) to 6 (Saturday).',
      ),
    relatedAlertWindowMinutes: z
      .number()
      .int()
      .min(0)
      .default(30)
      .describe(
        "Alerts of the same service that fire within this many minutes of an open incident's opening join it as related alerts instead of paging again.",
      ),
    alertPublishers: z
      .array(
        z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, {
          message: 'expected an IAM role ARN such as arn:aws:iam::123456789012:role/alertmanager',
        }),
      )
      .default([])
      .describe(
        "Who may publish to the alerts topic besides this account's CloudWatch alarms and the stack's own functions: Alertmanager's IAM role ARNs (its SNS receiver's `sigv4` role). With `prometheus.access: amp`, Amazon Managed Prometheus' alert manager of that workspace is allowed too. Everyone else is denied, so no one in the account can page or resolve by publishing.",
      ),
    slackWebhookSecretName: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Optional Slack incoming webhook, besides the chat SNS topic for AWS Chatbot: the name of the Secrets Manager secret that holds the webhook URL.',
      ),
    slackIncidentChannels: z
      .object({
        botTokenSecretName: z.string().min(1),
        apiBaseUrl: z.string().url().default('https://slack.com/api'),
      })
      .optional()
      .describe(
        "Optional: a P0 gets the manual's `#incident-YYYYMMDD-NNN` Slack channel, made with the bot token in this Secrets Manager secret (scope `channels:manage`), and named in the page.",
      ),
    tickets: z
      .object({
        url: z
          .string()
          .url()
          .refine((u) => u.startsWith('https://') || /^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(u), {
            message: 'expected an https:// URL',
          })
          .describe('Create-issue endpoint, e.g. `https://x.atlassian.net/rest/api/2/issue`.'),
        shape: z.enum(['jira', 'github']).default('jira'),
        commentUrl: z
          .string()
          .url()
          .optional()
          .describe("Where a comment goes, `{ref}` replaced by the ticket's key or number."),
        authorizationSecretName: z
          .string()
          .min(1)
          .describe(
            'Secrets Manager secret holding the `Authorization` header value ("Bearer ...", "Basic ...").',
          ),
        jiraProject: z.string().default('OPS'),
        jiraIncidentType: z.string().default('Incident'),
      })
      .optional()
      .describe(
        'Optional ticket system (a generic HTTPS webhook); without it the incidents table is the record.',
      ),
    runbookBaseUrl: z
      .string()
      .url()
      .default('https://github.com/ninjatech-ai/mcp-ops/blob/main/docs/runbooks/')
      .describe('Where pages link for runbooks: `docs/runbooks/` of this repository by default.'),
  })
  .prefault({});
