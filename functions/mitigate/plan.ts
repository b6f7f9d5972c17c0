/**
 * Each action as: what the cluster looks like now, whether the target is still what the link was
 * offered for, the guard rails, the change itself (server-side dry run or for real) and the watch
 * afterwards. One `prepare` per request: a GET shows it with a dry run, a POST prepares again
 * (everything is re-read) and acts.
 */
import type { V1Deployment, V1PodTemplateSpec } from '@kubernetes/client-node';
import { describeTarget, type MitigationTarget } from '../../core/mitigation/actions.ts';
import { MAINTENANCE_ANNOTATION, maintenanceModeOn } from '../../core/maintenance-window.ts';
import { type PlanContext, type Prepared, refused, watch } from './prepared.ts';
import { prepareQuarantine } from './quarantine.ts';
import { drainGuard, imageGuard, isReady, memoryGuard, scaleGuard, staysOnDrain } from './guards.ts';

export const REVISION = 'deployment.kubernetes.io/revision';

const revisionOf = (o: { metadata?: { annotations?: Record<string, string> } } | undefined) =>
  Number(o?.metadata?.annotations?.[REVISION] ?? 0);

const imagesOf = (t: V1PodTemplateSpec | undefined) =>
  (t?.spec?.containers ?? []).map((c) => c.image ?? '?').join(', ');

function deploymentState(d: V1Deployment): string[] {
  const s = d.status ?? {};
  return [
    `deployment ${d.metadata?.name}: revision ${revisionOf(d)}, image ${imagesOf(d.spec?.template)}`,
    `replicas: ${d.spec?.replicas ?? 0} wanted, ${s.readyReplicas ?? 0} ready, ${s.updatedReplicas ?? 0} updated, ${s.availableReplicas ?? 0} available`,
  ];
}

/** `kubectl rollout status`: the controller saw the change and every replica is updated and available. */
function rolledOut(d: V1Deployment | undefined, generation: number): { done: boolean; line: string } {
  if (!d) return { done: false, line: 'the deployment is gone' };
  const s = d.status ?? {};
  const want = d.spec?.replicas ?? 0;
  const done =
    (s.observedGeneration ?? 0) >= generation &&
    (s.updatedReplicas ?? 0) >= want &&
    (s.availableReplicas ?? 0) >= want &&
    (s.replicas ?? 0) <= want;
  return {
    done,
    line: `${s.updatedReplicas ?? 0} of ${want} updated, ${s.availableReplicas ?? 0} available (revision ${revisionOf(d)}, image ${imagesOf(d.spec?.template)})`,
  };
}

/** A change to the Deployment's spec, watched as a rollout. */
function deploymentChange(
  ctx: PlanContext,
  description: string,
  d: V1Deployment,
  patch: object,
  done: string,
): Prepared {
  let generation = d.metadata?.generation ?? 0;
  return {
    description,
    state: deploymentState(d),
    async act(dryRun) {
      const after = await ctx.cluster.patchDeployment(patch, d.metadata!.resourceVersion!, dryRun);
      generation = after.metadata?.generation ?? generation + 1;
      return [
        `${dryRun ? 'would patch' : 'patched'} deployment ${d.metadata?.name}: image ${imagesOf(after.spec?.template)}, ${after.spec?.replicas} replicas, generation ${generation}`,
      ];
    },
    verify: (deadline) =>
      watch(ctx, deadline, async () => {
        const r = rolledOut(await ctx.cluster.deployment(), generation);
        return { done: r.done, line: r.done ? `${done}: ${r.line}` : r.line };
      }),
  };
}

export async function prepare(ctx: PlanContext, target: MitigationTarget): Promise<Prepared> {
  const { cluster, config } = ctx;
  const description = describeTarget(target, config.cluster.deployment);
  const d = await cluster.deployment();
  if (!d && target.action !== 'drain' && target.action !== 'maintenance-off' && target.action !== 'restart')
    return refused(
      description,
      [],
      `There is no deployment ${config.cluster.deployment}. Nothing was changed.`,
    );
  switch (target.action) {
    case 'undo': {
      const now = revisionOf(d);
      const state = deploymentState(d!);
      if (now !== target.fromRevision)
        return refused(
          description,
          state,
          `The deployment is at revision ${now} now, not ${target.fromRevision} as when this was offered: someone changed it since. Nothing was changed.`,
        );
      const rs = (await cluster.replicaSets()).find((r) => revisionOf(r) === target.toRevision);
      if (!rs?.spec?.template)
        return refused(
          description,
          state,
          `Revision ${target.toRevision} has no ReplicaSet any more. Nothing was changed.`,
        );
      // What `kubectl rollout undo` does: the revision's pod template, without the hash label.
      const labels = { ...rs.spec.template.metadata?.labels };
      delete labels['pod-template-hash'];
      const template = { ...rs.spec.template, metadata: { ...rs.spec.template.metadata, labels } };
      return deploymentChange(
        ctx,
        description,
        d!,
        { spec: { template } },
        `rolled back to revision ${target.toRevision}'s template (${imagesOf(template)})`,
      );
    }
    case 'image':
    case 'memory': {
      const state = deploymentState(d!);
      const container = d!.spec?.template.spec?.containers[0];
      if (target.action === 'image') {
        const guard = imageGuard(target.image, config.mitigation.knownGoodImage);
        if (guard) return refused(description, state, guard);
        if (container?.image !== target.fromImage)
          return refused(
            description,
            state,
            `The image is ${container?.image ?? 'unknown'} now, not ${target.fromImage} as when this was offered. Nothing was changed.`,
          );
      } else {
        const guard = memoryGuard(target.from, target.to, config.mitigation.maxMemoryLimit);
        if (guard) return refused(description, state, guard);
        const limit = container?.resources?.limits?.memory;
        if (limit !== target.from)
          return refused(
            description,
            state,
            `The memory limit is ${limit ?? 'unset'} now, not ${target.from} as when this was offered. Nothing was changed.`,
          );
      }
      // A merge patch replaces lists whole: send every container, changing only the first.
      const whole = d!.spec!.template.spec!.containers.map((c, i) =>
        i !== 0
          ? c
          : target.action === 'image'
            ? { ...c, image: target.image }
            : { ...c, resources: { ...c.resources, limits: { ...c.resources?.limits, memory: target.to } } },
      );
      return deploymentChange(
        ctx,
        description,
        d!,
        { spec: { template: { spec: { containers: whole } } } },
        target.action === 'image' ? `image set to ${target.image}` : `memory limit raised to ${target.to}`,
      );
    }
    case 'scale': {
      const current = d!.spec?.replicas ?? 0;
      const state = deploymentState(d!);
      const guard = scaleGuard(current, target.fromReplicas, target.replicas, config.mitigation.maxReplicas);
      if (guard) return refused(description, state, guard);
      if (current !== target.fromReplicas)
        return refused(
          description,
          state,
          `The deployment has ${current} replicas now, not ${target.fromReplicas} as when this was offered. Nothing was changed.`,
        );
      let generation = d!.metadata?.generation ?? 0;
      return {
        description,
        state,
        async act(dryRun) {
          await cluster.scale(target.replicas, d!.metadata!.resourceVersion!, dryRun);
          if (!dryRun) generation = (await cluster.deployment())?.metadata?.generation ?? generation + 1;
          return [
            `${dryRun ? 'would scale' : 'scaled'} ${config.cluster.deployment} from ${current} to ${target.replicas} replicas`,
          ];
        },
        verify: (deadline) =>
          watch(ctx, deadline, async () => {
            const r = rolledOut(await cluster.deployment(), generation);
            return { done: r.done, line: r.done ? `${target.replicas} replicas available` : r.line };
          }),
      };
    }
    case 'restart': {
      const pod = await cluster.pod(target.pod);
      const state = pod
        ? [
            `pod ${target.pod} on ${pod.spec?.nodeName ?? '?'}: ${pod.status?.phase ?? '?'}, ${isReady(pod) ? 'ready' : 'not ready'}, ${pod.status?.containerStatuses?.[0]?.restartCount ?? 0} restart(s)`,
            ...(d ? deploymentState(d) : []),
          ]
        : [];
      if (!pod || pod.metadata?.uid !== target.uid)
        return refused(
          description,
          state,
          `Pod ${target.pod} is not the pod this was offered for any more (it was restarted or replaced since). Nothing was changed.`,
        );
      let actedAt = new Date();
      return {
        description,
        state,
        async act(dryRun) {
          actedAt = new Date();
          await cluster.deletePod(target.pod, target.uid, dryRun);
          return [`${dryRun ? 'would delete' : 'deleted'} pod ${target.pod} (uid ${target.uid})`];
        },
        verify: (deadline) =>
          watch(ctx, deadline, async () => {
            const pods = await cluster.appPods();
            const gone = !pods.some((p) => p.metadata?.uid === target.uid && !p.metadata?.deletionTimestamp);
            const fresh = pods.filter(
              (p) =>
                new Date(p.metadata?.creationTimestamp ?? 0).getTime() >= actedAt.getTime() - 1000 &&
                isReady(p),
            );
            const line = !gone
              ? `pod ${target.pod} is still there`
              : fresh.length === 0
                ? `pod ${target.pod} is gone; no new pod is ready yet`
                : `pod ${target.pod} replaced by ${fresh.map((p) => p.metadata?.name).join(', ')} (ready)`;
            return { done: gone && fresh.length > 0, line };
          }),
      };
    }
    case 'drain': {
      const [nodes, onNode, budgets, appPods] = await Promise.all([
        cluster.nodes(),
        cluster.podsOnNode(target.node),
        cluster.disruptionBudgets(),
        cluster.appPods(),
      ]);
      const node = nodes.find((n) => n.metadata?.name === target.node);
      const leaving = onNode.filter((p) => !staysOnDrain(p));
      const state = [
        `node ${target.node}: ${
          node
            ? `${node.spec?.unschedulable ? 'cordoned' : 'schedulable'}, ${
                (node.status?.conditions ?? [])
                  .filter((c) => c.status === 'True' && c.type !== 'Ready')
                  .map((c) => c.type)
                  .join(', ') || 'no pressure'
              }`
            : 'not found'
        }`,
        `${leaving.length} pod(s) to evict: ${leaving.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`).join(', ') || 'none'}`,
        `${nodes.filter((n) => n.metadata?.name !== target.node && !n.spec?.unschedulable).length} other schedulable node(s)`,
      ];
      const guard = drainGuard(target.node, nodes, onNode, budgets, appPods);
      if (guard) return refused(description, state, guard);
      return {
        description,
        state,
        async act(dryRun) {
          await cluster.cordon(target.node, dryRun);
          const lines = [`${dryRun ? 'would cordon' : 'cordoned'} ${target.node}`];
          for (const p of leaving) {
            await cluster.evict(p.metadata!.namespace!, p.metadata!.name!, dryRun);
            lines.push(`${dryRun ? 'would evict' : 'evicted'} ${p.metadata?.namespace}/${p.metadata?.name}`);
          }
          return lines;
        },
        verify: (deadline) =>
          watch(ctx, deadline, async () => {
            const [n, left] = await Promise.all([cluster.nodes(), cluster.podsOnNode(target.node)]);
            const cordoned = n.find((x) => x.metadata?.name === target.node)?.spec?.unschedulable === true;
            const remaining = left.filter((p) => !staysOnDrain(p));
            return {
              done: cordoned && remaining.length === 0,
              line: `${target.node} ${cordoned ? 'cordoned' : 'not cordoned'}, ${remaining.length} pod(s) left to go`,
            };
          }),
      };
    }
    case 'quarantine':
    case 'release':
      return prepareQuarantine(ctx, target, description);
    case 'maintenance-off': {
      const ingress = await cluster.ingress(target.ingress);
      const on = maintenanceModeOn(ingress?.metadata?.annotations);
      const state = [
        ingress
          ? `Ingress ${target.ingress}: maintenance mode ${on ? `on (${MAINTENANCE_ANNOTATION}: "${ingress.metadata!.annotations![MAINTENANCE_ANNOTATION]}")` : 'off'}`
          : `Ingress ${target.ingress}: not found`,
      ];
      if (!ingress)
        return refused(description, state, `There is no Ingress ${target.ingress}. Nothing was changed.`);
      if (!on)
        return refused(
          description,
          state,
          `Maintenance mode is already off on ${target.ingress}. Nothing was changed.`,
        );
      return {
        description,
        state,
        async act(dryRun) {
          await cluster.patchIngress(
            target.ingress,
            { metadata: { annotations: { [MAINTENANCE_ANNOTATION]: null } } },
            ingress.metadata!.resourceVersion!,
            dryRun,
          );
          return [
            `${dryRun ? 'would remove' : 'removed'} ${MAINTENANCE_ANNOTATION} from Ingress ${target.ingress}`,
          ];
        },
        verify: (deadline) =>
          watch(ctx, deadline, async () => {
            const now = await cluster.ingress(target.ingress);
            const off = !maintenanceModeOn(now?.metadata?.annotations);
            return { done: off, line: `maintenance mode ${off ? 'off' : 'still on'}` };
          }),
      };
    }
  }
}

export type { PlanContext, Prepared, Verification } from './prepared.ts';
