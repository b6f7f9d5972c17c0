import { createHash } from 'node:crypto';
import { z } from 'zod';
import { describeIssues } from '../../core/zod-issues.ts';
import type { NormalizedAlert } from '../../core/incidents/alert.ts';
import { securityAlerts } from './security-alerts.ts';

export type { NormalizedAlert };

const MAX_RAW = 4_000;

/**
 * Caps on what one alert may bring into an incident item (DynamoDB's 400 KB item limit) and a
 * page: longer text is cut, and what is left out is counted (`_left_out` label) so nobody thinks
 * they saw all of it.
 */
export const ALERT_LIMITS = { name: 120, summary: 1_000, labels: 40, labelKey: 64, labelValue: 256 } as const;

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** An alert made safe to keep: single-line name, capped text and labels (first ones by name). */
function bounded(alert: NormalizedAlert): NormalizedAlert {
  const entries = Object.entries(alert.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const kept = entries
    .slice(0, ALERT_LIMITS.labels)
    .map(([k, v]) => [cut(k, ALERT_LIMITS.labelKey), cut(v, ALERT_LIMITS.labelValue)] as const);
  const leftOut = entries.length - kept.length;
  const labels: Record<string, string> = Object.fromEntries(kept);
  if (leftOut > 0) labels._left_out = `${leftOut} more labels not kept`;
  return {
    ...alert,
    name: cut(alert.name.replace(/\s+/g, ' ').trim() || 'unnamed alert', ALERT_LIMITS.name),
    summary: cut(alert.summary, ALERT_LIMITS.summary),
    ...(alert.runbook ? { runbook: cut(alert.runbook, ALERT_LIMITS.labelValue) } : {}),
    ...(alert.priority ? { priority: cut(alert.priority, 8) } : {}),
    severityLabel: cut(alert.severityLabel, 32),
    ...(alert.pods ? { pods: alert.pods.slice(0, 10).map((p) => cut(p, 253)) } : {}),
    labels,
  };
}

/** A key part as sent when short and plain, else its hash: a key is a DynamoDB key (≤ 2 KB). */
function keyPart(value: string): string {
  return value.length <= 256 && !/\p{Cc}/u.test(value) ? value : `sha256:${sha256(value).slice(0, 32)}`;
}

/** A time the sender gave, as ISO 8601, or nothing when it is not a date. */
function isoTime(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const at = new Date(text);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const CloudWatchAlarmSchema = z
  .object({
    AlarmName: z.string().min(1),
    AlarmDescription: z.string().nullish(),
    AlarmArn: z.string().optional(),
    NewStateValue: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']),
    NewStateReason: z.string().optional(),
    StateChangeTime: z.string().optional(),
    Region: z.string().optional(),
  })
  .loose();

const AlertmanagerAlertSchema = z
  .object({
    status: z.enum(['firing', 'resolved']),
    labels: z.record(z.string(), z.string()),
    annotations: z.record(z.string(), z.string()).default({}),
    startsAt: z.string().optional(),
    endsAt: z.string().optional(),
    generatorURL: z.string().optional(),
    fingerprint: z.string().optional(),
  })
  .loose();

const AlertmanagerMessageSchema = z
  .object({
    receiver: z.string().optional(),
    status: z.enum(['firing', 'resolved']),
    alerts: z.array(AlertmanagerAlertSchema).min(1),
    groupLabels: z.record(z.string(), z.string()).default({}),
    commonLabels: z.record(z.string(), z.string()).default({}),
  })
  .loose();

/** CloudWatch alarms say their severity in the description: "severity=critical; ...". */
function severityFromDescription(description: string | null | undefined): string {
  const match = /severity\s*[=:]\s*(critical|warning|info)/i.exec(description ?? '');
  return match ? match[1]!.toLowerCase() : 'warning';
}

function fromCloudWatch(alarm: z.infer<typeof CloudWatchAlarmSchema>): NormalizedAlert[] {
  // INSUFFICIENT_DATA is neither a fault nor a recovery; alarms that must page on missing data
  // treat it as breaching, which arrives as ALARM.
  if (alarm.NewStateValue === 'INSUFFICIENT_DATA') return [];
  const runbook = /runbook\s*[=:]\s*([a-z0-9-]+)/i.exec(alarm.AlarmDescription ?? '')?.[1];
  const service = /service\s*[=:]\s*([A-Za-z0-9._-]+)/.exec(alarm.AlarmDescription ?? '')?.[1];
  // An alarm names its P0-P3 the way a rule does, in its description: "priority=P0; ...".
  const priority = /priority\s*[=:]\s*(P[0-3])\b/.exec(alarm.AlarmDescription ?? '')?.[1];
  return [
    {
      source: 'cloudwatch',
      dedupKey: `cloudwatch:${keyPart(alarm.AlarmArn ?? alarm.AlarmName)}`,
      name: alarm.AlarmName,
      status: alarm.NewStateValue === 'ALARM' ? 'firing' : 'resolved',
      severityLabel: severityFromDescription(alarm.AlarmDescription),
      ...(priority ? { priority } : {}),
      summary: alarm.NewStateReason ?? alarm.AlarmDescription ?? alarm.AlarmName,
      ...(runbook ? { runbook } : {}),
      ...(isoTime(alarm.StateChangeTime) ? { startedAt: isoTime(alarm.StateChangeTime)! } : {}),
      labels: {
        alarm: alarm.AlarmName,
        ...(alarm.Region ? { region: alarm.Region } : {}),
        ...(service ? { service } : {}),
      },
    },
  ];
}

function alertmanagerKey(labels: Record<string, string>, fingerprint?: string): string {
  if (fingerprint) return `alertmanager:${keyPart(fingerprint)}`;
  const sorted = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
  return `alertmanager:${sha256(sorted).slice(0, 16)}`;
}

function fromAlertmanagerAlert(alert: z.infer<typeof AlertmanagerAlertSchema>): NormalizedAlert {
  const labels = alert.labels;
  return {
    source: 'alertmanager',
    dedupKey: alertmanagerKey(labels, alert.fingerprint),
    name: labels.alertname ?? 'unnamed alert',
    status: alert.status,
    severityLabel: (labels.severity ?? 'warning').toLowerCase(),
    ...(labels.priority ? { priority: labels.priority.toUpperCase() } : {}),
    summary: alert.annotations.summary ?? alert.annotations.description ?? labels.alertname ?? '',
    ...(labels.runbook ? { runbook: labels.runbook } : {}),
    ...(isoTime(alert.startsAt) ? { startedAt: isoTime(alert.startsAt)! } : {}),
    ...(labels.category === 'security' ? { category: 'security' as const } : {}),
    ...(labels.pod ? { pods: [labels.pod] } : {}),
    labels,
  };
}

/**
 * Alertmanager's default SNS text (`sns.default.message`): "Alerts Firing:" / "Alerts Resolved:"
 * sections of "Labels:" blocks with " - name = value" lines.
 */
function fromAlertmanagerText(message: string): NormalizedAlert[] {
  const alerts: NormalizedAlert[] = [];
  let status: 'firing' | 'resolved' | undefined;
  let labels: Record<string, string> | undefined;
  let annotations: Record<string, string> = {};
  let block: 'labels' | 'annotations' | undefined;
  const flush = () => {
    if (status && labels?.alertname) {
      alerts.push(fromAlertmanagerAlert({ status, labels, annotations }));
    }
    labels = undefined;
    annotations = {};
    block = undefined;
  };
  for (const line of message.split('\n')) {
    if (/^Alerts Firing:/.test(line)) {
      flush();
      status = 'firing';
    } else if (/^Alerts Resolved:/.test(line)) {
      flush();
      status = 'resolved';
    } else if (/^Labels:/.test(line.trim())) {
      flush();
      labels = {};
      block = 'labels';
    } else if (/^Annotations:/.test(line.trim())) {
      block = 'annotations';
    } else {
      const pair = /^\s*-\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
      if (pair && block === 'labels' && labels) labels[pair[1]!] = pair[2]!.trim();
      else if (pair && block === 'annotations') annotations[pair[1]!] = pair[2]!.trim();
      else if (/^Source:/.test(line.trim())) block = undefined;
    }
  }
  flush();
  return alerts;
}

function unparsed(message: string, reason: string): NormalizedAlert {
  return {
    source: 'unparsed',
    dedupKey: `unparsed:${sha256(message).slice(0, 32)}`,
    name: 'Unparsed alert',
    status: 'firing',
    severityLabel: 'warning',
    summary: 'An alert arrived that mcp-ops could not parse; the raw message is attached.',
    labels: {},
    raw:
      message.length > MAX_RAW
        ? `${message.slice(0, MAX_RAW)}\n[... ${message.length - MAX_RAW} more characters cut]`
        : message,
    parseError: reason,
  };
}

/**
 * Parses one SNS message into alerts; what cannot be parsed becomes one `unparsed` alert. Never
 * throws: whatever arrives either parses or pages as unparsed ("a malformed alert still pages").
 */
export function parseAlertMessage(message: string): NormalizedAlert[] {
  try {
    return parseAlerts(message).map(bounded);
  } catch (error) {
    return [bounded(unparsed(message, `the parser failed: ${(error as Error).message}`))];
  }
}

function parseAlerts(message: string): NormalizedAlert[] {
  let json: unknown;
  try {
    json = JSON.parse(message);
  } catch {
    json = undefined;
  }
  if (json !== undefined) {
    const security = securityAlerts(json);
    if (security) return security;
    const alarm = CloudWatchAlarmSchema.safeParse(json);
    if (alarm.success) return fromCloudWatch(alarm.data);
    const am = AlertmanagerMessageSchema.safeParse(json);
    if (am.success) return am.data.alerts.map(fromAlertmanagerAlert);
    const issues = describeIssues([...alarm.error.issues, ...am.error.issues], {
      root: 'message',
      limit: 3,
    });
    return [
      unparsed(message, `JSON that is neither a CloudWatch alarm nor an Alertmanager message (${issues})`),
    ];
  }
  if (/^Alerts (Firing|Resolved):/m.test(message)) {
    const alerts = fromAlertmanagerText(message);
    if (alerts.length > 0) return alerts;
  }
  return [unparsed(message, 'not JSON and not Alertmanager text')];
}
