/**
 * What arrives on the alerts topic, made one shape: CloudWatch alarm notifications, Alertmanager's
 * SNS receiver in JSON (our template) or in its default text, and anything else as `unparsed`,
 * which still pages (never dropped). See ../shared/ALERT-FORMATS.md.
 */
export interface NormalizedAlert {
  readonly source: 'cloudwatch' | 'alertmanager' | 'guardduty' | 'falco' | 'unparsed';
  /** Repeats of the same alert share this key while an incident is open. */
  readonly dedupKey: string;
  readonly name: string;
  readonly status: 'firing' | 'resolved';
  /** critical | warning | info, as the rule or alarm labels it. */
  readonly severityLabel: string;
  /** An explicit P0-P3 from the alert's `priority` label, when set. */
  readonly priority?: string;
  readonly summary: string;
  readonly runbook?: string;
  readonly startedAt?: string;
  readonly labels: Record<string, string>;
  /**
   * A security signal (a GuardDuty finding, a Falco event, an alert labelled `category=security`):
   * its own track, paging the Security Team beside the ladder.
   */
  readonly category?: 'security';
  /** The pods the signal names, in the service's namespace: what evidence and quarantine are about. */
  readonly pods?: string[];
  /** The raw message, kept for unparsed input (truncated to stay within a page). */
  readonly raw?: string;
  readonly parseError?: string;
}

export const isSecurity = (alert: Pick<NormalizedAlert, 'category'>): boolean =>
  alert.category === 'security';
