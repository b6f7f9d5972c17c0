// The manual's world as data: the nodes, pods, backups and events each named scenario holds.
// stack/kube/scenarios.ts seeds it into the local cluster.
import { createHash } from 'node:crypto';

export const SCENARIOS = [
  'healthy',
  'crash-loop',
  'oom-killed',
  'failed-backup',
  'node-pressure',
  'scale',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

export const NAMESPACE = 'mcp-system';
export const DEPLOYMENT = 'mcp-semantic-control-plane';
export const IMAGE = 'mcp/semantic-control-plane:v3.0.0';

export type Behaviour = 'crash-loop' | 'oom-killed' | 'fail' | undefined;

export interface PodPlan {
  readonly name: string;
  readonly node: string;
  readonly behaviour?: Behaviour;
  readonly restarts?: number;
  readonly usage: { cpu: string; memory: string };
  readonly image?: string;
  readonly logs: string[];
  /** The log of the container's previous instance (`kubectl logs --previous`), for pods that restarted. */
  readonly previousLogs?: string[];
}

export interface World {
  readonly nodes: Array<{
    name: string;
    cpu: string;
    memory: string;
    pressure?: 'MemoryPressure' | 'DiskPressure';
  }>;
  readonly pods: PodPlan[];
  readonly readyReplicas: number;
  readonly backups: Array<{ name: string; hoursAgo: number; minutes: number; succeeded: boolean }>;
  readonly warnings: Array<{
    reason: string;
    kind: string;
    name: string;
    message: string;
    minutesAgo: number;
    count: number;
  }>;
  /** Extra events for the scale scenario. */
  readonly bulkEvents?: number;
  /** One log every pod of the namespace serves (kwok ClusterLogs), for pods without their own. */
  readonly sharedLogs?: string[];
}

export const hash = (text: string) => createHash('sha256').update(text).digest('hex');
export const REPLICA_SET = `${DEPLOYMENT}-${hash('v3.0.0').slice(0, 10)}`;

const POD_SUFFIXES: string[] = [];

/** The i-th pod's name: the ReplicaSet's name and a stable five-character suffix, unique. */
export function podName(i: number): string {
  while (POD_SUFFIXES.length <= i) {
    let salt = 0;
    let suffix = hash(`pod-${POD_SUFFIXES.length}`).slice(0, 5);
    while (POD_SUFFIXES.includes(suffix))
      suffix = hash(`pod-${POD_SUFFIXES.length}-${(salt += 1)}`).slice(0, 5);
    POD_SUFFIXES.push(suffix);
  }
  return `${REPLICA_SET}-${POD_SUFFIXES[i]}`;
}

export function appLogs(pod: string, errors: number, now: Date): string[] {
  const lines: string[] = [];
  for (let m = 90; m >= 0; m -= 3) {
    const at = new Date(now.getTime() - m * 60_000).toISOString();
    lines.push(
      `${at} INFO validation completed request_id=${hash(`${pod}${m}`).slice(0, 12)} duration_ms=${40 + (m % 17)}`,
    );
    if (m % 9 === 0 && errors > 0) {
      lines.push(
        `${at} ERROR validation failed for artifact art-${hash(`${pod}a${m}`).slice(0, 8)}: schema mismatch at field ${m % 2 ? 'spec.owner' : 'spec.version'}`,
      );
    }
    if (m % 15 === 0 && errors > 1) {
      lines.push(
        `${at} ERROR promotion failed: timeout after ${3000 + m}ms contacting registry 10.0.3.${m % 250}`,
      );
    }
  }
  return lines;
}

export function world(scenario: Scenario, now: Date): World {
  const nodes = [1, 2, 3].map((i) => ({ name: `mcp-node-${i}`, cpu: '16', memory: '64Gi' }));
  const basePods = (count: number, nodeCount: number): PodPlan[] =>
    Array.from({ length: count }, (_, i) => ({
      name: podName(i),
      node: `mcp-node-${(i % nodeCount) + 1}`,
      usage: { cpu: `${300 + ((i * 37) % 200)}m`, memory: `${1024 + ((i * 131) % 512)}Mi` },
      logs: appLogs(podName(i), 1, now),
    }));
  const backups = [3, 2, 1].map((daysAgo) => ({
    name: `mcp-backup-${new Date(now.getTime() - daysAgo * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '')}`,
    hoursAgo: daysAgo * 24 - 2,
    minutes: 12 + daysAgo,
    succeeded: true,
  }));
  const base: World = { nodes, pods: basePods(5, 3), readyReplicas: 5, backups, warnings: [] };
  switch (scenario) {
    case 'healthy':
      return base;
    case 'crash-loop': {
      const pods = base.pods.map((p, i) =>
        i < 2
          ? {
              ...p,
              behaviour: 'crash-loop' as const,
              restarts: 14 + i,
              logs: appLogs(p.name, 2, now).concat(
                `${now.toISOString()} FATAL cannot load config: key validation.cache.size: invalid value "fifty thousand"`,
              ),
              previousLogs: [
                `${new Date(now.getTime() - 60_000).toISOString()} INFO starting semantic-control-plane v3.0.0`,
                `${new Date(now.getTime() - 59_000).toISOString()} FATAL cannot load config: key validation.cache.size: invalid value "fifty thousand"`,
              ],
            }
          : p,
      );
      return {
        ...base,
        pods,
        readyReplicas: 3,
        warnings: pods.slice(0, 2).map((p, i) => ({
          reason: 'BackOff',
          kind: 'Pod',
          name: p.name,
          message: 'Back-off restarting failed container semantic-control-plane',
          minutesAgo: 2 + i,
          count: 40 + i,
        })),
      };
    }
    case 'oom-killed': {
      const pods = base.pods.map((p, i) =>
        i === 0
          ? {
              ...p,
              behaviour: 'oom-killed' as const,
              restarts: 3,
              usage: { cpu: '900m', memory: '7900Mi' },
              previousLogs: [
                `${new Date(now.getTime() - 120_000).toISOString()} INFO starting semantic-control-plane v3.0.0`,
                `${new Date(now.getTime() - 90_000).toISOString()} WARN validation cache at 7.6Gi of the 8Gi memory limit`,
                `${new Date(now.getTime() - 61_000).toISOString()} ERROR cannot allocate 512Mi for validation cache segment: out of memory`,
              ],
            }
          : p,
      );
      return {
        ...base,
        pods,
        readyReplicas: 4,
        warnings: [
          {
            reason: 'BackOff',
            kind: 'Pod',
            name: pods[0]!.name,
            message: 'Back-off restarting failed container semantic-control-plane',
            minutesAgo: 1,
            count: 6,
          },
          {
            reason: 'OOMKilling',
            kind: 'Node',
            name: pods[0]!.node,
            message: `Memory cgroup out of memory: Killed process 4242 (semantic-control) in pod ${pods[0]!.name}`,
            minutesAgo: 4,
            count: 3,
          },
        ],
      };
    }
    case 'failed-backup':
      return {
        ...base,
        backups: [...base.backups.slice(0, 2), { ...base.backups[2]!, succeeded: false }],
        warnings: [
          {
            reason: 'BackoffLimitExceeded',
            kind: 'Job',
            name: base.backups[2]!.name,
            message: 'Job has reached the specified backoff limit',
            minutesAgo: 60,
            count: 1,
          },
        ],
      };
    case 'node-pressure':
      return {
        ...base,
        nodes: nodes.map((n) =>
          n.name === 'mcp-node-2' ? { ...n, pressure: 'MemoryPressure' as const } : n,
        ),
        pods: base.pods.map((p) =>
          p.node === 'mcp-node-2' ? { ...p, usage: { cpu: '3500m', memory: '7600Mi' } } : p,
        ),
        warnings: [
          {
            reason: 'EvictionThresholdMet',
            kind: 'Node',
            name: 'mcp-node-2',
            message: 'Attempting to reclaim memory',
            minutesAgo: 5,
            count: 12,
          },
          {
            reason: 'NodeHasInsufficientMemory',
            kind: 'Node',
            name: 'mcp-node-2',
            message: 'Node mcp-node-2 status is now: NodeHasInsufficientMemory',
            minutesAgo: 6,
            count: 1,
          },
        ],
      };
    case 'scale': {
      const bigNodes = Array.from({ length: 20 }, (_, i) => ({
        name: `mcp-node-${i + 1}`,
        cpu: '64',
        memory: '256Gi',
      }));
      const pods = Array.from({ length: 2_000 }, (_, i) => ({
        name: podName(i),
        node: `mcp-node-${(i % 20) + 1}`,
        usage: { cpu: '250m', memory: '900Mi' },
        logs: [],
      }));
      return {
        ...base,
        nodes: bigNodes,
        pods,
        readyReplicas: 2_000,
        warnings: [],
        bulkEvents: 20_000,
        sharedLogs: appLogs('scale', 1, now),
      };
    }
  }
}

/** What the security check expects of every container: the healthy cluster has no findings. */
