import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';

/** The repository: the nearest folder above this module with a package.json (sources or the built CLI). */
function projectRoot(from = import.meta.dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return resolve(import.meta.dirname, '..');
  }
}

/** Where the local stack keeps its state, logs and endpoints (git-ignored). */
export const STACK_DIR = resolve(process.env.MCP_STACK_DIR ?? join(projectRoot(), '.stack'));

/** Loopback ports of the local stack; each can be moved with its environment variable. */
export const PORTS = {
  moto: Number(process.env.MCP_STACK_MOTO_PORT ?? 14566),
  prometheus: Number(process.env.MCP_STACK_PROMETHEUS_PORT ?? 19090),
  alertmanager: Number(process.env.MCP_STACK_ALERTMANAGER_PORT ?? 19093),
  service: Number(process.env.MCP_STACK_SERVICE_PORT ?? 19100),
  /** The pods' metrics port of the manual, for `kubectl exec <pod> -- curl localhost:9090/metrics`. */
  servicePod: Number(process.env.MCP_STACK_SERVICE_POD_PORT ?? 9090),
} as const;

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '123456789012';

export const StackEndpointsSchema = z.object({
  region: z.string(),
  aws: z.object({ endpoint: z.string().url(), accountId: z.string() }),
  prometheus: z.string().url(),
  alertmanager: z.string().url(),
  service: z.object({ metrics: z.string().url(), control: z.string().url() }),
  topics: z.object({
    reports: z.string(),
    alerts: z.string(),
    /** The team's chat (AWS Chatbot custom notifications when deployed). */
    chat: z.string(),
    tiers: z.record(z.string(), z.string()),
  }),
  buckets: z.object({ artifacts: z.string(), backup: z.string(), reports: z.string() }),
  tables: z.object({ incidents: z.string(), deliveries: z.string() }),
  secrets: z.object({ linkSecret: z.string() }),
  /** The reports' SES sender (verified in moto), recipients and configuration set. */
  mail: z.object({ from: z.string(), to: z.array(z.string()), configurationSet: z.string() }),
  /** The local Kubernetes API server and its kubeconfigs (absent with MCP_STACK_KUBERNETES=0). */
  kubernetes: z
    .object({
      server: z.string().url(),
      kubeconfig: z.string(),
      kubeconfigReadonly: z.string(),
      /** The mitigation function's identity (group mcp-ops:mitigator). */
      kubeconfigMitigator: z.string().optional(),
    })
    .optional(),
});
export type StackEndpoints = z.infer<typeof StackEndpointsSchema>;

export const ENDPOINTS_FILE = join(STACK_DIR, 'endpoints.json');

export function readEndpoints(file = ENDPOINTS_FILE): StackEndpoints {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`No local stack endpoints at ${file}: run \`npm run stack:up\` first`);
  }
  return StackEndpointsSchema.parse(JSON.parse(text));
}
