import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatedFiles, ROOT, staleFiles } from '../../tools/generate.ts';

describe('generated files', () => {
  it('are all current: rules, PrometheusRule, RBAC, dashboards, config schema and reference', () => {
    const paths = [...generatedFiles().keys()].map((p) => p.slice(ROOT.length + 1));
    expect(paths).toEqual(
      expect.arrayContaining([
        'rules/mcp-semantic.rules.yml',
        'rules/mcp-semantic.prometheusrule.yaml',
        'rbac/mcp-ops-readonly.yaml',
        'config.schema.json',
        'docs/configuration.md',
        'dashboards/mcp-ops-dashboards.configmap.yaml',
      ]),
    );
    expect(staleFiles()).toEqual([]);
  });

  it('names a committed file that no longer matches its source', () => {
    const path = join(ROOT, 'rbac', 'mcp-ops-readonly.yaml');
    const before = readFileSync(path, 'utf8');
    try {
      writeFileSync(path, `${before}# edited by hand\n`);
      expect(staleFiles()).toEqual(['rbac/mcp-ops-readonly.yaml']);
    } finally {
      writeFileSync(path, before);
    }
  });
});
