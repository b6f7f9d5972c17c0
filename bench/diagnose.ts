// The diagnosis follow-up on the `scale` scenario (2,000 pods over 20 nodes, 20,000 events): time
// from an incident's opening to its diagnosis delivered, and peak memory, side by side with the
// manual's quick assessment script run verbatim (read-only kubeconfig) on the same cluster in the
// same run. Each runs in its own process.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readEndpoints, STACK_DIR } from '../stack/endpoints.ts';
import { adminClient } from '../stack/kube/cluster.ts';
import { currentScenario, seedScenario } from '../stack/kube/scenarios.ts';
import { stackUp } from '../stack/stack.ts';
import { bundleChild } from './bundle.ts';
import { timeManualScript } from './manual-script.ts';
import type { BenchResult } from './bench-result.ts';

interface ChildFigures {
  page_ms: number;
  ms: number;
  diagnosis_ms: number;
  peak_mb: number;
  headline: string;
  failed_parts: string[];
  parts: Array<{ id: string; status: string; summary: string }>;
}

export async function run(): Promise<BenchResult> {
  await stackUp(undefined, () => {});
  const endpoints = readEndpoints();
  if (!endpoints.kubernetes) throw new Error('the diagnose benchmark needs the local Kubernetes');
  const admin = adminClient(endpoints.kubernetes.kubeconfig);
  if ((await currentScenario(admin)) !== 'scale')
    await seedScenario(admin, 'scale', join(STACK_DIR, 'kube', 'logs'));
  await new Promise((resolve) => setTimeout(resolve, 20_000));
  const child = spawnSync(process.execPath, [await bundleChild('diagnose-child')], {
    env: { ...process.env, MCP_STACK_DIR: STACK_DIR },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (child.status !== 0) throw new Error(`the follow-up failed: ${child.stderr}`);
  const ours = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as ChildFigures;
  const manual = timeManualScript(
    'manual-assessment.sh',
    endpoints.kubernetes.kubeconfigReadonly,
    endpoints.prometheus,
  );
  return {
    title: 'Incident diagnosis on 2,000 pods and 20,000 events (local kube-apiserver + kwok)',
    rows: [
      {
        name: 'page (intake, ours)',
        figures: { seconds: ours.page_ms / 1000, peak_mb: '' },
      },
      {
        name: 'open → diagnosis delivered (ours, Runbook 3)',
        figures: { seconds: ours.ms / 1000, peak_mb: ours.peak_mb },
      },
      {
        name: "manual's quick assessment script",
        figures: { seconds: manual.ms / 1000, peak_mb: manual.peak_mb },
      },
    ],
    ratios: { vs_manual_script: manual.ms / ours.ms },
    extra: {
      ours,
      manual: {
        ...manual,
        note: 'peak_mb is the largest single process of the script (GNU time %M); the script does no runbook steps',
      },
    },
  };
}
