// `mcp-ops mitigate ID ACTION [TARGET] [--dry-run] [--force]`: the mitigation page's code from a
// terminal, as the operator's own cluster identity (the local stack's mitigator with --local). The
// target is read from the cluster as it is now; the guard rails are the page's, and `--force` only
// lifts the maintenance window.
import { DynamoDbMitigationLedger } from '../core/incidents/dynamodb-mitigations.ts';
import { escalationPorts } from '../core/incidents/wiring.ts';
import { RequestRefused } from '../core/errors.ts';
import {
  kubectlFor,
  MITIGATION_ACTIONS,
  type MitigationAction,
  type MitigationTarget,
} from '../core/mitigation/actions.ts';
import { parseTarget } from '../core/mitigation/links.ts';
import { KubeMitigationCluster } from '../functions/mitigate/adapters/kube-cluster.ts';
import type { MitigationCluster } from '../functions/mitigate/cluster.ts';
import { mitigate, preview, type MitigationResult } from '../functions/mitigate/mitigate.ts';
import { REVISION } from '../functions/mitigate/plan.ts';
import type { OpsConfig } from '../core/config.ts';
import { actor, type CommandContext, type CommandResult } from './command-context.ts';
import { escalationSettings } from './escalation-commands.ts';
import { loadKubeconfig } from './terminal-cluster.ts';

export class MitigateCommandError extends RequestRefused {
  override name = 'MitigateCommandError';
}

/** The target of ACTION [VALUE] as the cluster is now: what the page's link would have carried. */
export async function targetNow(
  cluster: MitigationCluster,
  config: OpsConfig,
  action: string,
  value: string | undefined,
): Promise<MitigationTarget> {
  if (!(MITIGATION_ACTIONS as readonly string[]).includes(action))
    throw new MitigateCommandError(
      `unknown action "${action}": expected one of ${MITIGATION_ACTIONS.join(', ')}`,
    );
  const need = (what: string) => {
    if (!value) throw new MitigateCommandError(`${action} needs ${what}`);
    return value;
  };
  const deployment = async () => {
    const d = await cluster.deployment();
    if (!d) throw new MitigateCommandError(`there is no deployment ${config.cluster.deployment}`);
    return d;
  };
  let target: unknown;
  switch (action as MitigationAction) {
    case 'undo': {
      const from = Number((await deployment()).metadata?.annotations?.[REVISION] ?? 0);
      const revisions = (await cluster.replicaSets())
        .map((rs) => Number(rs.metadata?.annotations?.[REVISION] ?? 0))
        .filter((r) => r < from)
        .sort((a, b) => b - a);
      const to = value ? Number(value) : revisions[0];
      if (!to) throw new MitigateCommandError(`no revision before ${from} to roll back to`);
      target = { action, fromRevision: from, toRevision: to };
      break;
    }
    case 'restart': {
      const pod = await cluster.pod(need('a pod name'));
      if (!pod) throw new MitigateCommandError(`there is no pod ${value} in ${config.cluster.namespace}`);
      target = { action, pod: value, uid: pod.metadata?.uid };
      break;
    }
    case 'scale':
      target = {
        action,
        fromReplicas: (await deployment()).spec?.replicas ?? 0,
        replicas: value ? Number(value) : config.mitigation.maxReplicas,
      };
      break;
    case 'drain':
      target = { action, node: need('a node name') };
      break;
    case 'image':
      target = {
        action,
        fromImage: (await deployment()).spec?.template.spec?.containers[0]?.image,
        image: value ?? config.mitigation.knownGoodImage,
      };
      break;
    case 'memory':
      target = {
        action,
        from: (await deployment()).spec?.template.spec?.containers[0]?.resources?.limits?.memory,
        to: need('a memory limit such as 16Gi'),
      };
      break;
    case 'maintenance-off':
      target = { action, ingress: value ?? config.maintenance.ingress };
      break;
    case 'quarantine':
    case 'release':
      target = { action, pods: need('pod names, comma-separated').split(',').filter(Boolean) };
      break;
  }
  const parsed = parseTarget(target);
  if (!parsed) throw new MitigateCommandError(`cannot make a ${action} target of "${value ?? ''}"`);
  return parsed;
}

function text(result: MitigationResult, config: OpsConfig, target: MitigationTarget): string {
  switch (result.kind) {
    case 'refused':
      return result.message;
    case 'preview':
      return [
        `${result.prepared.description} (dry run; nothing was changed)`,
        'now:',
        ...result.prepared.state.map((l) => `  ${l}`),
        "the API server's dry run:",
        ...result.dryRun.map((l) => `  ${l}`),
        `same as: ${kubectlFor(target, config.cluster.deployment, config.cluster.namespace)}`,
        'run again without --dry-run to act',
      ].join('\n');
    default:
      return result.message;
  }
}

export async function run(context: CommandContext): Promise<CommandResult> {
  const [id, action, value] = context.args as [string, string, string | undefined];
  const { config, target: aws, endpoints, values } = context;
  const kc = loadKubeconfig(
    {
      ...context.cluster,
      ...(endpoints?.kubernetes?.kubeconfigMitigator
        ? { local: endpoints.kubernetes.kubeconfigMitigator }
        : {}),
    },
    (message) => new MitigateCommandError(message),
  );
  if (!kc)
    throw new MitigateCommandError('no cluster access: pass --kubeconfig, set KUBECONFIG, or use --local');
  const cluster = new KubeMitigationCluster(
    kc,
    config.cluster.namespace,
    config.cluster.deployment,
    config.cluster.appSelector,
  );
  const target = await targetNow(cluster, config, action, value);
  // One read of the settings (on AWS it lists the account's topics).
  const settings = await escalationSettings(config, aws, endpoints);
  const ports = escalationPorts(aws, settings);
  const deps = await ports.deps(() => new Date());
  const request = { incidentId: id, target, by: actor(values), force: values.force === true };
  const mitigation = {
    ...deps,
    metrics: undefined,
    config,
    ledger: new DynamoDbMitigationLedger(ports.db, settings.table),
    cluster: async () => cluster,
  };
  const result = values['dry-run'] ? await preview(mitigation, request) : await mitigate(mitigation, request);
  const ok =
    result.kind === 'preview' ||
    (result.kind === 'acted' && result.record.state === 'done') ||
    result.kind === 'taken';
  if (result.kind === 'refused') throw new MitigateCommandError(result.message);
  return {
    output: context.structured
      ? JSON.stringify(
          {
            kind: result.kind,
            ...('record' in result ? { record: result.record } : {}),
            ...(result.kind === 'preview' ? { dryRun: result.dryRun, state: result.prepared.state } : {}),
          },
          null,
          2,
        )
      : text(result, config, target),
    exit: ok ? 0 : 1,
  };
}
