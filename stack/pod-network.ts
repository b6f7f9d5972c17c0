// The local cluster's pod network: a network namespace of its own, joined to this machine by a veth
// pair, holding the addresses the cluster's pods and the Prometheus endpoint carry. The API server
// (on this machine) proxies to those addresses as a real one proxies to pod IPs; a small forwarder
// listening inside the namespace hands each connection to its parent outside, which connects it to
// the local process on loopback (the simulated service, Prometheus). No traffic ever goes to this
// machine's own external address.
//   stack:up runs `node --import tsx stack/pod-network.ts` (the parent); it starts the child itself.
import { execFileSync, spawn } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';

export const POD_NETNS = 'mcp-ops-pods';
/** The machine's end of the veth pair, and the namespace's. */
const HOST_LINK = 'mcpops-host';
const POD_LINK = 'mcpops-pods';
/** The cluster's pod range (what `--cluster-cidr` would be); services stay in 10.0.0.0/24. */
export const POD_CIDR = '10.244.0.0/24';
const HOST_ADDRESS = '10.244.0.1';
const POD_LINK_ADDRESS = '10.244.0.2';
/** The pod IP of every `app=mcp-semantic` pod of the local cluster. */
export const SERVICE_POD_IP = '10.244.0.10';
/** The endpoint of Service `prometheus-mcp` in the local cluster. */
export const PROMETHEUS_POD_IP = '10.244.0.9';
/** The port the Prometheus pod listens on, as the manual's `prometheus-mcp...:9090`. */
export const PROMETHEUS_POD_PORT = 9090;

export interface Forward {
  /** Where the pod network listens, inside the namespace. */
  readonly listen: { address: string; port: number };
  /** The loopback port of this machine it leads to. */
  readonly to: number;
}

export function podNetworkForwards(ports: { servicePod: number; prometheus: number }): Forward[] {
  return [
    { listen: { address: SERVICE_POD_IP, port: 9090 }, to: ports.servicePod },
    { listen: { address: PROMETHEUS_POD_IP, port: PROMETHEUS_POD_PORT }, to: ports.prometheus },
  ];
}

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function namespaceExists(): boolean {
  return ip('netns', 'list')
    .split('\n')
    .some((line) => line.split(' ')[0] === POD_NETNS);
}

/** Creates the namespace, the veth pair and the addresses; a second call changes nothing. */
export function ensurePodNetwork(): void {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'The local cluster’s pod network is a network namespace, which needs root: run `sudo npm run stack:up`, or MCP_STACK_KUBERNETES=0 to leave Kubernetes out',
    );
  }
  if (namespaceExists()) return;
  ip('netns', 'add', POD_NETNS);
  try {
    ip('link', 'add', HOST_LINK, 'type', 'veth', 'peer', 'name', POD_LINK, 'netns', POD_NETNS);
    ip('addr', 'add', `${HOST_ADDRESS}/24`, 'dev', HOST_LINK);
    ip('link', 'set', HOST_LINK, 'up');
    ip('-n', POD_NETNS, 'addr', 'add', `${POD_LINK_ADDRESS}/24`, 'dev', POD_LINK);
    for (const address of [SERVICE_POD_IP, PROMETHEUS_POD_IP])
      ip('-n', POD_NETNS, 'addr', 'add', `${address}/32`, 'dev', POD_LINK);
    ip('-n', POD_NETNS, 'link', 'set', POD_LINK, 'up');
    ip('-n', POD_NETNS, 'link', 'set', 'lo', 'up');
  } catch (error) {
    removePodNetwork();
    throw error;
  }
}

/** Removes the namespace (its end of the veth pair goes with it, and so does ours). */
export function removePodNetwork(): void {
  if (process.getuid?.() !== 0) return;
  if (namespaceExists()) ip('netns', 'del', POD_NETNS);
  try {
    ip('link', 'del', HOST_LINK);
  } catch {
    // already gone with the namespace
  }
}

interface Handoff {
  readonly kind: 'connection';
  readonly to: number;
}

/** Inside the namespace: listen on each pod address, hand each connection to the parent. */
function runChild(forwards: Forward[]): void {
  let listening = 0;
  for (const forward of forwards) {
    createServer({ pauseOnConnect: true }, (socket) => {
      process.send?.({ kind: 'connection', to: forward.to } satisfies Handoff, socket);
    })
      .on('error', (error) => {
        console.error(`pod network: ${forward.listen.address}:${forward.listen.port}: ${error.message}`);
        process.exit(1);
      })
      .listen(forward.listen.port, forward.listen.address, () => {
        listening += 1;
        if (listening === forwards.length) process.send?.('ready');
      });
  }
  process.on('disconnect', () => process.exit(0));
}

/** Outside: start the child in the namespace and join each connection it hands over to loopback. */
function runParent(forwards: Forward[]): void {
  const child = spawn(
    'ip',
    ['netns', 'exec', POD_NETNS, process.execPath, ...process.execArgv, import.meta.filename, '--child'],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, MCP_POD_NETWORK_FORWARDS: JSON.stringify(forwards) },
    },
  );
  child.on('message', (message: unknown, handle: unknown) => {
    if (message === 'ready') {
      console.log(
        `pod network ${POD_NETNS}: ${forwards.map((f) => `${f.listen.address}:${f.listen.port} -> 127.0.0.1:${f.to}`).join(', ')}`,
      );
      return;
    }
    const socket = handle as Socket | undefined;
    if (!socket || (message as Handoff).kind !== 'connection') return;
    const upstream = connect((message as Handoff).to, '127.0.0.1');
    const close = () => {
      socket.destroy();
      upstream.destroy();
    };
    socket.on('error', close);
    upstream.on('error', close);
    socket.pipe(upstream).pipe(socket);
    socket.resume();
  });
  child.on('exit', (code) => {
    console.error(`pod network: the forwarder in ${POD_NETNS} exited (${code})`);
    process.exit(1);
  });
  const stop = () => {
    child.kill('SIGTERM');
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (import.meta.filename === process.argv[1]) {
  const forwards = JSON.parse(process.env.MCP_POD_NETWORK_FORWARDS ?? '[]') as Forward[];
  if (process.argv.includes('--child')) runChild(forwards);
  else runParent(forwards);
}
