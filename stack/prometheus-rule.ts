// The repository's alerting rules as a PrometheusRule (prometheus-operator), for clusters whose
// Prometheus is run by the operator: `npm run generate` writes rules/mcp-semantic.prometheusrule.yaml.
import { dumpYaml, loadYaml } from '@kubernetes/client-node';
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
  return `# Generated from rules/mcp-semantic.rules.yml by \`npm run generate\`; do not edit.\n${dumpYaml(manifest)}`;
}
