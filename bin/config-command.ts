// `mcp-ops config` (the configuration in force) and `mcp-ops config validate FILE`.
import { json, type CommandContext, type CommandResult } from './command-context.ts';
import { ConfigError } from '../core/config.ts';
import { loadConfigFile } from '../core/config-file.ts';

/** 0 with what the file sets, or 1 naming every wrong key. */
function validate(path: string, structured: boolean): CommandResult {
  try {
    const config = loadConfigFile(path, { named: true });
    const summary = {
      file: path,
      valid: true,
      resourcePrefix: config.resourcePrefix,
      cluster: config.cluster.name,
      timeZone: config.schedules.timeZone,
      tiers: config.onCall.tiers.map((t) => `${t.name} <${t.contact}>`),
    };
    return {
      output: structured
        ? json(summary)
        : `${path}: valid (prefix ${summary.resourcePrefix}, cluster ${summary.cluster}, zone ${summary.timeZone}, ${summary.tiers.length} on-call tiers)`,
    };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    if (structured)
      return {
        output: json({
          file: path,
          valid: false,
          issues: error.issues.length ? error.issues : [error.message],
        }),
        exit: 1,
      };
    return { output: '', stderr: `mcp-ops: ${error.message}`, exit: 1 };
  }
}

export function run(context: CommandContext): Promise<CommandResult> {
  if (context.name === 'config validate')
    return Promise.resolve(validate(context.args[0]!, context.structured));
  // `config` prints JSON for text too: the configuration is data.
  return Promise.resolve({ output: json(context.config) });
}
