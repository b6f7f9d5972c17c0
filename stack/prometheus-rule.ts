// The repository's alerting rules as a PrometheusRule (prometheus-operator), for clusters whose
// Prometheus is run by the operator: `npm run rules:manifest` writes rules/mcp-semantic.prometheusrule.yaml.
import { dumpYaml, loadYaml } from '@kubernetes/client-node';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RULES_DIR } from './prometheus.ts';

export const MANIFEST_FILE = join(RULES_DIR, 'mcp-semantic.prometheusrule.yaml');

export function prometheusRuleManifest(rulesYaml: string, namespace = 'mcp-system'): string {
  const rules = loadYaml<{ groups: unknown[] }>(rulesYaml);
  const manifest = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name: 'mcp-semantic',
      namespace,
      labels: { app: 'mcp-semantic', 'app.kubernetes.io/managed-by': 'mcp-ops' },
    },
    spec: { groups: rules.groups },
  };
  return `# Generated from rules/mcp-semantic.rules.yml by \`npm run rules:manifest\`; do not edit.\n${dumpYaml(manifest)}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(
    MANIFEST_FILE,
    prometheusRuleManifest(readFileSync(join(RULES_DIR, 'mcp-semantic.rules.yml'), 'utf8')),
  );
  console.log(`written ${MANIFEST_FILE}`);
}
