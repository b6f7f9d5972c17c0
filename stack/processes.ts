import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** One long-running process of the local stack, started detached with its pid and log under `.stack/`. */
export interface ServiceSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Record<string, string>;
  /** Resolves true once the service answers; polled after start. */
  readonly ready: () => Promise<boolean>;
  readonly readyTimeoutMs?: number;
}

export function pidFile(stackDir: string, name: string): string {
  return join(stackDir, 'run', `${name}.pid`);
}

export function logFile(stackDir: string, name: string): string {
  return join(stackDir, 'logs', `${name}.log`);
}

function readPid(stackDir: string, name: string): number | undefined {
  const file = pidFile(stackDir, name);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await sleep(200);
  }
  return false;
}

export type StartOutcome = 'started' | 'already-running';

/** Starts a service unless it already runs and answers; waits until it is ready. */
export async function startService(stackDir: string, spec: ServiceSpec): Promise<StartOutcome> {
  const running = readPid(stackDir, spec.name);
  if (running !== undefined && isAlive(running) && (await spec.ready().catch(() => false))) {
    return 'already-running';
  }
  if (running !== undefined) await stopService(stackDir, spec.name);
  if (await spec.ready().catch(() => false)) {
    throw new Error(
      `${spec.name}: something not started by this stack already answers on its port; stop it or change the port`,
    );
  }
  mkdirSync(join(stackDir, 'run'), { recursive: true });
  mkdirSync(join(stackDir, 'logs'), { recursive: true });
  const log = openSync(logFile(stackDir, spec.name), 'a');
  const child = spawn(spec.command, [...spec.args], {
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...process.env, ...spec.env },
  });
  closeSync(log);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.unref();
  if (child.pid === undefined) throw new Error(`${spec.name}: could not start ${spec.command}`);
  writeFileSync(pidFile(stackDir, spec.name), String(child.pid));
  const timeoutMs = spec.readyTimeoutMs ?? 60_000;
  const outcome = await Promise.race([
    waitUntil(spec.ready, timeoutMs).then((ok) => (ok ? 'ready' : 'timeout')),
    exited.then((code) => `exited with code ${code}`),
  ]);
  if (outcome !== 'ready') {
    await stopService(stackDir, spec.name);
    const tail = readFileSync(logFile(stackDir, spec.name), 'utf8').split('\n').slice(-15).join('\n');
    throw new Error(
      `${spec.name} did not become ready (${outcome === 'timeout' ? `not ready after ${timeoutMs} ms` : outcome}). Last log lines:\n${tail}`,
    );
  }
  return 'started';
}

/** Stops a service and everything it spawned (its process group); harmless when it is not running. */
export async function stopService(stackDir: string, name: string): Promise<boolean> {
  const pid = readPid(stackDir, name);
  rmSync(pidFile(stackDir, name), { force: true });
  if (pid === undefined || !isAlive(pid)) return false;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
  };
  signalGroup('SIGTERM');
  if (!(await waitUntil(async () => !isAlive(pid), 10_000))) {
    signalGroup('SIGKILL');
    await waitUntil(async () => !isAlive(pid), 5_000);
  }
  return true;
}

export async function httpOk(url: string, init?: RequestInit): Promise<boolean> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(2_000) });
  return response.ok;
}

/**
 * Writes a file only when its content differs; true when it did. Servers that watch their files
 * (kube-state-metrics restarts when its kubeconfig is written) or are reloaded after a write keep
 * running undisturbed when nothing changed.
 */
export function writeIfChanged(file: string, content: string, mode?: number): boolean {
  if (existsSync(file) && readFileSync(file, 'utf8') === content) return false;
  writeFileSync(file, content, mode === undefined ? undefined : { mode });
  return true;
}
