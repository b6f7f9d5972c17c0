// Runs one of the manual's shell scripts (bench/*.sh) against the local stack, as a person would:
// the read-only kubeconfig, the local Prometheus. Wall time, and the peak memory of its largest
// single process from GNU time when the machine has it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export function timeManualScript(name: string, kubeconfig: string, prometheus: string) {
  const script = join(import.meta.dirname, name);
  const timed = existsSync('/usr/bin/time');
  const started = performance.now();
  const run = spawnSync(timed ? '/usr/bin/time' : 'bash', timed ? ['-f', '%M', 'bash', script] : [script], {
    encoding: 'utf8',
    env: { ...process.env, KUBECONFIG: kubeconfig, PROMETHEUS: prometheus },
    maxBuffer: 256 * 1024 * 1024,
  });
  const ms = performance.now() - started;
  // GNU time prints the peak RSS (KB) of the largest single process as its last stderr line.
  const peakKb = Number(run.stderr.trim().split('\n').at(-1));
  return {
    ms,
    peak_mb: Number.isFinite(peakKb) ? peakKb / 1024 : NaN,
    stdoutLines: run.stdout.split('\n').length,
    status: run.status,
  };
}
