// The local Kubernetes control plane's binaries, built with Go from the module proxy at pinned
// versions and cached outside the repository (reused when present; the first build is timed).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

const HERE = import.meta.dirname;

/**
 * The pinned versions: kube-apiserver from stack/kube/tools/go.mod, etcd from stack/kube/etcd/go.mod,
 * kube-state-metrics from stack/kube/kube-state-metrics/go.mod.
 */
function pinned(module: string, dir: string): string {
  const text = readFileSync(join(HERE, dir, 'go.mod'), 'utf8');
  const match = new RegExp(`^\\s*(?:require\\s+)?${module.replace(/[./]/g, '\\$&')}\\s+(v\\S+)`, 'm').exec(
    text,
  );
  if (!match) throw new Error(`stack/kube/${dir}/go.mod does not pin ${module}`);
  return match[1]!;
}

export const KUBERNETES_VERSION = pinned('k8s.io/kubernetes', 'tools');
export const ETCD_VERSION = pinned('go.etcd.io/etcd/server/v3', 'etcd');
export const KWOK_VERSION = 'v0.7.0';
export const METRICS_SERVER_VERSION = 'v0.8.0';
export const KUBE_STATE_METRICS_VERSION = pinned('k8s.io/kube-state-metrics/v2', 'kube-state-metrics');

export interface KubeBinaries {
  readonly kubeApiserver: string;
  readonly etcd: string;
  readonly kwok: string;
  readonly metricsServer: string;
  /** What the cluster's Prometheus reads pod states from (the crash-loop rule). */
  readonly kubeStateMetrics: string;
}

export function cacheDir(): string {
  return process.env.MCP_OPS_CACHE ?? join(homedir(), '.cache', 'mcp-ops');
}

function binDir(): string {
  return join(
    cacheDir(),
    `kube-${KUBERNETES_VERSION}-etcd-${ETCD_VERSION}-kwok-${KWOK_VERSION}-ms-${METRICS_SERVER_VERSION}`,
  );
}

export function kubeBinaries(): KubeBinaries {
  const dir = binDir();
  return {
    kubeApiserver: join(dir, 'kube-apiserver'),
    etcd: join(dir, 'etcd'),
    kwok: join(dir, 'kwok'),
    metricsServer: join(dir, 'metrics-server'),
    // Its own folder: adding it left the control plane's cached binaries as they were.
    kubeStateMetrics: join(
      cacheDir(),
      `kube-state-metrics-${KUBE_STATE_METRICS_VERSION}`,
      'kube-state-metrics',
    ),
  };
}

function go(args: string[], cwd: string, env: Record<string, string> = {}): void {
  const result = spawnSync('go', args, {
    cwd,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=mod', ...env },
  });
  if (result.error) throw new Error(`go ${args.join(' ')}: ${result.error.message} (is Go installed?)`);
  if (result.status !== 0) throw new Error(`go ${args.join(' ')} failed with exit code ${result.status}`);
}

/** Builds one binary into the cache unless it is there already; the build writes to a temporary name. */
function ensure(
  path: string,
  label: string,
  build: (out: string) => void,
  log: (line: string) => void,
): void {
  if (existsSync(path)) return;
  mkdirSync(dirname(path), { recursive: true });
  const started = Date.now();
  log(`building ${label} (first time only; cached in ${dirname(path)}) ...`);
  const temporary = `${path}.building`;
  build(temporary);
  renameSync(temporary, path);
  log(`built ${label} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/** Every binary the local Kubernetes needs, built once per pinned version set. */
export function ensureKubeBinaries(log: (line: string) => void = console.log): KubeBinaries {
  const bins = kubeBinaries();
  const version = KUBERNETES_VERSION;
  ensure(
    bins.kubeApiserver,
    `kube-apiserver ${version}`,
    (out) =>
      go(
        [
          'build',
          '-trimpath',
          '-o',
          out,
          '-ldflags',
          `-s -w -X k8s.io/component-base/version.gitVersion=${version} -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${version.split('.')[1]}`,
          'k8s.io/kubernetes/cmd/kube-apiserver',
        ],
        join(HERE, 'tools'),
      ),
    log,
  );
  ensure(
    bins.etcd,
    `etcd ${ETCD_VERSION}`,
    (out) =>
      go(
        ['build', '-trimpath', '-o', out, '-ldflags', '-s -w', 'go.etcd.io/etcd/server/v3'],
        join(HERE, 'etcd'),
      ),
    log,
  );
  const install = (pkg: string, version: string, name: string, out: string) => {
    const gobin = `${out}.d`;
    go(['install', '-trimpath', '-ldflags', '-s -w', `${pkg}@${version}`], HERE, {
      GOBIN: gobin,
      GOFLAGS: '',
    });
    renameSync(join(gobin, name), out);
    execFileSync('rm', ['-rf', gobin]);
  };
  ensure(
    bins.kwok,
    `kwok ${KWOK_VERSION}`,
    (out) => install('sigs.k8s.io/kwok/cmd/kwok', KWOK_VERSION, 'kwok', out),
    log,
  );
  ensure(
    bins.metricsServer,
    `metrics-server ${METRICS_SERVER_VERSION}`,
    (out) =>
      install('sigs.k8s.io/metrics-server/cmd/metrics-server', METRICS_SERVER_VERSION, 'metrics-server', out),
    log,
  );
  ensure(
    bins.kubeStateMetrics,
    `kube-state-metrics ${KUBE_STATE_METRICS_VERSION}`,
    (out) =>
      go(
        ['build', '-trimpath', '-o', out, '-ldflags', '-s -w', 'k8s.io/kube-state-metrics/v2'],
        join(HERE, 'kube-state-metrics'),
      ),
    log,
  );
  return bins;
}

/** kwok's module in the Go module cache (its CRDs and Metric configurations are read from there). */
export function kwokModuleDir(): string {
  const modCache = execFileSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' }).trim();
  const dir = join(modCache, 'sigs.k8s.io', `kwok@${KWOK_VERSION}`);
  if (!existsSync(join(dir, 'kustomize'))) {
    execFileSync('go', ['mod', 'download', `sigs.k8s.io/kwok@${KWOK_VERSION}`], {
      cwd: HERE,
      stdio: 'inherit',
      env: { ...process.env, GOFLAGS: '' },
    });
  }
  return dir;
}
