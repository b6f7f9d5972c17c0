// The local cluster runs no kube-controller-manager (LOCAL-STACK.md): kwok plays the kubelet, the
// seeder plays the controllers once. The mitigation tests need them to keep playing while the
// mitigation function acts, so this plays the Deployment and ReplicaSet controllers of the one
// Deployment, as far as they go: the ReplicaSet of the Deployment's template (a new revision, or an
// old one brought back on rollback), its replica count, pods created on schedulable nodes and
// deleted from other ReplicaSets, and the status `kubectl rollout status` reads. Tests only.
import {
  AppsV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1Deployment,
  type V1PodTemplateSpec,
  type V1ReplicaSet,
} from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { DEPLOYMENT, hash, NAMESPACE } from './world.ts';
import { podObject, replicaSetObject } from './scenarios.ts';

const REVISION = 'deployment.kubernetes.io/revision';
const revisionOf = (o: { metadata?: { annotations?: Record<string, string> } }) =>
  Number(o.metadata?.annotations?.[REVISION] ?? 0);

/** The template as the controller compares it: containers only (the hash label is its own). */
function templateKey(t: V1PodTemplateSpec | undefined): string {
  return JSON.stringify((t?.spec?.containers ?? []).map((c) => [c.name, c.image, c.resources ?? {}]));
}

function ready(pod: { status?: { conditions?: Array<{ type: string; status: string }> } }): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** One pass of both controllers; true when it changed something. */
export async function reconcileOnce(kc: KubeConfig): Promise<boolean> {
  const apps = kc.makeApiClient(AppsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  let d: V1Deployment;
  try {
    d = await apps.readNamespacedDeployment({ name: DEPLOYMENT, namespace: NAMESPACE });
  } catch {
    return false;
  }
  let changed = false;
  const want = d.spec?.replicas ?? 0;
  const sets = (
    await apps.listNamespacedReplicaSet({ namespace: NAMESPACE, labelSelector: 'app=mcp-semantic' })
  ).items;
  const top = Math.max(0, ...sets.map(revisionOf));
  let active: V1ReplicaSet | undefined = sets.find(
    (rs) => templateKey(rs.spec?.template) === templateKey(d.spec?.template),
  );
  if (!active) {
    const name = `${DEPLOYMENT}-${hash(templateKey(d.spec?.template)).slice(0, 10)}`;
    active = await apps.createNamespacedReplicaSet({
      namespace: NAMESPACE,
      body: replicaSetObject(name, String(top + 1), d.metadata!.uid!, want, d.spec!.template),
    });
    changed = true;
  } else if (revisionOf(active) < top) {
    // A rollback: the old ReplicaSet becomes the newest revision, as the controller does.
    active = await apps.replaceNamespacedReplicaSet({
      name: active.metadata!.name!,
      namespace: NAMESPACE,
      body: {
        ...active,
        metadata: {
          ...active.metadata,
          annotations: { ...active.metadata?.annotations, [REVISION]: String(top + 1) },
        },
      },
    });
    changed = true;
  }
  for (const rs of sets) {
    const replicas = rs.metadata?.name === active.metadata?.name ? want : 0;
    if ((rs.spec?.replicas ?? 0) === replicas) continue;
    const fresh = await apps.readNamespacedReplicaSet({ name: rs.metadata!.name!, namespace: NAMESPACE });
    await apps.replaceNamespacedReplicaSet({
      name: rs.metadata!.name!,
      namespace: NAMESPACE,
      body: { ...fresh, spec: { ...fresh.spec!, replicas } },
    });
    changed = true;
  }
  const pods = (await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: 'app=mcp-semantic' }))
    .items;
  const owned = (name: string | undefined) =>
    pods.filter(
      (p) => p.metadata?.ownerReferences?.some((o) => o.name === name) && !p.metadata?.deletionTimestamp,
    );
  const mine = owned(active.metadata?.name);
  const strays = pods.filter(
    (p) =>
      !p.metadata?.deletionTimestamp &&
      !p.metadata?.ownerReferences?.some((o) => o.name === active!.metadata?.name),
  );
  for (const pod of [...strays, ...mine.slice(want)]) {
    await core
      .deleteNamespacedPod({ name: pod.metadata!.name!, namespace: NAMESPACE, gracePeriodSeconds: 0 })
      .catch(() => undefined);
    changed = true;
  }
  if (mine.length < want) {
    const nodes = (await core.listNode()).items
      .filter((n) => !n.spec?.unschedulable)
      .map((n) => n.metadata!.name!);
    for (let i = mine.length; i < want && nodes.length > 0; i++) {
      const name = `${active.metadata!.name}-${randomBytes(3).toString('hex').slice(0, 5)}`;
      const container = d.spec!.template.spec!.containers[0]!;
      await core.createNamespacedPod({
        namespace: NAMESPACE,
        body: podObject(
          {
            name,
            node: nodes[i % nodes.length]!,
            ...(container.image ? { image: container.image } : {}),
            usage: { cpu: '400m', memory: '1200Mi' },
            logs: [],
          },
          active.metadata!.name!,
          active.metadata!.uid!,
        ),
      });
      changed = true;
    }
  }
  const now = owned(active.metadata?.name);
  const readyCount = now.filter(ready).length;
  const status = {
    observedGeneration: d.metadata?.generation ?? 1,
    replicas: now.length,
    updatedReplicas: now.length,
    readyReplicas: readyCount,
    availableReplicas: readyCount,
    ...(want - readyCount > 0 ? { unavailableReplicas: want - readyCount } : {}),
  };
  const latest = await apps.readNamespacedDeployment({ name: DEPLOYMENT, namespace: NAMESPACE });
  const annotations = { ...latest.metadata?.annotations, [REVISION]: String(revisionOf(active)) };
  if (JSON.stringify(latest.status ?? {}) !== JSON.stringify({ ...latest.status, ...status })) {
    await apps.replaceNamespacedDeploymentStatus({
      name: DEPLOYMENT,
      namespace: NAMESPACE,
      body: { ...latest, status: { ...latest.status, ...status } },
    });
  }
  if (latest.metadata?.annotations?.[REVISION] !== annotations[REVISION]) {
    const again = await apps.readNamespacedDeployment({ name: DEPLOYMENT, namespace: NAMESPACE });
    await apps.replaceNamespacedDeployment({
      name: DEPLOYMENT,
      namespace: NAMESPACE,
      body: { ...again, metadata: { ...again.metadata, annotations } },
    });
  }
  return changed;
}

/** Plays the controllers every `intervalMs` until stopped; a failed pass is tried again. */
export function runControllers(kc: KubeConfig, intervalMs = 300): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      await reconcileOnce(kc).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}
