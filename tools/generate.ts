/**
 * Every file this repository generates, from one place: `npm run generate` writes them all (and
 * builds the command line); `npm run generate -- --check` writes nothing and fails, naming them,
 * when a committed file differs from what its source makes now. test/unit/generated.test.ts runs
 * the check, so a change to a source without its outputs fails the tests.
 *
 *   the thresholds table (core/thresholds.ts)  → rules/mcp-semantic.rules.yml's exprs and SLO groups
 *   the rules                                  → rules/mcp-semantic.prometheusrule.yaml
 *   the functions' cluster access              → rbac/mcp-ops-readonly.yaml, rbac/mcp-ops-mitigator.yaml
 *   the thresholds and panels (lib/dashboards) → dashboards/*.json and their ConfigMap
 *   the configuration's zod schema             → config.schema.json, docs/configuration.md
 *   bin/                                       → dist/mcp-ops.mjs (not committed; built here)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { configJsonSchema, configReference } from '../core/config-schema.ts';
import {
  clusterAccessManifest,
  MITIGATOR_MANIFEST_FILE,
  mitigatorManifest,
  RBAC_MANIFEST_FILE,
} from '../lib/cluster-access-manifest.ts';
import { dashboardFiles, DASHBOARDS_DIR } from '../lib/dashboards.ts';
import { MANIFEST_FILE, prometheusRuleManifest } from '../stack/prometheus-rule.ts';
import { applySloRules, applyThresholds, RULES_FILE } from '../stack/threshold-rules.ts';

export const ROOT = join(import.meta.dirname, '..');

/** Each generated file's path and the content its sources make now. */
export function generatedFiles(): Map<string, string> {
  const rules = applySloRules(applyThresholds(readFileSync(RULES_FILE, 'utf8')));
  const files = new Map<string, string>([
    [RULES_FILE, rules],
    [MANIFEST_FILE, prometheusRuleManifest(rules)],
    [RBAC_MANIFEST_FILE, clusterAccessManifest()],
    [MITIGATOR_MANIFEST_FILE, mitigatorManifest()],
    [join(ROOT, 'config.schema.json'), `${JSON.stringify(configJsonSchema(), null, 2)}\n`],
    [join(ROOT, 'docs', 'configuration.md'), configReference()],
  ]);
  for (const [name, content] of Object.entries(dashboardFiles()))
    files.set(join(DASHBOARDS_DIR, name), content);
  return files;
}

function committed(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The generated files whose committed content differs from what their sources make now. */
export function staleFiles(): string[] {
  return [...generatedFiles()]
    .filter(([path, content]) => committed(path) !== content)
    .map(([path]) => relative(ROOT, path));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.includes('--check')) {
    const stale = staleFiles();
    for (const path of stale) console.error(`out of date: ${path}`);
    console.log(stale.length === 0 ? 'every generated file is current' : 'run `npm run generate`');
    process.exit(stale.length === 0 ? 0 : 1);
  }
  for (const [path, content] of generatedFiles()) {
    mkdirSync(dirname(path), { recursive: true });
    if (committed(path) !== content) {
      writeFileSync(path, content);
      console.log(`written ${relative(ROOT, path)}`);
    }
  }
  const { buildCli } = await import('./build-cli.ts');
  console.log(`built ${relative(ROOT, await buildCli())}`);
}
