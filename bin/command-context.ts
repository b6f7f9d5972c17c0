// What every command module receives and answers. bin/cli.ts reads the command line; bin/cli-run.ts
// builds this context and prints the answer as `-o` asks; each command module (loaded only when its
// command runs, so that offline commands load neither the AWS SDK nor the Kubernetes client) turns
// the context into output.
import type { AwsTarget } from '../core/aws.ts';
import type { OpsConfig } from '../core/config.ts';
import type { StackEndpoints } from '../stack/endpoints.ts';

/** The options a command line may carry (bin/cli.ts has checked them against the command). */
export interface Values {
  local: boolean;
  config?: string;
  kubeconfig?: string;
  context?: string;
  output: string;
  'state-bucket'?: string;
  'retention-days'?: string;
  bucket?: string;
  prefix?: string;
  protect?: string[];
  'max-deletes'?: string;
  'versioned-bucket'?: string;
  apply?: boolean;
  resume?: string;
  by?: string;
  sample?: string;
  send?: boolean;
  out?: string;
  'max-age-hours'?: string;
  runbook?: string;
  incident?: string;
  done?: boolean;
  'dry-run'?: boolean;
  force?: boolean;
  status?: string;
  severity?: string;
  timeout?: string;
  'alerts-topic'?: string;
  'alertmanager-url'?: string;
}

export interface CommandContext {
  /** The command's name in the table: `cleanup lifecycle`, `incident review`… */
  readonly name: string;
  /** The arguments after the name. */
  readonly args: readonly string[];
  readonly values: Values;
  /** `-o json` or `-o yaml`: the command answers JSON and the runner prints it as asked. */
  readonly structured: boolean;
  /** The configuration in force (loaded when first read: `config validate` never reads it). */
  readonly config: OpsConfig;
  /** AWS as the SDK resolves it, or the local stack's emulator with --local. */
  readonly target: AwsTarget;
  /** The local stack's endpoints with --local. */
  readonly endpoints?: StackEndpoints;
  /** How to reach the cluster, as kubectl is told. */
  readonly cluster: { readonly kubeconfig?: string; readonly context?: string };
  /** Progress for a person watching: stderr, only when it is a terminal. */
  progress(line: string): void;
}

export interface CommandResult {
  /** Text, or JSON when `structured` (or HTML for `report -o html`). */
  readonly output: string;
  /** Said on stderr after the output (what was wrong, in text form). */
  readonly stderr?: string;
  /** 0 fine, 1 a check found a problem. */
  readonly exit?: 0 | 1;
}

export interface CommandModule {
  run(context: CommandContext): Promise<CommandResult>;
}

/** `--by NAME via mcp-ops`, else the login name. */
export const actor = (values: Pick<Values, 'by'>): string =>
  `${values.by ?? process.env.USER ?? 'someone'} via mcp-ops`;

export const json = (value: unknown): string => JSON.stringify(value, null, 2);
