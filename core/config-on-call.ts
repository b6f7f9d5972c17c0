import { z } from 'zod';

/** The configuration's building blocks: value types, the on-call ladder and the severity response (the manual's defaults). */
export const ianaTimeZone = z.string().refine(
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

export const clockTime = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'expected a 24-hour time "HH:MM"' });

/** S3 bucket names as AWS accepts them (3-63 chars, lower case, digits, dots, hyphens). */
export const bucketName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'expected a valid S3 bucket name' });

export const labelSelector = z
  .string()
  .regex(/^[A-Za-z0-9._/-]+(=|==|!=)[A-Za-z0-9._-]*(,[A-Za-z0-9._/-]+(=|==|!=)[A-Za-z0-9._-]*)*$/, {
    message: 'expected an equality label selector such as "app=mcp-semantic"',
  });

export const email = z.string().email({ message: 'expected an e-mail address' });

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

export const ALL_SEVERITIES = ['P0', 'P1', 'P2', 'P3'] as const;

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

export const SeverityResponseSchema = z.object({
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

export const weekday = z.number().int().min(0).max(6);
