/**
 * The guard rails, as plain decisions over what was read: each answers a refusal in a sentence, or
 * undefined when the action may go ahead. Nothing here reads or writes anything.
 */
import type { V1LabelSelector, V1Node, V1Pod, V1PodDisruptionBudget } from '@kubernetes/client-node';
import { parseMemory } from '../../core/kubernetes.ts';
import { inMaintenanceWindow, type MaintenanceWindowConfig } from '../../core/maintenance-window.ts';

export function maintenanceGuard(
  now: Date,
  window: MaintenanceWindowConfig,
  force: boolean,
): string | undefined {
  const { inside, end } = inMaintenanceWindow(now, window);
  if (!inside || force) return undefined;
  return `The maintenance window is on until ${end.toISOString()}: the cluster is being worked on, so nothing is changed from a link. At a terminal, \`mcp-ops mitigate ... --force\` acts anyway.`;
}

export function scaleGuard(current: number, from: number, to: number, max: number): string | undefined {
  if (to <= from) return `Scaling only goes up: ${from} to ${to} is not up. Nothing was changed.`;
  if (to > max)
    return `Scaling stops at the configured maximum of ${max} replicas (asked: ${to}). Nothing was changed.`;
  if (current >= to)
    return `The deployment already has ${current} replicas (asked: ${to}). Nothing was changed.`;
  return undefined;
}

export function imageGuard(image: string, knownGood: string): string | undefined {
  return image === knownGood
    ? undefined
    : `The emergency image rollback sets only the configured known-good image ${knownGood}, not ${image}. Nothing was changed.`;
}

export function memoryGuard(from: string, to: string, max: string): string | undefined {
  const a = parseMemory(from);
  const b = parseMemory(to);
  const m = parseMemory(max);
  if (a === undefined || b === undefined || m === undefined)
    return `Cannot read ${from} or ${to}. Nothing was changed.`;
  if (b <= a) return `The memory limit only goes up: ${from} to ${to} is not up. Nothing was changed.`;
  if (b > m) return `The memory limit stops at the configured ${max} (asked: ${to}). Nothing was changed.`;
  return undefined;
}

export function selects(selector: V1LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    const values = e.values ?? [];
    const ok =
      e.operator === 'In'
        ? has && values.includes(value!)
        : e.operator === 'NotIn'
          ? !has || !values.includes(value!)
          : e.operator === 'Exists'
            ? has
            : e.operator === 'DoesNotExist'
              ? !has
              : false;
    if (!ok) return false;
  }
  return true;
}

export function isReady(pod: V1Pod): boolean {
  return (
    !pod.metadata?.deletionTimestamp &&
    (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
  );
}

/** A DaemonSet's pod (a drain leaves them: `--ignore-daemonsets`) or a mirror pod. */
export function staysOnDrain(pod: V1Pod): boolean {
  return (
    (pod.metadata?.ownerReferences ?? []).some((o) => o.kind === 'DaemonSet') ||
    Object.hasOwn(pod.metadata?.annotations ?? {}, 'kubernetes.io/config.mirror') ||
    pod.status?.phase === 'Succeeded' ||
    pod.status?.phase === 'Failed'
  );
}

function schedulable(node: V1Node): boolean {
  const ready = (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  return ready && !node.spec?.unschedulable;
}

/**
 * A drain is refused when the node is unknown, when it is the last schedulable node, or when
 * evicting its pods would take any PodDisruptionBudget below what it allows (counted from the
 * pods' readiness, as the disruption controller counts: ready pods of the budget's selector).
 */
export function drainGuard(
  node: string,
  nodes: readonly V1Node[],
  onNode: readonly V1Pod[],
  budgets: readonly V1PodDisruptionBudget[],
  budgetPods: readonly V1Pod[],
): string | undefined {
  const target = nodes.find((n) => n.metadata?.name === node);
  if (!target) return `There is no node ${node}. Nothing was changed.`;
  const others = nodes.filter((n) => n.metadata?.name !== node && schedulable(n));
  if (others.length === 0)
    return `${node} is the last schedulable node: draining it would leave nowhere for its pods to run. Nothing was changed.`;
  const leaving = onNode.filter((p) => !staysOnDrain(p));
  for (const pdb of budgets) {
    const covered = budgetPods.filter((p) => selects(pdb.spec?.selector, p.metadata?.labels ?? {}));
    const healthy = covered.filter(isReady);
    const evicted = leaving.filter(
      (p) =>
        p.metadata?.namespace === pdb.metadata?.namespace &&
        isReady(p) &&
        selects(pdb.spec?.selector, p.metadata?.labels ?? {}),
    ).length;
    if (evicted === 0) continue;
    const minAvailable = budgetCount(pdb.spec?.minAvailable, covered.length);
    const maxUnavailable = budgetCount(pdb.spec?.maxUnavailable, covered.length);
    const after = healthy.length - evicted;
    const name = pdb.metadata?.name ?? '?';
    if (minAvailable !== undefined && after < minAvailable)
      return `Draining ${node} evicts ${evicted} ready pod(s) of PodDisruptionBudget ${name}, leaving ${after} where it needs at least ${minAvailable}. Nothing was changed.`;
    if (maxUnavailable !== undefined && covered.length - after > maxUnavailable)
      return `Draining ${node} would leave ${covered.length - after} pod(s) of PodDisruptionBudget ${name} unavailable where it allows ${maxUnavailable}. Nothing was changed.`;
  }
  return undefined;
}

function budgetCount(value: number | string | undefined, total: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return value;
  const percent = /^(\d+)%$/.exec(value);
  if (percent) return Math.ceil((Number(percent[1]) / 100) * total);
  return Number.isFinite(Number(value)) ? Number(value) : undefined;
}
