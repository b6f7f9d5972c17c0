// `mcp-ops incidents ladder`: what each severity gets, and when, from the configuration alone
// (offline: no AWS or Kubernetes client is loaded).
import { json, type CommandContext, type CommandResult } from './command-context.ts';
import type { OpsConfig } from '../core/config.ts';
import { describeTimeline, responsePolicy } from '../core/incidents/policy.ts';

const SEVERITIES = ['P0', 'P1', 'P2', 'P3'] as const;

export function ladderText(config: OpsConfig): string {
  const policy = responsePolicy(config);
  return SEVERITIES.map((severity) =>
    [`${severity}:`, ...describeTimeline(policy, severity).map((l) => `  ${l}`)].join('\n'),
  ).join('\n');
}

export function run(context: CommandContext): Promise<CommandResult> {
  const { config } = context;
  if (!context.structured) return Promise.resolve({ output: ladderText(config) });
  const policy = responsePolicy(config);
  return Promise.resolve({
    output: json(
      Object.fromEntries(
        SEVERITIES.map((severity) => [
          severity,
          { ...config.escalation.severities[severity], timeline: describeTimeline(policy, severity) },
        ]),
      ),
    ),
  });
}
