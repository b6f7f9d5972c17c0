import { z } from 'zod';
import { RequestRefused } from './errors.ts';
import { EscalationConfigSchema } from './config-escalation.ts';
import { MitigationConfigSchema } from './config-mitigation.ts';
import { SecurityConfigSchema } from './config-security.ts';
import {
  bucketName,
  clockTime,
  email,
  ianaTimeZone,
  labelSelector,
  MANUAL_ON_CALL_LADDER,
  OnCallTierSchema,
} from './config-on-call.ts';

export {
  MANUAL_ON_CALL_LADDER,
  MANUAL_SEVERITY_RESPONSE,
  OnCallTierSchema,
  type OnCallTier,
  type OnCallTierInput,
  type SeverityResponse,
} from './config-on-call.ts';

/**
 * The one typed place for mcp-ops configuration. Every default is the operations manual's value
 * (../shared/MANUAL.md); the CDK app, the Lambda handlers and the command line all parse the same
 * shape, so a wrong value fails `cdk synth` before anything is deployed.
 */

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
        "Where the manual's Grafana dashboards are (`/d/mcp-overview` and the others). Reports link each section to its panel only when this is a URL outside the cluster (the default, in-cluster, prints no links rather than dead ones); `mcp-ops doctor` checks it answers.",
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
          })
          .refine((tiers) => !tiers.some((t) => t.name === 'security'), {
            message: 'the tier name "security" is the Security Team\'s page topic (config `security`)',
          }),
      })
      .prefault({}),
    escalation: EscalationConfigSchema,
    mitigation: MitigationConfigSchema,
    security: SecurityConfigSchema,
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
