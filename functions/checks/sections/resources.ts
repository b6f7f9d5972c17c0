import { parseCpu, parseMemory } from '../../../core/kubernetes.ts';
import type { Finding, SectionOutcome } from '../report-model.ts';
import { table } from '../render.ts';
import { percent, type ChecksDeps } from '../checks-deps.ts';

interface Requested {
  cpuRequest: number;
  cpuLimit: number;
  memoryRequest: number;
  memoryLimit: number;
}

const NEAR_LIMIT = 0.9;
const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)}Mi`;
const milli = (cores: number) => `${Math.round(cores * 1000)}m`;

/** Morning item 5: `kubectl top pods`, as a share of each pod's requests and limits. */
export async function resourcesSection(deps: ChecksDeps): Promise<SectionOutcome> {
  const { namespace, appSelector } = deps.config.cluster;
  const requested = new Map<string, Requested>();
  for await (const page of deps.kube.pods(namespace, appSelector)) {
    for (const pod of page) {
      const r: Requested = { cpuRequest: 0, cpuLimit: 0, memoryRequest: 0, memoryLimit: 0 };
      for (const c of pod.spec?.containers ?? []) {
        r.cpuRequest += parseCpu(c.resources?.requests?.cpu) ?? 0;
        r.cpuLimit += parseCpu(c.resources?.limits?.cpu) ?? 0;
        r.memoryRequest += parseMemory(c.resources?.requests?.memory) ?? 0;
        r.memoryLimit += parseMemory(c.resources?.limits?.memory) ?? 0;
      }
      requested.set(pod.metadata?.name ?? '', r);
    }
  }
  const usage = await deps.kube.podUsage(namespace, appSelector);
  const rows = usage.map((u) => {
    const cpu = u.containers.reduce((a, c) => a + c.cpuCores, 0);
    const memory = u.containers.reduce((a, c) => a + c.memoryBytes, 0);
    const r = requested.get(u.pod);
    const share = (used: number, of: number | undefined) => (of ? used / of : undefined);
    return {
      pod: u.pod,
      cpu,
      memory,
      cpuOfRequest: share(cpu, r?.cpuRequest),
      cpuOfLimit: share(cpu, r?.cpuLimit),
      memoryOfRequest: share(memory, r?.memoryRequest),
      memoryOfLimit: share(memory, r?.memoryLimit),
    };
  });
  rows.sort((a, b) => (b.memoryOfLimit ?? 0) - (a.memoryOfLimit ?? 0));
  const findings: Finding[] = [];
  const nearMemory = rows.filter((r) => (r.memoryOfLimit ?? 0) > NEAR_LIMIT);
  if (nearMemory.length > 0)
    findings.push({
      status: 'WARNING',
      text: `${nearMemory.length} pod(s) above ${NEAR_LIMIT * 100}% of their memory limit (OOMKill risk): ${nearMemory
        .slice(0, 3)
        .map((r) => `${r.pod} ${percent(r.memoryOfLimit, 0)}`)
        .join(', ')}`,
    });
  const nearCpu = rows.filter((r) => (r.cpuOfLimit ?? 0) > NEAR_LIMIT);
  if (nearCpu.length > 0)
    findings.push({
      status: 'WARNING',
      text: `${nearCpu.length} pod(s) above ${NEAR_LIMIT * 100}% of their CPU limit (throttled)`,
    });
  const missing = [...requested.keys()].filter((p) => !usage.some((u) => u.pod === p)).length;
  // No usage is no measurement: the OOM and throttling checks could not run for those pods.
  if (requested.size === 0)
    findings.push({ status: 'WARNING', text: `not measured: no pod matches ${appSelector} in ${namespace}` });
  else if (rows.length === 0)
    findings.push({
      status: 'WARNING',
      text: `not measured: metrics.k8s.io has no usage for any of ${requested.size} pod(s) yet, so OOM risk and CPU throttling were not checked`,
    });
  else if (missing > 0)
    findings.push({
      status: 'WARNING',
      text: `not measured for ${missing} of ${requested.size} pod(s): no usage in metrics.k8s.io yet, so their OOM risk was not checked`,
    });
  const shown = rows.slice(0, 50);
  const lines = table(
    ['POD', 'CPU', '%REQ', '%LIM', 'MEMORY', '%REQ', '%LIM'],
    shown.map((r) => [
      r.pod,
      milli(r.cpu),
      percent(r.cpuOfRequest, 0),
      percent(r.cpuOfLimit, 0),
      mib(r.memory),
      percent(r.memoryOfRequest, 0),
      percent(r.memoryOfLimit, 0),
    ]),
  );
  if (rows.length > shown.length)
    lines.push(`… and ${rows.length - shown.length} more pods (highest memory share first)`);
  if (missing > 0) lines.push(`${missing} pod(s) have no usage in metrics.k8s.io yet`);
  const totalCpu = rows.reduce((a, r) => a + r.cpu, 0);
  const totalMemory = rows.reduce((a, r) => a + r.memory, 0);
  return {
    summary:
      rows.length === 0
        ? `no usage measured (metrics.k8s.io had none for ${requested.size} pod(s))`
        : `${rows.length} pods use ${milli(totalCpu)} CPU and ${mib(totalMemory)} memory`,
    findings,
    lines,
    data: { pods: rows },
  };
}
