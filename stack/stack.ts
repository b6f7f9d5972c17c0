import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig, type OpsConfig } from '../core/config.ts';
import {
  ENDPOINTS_FILE,
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  PORTS,
  STACK_DIR,
  type StackEndpoints,
} from './endpoints.ts';
import { ensureLambdaRuntime } from './lambda-runtime.ts';
import { ensureMotoInstalled, motoService, seedAws } from './moto.ts';
import { adminClient, KUBE_SERVICE_NAMES, kubeUp } from './kube/cluster.ts';
import { currentScenario, seedScenario } from './kube/scenarios.ts';
import { KUBE_PORTS } from './kube/control-plane.ts';
import {
  alertmanagerService,
  prometheusService,
  writeAlertmanagerConfig,
  writePrometheusConfig,
} from './prometheus.ts';
import { ensurePodNetwork, podNetworkForwards, removePodNetwork, SERVICE_POD_IP } from './pod-network.ts';
import { httpOk, isAlive, pidFile, startService, stopService, type ServiceSpec } from './processes.ts';

/** Services in start order; stopped in reverse. */
export const SERVICE_NAMES = [
  'moto',
  'simulated-service',
  'alertmanager',
  'prometheus',
  'pod-network',
  ...KUBE_SERVICE_NAMES,
] as const;

/** Set MCP_STACK_KUBERNETES=0 to leave the Kubernetes part out (no Go toolchain, or no time to build). */
export const WITH_KUBERNETES = process.env.MCP_STACK_KUBERNETES !== '0';

const DEBIAN_PACKAGES: Record<string, string> = {
  prometheus: 'prometheus',
  promtool: 'prometheus',
  'prometheus-alertmanager': 'prometheus-alertmanager',
  // The browser tests look at what a person sees (the acknowledge page) in Debian's Chromium.
  chromium: 'chromium',
};

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Prometheus and Alertmanager come from Debian's packages; install them when missing. */
export function ensureDebianPackages(log: (line: string) => void): void {
  const missing = [
    ...new Set(
      Object.keys(DEBIAN_PACKAGES)
        .filter((c) => !onPath(c))
        .map((c) => DEBIAN_PACKAGES[c]!),
    ),
  ];
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`Missing ${missing.join(', ')}: run \`sudo apt-get install -y ${missing.join(' ')}\``);
  }
  log(`installing ${missing.join(', ')} from Debian's packages ...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
    stdio: 'inherit',
    env,
  });
}

function simulatedService(port: number, podPort: number): ServiceSpec {
  return {
    name: 'simulated-service',
    command: process.execPath,
    args: [
      '--import',
      'tsx',
      join(import.meta.dirname, 'simulated-service.ts'),
      '--port',
      String(port),
      '--pod-port',
      String(podPort),
    ],
    ready: () => httpOk(`http://127.0.0.1:${port}/healthz`),
  };
}

/** The pods' addresses in their own network namespace, forwarded to the local processes. */
function podNetwork(): ServiceSpec {
  return {
    name: 'pod-network',
    command: process.execPath,
    args: ['--import', 'tsx', join(import.meta.dirname, 'pod-network.ts')],
    env: { MCP_POD_NETWORK_FORWARDS: JSON.stringify(podNetworkForwards(PORTS)) },
    ready: () => httpOk(`http://${SERVICE_POD_IP}:9090/healthz`),
  };
}

export interface StackUpResult {
  endpoints: StackEndpoints;
  started: string[];
  alreadyRunning: string[];
  seconds: number;
}

/** Brings the local stack up; a second call finds everything running and changes nothing. */
export async function stackUp(
  config: OpsConfig = parseConfig({}),
  log: (line: string) => void = console.log,
): Promise<StackUpResult> {
  const started = Date.now();
  mkdirSync(STACK_DIR, { recursive: true });
  ensureDebianPackages(log);
  const motoServer = ensureMotoInstalled(STACK_DIR, log);
  // The Lambda runtime the deployed-shape test and the cold-start benchmark run the bundles in.
  ensureLambdaRuntime(log);
  const awsEndpoint = `http://127.0.0.1:${PORTS.moto}`;
  const outcome: Record<string, string> = {};

  outcome.moto = await startService(STACK_DIR, motoService(motoServer, PORTS.moto));
  const seeded = await seedAws({ region: LOCAL_REGION, endpoint: awsEndpoint }, config);
  outcome['simulated-service'] = await startService(
    STACK_DIR,
    simulatedService(PORTS.service, PORTS.servicePod),
  );

  const amDir = join(STACK_DIR, 'alertmanager');
  const am = writeAlertmanagerConfig(amDir, {
    awsEndpoint,
    region: LOCAL_REGION,
    alertsTopicArn: seeded.topics.alerts,
  });
  outcome.alertmanager = await startService(
    STACK_DIR,
    alertmanagerService(amDir, am.configFile, PORTS.alertmanager),
  );
  // One that was running already reads the configuration just written, if it changed.
  if (am.changed && outcome.alertmanager === 'already-running')
    await fetch(`http://127.0.0.1:${PORTS.alertmanager}/-/reload`, { method: 'POST' });

  const promDir = join(STACK_DIR, 'prometheus');
  const prom = writePrometheusConfig(promDir, {
    ...PORTS,
    ...(WITH_KUBERNETES ? { kubeStateMetrics: KUBE_PORTS.kubeStateMetrics } : {}),
  });
  outcome.prometheus = await startService(
    STACK_DIR,
    prometheusService(promDir, prom.configFile, PORTS.prometheus),
  );
  // A Prometheus that was running already reads the rules just written, if they changed.
  if (prom.changed && outcome.prometheus === 'already-running')
    await fetch(`http://127.0.0.1:${PORTS.prometheus}/-/reload`, { method: 'POST' });

  let kubernetes: StackEndpoints['kubernetes'];
  if (WITH_KUBERNETES) {
    ensurePodNetwork();
    outcome['pod-network'] = await startService(STACK_DIR, podNetwork());
    const kube = await kubeUp(STACK_DIR, log);
    Object.assign(outcome, kube.outcome);
    const kc = adminClient(kube.kubeconfigs.admin);
    if (!(await currentScenario(kc))) await seedScenario(kc, 'healthy', join(STACK_DIR, 'kube', 'logs'));
    kubernetes = {
      server: kube.kubeconfigs.server,
      kubeconfig: kube.kubeconfigs.admin,
      kubeconfigReadonly: kube.kubeconfigs.readonly,
      kubeconfigMitigator: kube.kubeconfigs.mitigator,
    };
  }

  const endpoints: StackEndpoints = {
    region: LOCAL_REGION,
    aws: { endpoint: awsEndpoint, accountId: LOCAL_ACCOUNT },
    prometheus: `http://127.0.0.1:${PORTS.prometheus}`,
    alertmanager: `http://127.0.0.1:${PORTS.alertmanager}`,
    service: {
      metrics: `http://127.0.0.1:${PORTS.service}/metrics`,
      control: `http://127.0.0.1:${PORTS.service}/control`,
    },
    topics: seeded.topics,
    buckets: seeded.buckets,
    tables: seeded.tables,
    secrets: seeded.secrets,
    mail: seeded.mail,
    ...(kubernetes ? { kubernetes } : {}),
  };
  writeFileSync(ENDPOINTS_FILE, `${JSON.stringify(endpoints, null, 2)}\n`);
  const names = Object.keys(outcome);
  return {
    endpoints,
    started: names.filter((n) => outcome[n] === 'started'),
    alreadyRunning: names.filter((n) => outcome[n] === 'already-running'),
    seconds: (Date.now() - started) / 1000,
  };
}

/** Stops every service of the stack; its installed tools (the venv) stay for the next start. */
export async function stackDown(): Promise<string[]> {
  const stopped: string[] = [];
  for (const name of [...SERVICE_NAMES].reverse()) {
    if (await stopService(STACK_DIR, name)) stopped.push(name);
  }
  removePodNetwork();
  for (const dir of ['prometheus/data', 'alertmanager/data'])
    rmSync(join(STACK_DIR, dir), { recursive: true, force: true });
  rmSync(ENDPOINTS_FILE, { force: true });
  return stopped;
}

export function stackStatus(): Record<string, 'running' | 'stopped'> {
  const status: Record<string, 'running' | 'stopped'> = {};
  for (const name of SERVICE_NAMES) {
    const file = pidFile(STACK_DIR, name);
    const pid = existsSync(file) ? Number(readFileSync(file, 'utf8')) : undefined;
    status[name] = pid !== undefined && isAlive(pid) ? 'running' : 'stopped';
  }
  return status;
}
