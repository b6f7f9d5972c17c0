/**
 * The daily security check's CRITICAL findings become security alerts on the alerts topic (in
 * Alertmanager's JSON, `category=security`, P1: a dangerous configuration, not a breach in
 * progress), one per finding, so escalation opens a security incident for each: the Security Team
 * is paged and the security API told. The same finding on the next day's check repeats into the
 * incident still open rather than paging again (its fingerprint is the finding's).
 */
import { createHash } from 'node:crypto';
import type { SecurityFinding } from './sections/security.ts';

export interface SecurityAlertSink {
  publish(subject: string, message: string): Promise<void>;
}

/** The Alertmanager-shaped message for one CRITICAL finding. */
export function securityCheckAlert(finding: SecurityFinding, now: Date): string {
  const labels = {
    alertname: 'SecurityCheckCritical',
    severity: 'critical',
    priority: 'P1',
    category: 'security',
    service: 'mcp-semantic',
    area: finding.area,
    object: finding.object,
    runbook: 'security-incident-response',
  };
  return JSON.stringify({
    receiver: 'mcp-ops-security-check',
    status: 'firing',
    alerts: [
      {
        status: 'firing',
        labels,
        annotations: { summary: `${finding.object} ${finding.problem}`, description: `Fix: ${finding.fix}` },
        startsAt: now.toISOString(),
        fingerprint: createHash('sha256')
          .update(`${finding.area}|${finding.object}|${finding.problem}`)
          .digest('hex')
          .slice(0, 16),
      },
    ],
    groupLabels: { alertname: labels.alertname },
    commonLabels: labels,
  });
}

/** Raises each CRITICAL finding (at most `limit`); answers how many were raised. */
export async function raiseCriticalFindings(
  sink: SecurityAlertSink,
  findings: readonly SecurityFinding[],
  now: Date,
  limit = 20,
): Promise<number> {
  const critical = findings.filter((f) => f.severity === 'CRITICAL').slice(0, limit);
  for (const f of critical)
    await sink.publish(`[FIRING] SecurityCheckCritical ${f.object}`.slice(0, 99), securityCheckAlert(f, now));
  return critical.length;
}
