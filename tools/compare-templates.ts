/**
 * Compares two synthesized templates (`cdk synth -o DIR`) with the code assets' hashes taken out:
 * a refactor that moves code changes the bundles' hashes and nothing else. Prints every other
 * difference by its JSON path and exits 1 when there is one.
 *
 *   npx tsx tools/compare-templates.ts BEFORE_DIR AFTER_DIR
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ASSET_HASH = /[0-9a-f]{64}/g;

function load(dir: string): unknown {
  const text = readFileSync(join(dir, 'McpOps.template.json'), 'utf8');
  return JSON.parse(text.replace(ASSET_HASH, '<asset>'));
}

function differences(a: unknown, b: unknown, path: string, out: string[]): void {
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || a === null || b === null) {
    if (JSON.stringify(a) !== JSON.stringify(b))
      out.push(`${path}: ${JSON.stringify(a)} → ${JSON.stringify(b)}`);
    return;
  }
  if (typeof a !== 'object') {
    if (a !== b) out.push(`${path}: ${JSON.stringify(a)} → ${JSON.stringify(b)}`);
    return;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  for (const key of new Set([...Object.keys(x), ...Object.keys(y)]))
    differences(x[key], y[key], `${path}/${key}`, out);
}

const [before, after] = process.argv.slice(2);
if (!before || !after) {
  console.error('usage: tsx tools/compare-templates.ts BEFORE_DIR AFTER_DIR');
  process.exit(2);
}
const found: string[] = [];
differences(load(before), load(after), '', found);
for (const line of found) console.log(line);
console.log(found.length === 0 ? 'templates equal (asset hashes aside)' : `${found.length} differences`);
process.exit(found.length === 0 ? 0 : 1);
