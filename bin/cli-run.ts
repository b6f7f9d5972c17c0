// Runs one checked command line: the AWS region and profile as the AWS CLI takes them, the context
// the command reads, its module loaded (only now), its answer printed as `-o` asks, and every error
// mapped to an exit status in this one place: 2 refused (a RequestRefused: usage, configuration,
// a request the job will not do), 3 could not run (anything else: credentials, an endpoint
// unreachable, AWS or the cluster refusing). 1 is the command's own "a check found a problem".
import { profileRegion } from './aws-profile.ts';
import type { CommandContext, CommandModule, Values } from './command-context.ts';
import { awsTargetFromEnv, type AwsTarget } from '../core/aws.ts';
import type { OpsConfig } from '../core/config.ts';
import { OpsError } from '../core/errors.ts';
import type { StackEndpoints } from '../stack/endpoints.ts';

export interface RunnableLine {
  readonly name: string;
  readonly args: readonly string[];
  readonly values: Values;
  readonly load: (args: readonly string[]) => Promise<CommandModule>;
}

function applyProfile(values: Values, env: NodeJS.ProcessEnv): void {
  const region = (values as { region?: string }).region;
  const profile = (values as { profile?: string }).profile;
  if (region) env.AWS_REGION = region;
  if (profile) {
    env.AWS_PROFILE = profile;
    // The profile's own region, as the AWS CLI takes it, unless a region was said.
    if (!env.AWS_REGION && !env.AWS_DEFAULT_REGION) {
      const fromProfile = profileRegion(profile);
      if (fromProfile) env.AWS_REGION = fromProfile;
    }
  }
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

async function contextOf(line: RunnableLine): Promise<CommandContext> {
  const { values } = line;
  let endpoints: StackEndpoints | undefined;
  if (values.local) endpoints = (await import('../stack/endpoints.ts')).readEndpoints();
  const { configFromNamedOrDefault } = await import('../core/config-file.ts');
  let config: OpsConfig | undefined;
  const target: AwsTarget = endpoints
    ? { region: endpoints.region, endpoint: endpoints.aws.endpoint }
    : awsTargetFromEnv();
  const progressOn = process.stderr.isTTY === true;
  return {
    name: line.name,
    args: line.args,
    values,
    structured: values.output === 'json' || values.output === 'yaml',
    get config() {
      config ??= configFromNamedOrDefault(values.config ?? process.env.MCP_OPS_CONFIG_FILE);
      return config;
    },
    target,
    ...(endpoints ? { endpoints } : {}),
    cluster: {
      ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}),
      ...(values.context ? { context: values.context } : {}),
    },
    progress: (text) => {
      if (progressOn) process.stderr.write(`${text}\n`);
    },
  };
}

async function print(output: string, format: string): Promise<void> {
  if (format !== 'yaml') {
    console.log(output);
    return;
  }
  const { stringify } = await import('yaml');
  console.log(stringify(JSON.parse(output)).trimEnd());
}

/** Runs it; answers the exit status. */
export async function runLine(line: RunnableLine): Promise<number> {
  applyProfile(line.values, process.env);
  try {
    const context = await contextOf(line);
    const module = await line.load(line.args);
    const result = await module.run(context);
    if (result.output !== '') await print(result.output, line.values.output);
    if (result.stderr) console.error(result.stderr);
    return result.exit ?? 0;
  } catch (error) {
    console.error(`mcp-ops ${line.name}: ${error instanceof Error ? error.message : String(error)}`);
    return error instanceof OpsError ? error.exitCode : 3;
  }
}
