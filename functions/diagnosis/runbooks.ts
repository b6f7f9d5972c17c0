import type { V1Pod } from '@kubernetes/client-node';
import { mapBounded } from '../../core/bounded.ts';
import { parseCpu, parseMemory } from '../../core/kubernetes.ts';
import type { MitigationOffer } from '../../core/mitigation/actions.ts';
import { CACHE_SIZE_KEY, RETENTION_KEY } from '../../core/service-config.ts';
import { latestCleanupSummary, runStartedAt } from '../../core/cleanup-record.ts';
import { formatBytes } from '../../core/units.ts';
import type { DiagnosisDeps } from './diagnosis-deps.ts';
import type { PartResult } from './model.ts';
import type { ErrorGroups } from './assessment.ts';
import { ago, ready, restarts } from './assessment.ts';

// ---- Runbook 1: high error rate ---------------------------------------------------------------

const DEPENDENCY =
  /timeout|timed out|connection refused|ECONNREFUSED|ECONNRESET|unavailable|registry|upstream|DNS/i;

export async function recentChanges(deps: DiagnosisDeps, alertAt: Date | undefined): Promise<PartResult> {
  const { namespace, appSelector, configMap } = deps.config.cluster;
  const now = deps.now();
  const reference = alertAt ?? now;
  const [replicaSets, map] = await Promise.all([
    deps.kube.replicaSets(namespace, appSelector),
    deps.kube.configMap(namespace, configMap),
  ]);
  const revisions = replicaSets
    .map((rs) => ({
      revision: Number(rs.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? 0),
      image: rs.spec?.template?.spec?.containers.map((c) => c.image).join(', ') ?? '?',
      created: rs.metadata?.creationTimestamp,
      replicas: rs.spec?.replicas ?? 0,
    }))
    .sort((a, b) => b.revision - a.revision);
  const lines = revisions.map(
    (r) =>
      `revision ${r.revision}: ${r.image}, created ${r.created ? new Date(r.created).toISOString() : '?'} (${ago(r.created, now)}), ${r.replicas} replica(s)`,
  );
  const changes: string[] = [];
  const offers: MitigationOffer[] = [];
  const latest = revisions[0];
  if (latest?.created && revisions.length > 1) {
    const minutes = Math.round((reference.getTime() - new Date(latest.created).getTime()) / 60_000);
    if (minutes >= -5 && minutes <= 24 * 60) {
      offers.push({
        target: { action: 'undo', fromRevision: latest.revision, toRevision: revisions[1]!.revision },
        why: `revision ${latest.revision} (${latest.image}) was deployed ${minutes} min before the alert (Runbook 1: if recent deployment, rollback)`,
      });
      const knownGood = deps.config.mitigation.knownGoodImage;
      if (!latest.image.includes(',') && latest.image !== knownGood && revisions[1]!.image !== knownGood)
        offers.push({
          target: { action: 'image', fromImage: latest.image, image: knownGood },
          why: `the emergency rollback to the known-good image, if revision ${revisions[1]!.revision} is no better`,
        });
      changes.push(
        `revision ${latest.revision} (${latest.image}) deployed ${minutes} min before the alert; previous: revision ${revisions[1]!.revision} (${revisions[1]!.image}): kubectl rollout undo deployment/${deps.config.cluster.deployment} -n ${namespace} --to-revision=${revisions[1]!.revision}`,
      );
    }
  }
  const changed = (map?.metadata?.managedFields ?? [])
    .map((f) => f.time)
    .filter((t): t is Date => t !== undefined)
    .map((t) => new Date(t))
    .sort((a, b) => b.getTime() - a.getTime())[0];
  if (map) {
    lines.push(
      `ConfigMap ${configMap}: last changed ${changed ? `${changed.toISOString()} (${ago(changed, now)})` : 'at an unknown time'}`,
    );
    if (
      changed &&
      reference.getTime() - changed.getTime() <= 24 * 3_600_000 &&
      changed <= new Date(reference.getTime() + 5 * 60_000)
    )
      changes.push(
        `ConfigMap ${configMap} changed ${Math.round((reference.getTime() - changed.getTime()) / 60_000)} min before the alert`,
      );
  } else lines.push(`ConfigMap ${configMap}: not found`);
  return {
    summary: `${revisions.length} revision(s), current ${latest ? `${latest.revision} (${latest.image})` : 'unknown'}`,
    lines,
    findings: changes.length ? [changes[0]!] : [],
    changes,
    offers,
  };
}

export function errorTypesPart(errors: ErrorGroups): PartResult {
  const dependency = errors.groups.filter((g) => DEPENDENCY.test(g.signature));
  const lines = errors.groups.slice(0, 15).map((g) => `${String(g.count).padStart(5)}  ${g.example}`);
  return {
    summary: `${errors.groups.length} error type(s); ${dependency.reduce((a, g) => a + g.count, 0)} dependency error(s)`,
    lines: [
      ...lines,
      ...(dependency.length
        ? ['dependency errors:', ...dependency.map((g) => `${String(g.count).padStart(5)}  ${g.signature}`)]
        : ['dependency errors: none']),
    ],
    findings: [
      ...errors.groups.slice(0, 2).map((g) => `error type (${g.count}×): ${g.signature}`),
      ...(dependency.length
        ? [`dependency errors (${dependency[0]!.count}×): ${dependency[0]!.signature}`]
        : []),
    ],
  };
}

// ---- Runbook 2: high latency ----------------------------------------------------------------

export async function resourcesAgainstLimits(deps: DiagnosisDeps, pods: V1Pod[]): Promise<PartResult> {
  const { namespace, appSelector } = deps.config.cluster;
  const [usage, deployment] = await Promise.all([
    deps.kube.podUsage(namespace, appSelector),
    deps.kube.deployment(namespace, deps.config.cluster.deployment),
  ]);
  const byName = new Map(usage.map((u) => [u.pod, u]));
  const findings: string[] = [];
  let cpuBound = 0;
  const lines = pods.map((p) => {
    const name = p.metadata?.name ?? '?';
    const limits = p.spec?.containers[0]?.resources?.limits ?? {};
    const cpuLimit = parseCpu(limits.cpu);
    const memLimit = parseMemory(limits.memory);
    const used = byName
      .get(name)
      ?.containers.reduce((a, c) => ({ cpu: a.cpu + c.cpuCores, mem: a.mem + c.memoryBytes }), {
        cpu: 0,
        mem: 0,
      });
    if (!used) return `${name}: no usage (metrics-server)`;
    const cpuPct = cpuLimit ? (used.cpu / cpuLimit) * 100 : undefined;
    const memPct = memLimit ? (used.mem / memLimit) * 100 : undefined;
    if ((cpuPct ?? 0) >= 90) {
      cpuBound++;
      findings.push(`${name} CPU at ${cpuPct!.toFixed(0)}% of its limit`);
    }
    if ((memPct ?? 0) >= 90) findings.push(`${name} memory at ${memPct!.toFixed(0)}% of its limit`);
    return `${name}: CPU ${used.cpu.toFixed(2)} of ${limits.cpu ?? 'no limit'}${cpuPct === undefined ? '' : ` (${cpuPct.toFixed(0)}%)`}, memory ${(used.mem / 2 ** 20).toFixed(0)}Mi of ${limits.memory ?? 'no limit'}${memPct === undefined ? '' : ` (${memPct.toFixed(0)}%)`}`;
  });
  // Runbook 2: "If CPU/Memory high: Scale up", to the manual's 5 (the configured maximum).
  const replicas = deployment?.spec?.replicas ?? 0;
  const max = deps.config.mitigation.maxReplicas;
  const offers: MitigationOffer[] =
    cpuBound > 0 && deployment && replicas < max
      ? [
          {
            target: { action: 'scale', fromReplicas: replicas, replicas: max },
            why: `${cpuBound} pod(s) at 90% or more of their CPU limit with ${replicas} replica(s) (Runbook 2: scale up)`,
          },
        ]
      : [];
  return { summary: `${usage.length} pod(s) measured`, lines, findings, offers };
}

export async function cachePart(deps: DiagnosisDeps): Promise<PartResult> {
  const { namespace, configMap } = deps.config.cluster;
  const [samples, data] = await Promise.all([
    deps.prometheus.query('avg(validation_cache_hit_rate)'),
    deps.kube.configMapData(namespace, configMap),
  ]);
  const rate = samples[0]?.value;
  const size = data?.[CACHE_SIZE_KEY];
  const findings: string[] = [];
  if (rate !== undefined && rate < 0.7)
    findings.push(
      `cache hit rate ${(rate * 100).toFixed(0)}% (below 70%) with ${CACHE_SIZE_KEY}=${size ?? 'unset'}: consider raising the cache size`,
    );
  return {
    summary: `hit rate ${rate === undefined ? 'no data' : `${(rate * 100).toFixed(1)}%`}, ${CACHE_SIZE_KEY}=${size ?? 'unset'}`,
    lines: [
      `validation_cache_hit_rate: ${rate ?? 'no data'}`,
      `${CACHE_SIZE_KEY}: ${size ?? 'unset'} (ConfigMap ${configMap})`,
    ],
    findings,
  };
}

export async function slowestEndpoints(deps: DiagnosisDeps): Promise<PartResult> {
  const samples = await deps.prometheus.query(
    'topk(5, histogram_quantile(0.95, sum by (le, route) (rate(http_request_duration_seconds_bucket[5m]))))',
  );
  const slowest = samples.filter((s) => !Number.isNaN(s.value)).sort((a, b) => b.value - a.value);
  const rows = slowest.map((s) => `${s.labels.route ?? '?'}: p95 ${(s.value * 1000).toFixed(0)} ms`);
  const top = slowest[0];
  return {
    summary: top
      ? `slowest ${top.labels.route ?? '?'} at ${(top.value * 1000).toFixed(0)} ms p95`
      : 'no latency data',
    lines: rows,
    findings:
      top && top.value > 0.2
        ? [`slowest endpoint ${top.labels.route ?? '?'}: p95 ${(top.value * 1000).toFixed(0)} ms`]
        : [],
  };
}

// ---- Runbook 3: crash loop ---------------------------------------------------------------

export async function crashes(deps: DiagnosisDeps, pods: V1Pod[]): Promise<PartResult> {
  const { namespace } = deps.config.cluster;
  const troubled = pods.filter((p) => !ready(p) || restarts(p) > 0).slice(0, 10);
  const [nodes, events] = await Promise.all([
    deps.kube.nodes(),
    warningEventsOf(deps, new Set(troubled.map((p) => p.metadata?.name ?? ''))),
  ]);
  const lines: string[] = [];
  const findings: string[] = [];
  const offers: MitigationOffer[] = [];
  const limit = deps.config.mitigation.maxMemoryLimit;
  await mapBounded(troubled, 5, async (pod) => {
    const name = pod.metadata?.name ?? '?';
    const status = pod.status?.containerStatuses?.[0];
    const last = status?.lastState?.terminated ?? status?.state?.terminated;
    const container = pod.spec?.containers[0]?.name ?? '';
    let previous: string;
    try {
      const text = await deps.kube.podLog(namespace, name, container, 24 * 3600, {
        previous: true,
        tailLines: 20,
      });
      const tail = text.trimEnd().split('\n').filter(Boolean);
      const lastError = [...tail].reverse().find((l) => /error|fatal|panic|exception/i.test(l));
      previous = lastError
        ? `previous log's last error: ${lastError.slice(0, 240)}`
        : `previous log: ${tail.at(-1)?.slice(0, 240) ?? '(empty)'}`;
    } catch (error) {
      previous = `previous log not read: ${(error as Error).message.split('\n')[0]!.slice(0, 120)}`;
    }
    const node = nodes.find((n) => n.metadata?.name === pod.spec?.nodeName);
    const pressure = (node?.status?.conditions ?? [])
      .filter((c) => c.type !== 'Ready' && c.status === 'True')
      .map((c) => c.type);
    const nodeReady = node?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    const crash = last
      ? `exit code ${last.exitCode} (${last.reason ?? 'no reason'})`
      : 'no termination recorded';
    findings.push(
      `${name}: ${status?.state?.waiting?.reason ?? 'not ready'}, ${restarts(pod)} restarts, last ${crash}`,
    );
    lines.push(
      `${name}: ${crash}, ${restarts(pod)} restarts, state ${status?.state?.waiting?.reason ?? (status?.state?.running ? 'Running' : '?')}`,
      `  ${previous}`,
      ...(events.get(name) ?? []).slice(0, 5).map((e) => `  event ${e}`),
      `  node ${pod.spec?.nodeName ?? '?'}: ${nodeReady ? 'Ready' : 'NOT Ready'}${pressure.length ? `, ${pressure.join(', ')}` : ''}`,
    );
    if (previous.startsWith("previous log's")) findings.push(`${name} ${previous}`);
    if (pressure.length) findings.push(`node ${pod.spec?.nodeName}: ${pressure.join(', ')}`);
    offers.push(...crashOffers(pod, last?.reason, nodeReady, pressure, limit));
  });
  return {
    summary: troubled.length
      ? `${troubled.length} pod(s) crashing or not ready`
      : 'no pod crashing or restarting',
    lines,
    findings,
    offers,
  };
}

/**
 * Runbook 3's mitigations for one troubled pod: restart it; OOMKilled: raise the memory limit
 * (double, at most the configured maximum); its node NotReady or under pressure: drain the node.
 */
function crashOffers(
  pod: V1Pod,
  reason: string | undefined,
  nodeReady: boolean,
  pressure: string[],
  maxMemory: string,
): MitigationOffer[] {
  const name = pod.metadata?.name ?? '';
  const uid = pod.metadata?.uid;
  const offers: MitigationOffer[] = [];
  if (uid)
    offers.push({
      target: { action: 'restart', pod: name, uid },
      why: `${name} is ${ready(pod) ? 'restarting' : 'not ready'} with ${restarts(pod)} restart(s) (Runbook 3: restart the unhealthy pod)`,
    });
  const current = pod.spec?.containers[0]?.resources?.limits?.memory;
  const bytes = parseMemory(current);
  const max = parseMemory(maxMemory)!;
  if (
    reason === 'OOMKilled' &&
    current &&
    bytes !== undefined &&
    /^\d+(Mi|Gi)$/.test(current) &&
    bytes < max
  ) {
    const doubled = Math.min(bytes * 2, max);
    const to = doubled % 2 ** 30 === 0 ? `${doubled / 2 ** 30}Gi` : `${Math.ceil(doubled / 2 ** 20)}Mi`;
    offers.push({
      target: { action: 'memory', from: current, to },
      why: `${name} was OOMKilled at its ${current} limit (Runbook 3: increase the memory limit)`,
    });
  }
  const node = pod.spec?.nodeName;
  if (node && (!nodeReady || pressure.length > 0))
    offers.push({
      target: { action: 'drain', node },
      why: `node ${node} is ${nodeReady ? pressure.join(', ') : 'NotReady'} (move its pods elsewhere)`,
    });
  return offers;
}

async function warningEventsOf(deps: DiagnosisDeps, names: Set<string>): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  for await (const page of deps.kube.warningEvents(deps.config.cluster.namespace))
    for (const e of page) {
      const name = e.involvedObject?.name;
      if (!name || !names.has(name)) continue;
      const list = found.get(name) ?? [];
      list.push(`${e.reason ?? '?'} (${e.count ?? 1}×): ${(e.message ?? '').slice(0, 160)}`);
      found.set(name, list);
    }
  return found;
}

// ---- Runbook 4: storage ---------------------------------------------------------------------

/**
 * The runbook's steps: usage against capacity (the service's metrics, instead of listing the
 * bucket), the largest files and what retention removes (the storage report of the cleanup job's
 * newest finished run, with its age), the ConfigMap's retention days.
 */
export async function storagePart(deps: DiagnosisDeps): Promise<PartResult> {
  const { namespace, configMap } = deps.config.cluster;
  const now = deps.now();
  const [used, capacity, data, last] = await Promise.all([
    deps.prometheus.query('max(artifact_storage_used_bytes)'),
    deps.prometheus.query('max(artifact_storage_capacity_bytes)'),
    deps.kube.configMapData(namespace, configMap),
    deps.cleanupRuns
      ? latestCleanupSummary(deps.cleanupRuns.store, deps.cleanupRuns.bucket)
      : Promise.resolve(undefined),
  ]);
  const u = used[0]?.value;
  const c = capacity[0]?.value;
  const ratio = u !== undefined && c ? u / c : undefined;
  const retention = data?.[RETENTION_KEY];
  const lines = [
    `artifact storage used: ${u === undefined ? 'no data' : formatBytes(u)}${c ? ` of ${formatBytes(c)}` : ''}`,
    `${RETENTION_KEY}: ${retention ?? 'unset'} (ConfigMap ${configMap})`,
  ];
  const findings =
    ratio !== undefined && ratio > 0.9
      ? [`artifact storage at ${(ratio * 100).toFixed(0)}%: run mcp-ops cleanup (dry run first)`]
      : [];
  if (last) {
    const frees = Object.entries(last.report.expiring).sort((a, b) => b[1].bytes - a[1].bytes);
    const freeable = frees.reduce((a, [, e]) => a + e.bytes, 0);
    lines.push(
      `last cleanup run ${last.runId} (${last.dryRun ? 'dry run' : 'applied'}, ${ago(runStartedAt(last.runId), now)}): ${last.report.objects} objects, ${formatBytes(last.report.bytes)} in s3://${last.bucket}/${last.prefix}; retention ${last.retentionDays} days ${last.dryRun ? `would free ${formatBytes(freeable)}` : `freed ${formatBytes(last.bytesFreed)}`}`,
      ...frees
        .slice(0, 5)
        .map(([prefix, e]) => `  expiring ${prefix}: ${e.objects} objects, ${formatBytes(e.bytes)}`),
      'largest files:',
      ...last.report.largest
        .slice(0, 5)
        .map((o) => `  ${formatBytes(o.size).padStart(10)}  ${o.key}  (${o.lastModified.slice(0, 10)})`),
    );
  } else
    lines.push(
      deps.cleanupRuns
        ? 'no finished cleanup run recorded: mcp-ops cleanup (a dry run) lists the largest files and what retention would free'
        : 'cleanup runs not read here: mcp-ops cleanup (a dry run) lists the largest files and what retention would free',
    );
  return {
    summary:
      ratio === undefined
        ? 'storage not measured'
        : `${(ratio * 100).toFixed(1)}% of ${formatBytes(c!)} used`,
    lines,
    findings,
  };
}
