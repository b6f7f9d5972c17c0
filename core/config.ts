import { z } from 'zod';
import { RequestRefused } from './errors.ts';

/**
 * The one typed place for mcp-ops configuration. Every default is the operations manual's value
 * (../shared/MANUAL.md); the CDK app, the Lambda handlers and the command line all parse the same
 * shape, so a wrong value fails `cdk synth` before anything is deployed.
 */

const ianaTimeZone = z.string().refine(
  (zone) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected an IANA time zone such as "Europe/London" or "UTC"' },
);

const clockTime = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'expected a 24-hour time "HH:MM"' });

/** S3 bucket names as AWS accepts them (3-63 chars, lower case, digits, dots, hyphens). */
const bucketName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'expected a valid S3 bucket name' });

const labelSelector = z
  .string()
  .regex(/^[A-Za-z0-9._/-]+(=|==|!=)[A-Za-z0-9._-]*(,[A-Za-z0-9._/-]+(=|==|!=)[A-Za-z0-9._-]*)*$/, {
    message: 'expected an equality label selector such as "app=mcp-semantic"',
  });

const email = z.string().email({ message: 'expected an e-mail address' });

export const OnCallTierSchema = z.object({
  name: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,40}$/, { message: 'expected a lower-case tier name' })
    .describe('Topic-safe name of the tier: the SNS topic is `<prefix>-page-<name>`.'),
  title: z.string().min(1),
  contact: email,
  respondWithinMinutes: z
    .number()
    .int()
    .positive()
    .describe(
      'This tier\'s deadline, in minutes counted from when the alert fired: when it passes, the next tier is paged (the manual\'s "Primary (15 min) → Secondary (30 min) → ...").',
    ),
  severities: z
    .array(z.enum(['P0', 'P1', 'P2', 'P3']))
    .min(1)
    .describe('Only incidents of these severities climb to this tier.'),
  climbsOn: z
    .enum(['no-response', 'no-resolution'])
    .default('no-response')
    .describe(
      'What pages this tier when the previous tier\'s deadline passes: `no-response` (nobody has acknowledged; an acknowledgement stops it) or `no-resolution` (still unresolved, acknowledged or not). The manual\'s arrows: "(no response)" to the secondary and the team lead, "(no resolution)" to the engineering manager and on. The first tier is paged at once.',
    ),
});
export type OnCallTier = z.infer<typeof OnCallTierSchema>;
export type OnCallTierInput = z.input<typeof OnCallTierSchema>;

const ALL_SEVERITIES = ['P0', 'P1', 'P2', 'P3'] as const;

/**
 * The manual's escalation ladder: primary 15 min, secondary 30 min, team lead 1 h, manager 2 h,
 * VP 4 h (critical only). Each number is that tier's deadline from when the alert fired, so an
 * unanswered P0 pages the primary at +0, the secondary at +15 min, the team lead at +30 min, the
 * manager at +1 h ("Manager notified after 1 hour") and the VP at +2 h.
 */
export const MANUAL_ON_CALL_LADDER: OnCallTier[] = [
  {
    name: 'primary',
    title: 'Primary On-Call',
    contact: 'ops-oncall@ninjatech.ai',
    respondWithinMinutes: 15,
    severities: [...ALL_SEVERITIES],
    climbsOn: 'no-response',
  },
  {
    name: 'secondary',
    title: 'Secondary On-Call',
    contact: 'ops-secondary@ninjatech.ai',
    respondWithinMinutes: 30,
    severities: [...ALL_SEVERITIES],
    climbsOn: 'no-response',
  },
  {
    name: 'team-lead',
    title: 'Team Lead',
    contact: 'john.doe@ninjatech.ai',
    respondWithinMinutes: 60,
    severities: [...ALL_SEVERITIES],
    climbsOn: 'no-response',
  },
  {
    name: 'engineering-manager',
    title: 'Engineering Manager',
    contact: 'jane.smith@ninjatech.ai',
    respondWithinMinutes: 120,
    severities: [...ALL_SEVERITIES],
    climbsOn: 'no-resolution',
  },
  {
    name: 'vp-engineering',
    title: 'VP Engineering',
    contact: 'ops-manager@ninjatech.ai',
    respondWithinMinutes: 240,
    // "Critical only": P0 (complete outage) and P1 (partial outage) are the manual's critical alerts.
    severities: ['P0', 'P1'],
    climbsOn: 'no-resolution',
  },
];

const SeverityResponseSchema = z.object({
  page: z
    .enum(['at-once', 'business-hours', 'never'])
    .describe(
      '`at-once`: the first tier is paged when the incident opens, then the ladder; `business-hours`: the first tier is paged only if the incident is still unacknowledged when `responseMinutes` has passed, and only inside business hours (it waits for them); `never`: chat and ticket only.',
    ),
  chat: z.boolean().describe("Post to the team's chat when the incident opens, changes and ends."),
  ticket: z.boolean().describe('Open a ticket (P1 "incident ticket", P2 ticket, P3 "bug ticket").'),
  responseMinutes: z
    .number()
    .int()
    .positive()
    .describe(
      "The manual's alert response time (Critical 15 min, Warning 1 h, Info 4 h): for a severity that does not page at once, a reminder goes to the chat and the ticket when it passes unacknowledged.",
    ),
});
export type SeverityResponse = z.infer<typeof SeverityResponseSchema>;

/** The manual's "Incident Severity Levels", response by response. */
export const MANUAL_SEVERITY_RESPONSE: Record<'P0' | 'P1' | 'P2' | 'P3', SeverityResponse> = {
  // "Page on-call engineer immediately", "Create incident channel", the whole ladder to the VP.
  P0: { page: 'at-once', chat: true, ticket: false, responseMinutes: 15 },
  // "Notify on-call engineer (Slack + email)", "Create incident ticket".
  P1: { page: 'at-once', chat: true, ticket: true, responseMinutes: 15 },
  // "Create incident ticket", "Notify team in Slack", "Schedule fix during business hours".
  P2: { page: 'business-hours', chat: true, ticket: true, responseMinutes: 60 },
  // "Create bug ticket", "Document in team channel".
  P3: { page: 'never', chat: true, ticket: true, responseMinutes: 240 },
};

const weekday = z.number().int().min(0).max(6);

export const OpsConfigSchema = z
  .object({
    resourcePrefix: z
      .string()
      .regex(/^[a-z][a-z0-9-]{1,30}$/, { message: 'expected lower-case letters, digits and hyphens' })
      .default('mcp-ops')
      .describe('Prefix of every named AWS resource the stack creates.'),
    cluster: z
      .object({
        name: z
          .string()
          .min(1)
          .default('mcp-cluster')
          .describe('EKS cluster name, used for the IAM token (x-k8s-aws-id).'),
        namespace: z
          .string()
          .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: 'expected a Kubernetes namespace name' })
          .default('mcp-system'),
        deployment: z.string().min(1).default('mcp-semantic-control-plane'),
        appSelector: labelSelector.default('app=mcp-semantic'),
        backupJobSelector: labelSelector.default('app=mcp-backup'),
        configMap: z.string().min(1).default('mcp-semantic-config'),
        metricsPort: z.number().int().min(1).max(65535).default(9090),
      })
      .prefault({}),
    prometheus: z
      .object({
        access: z
          .enum(['service-proxy', 'amp', 'direct'])
          .default('service-proxy')
          .describe(
            "How the functions, which run outside the cluster, reach Prometheus: `service-proxy` through the API server's service proxy with the same EKS token and read-only RBAC as the rest of the checks (works on any cluster the checks can read); `amp` Amazon Managed Service for Prometheus, SigV4-signed; `direct` a URL the function can reach (needs `clusterNetwork` for a URL inside the cluster's VPC).",
          ),
        service: z
          .object({
            namespace: z.string().min(1).default('mcp-system'),
            name: z.string().min(1).default('prometheus-mcp'),
            port: z.union([z.number().int().min(1).max(65535), z.string().min(1)]).default(9090),
          })
          .prefault({})
          .describe(
            "The Prometheus Service, for `service-proxy` (the manual's `prometheus-mcp.mcp-system:9090`).",
          ),
        url: z
          .string()
          .url()
          .default('http://prometheus-mcp.mcp-system.svc.cluster.local:9090')
          .describe('For `direct`.'),
        ampWorkspaceId: z
          .string()
          .regex(/^ws-[0-9a-zA-Z-]+$/, { message: 'expected an AMP workspace id (ws-...)' })
          .optional()
          .describe('For `amp`: the workspace (`ws-...`); queries go to its regional endpoint.'),
      })
      .prefault({})
      .refine((p) => p.access !== 'amp' || p.ampWorkspaceId !== undefined, {
        message: 'access "amp" needs ampWorkspaceId',
        path: ['ampWorkspaceId'],
      }),
    buckets: z
      .object({
        artifacts: bucketName.default('mcp-artifacts'),
        backup: bucketName.default('mcp-artifacts-backup'),
      })
      .prefault({}),
    retention: z
      .object({
        defaultDays: z
          .number()
          .int()
          .positive()
          .default(90)
          .describe('Used when the ConfigMap has no `artifact.retention.days` key.'),
        floorDays: z
          .number()
          .int()
          .positive()
          .default(7)
          .describe('No cleanup may use a shorter retention than this, whatever its input says.'),
        protectedPrefixes: z.array(z.string().min(1)).default([]).describe('Prefixes cleanup never touches.'),
      })
      .prefault({})
      .refine((r) => r.defaultDays >= r.floorDays, {
        message: 'defaultDays must not be below floorDays',
        path: ['defaultDays'],
      }),
    schedules: z
      .object({
        timeZone: ianaTimeZone
          .default('America/Los_Angeles')
          .describe("The team's time zone; schedules follow its daylight-saving changes."),
        morningReport: clockTime.default('09:00'),
        eveningReport: clockTime.default('18:00'),
        securityCheck: clockTime.default('08:30'),
        backupVerify: clockTime.default('07:00'),
        reportGraceMinutes: z
          .number()
          .int()
          .positive()
          .default(30)
          .describe('Minutes after a scheduled report by which it must have been delivered.'),
      })
      .prefault({}),
    backup: z
      .object({
        maxAgeHours: z
          .number()
          .positive()
          .default(26)
          .describe('A backup older than this (from its metadata) fails verification.'),
        sampleSize: z
          .number()
          .int()
          .nonnegative()
          .default(20)
          .describe('Objects read back whole and checksummed on each verification, chosen at random.'),
      })
      .prefault({}),
    grafana: z
      .object({
        baseUrl: z
          .string()
          .url()
          .transform((u) => u.replace(/\/+$/, ''))
          .default('http://grafana-mcp.mcp-system.svc.cluster.local:3000'),
      })
      .prefault({})
      .describe(
        "Where the manual's Grafana dashboards are (`/d/mcp-overview` and the others): report links.",
      ),
    reports: z
      .object({
        recipients: z.array(email).default(['ops-oncall@ninjatech.ai']),
        archiveDays: z
          .number()
          .int()
          .positive()
          .default(90)
          .describe('How long archived HTML reports are kept in the reports bucket.'),
        auditDays: z
          .number()
          .int()
          .positive()
          .default(730)
          .describe(
            "How long the audit trail is kept in the reports bucket: cleanup runs' manifests and summaries (cleanup/) and post-incident reviews (reports/reviews/). Never shorter than archiveDays, so the record of a deletion outlives the reports around it.",
          ),
        email: z
          .object({
            from: email,
            identity: z
              .string()
              .regex(/^[^@\s]+(@[^@\s]+)?$/, { message: 'expected an e-mail address or a domain' })
              .optional(),
          })
          .strict()
          .refine((e) => !e.identity || e.from === e.identity || e.from.endsWith(`@${e.identity}`), {
            message: 'identity must be the from address or its domain',
            path: ['identity'],
          })
          .optional()
          .describe(
            "Send the reports as HTML e-mail through Amazon SES (v2) from `from` to `recipients`. `identity` is the SES identity that covers `from`: the address itself (default) or its domain. Absent: the reports go to the reports SNS topic's e-mail subscriptions.",
          ),
      })
      .prefault({})
      .refine((r) => r.auditDays >= r.archiveDays, {
        message: 'auditDays must not be below archiveDays (the audit trail outlives the reports)',
        path: ['auditDays'],
      }),
    onCall: z
      .object({
        tiers: z
          .array(OnCallTierSchema)
          .min(1)
          .default(MANUAL_ON_CALL_LADDER)
          .refine((tiers) => new Set(tiers.map((t) => t.name)).size === tiers.length, {
            message: 'tier names must be unique',
          }),
      })
      .prefault({}),
    escalation: z
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
      .prefault({}),
    clusterNetwork: z
      .object({
        subnetIds: z
          .array(z.string().regex(/^subnet-[0-9a-f]+$/, { message: 'expected a subnet id' }))
          .min(1),
        securityGroupIds: z
          .array(z.string().regex(/^sg-[0-9a-f]+$/, { message: 'expected a security group id' }))
          .min(1),
      })
      .optional()
      .describe(
        'Optional: the VPC subnets and security groups of the functions that talk to the cluster (the checks), for a private EKS endpoint or a Prometheus reachable only inside the VPC.',
      ),
    maintenanceWindow: z
      .object({
        weekday: z
          .number()
          .int()
          .min(0)
          .max(6)
          .default(6)
          .describe('The manual: first Saturday of each month, 02:00-06:00 UTC.'),
        nthOfMonth: z
          .number()
          .int()
          .min(1)
          .max(5)
          .default(1)
          .describe(
            '1-4: that occurrence of the weekday in the month; 5: the last one (the 4th or the 5th).',
          ),
        startUtc: clockTime.default('02:00'),
        endUtc: clockTime.default('06:00'),
      })
      .prefault({}),
    maintenance: z
      .object({
        users: z
          .array(email)
          .min(1)
          .optional()
          .describe(
            'Who the users\' notices go to ("Notify users 7 days in advance"); absent: `reports.recipients`.',
          ),
        ingress: z
          .string()
          .min(1)
          .default('mcp-semantic-ingress')
          .describe(
            'The Ingress whose `nginx.ingress.kubernetes.io/custom-http-errors: "503"` is maintenance mode.',
          ),
        backupMarginHours: z
          .number()
          .positive()
          .default(48)
          .describe(
            '"Backup all data": the latest verified backup must be younger than the window\'s start minus this.',
          ),
        smokePath: z
          .string()
          .regex(/^\/[^\s]*$/, { message: 'expected a path starting with "/"' })
          .default('/healthz')
          .describe(
            "The smoke test's path, fetched from each pod through the API server's pod proxy (metrics port).",
          ),
        tolerance: z
          .object({
            errorRatePoints: z.number().nonnegative().default(0.5),
            p95Ratio: z.number().min(1).default(1.25),
          })
          .prefault({})
          .describe(
            'How far the post-check lets error rate (percentage points) and p95 (ratio) move from the baseline.',
          ),
      })
      .prefault({})
      .describe('The maintenance job (functions/maintenance): the checklist run around each window.'),
  })
  .strict();

export type OpsConfig = z.infer<typeof OpsConfigSchema>;
export type OpsConfigInput = z.input<typeof OpsConfigSchema>;

export class ConfigError extends RequestRefused {
  constructor(
    message: string,
    readonly issues: string[],
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

function describeReceived(input: unknown, path: PropertyKey[]): string {
  let value: unknown = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return 'nothing';
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

/** Parses configuration, naming every wrong key with what was expected and what came. */
export function parseConfig(input: unknown = {}, source = 'configuration'): OpsConfig {
  const result = OpsConfigSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => {
    const key = ['config', ...issue.path.map(String)].join('.');
    const received =
      issue.code === 'unrecognized_keys' ? '' : ` (got ${describeReceived(input, issue.path)})`;
    return `${key}: ${issue.message}${received}`;
  });
  throw new ConfigError(`Invalid ${source}:\n  ${issues.join('\n  ')}`, issues);
}

/** "09:00" in the team's zone as an EventBridge Scheduler cron expression (daily). */
export function dailyCron(time: string): string {
  const [hours, minutes] = time.split(':').map(Number);
  return `cron(${minutes} ${hours} * * ? *)`;
}
