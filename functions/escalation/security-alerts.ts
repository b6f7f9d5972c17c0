/**
 * Security signals on the alerts topic, made alerts: Amazon GuardDuty findings for EKS (EKS
 * Protection and Runtime Monitoring; an EventBridge rule sends the event to the topic as it is)
 * and Falco events (Falcosidekick's SNS output sends Falco's JSON). Each is `category: security`
 * with the P0-P3 its own severity maps to; an Alertmanager alert labelled `category=security` is
 * one too (P0 unless its `priority` says otherwise: core/incidents/severity.ts).
 */
import { z } from 'zod';
import type { NormalizedAlert } from '../../core/incidents/alert.ts';

const GuardDutyEventSchema = z
  .object({
    source: z.literal('aws.guardduty'),
    'detail-type': z.literal('GuardDuty Finding'),
    region: z.string().optional(),
    time: z.string().optional(),
    detail: z
      .object({
        id: z.string().min(1),
        type: z.string().min(1),
        severity: z.number().min(0).max(10),
        title: z.string().optional(),
        description: z.string().optional(),
        updatedAt: z.string().optional(),
        resource: z
          .object({
            resourceType: z.string().optional(),
            eksClusterDetails: z.object({ name: z.string().optional() }).loose().optional(),
            kubernetesDetails: z
              .object({
                kubernetesWorkloadDetails: z
                  .object({
                    name: z.string().optional(),
                    type: z.string().optional(),
                    namespace: z.string().optional(),
                  })
                  .loose()
                  .optional(),
              })
              .loose()
              .optional(),
          })
          .loose()
          .default({}),
      })
      .loose(),
  })
  .loose();

const FalcoEventSchema = z
  .object({
    rule: z.string().min(1),
    priority: z.string().min(1),
    output: z.string().default(''),
    time: z.string().optional(),
    hostname: z.string().optional(),
    output_fields: z.record(z.string(), z.unknown()).default({}),
  })
  .loose();

/** GuardDuty's bands: 7.0 and above High (9.0 Critical) → P0, Medium (4.0-6.9) → P1, Low → P2. */
export function guardDutyPriority(severity: number): 'P0' | 'P1' | 'P2' {
  return severity >= 7 ? 'P0' : severity >= 4 ? 'P1' : 'P2';
}

/** Falco's priorities: Emergency, Alert, Critical → P0; Error → P1; Warning → P2; the rest P3. */
export function falcoPriority(priority: string): 'P0' | 'P1' | 'P2' | 'P3' {
  const p = priority.toLowerCase();
  if (['emergency', 'alert', 'critical'].includes(p)) return 'P0';
  if (p === 'error') return 'P1';
  if (p === 'warning') return 'P2';
  return 'P3';
}

const text = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));

/** A security event, or undefined when `json` is neither a GuardDuty finding event nor a Falco event. */
export function securityAlerts(json: unknown): NormalizedAlert[] | undefined {
  const guardDuty = GuardDutyEventSchema.safeParse(json);
  if (guardDuty.success) {
    const d = guardDuty.data.detail;
    const workload = d.resource.kubernetesDetails?.kubernetesWorkloadDetails;
    const pods = workload?.name && /^pods?$/i.test(workload.type ?? '') ? [workload.name] : [];
    return [
      {
        source: 'guardduty',
        dedupKey: `guardduty:${d.id.slice(0, 200)}`,
        name: `GuardDuty ${d.type}`,
        status: 'firing',
        severityLabel: d.severity >= 7 ? 'critical' : 'warning',
        priority: guardDutyPriority(d.severity),
        category: 'security',
        summary: d.title ?? d.description ?? d.type,
        runbook: 'security-incident-response',
        ...(d.updatedAt && !Number.isNaN(Date.parse(d.updatedAt))
          ? { startedAt: new Date(d.updatedAt).toISOString() }
          : {}),
        ...(pods.length ? { pods } : {}),
        labels: {
          category: 'security',
          finding_type: d.type,
          guardduty_severity: String(d.severity),
          ...(d.resource.eksClusterDetails?.name ? { cluster: d.resource.eksClusterDetails.name } : {}),
          ...(workload?.namespace ? { namespace: workload.namespace } : {}),
          ...(workload?.name ? { workload: `${workload.type ?? 'workload'}/${workload.name}` } : {}),
        },
      },
    ];
  }
  const falco = FalcoEventSchema.safeParse(json);
  if (falco.success) {
    const f = falco.data;
    const pod = text(f.output_fields['k8s.pod.name']);
    const namespace = text(f.output_fields['k8s.ns.name']);
    return [
      {
        source: 'falco',
        dedupKey: `falco:${f.rule.slice(0, 120)}:${namespace}/${pod}`,
        name: `Falco: ${f.rule}`,
        status: 'firing',
        severityLabel: falcoPriority(f.priority) === 'P0' ? 'critical' : 'warning',
        priority: falcoPriority(f.priority),
        category: 'security',
        summary: f.output || f.rule,
        runbook: 'security-incident-response',
        ...(f.time && !Number.isNaN(Date.parse(f.time)) ? { startedAt: new Date(f.time).toISOString() } : {}),
        ...(pod ? { pods: [pod] } : {}),
        labels: {
          category: 'security',
          falco_rule: f.rule,
          falco_priority: f.priority,
          ...(namespace ? { namespace } : {}),
          ...(pod ? { pod } : {}),
          ...(f.hostname ? { node: f.hostname } : {}),
        },
      },
    ];
  }
  return undefined;
}
