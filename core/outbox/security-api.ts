import type { Incident } from '../incidents/incident.ts';
import { singleLine } from '../text-safety.ts';

/** The manual's "Notify Security Team" POST: its four fields, and what we know beside them. */
export interface SecurityNotice {
  readonly severity: 'critical' | 'high' | 'medium' | 'low';
  readonly type: 'security-breach';
  readonly description: string;
  readonly namespace: string;
  readonly incidentId: string;
  readonly source: string;
  readonly pods: string[];
  readonly detectedAt: string;
  readonly idempotencyKey: string;
}

/** Where the security team takes incidents (the manual's https://security.ninjatech.ai/api/incidents). */
export interface SecurityApi {
  notify(notice: SecurityNotice): Promise<void>;
}

const SEVERITY = { P0: 'critical', P1: 'high', P2: 'medium', P3: 'low' } as const;

export function securityNotice(incident: Incident, namespace: string): SecurityNotice {
  return {
    severity: SEVERITY[incident.severity],
    type: 'security-breach',
    description: singleLine(`${incident.alert.name}: ${incident.alert.summary}`, 500),
    namespace: incident.alert.labels.namespace ?? namespace,
    incidentId: incident.id,
    source: incident.alert.source,
    pods: incident.alert.pods ?? [],
    detectedAt: incident.alert.startedAt ?? incident.createdAt,
    idempotencyKey: `${incident.id}:security-api`,
  };
}
