/**
 * The manual's Security Incident Response, "Immediate Actions": label the pods `quarantine=true`
 * and apply its `deny-all` NetworkPolicy (pods labelled so get no traffic in or out). The undo
 * takes the label off and deletes `deny-all` once no pod of the namespace carries the label.
 * NetworkPolicy is enforced by the cluster's CNI (the VPC CNI with network policies on, Calico,
 * Cilium); where none enforces it, the label and the policy are only records.
 */
import type { V1NetworkPolicy } from '@kubernetes/client-node';
import type { MitigationTarget } from '../../core/mitigation/actions.ts';
import { type PlanContext, type Prepared, refused, watch } from './prepared.ts';

export const QUARANTINE_LABEL = 'quarantine';
export const DENY_ALL = 'deny-all';

/** The manual's policy, as it writes it. */
export function denyAllPolicy(namespace: string): V1NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: DENY_ALL, namespace, labels: { 'app.kubernetes.io/managed-by': 'mcp-ops' } },
    spec: {
      podSelector: { matchLabels: { [QUARANTINE_LABEL]: 'true' } },
      policyTypes: ['Ingress', 'Egress'],
    },
  };
}

export async function prepareQuarantine(
  ctx: PlanContext,
  target: Extract<MitigationTarget, { action: 'quarantine' | 'release' }>,
  description: string,
): Promise<Prepared> {
  const { cluster, config } = ctx;
  const namespace = config.cluster.namespace;
  const quarantine = target.action === 'quarantine';
  const [found, policy] = await Promise.all([
    Promise.all(target.pods.map(async (name) => ({ name, pod: await cluster.pod(name) }))),
    cluster.networkPolicy(DENY_ALL),
  ]);
  const state = [
    ...found.map(({ name, pod }) =>
      pod
        ? `pod ${name} on ${pod.spec?.nodeName ?? '?'}: ${pod.status?.phase ?? '?'}, ${pod.metadata?.labels?.[QUARANTINE_LABEL] === 'true' ? 'quarantined' : 'not quarantined'}`
        : `pod ${name}: not found`,
    ),
    `NetworkPolicy ${DENY_ALL}: ${policy ? 'in place' : 'absent'}`,
  ];
  const missing = found.filter((f) => !f.pod).map((f) => f.name);
  if (missing.length > 0)
    return refused(
      description,
      state,
      `No pod ${missing.join(', ')} in ${namespace} now. Nothing was changed.`,
    );
  const labelled = (p: (typeof found)[number]) => p.pod?.metadata?.labels?.[QUARANTINE_LABEL] === 'true';
  if (quarantine && found.every(labelled) && policy)
    return refused(description, state, `${target.pods.join(', ')} already quarantined. Nothing was changed.`);
  if (!quarantine && !found.some(labelled) && !policy)
    return refused(description, state, `${target.pods.join(', ')} not quarantined. Nothing was changed.`);
  return {
    description,
    state,
    async act(dryRun) {
      const lines: string[] = [];
      const did = quarantine
        ? dryRun
          ? 'would label'
          : 'labelled'
        : dryRun
          ? 'would unlabel'
          : 'unlabelled';
      const what = quarantine ? 'quarantine=true' : '(quarantine removed)';
      for (const { name, pod } of found) {
        await cluster.labelPod(
          name,
          pod!.metadata!.uid!,
          { [QUARANTINE_LABEL]: quarantine ? 'true' : null },
          dryRun,
        );
        lines.push(`${did} pod ${name} ${what}`);
      }
      if (quarantine && !policy) {
        await cluster.createNetworkPolicy(denyAllPolicy(namespace), dryRun);
        lines.push(
          `${dryRun ? 'would create' : 'created'} NetworkPolicy ${DENY_ALL} (podSelector quarantine=true; Ingress and Egress denied)`,
        );
      }
      if (!quarantine && policy) {
        const others = (await cluster.podsLabelled(QUARANTINE_LABEL, 'true')).filter(
          (p) => !target.pods.includes(p.metadata?.name ?? ''),
        );
        if (others.length === 0) {
          await cluster.deleteNetworkPolicy(DENY_ALL, dryRun);
          lines.push(`${dryRun ? 'would delete' : 'deleted'} NetworkPolicy ${DENY_ALL}`);
        } else lines.push(`kept NetworkPolicy ${DENY_ALL}: ${others.length} other pod(s) still quarantined`);
      }
      return lines;
    },
    verify: (deadline) =>
      watch(ctx, deadline, async () => {
        const [pods, now] = await Promise.all([
          Promise.all(target.pods.map((n) => cluster.pod(n))),
          cluster.networkPolicy(DENY_ALL),
        ]);
        const on = pods.filter((p) => p?.metadata?.labels?.[QUARANTINE_LABEL] === 'true').length;
        const done = quarantine ? on === target.pods.length && now !== undefined : on === 0;
        return {
          done,
          line: `${on} of ${target.pods.length} pod(s) labelled quarantine=true, ${DENY_ALL} ${now ? 'in place' : 'absent'}`,
        };
      }),
  };
}
