// Configuration files, for the tools that read one (the CDK app, the command line, the local
// stack): JSON or YAML. Lambda functions get their configuration from the environment instead
// (core/function-env.ts), so this module and its YAML parser stay out of their bundles.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, parseConfig, type OpsConfig } from './config.ts';

/** Where configuration is looked for when no file is named: the first of these that exists. */
export const DEFAULT_CONFIG_FILES = [
  'mcp-ops.config.json',
  'mcp-ops.config.yaml',
  'mcp-ops.config.yml',
] as const;

/** The default configuration file present in `dir`, if any (none: the manual's defaults). */
export function defaultConfigFile(dir = '.'): string | undefined {
  return DEFAULT_CONFIG_FILES.map((name) => join(dir, name)).find((path) => existsSync(path));
}

/**
 * Reads a configuration file, JSON or YAML (by its extension: `.yaml`/`.yml`, else JSON).
 * A file that was named (`--config`, `-c config=`, `MCP_OPS_CONFIG_FILE`) must exist: a typo must
 * never deploy the manual's defaults. Only the default file may be absent (then all defaults).
 */
export function loadConfigFile(path: string | undefined, options: { named?: boolean } = {}): OpsConfig {
  if (path === undefined) return parseConfig({}, 'the default configuration');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    if (options.named === false) return parseConfig({}, path);
    throw new ConfigError(
      `Configuration file ${resolve(path)} does not exist. Check the path (named by --config, -c config= or MCP_OPS_CONFIG_FILE); with no file named, ${DEFAULT_CONFIG_FILES.join(' or ')} is read if present, else the manual's defaults.`,
      [`${path}: no such file`],
    );
  }
  const yaml = /\.ya?ml$/i.test(path);
  let raw: unknown;
  try {
    raw = yaml ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`Invalid ${path}: not ${yaml ? 'YAML' : 'JSON'} (${(error as Error).message})`, []);
  }
  return parseConfig(raw, path);
}

/** The configuration a tool starts from: the named file, or the default one, or the defaults. */
export function configFromNamedOrDefault(named: string | undefined): OpsConfig {
  return named === undefined ? loadConfigFile(defaultConfigFile()) : loadConfigFile(named, { named: true });
}
