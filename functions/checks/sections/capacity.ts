import { parseCpu, parseMemory } from '../../../core/kubernetes.ts';
import type { Finding, SectionOutcome } from '../report-model.ts';
import { table } from '../render.ts';
import { percent, type ChecksDeps } from '../checks-deps.ts';

const WARN = 0.85;
const CRITICAL = 0.95;

/** Evening item 4: every node's CPU and memory use against allocatable, with the service pods' share. */
export async function capacitySection(deps: ChecksDeps): Promise<SectionOutcome> {
  const { namespace, appSelector } = deps.config.cluster;
  const [nodes, usage, podUsage] = await Promise.all([
    deps.kube.nodes(),
    deps.kube.nodeUsage(),
    deps.kube.podUsage(namespace, appSelector),
  ]);
  const podNode = new Map<string, string>();
  for await (const page of deps.kube.pods(namespace, appSelector))
    for (const pod of page)
      if (pod.metadata?.name && pod.spec?.nodeName) podNode.set(pod.metadata.name, pod.spec.nodeName);
  const ours = new Map<string, { cpu: number; memory: number }>();
  for (const p of podUsage) {
    const node = podNode.get(p.pod);
    if (!node) continue;
    const sum = ours.get(node) ?? { cpu: 0, memory: 0 };
    for (const c of p.containers) {
      sum.cpu += c.cpuCores;
      sum.memory += c.memoryBytes;
    }
    ours.set(node, sum);
  }
  const findings: Finding[] = [];
  const rows = nodes.map((node) => {
    const name = node.metadata?.name ?? '?';
    const cpuAlloc = parseCpu(node.status?.allocatable?.cpu) ?? 0;
    const memAlloc = parseMemory(node.status?.allocatable?.memory) ?? 0;
    const used = usage.find((u) => u.node === name);
    const cpuShare = used && cpuAlloc ? used.cpuCores / cpuAlloc : undefined;
    const memShare = used && memAlloc ? used.memoryBytes / memAlloc : undefined;
    const mine = ours.get(name);
    const conditions = (node.status?.conditions ?? []).filter((c) =>
      c.type === 'Ready' ? c.status !== 'True' : c.status === 'True',
    );
    for (const c of conditions)
      findings.push(
        c.type === 'Ready'
          ? { status: 'CRITICAL', text: `node ${name} is NotReady` }
          : { status: 'WARNING', text: `node ${name} has ${c.type}` },
      );
    for (const [what, share] of [
      ['CPU', cpuShare],
      ['memory', memShare],
    ] as const) {
      if (share !== undefined && share > CRITICAL)
        findings.push({
          status: 'CRITICAL',
          text: `node ${name} ${what} at ${percent(share, 0)} of allocatable`,
        });
      else if (share !== undefined && share > WARN)
        findings.push({
          status: 'WARNING',
          text: `node ${name} ${what} at ${percent(share, 0)} of allocatable`,
        });
    }
    return {
      node: name,
      cpuShare,
      memShare,
      serviceCpuShare: mine && cpuAlloc ? mine.cpu / cpuAlloc : 0,
      serviceMemShare: mine && memAlloc ? mine.memory / memAlloc : 0,
      conditions: conditions.map((c) => (c.type === 'Ready' ? 'NotReady' : c.type)),
    };
  });
  rows.sort((a, b) => (b.memShare ?? 0) - (a.memShare ?? 0));
  const unmeasured = rows.filter((r) => r.cpuShare === undefined || r.memShare === undefined);
  if (nodes.length === 0)
    findings.push({ status: 'WARNING', text: 'not measured: the API server lists no nodes' });
  else if (unmeasured.length > 0)
    findings.push({
      status: 'WARNING',
      text: `not measured for ${unmeasured.length} of ${nodes.length} node(s): no usage or allocatable in metrics.k8s.io (${unmeasured
        .slice(0, 3)
        .map((r) => r.node)
        .join(', ')})`,
    });
  return {
    summary: `${nodes.length} node(s); busiest memory ${rows[0] ? `${rows[0].node} ${percent(rows[0].memShare, 0)}` : 'n/a'}`,
    findings,
    lines: table(
      ['NODE', 'CPU', 'OF WHICH SERVICE', 'MEMORY', 'OF WHICH SERVICE', 'CONDITIONS'],
      rows.map((r) => [
        r.node,
        percent(r.cpuShare, 0),
        percent(r.serviceCpuShare, 0),
        percent(r.memShare, 0),
        percent(r.serviceMemShare, 0),
        r.conditions.join(',') || '-',
      ]),
    ),
    data: { nodes: rows },
  };
}
