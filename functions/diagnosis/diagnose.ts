/**
 * The manual's Incident Response Playbook step 1 ("Quick assessment script") and the steps of the
 * runbook an alert names, run unattended with read-only access: each part reads its own sources
 * under its own time limit; a part that fails says why and the others still answer. The result
 * leads with what is wrong, the top findings and what changed recently.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { mapBounded } from '../../core/bounded.ts';
import { parseCpu, parseMemory } from '../../core/kubernetes.ts';
import { CACHE_SIZE_KEY, RETENTION_KEY } from '../../core/service-config.ts';
import { latestCleanupSummary, runStartedAt } from '../../core/cleanup-record.ts';
import { formatBytes } from '../../core/units.ts';
import { errorSignature, logTargets, scanErrorLines } from '../../core/pod-logs.ts';
import type { DiagnosisDeps } from './diagnosis-deps.ts';

export type RunbookNumber = 1 | 2 | 3 | 4;

export const RUNBOOK_TITLES: Record<RunbookNumber, string> = {
  1: 'Runbook 1: High Error Rate',
  2: 'Runbook 2: High Latency',
  3: 'Runbook 3: Pod Crash Loop',
  4: 'Runbook 4: Storage Full',
};

/** The runbook an alert names (its `runbook` label); a complete outage is diagnosed as a crash loop. */
export function runbookOf(runbook: string | undefined): RunbookNumber | undefined {
  const match = /^runbook-([1-4])-/.exec(runbook ?? '');
  if (match) return Number(match[1]) as RunbookNumber;
  if (runbook === 'p0-complete-outage') return 3;
  return undefined;
}

export interface DiagnosisPart {
  readonly id: string;
  readonly title: string;
  readonly status: 'ok' | 'failed';
  readonly summary: string;
  readonly lines: string[];
  /** What is wrong, most important first. */
  readonly findings: string[];
  /** What changed recently (rollouts, configuration). */
  readonly changes?: string[];
}

export interface Diagnosis {
  readonly generatedAt: string;
  readonly runbook?: RunbookNumber;
  readonly incidentId?: string;
  /** One line: what is wrong. */
  readonly headline: string;
  readonly findings: string[];
  readonly changes: string[];
  readonly failedParts: string[];
  readonly parts: DiagnosisPart[];
  readonly durationMs: number;
}

type PartResult = Omit<DiagnosisPart, 'id' | 'title' | 'status'>;

/** Runs `read` under the part's limit; a throw or a timeout is the part failing with the reason. */
async function part(
  deps: DiagnosisDeps,
  id: string,
  title: string,
  read: () => Promise<PartResult>,
): Promise<DiagnosisPart> {
  const limit = deps.partTimeoutMs ?? 20_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<DiagnosisPart>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          id,
          title,
          status: 'failed',
          summary: `could not be read within ${limit / 1000} s`,
          lines: [],
          findings: [],
        }),
      limit,
    );
  });
  try {
    const result = await Promise.race([
      read().then((r) => ({ id, title, status: 'ok' as const, ...r })),
      timeout,
    ]);
    return result;
  } catch (error) {
    const message = (error as Error).message.split('\n')[0]!.slice(0, 200);
    return { id, title, status: 'failed', summary: `could not be read: ${message}`, lines: [], findings: [] };
  } finally {
    clearTimeout(timer);
  }
}

async function listPods(deps: DiagnosisDeps): Promise<V1Pod[]> {
  const { namespace, appSelector } = deps.config.cluster;
  const pods: V1Pod[] = [];
  for await (const page of deps.kube.pods(namespace, appSelector)) pods.push(...page);
  return pods;
}

const ready = (pod: V1Pod) =>
  pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const restarts = (pod: V1Pod) =>
  (pod.status?.containerStatuses ?? []).reduce((a, c) => a + (c.restartCount ?? 0), 0);

function ago(from: Date | string | undefined, now: Date): string {
  if (!from) return 'at an unknown time';
  const minutes = Math.round((now.getTime() - new Date(from).getTime()) / 60_000);
  if (minutes < 120) return `${minutes} min ago`;
  if (minutes < 48 * 60) return `${Math.round(minutes / 60)} h ago`;
  return `${Math.round(minutes / 1440)} days ago`;
}

// ---- the assessment (playbook step 1) --------------------------------------------------------

function podStatus(pods: V1Pod[]): PartResult {
  const lines = pods.map((p) => {
    const c = p.status?.containerStatuses?.[0];
    const state =
      c?.state?.waiting?.reason ??
      (c?.state?.running ? 'Running' : (c?.state?.terminated?.reason ?? p.status?.phase ?? '?'));
    const last = c?.lastState?.terminated;
    return `${p.metadata?.name ?? '?'}  ${ready(p) ? 'ready' : 'NOT READY'}  ${state}  restarts ${restarts(p)}${last ? `  last exit ${last.exitCode} (${last.reason ?? '?'})` : ''}`;
  });
  const notReady = pods.filter((p) => !ready(p));
  const findings: string[] = [];
  if (pods.length === 0) findings.push('no pods of the service exist');
  else if (notReady.length > 0) findings.push(`${notReady.length} of ${pods.length} pods not ready`);
  return {
    summary: `${pods.length - notReady.length}/${pods.length} ready, ${pods.reduce((a, p) => a + restarts(p), 0)} restarts`,
    lines,
    findings,
  };
}

interface ErrorGroups {
  readonly total: number;
  readonly groups: Array<{ signature: string; count: number; example: string; pods: Set<string> }>;
  readonly unreadable: string[];
}

/** The last `tail` lines of each pod's log, error lines grouped by signature (as the morning report does). */
async function errorGroups(deps: DiagnosisDeps, pods: V1Pod[], tail: number): Promise<ErrorGroups> {
  const groups = new Map<string, { signature: string; count: number; example: string; pods: Set<string> }>();
  let total = 0;
  const unreadable = await scanErrorLines(
    deps.kube,
    deps.config.cluster.namespace,
    logTargets(pods),
    { sinceSeconds: 3600, tailLines: tail, concurrency: 16 },
    (pod, line) => {
      total += 1;
      const signature = errorSignature(line);
      const group = groups.get(signature) ?? {
        signature,
        count: 0,
        example: line.slice(0, 240),
        pods: new Set<string>(),
      };
      group.count += 1;
      group.pods.add(pod);
      groups.set(signature, group);
    },
  );
  return { total, groups: [...groups.values()].sort((a, b) => b.count - a.count), unreadable };
}

function errorsPart(errors: ErrorGroups): PartResult {
  const lines = errors.groups
    .slice(0, 10)
    .map((g) => `${String(g.count).padStart(5)}  ${g.signature}  (${g.pods.size} pod(s))`);
  if (errors.unreadable.length) lines.push(`logs not read: ${errors.unreadable.slice(0, 5).join('; ')}`);
  const top = errors.groups[0];
  return {
    summary: `${errors.total} error line(s) in the last 50 lines of each pod, ${errors.groups.length} kind(s)`,
    lines,
    findings: top ? [`most frequent error (${top.count}×): ${top.signature}`] : [],
  };
}

async function keyMetrics(deps: DiagnosisDeps): Promise<PartResult> {
  const { appSelector } = deps.config.cluster;
  const app = appSelector.split('=')[1] ?? 'mcp-semantic';
  const value = async (expr: string) => (await deps.prometheus.query(expr))[0]?.value;
  const [up, targets, validations, promotions] = await Promise.all([
    value(`sum(up{app="${app}"}) or sum(up{job=~".*${app}.*"})`),
    value(`count(up{app="${app}"}) or count(up{job=~".*${app}.*"})`),
    value('sum(rate(validation_total[5m]))'),
    value('sum(rate(promotion_total[5m]))'),
  ]);
  const fmt = (v: number | undefined, unit: string) =>
    v === undefined || Number.isNaN(v) ? 'no data' : `${v.toFixed(2)}${unit}`;
  const findings: string[] = [];
  if (up !== undefined && targets !== undefined && up < targets)
    findings.push(`${targets - up} of ${targets} metrics targets down`);
  if (validations === 0) findings.push('no validations in the last 5 minutes');
  return {
    summary: `up ${up ?? '?'}/${targets ?? '?'}, validations ${fmt(validations, '/s')}, promotions ${fmt(promotions, '/s')}`,
    lines: [
      `up: ${up ?? 'no data'} of ${targets ?? 'no data'} targets`,
      `validation_total rate (5m): ${fmt(validations, '/s')}`,
      `promotion_total rate (5m): ${fmt(promotions, '/s')}`,
    ],
    findings,
  };
}

async function firingAlerts(deps: DiagnosisDeps): Promise<PartResult> {
  const alerts = (await deps.prometheus.alerts()).filter((a) => a.state === 'firing');
  return {
    summary: `${alerts.length} firing`,
    lines: alerts.map(
      (a) =>
        `${a.name} (${a.severity})${a.since ? ` since ${a.since}` : ''}${a.summary ? `: ${a.summary}` : ''}`,
    ),
    findings: [],
  };
}

// ---- Runbook 1: high error rate ---------------------------------------------------------------

const DEPENDENCY =
  /timeout|timed out|connection refused|ECONNREFUSED|ECONNRESET|unavailable|registry|upstream|DNS/i;

async function recentChanges(deps: DiagnosisDeps, alertAt: Date | undefined): Promise<PartResult> {
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
  const latest = revisions[0];
  if (latest?.created && revisions.length > 1) {
    const minutes = Math.round((reference.getTime() - new Date(latest.created).getTime()) / 60_000);
    if (minutes >= -5 && minutes <= 24 * 60)
      changes.push(
        `revision ${latest.revision} (${latest.image}) deployed ${minutes} min before the alert; previous: revision ${revisions[1]!.revision} (${revisions[1]!.image}): kubectl rollout undo deployment/${deps.config.cluster.deployment} -n ${namespace} --to-revision=${revisions[1]!.revision}`,
      );
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
  };
}

function errorTypesPart(errors: ErrorGroups): PartResult {
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

async function resourcesAgainstLimits(deps: DiagnosisDeps, pods: V1Pod[]): Promise<PartResult> {
  const { namespace, appSelector } = deps.config.cluster;
  const usage = await deps.kube.podUsage(namespace, appSelector);
  const byName = new Map(usage.map((u) => [u.pod, u]));
  const findings: string[] = [];
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
    if ((cpuPct ?? 0) >= 90) findings.push(`${name} CPU at ${cpuPct!.toFixed(0)}% of its limit`);
    if ((memPct ?? 0) >= 90) findings.push(`${name} memory at ${memPct!.toFixed(0)}% of its limit`);
    return `${name}: CPU ${used.cpu.toFixed(2)} of ${limits.cpu ?? 'no limit'}${cpuPct === undefined ? '' : ` (${cpuPct.toFixed(0)}%)`}, memory ${(used.mem / 2 ** 20).toFixed(0)}Mi of ${limits.memory ?? 'no limit'}${memPct === undefined ? '' : ` (${memPct.toFixed(0)}%)`}`;
  });
  return { summary: `${usage.length} pod(s) measured`, lines, findings };
}

async function cachePart(deps: DiagnosisDeps): Promise<PartResult> {
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

async function slowestEndpoints(deps: DiagnosisDeps): Promise<PartResult> {
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

async function crashes(deps: DiagnosisDeps, pods: V1Pod[]): Promise<PartResult> {
  const { namespace } = deps.config.cluster;
  const troubled = pods.filter((p) => !ready(p) || restarts(p) > 0).slice(0, 10);
  const [nodes, events] = await Promise.all([
    deps.kube.nodes(),
    warningEventsOf(deps, new Set(troubled.map((p) => p.metadata?.name ?? ''))),
  ]);
  const lines: string[] = [];
  const findings: string[] = [];
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
  });
  return {
    summary: troubled.length
      ? `${troubled.length} pod(s) crashing or not ready`
      : 'no pod crashing or restarting',
    lines,
    findings,
  };
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
async function storagePart(deps: DiagnosisDeps): Promise<PartResult> {
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

// ---- the whole ----------------------------------------------------------------------------

export async function diagnose(
  deps: DiagnosisDeps,
  request: { runbook?: RunbookNumber; incidentId?: string; alertAt?: Date } = {},
): Promise<Diagnosis> {
  const started = deps.now();
  const t0 = Date.now();
  const podsPromise = listPods(deps);
  const pods = () => podsPromise;
  const errorsPromise = podsPromise.then((p) => errorGroups(deps, p, 50));
  const parts: Array<Promise<DiagnosisPart>> = [
    part(deps, 'pods', 'Pod status', async () => podStatus(await pods())),
    part(deps, 'errors', 'Recent errors (last 50 lines per pod)', async () =>
      errorsPart(await errorsPromise),
    ),
    part(deps, 'metrics', 'Key metrics', () => keyMetrics(deps)),
    part(deps, 'alerts', 'Firing alerts', () => firingAlerts(deps)),
  ];
  switch (request.runbook) {
    case 1:
      // The manual's first mitigation is "if recent deployment: rollback": what changed leads.
      parts.push(
        part(deps, 'changes', 'Recent rollouts and ConfigMap changes', () =>
          recentChanges(deps, request.alertAt),
        ),
        part(deps, 'error-types', 'Error types and dependency errors', async () =>
          errorTypesPart(await errorsPromise),
        ),
      );
      break;
    case 2:
      parts.push(
        part(deps, 'resources', 'CPU and memory against limits', async () =>
          resourcesAgainstLimits(deps, await pods()),
        ),
        part(deps, 'cache', 'Cache hit rate and cache size', () => cachePart(deps)),
        part(deps, 'endpoints', 'Slowest endpoints (p95)', () => slowestEndpoints(deps)),
        part(deps, 'changes', 'Recent rollouts and ConfigMap changes', () =>
          recentChanges(deps, request.alertAt),
        ),
      );
      break;
    case 3:
      parts.push(
        part(deps, 'crashes', 'Crashes: exit codes, previous logs, events, nodes', async () =>
          crashes(deps, await pods()),
        ),
        part(deps, 'changes', 'Recent rollouts and ConfigMap changes', () =>
          recentChanges(deps, request.alertAt),
        ),
      );
      break;
    case 4:
      parts.push(part(deps, 'storage', 'Storage', () => storagePart(deps)));
      break;
  }
  const done = await Promise.all(parts);
  // Runbook parts speak first: they name the cause; the assessment says how widespread it is.
  const ranked = [...done.slice(4), ...done.slice(0, 4)];
  const findings = [...new Set(ranked.flatMap((p) => p.findings))];
  const changes = [...new Set(done.flatMap((p) => p.changes ?? []))];
  const failedParts = done.filter((p) => p.status === 'failed').map((p) => `${p.title}: ${p.summary}`);
  const headline =
    findings[0] ??
    (failedParts.length === done.length ? 'nothing could be read' : 'no fault found in what was read');
  return {
    generatedAt: started.toISOString(),
    ...(request.runbook ? { runbook: request.runbook } : {}),
    ...(request.incidentId ? { incidentId: request.incidentId } : {}),
    headline,
    findings,
    changes,
    failedParts,
    parts: done,
    durationMs: Date.now() - t0,
  };
}

/** The short follow-up: what is wrong, the top 3 findings, what changed, what could not be read. */
export function diagnosisSummary(d: Diagnosis, link?: string): string {
  return [
    `${d.incidentId ? `Diagnosis for ${d.incidentId}` : 'Diagnosis'}${d.runbook ? ` (${RUNBOOK_TITLES[d.runbook]})` : ''}: ${d.headline}`,
    ...d.findings.slice(0, 3).map((f, i) => `${i + 1}. ${f}`),
    ...(d.changes.length
      ? ['Changed recently:', ...d.changes.slice(0, 3).map((c) => `- ${c}`)]
      : ['Changed recently: nothing found']),
    ...(d.failedParts.length ? [`Not read: ${d.failedParts.join('; ')}`] : []),
    ...(link ? [`Full diagnosis: ${link}`] : []),
  ].join('\n');
}

/** The full diagnosis as text (archived and appended to the incident). */
export function diagnosisText(d: Diagnosis): string {
  return [
    diagnosisSummary(d),
    '',
    ...d.parts.flatMap((p) => [
      `== ${p.title}: ${p.status === 'failed' ? 'FAILED, ' : ''}${p.summary}`,
      ...p.lines.map((l) => `  ${l}`),
      '',
    ]),
    `generated ${d.generatedAt} in ${d.durationMs} ms`,
  ].join('\n');
}
