// Every command that prints data prints it as JSON with -o json and as the same data in YAML with
// -o yaml, on the local stack, through the built CLI (what kubectl and aws users expect).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { buildCli } from '../../tools/build-cli.ts';
import { clusterInScenario } from '../support/cluster.ts';

let bundle: string;

/** stdout of a run that exits 0 (fine) or 1 (a check found a problem): both print the data. */
async function output(args: readonly string[]): Promise<string> {
  try {
    return (
      await promisify(execFile)(process.execPath, [bundle, ...args, '--local'], { maxBuffer: 64 << 20 })
    ).stdout;
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    if (failed.code !== 1) throw new Error(`${args.join(' ')} exited ${failed.code}: ${failed.stderr}`);
    return failed.stdout;
  }
}

describe('-o json and -o yaml on every command that prints data', () => {
  beforeAll(async () => {
    bundle = await buildCli(join(process.cwd(), 'out', 'cli-output'));
    await clusterInScenario('healthy');
  });

  it.each([
    [['backup', 'verify']],
    [['cleanup', '--retention-days', '30']],
    [['cleanup', 'lifecycle', '--retention-days', '30']],
    [['incidents']],
    [['incidents', 'reviews']],
    [['maintenance', 'pre']],
    [['diagnose']],
    [['report', 'morning']],
    [['config', 'validate', 'config.schema.json']],
  ])('%j', async (args) => {
    const json = JSON.parse(await output([...args, '-o', 'json'])) as unknown;
    expect(json).not.toBeNull();
    expect(parseYaml(await output([...args, '-o', 'yaml']))).toEqual(stable(json));
  });
});

/**
 * The same data, less what differs between two runs of a live system (times, run ids, figures
 * read from the service, list lengths): every key and every value without a digit is compared.
 */
function stable(value: unknown): unknown {
  // Lists of a live system change length between two runs (events, pods): the YAML's list must
  // hold an item of the JSON's first item's shape.
  if (Array.isArray(value)) return value.length === 0 ? [] : expect.arrayContaining([stable(value[0])]);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stable(v)]));
  if (typeof value === 'string' && /\d/.test(value)) return expect.any(String);
  if (typeof value === 'number') return expect.any(Number);
  return value;
}
