// The morning report against a local cluster of 2,000 pods and 20,000 events (the `scale`
// scenario), side by side with the manual's own script (its kubectl and curl parts) and with a raw
// fetch of the same reads (the physical limit) against the same cluster in the same run. Each runs in its own process; we report wall time and peak memory.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readEndpoints } from '../stack/endpoints.ts';
import { adminClient } from '../stack/kube/cluster.ts';
import { currentScenario, seedScenario } from '../stack/kube/scenarios.ts';
import { STACK_DIR } from '../stack/endpoints.ts';
import { stackUp } from '../stack/stack.ts';
import { bundleChild } from './bundle.ts';
import { timeManualScript } from './manual-script.ts';
import type { BenchResult } from './bench-result.ts';

interface ChildFigures {
  ms: number;
  peak_mb: number;
  status: string;
  bytes: number;
  sections: Array<{ id: string; status: string; ms: number; summary: string }>;
}

function timeChild<T>(bundle: string): T {
  const run = spawnSync(process.execPath, [bundle], {
    env: { ...process.env, MCP_STACK_DIR: STACK_DIR },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`${bundle} failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as T;
}

export async function run(): Promise<BenchResult> {
  await stackUp(undefined, () => {});
  const endpoints = readEndpoints();
  if (!endpoints.kubernetes)
    throw new Error('the report benchmark needs the local Kubernetes (MCP_STACK_KUBERNETES=1)');
  const admin = adminClient(endpoints.kubernetes.kubeconfig);
  const seedStarted = performance.now();
  if ((await currentScenario(admin)) !== 'scale')
    await seedScenario(admin, 'scale', join(STACK_DIR, 'kube', 'logs'));
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  // metrics.k8s.io needs a scrape or two before every pod has usage.
  await new Promise((resolve) => setTimeout(resolve, 20_000));

  const ours = timeChild<ChildFigures>(await bundleChild('report-child'));
  // The physical limit: the same reads with bare HTTPS, nothing rendered (raw-fetch-child.ts).
  const raw = timeChild<{ ms: number; peak_mb: number; pods: number; events: number; log_bytes: number }>(
    await bundleChild('raw-fetch-child'),
  );
  const manual = timeManualScript(
    'manual-morning-check.sh',
    endpoints.kubernetes.kubeconfigReadonly,
    endpoints.prometheus,
  );
  return {
    title: 'Morning report on 2,000 pods and 20,000 events (local kube-apiserver + kwok)',
    rows: [
      {
        name: 'morningReport (ours, own process)',
        figures: { seconds: ours.ms / 1000, peak_mb: ours.peak_mb },
      },
      {
        name: 'raw fetch (same reads, bare HTTPS, nothing rendered)',
        figures: { seconds: raw.ms / 1000, peak_mb: raw.peak_mb },
      },
      {
        name: "manual's morning script (kubectl, curl)",
        figures: { seconds: manual.ms / 1000, peak_mb: manual.peak_mb },
      },
    ],
    // vs_raw_fetch: ours / raw (1.0 is the limit; the target is within 1.5×).
    ratios: { vs_manual_script: manual.ms / ours.ms, vs_raw_fetch: ours.ms / raw.ms },
    extra: {
      peak_mb: ours.peak_mb,
      target: {
        faster_than_script: manual.ms > ours.ms,
        under_256_mb: ours.peak_mb < 256,
        within_1_5x_of_raw_fetch: ours.ms <= 1.5 * raw.ms,
      },
      raw,
      seed_seconds: seedSeconds,
      ours,
      manual: { ...manual, note: 'peak_mb is the largest single process of the script (GNU time %M)' },
    },
  };
}
