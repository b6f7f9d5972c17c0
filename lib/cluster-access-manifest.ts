// The checks' read-only Kubernetes access as YAML for `kubectl apply -f rbac/mcp-ops-readonly.yaml`
// on the EKS cluster; the CDK app's access entry maps the checks function's role to its group.
// `npm run generate` writes it from core/cluster-access.ts.
import { dumpYaml } from '@kubernetes/client-node';
import { join } from 'node:path';
import {
  checksAccessManifests,
  configReaderManifests,
  mitigatorManifests,
  quarantineManifests,
} from '../core/cluster-access.ts';

export const RBAC_MANIFEST_FILE = join(import.meta.dirname, '..', 'rbac', 'mcp-ops-readonly.yaml');

export function clusterAccessManifest(namespace = 'mcp-system', configMap = 'mcp-semantic-config'): string {
  return `# Generated from core/cluster-access.ts by \`npm run generate\`; do not edit.\n${[
    ...checksAccessManifests(namespace),
    ...configReaderManifests(namespace, configMap),
  ]
    .map((object) => dumpYaml(object))
    .join('---\n')}`;
}

export const MITIGATOR_MANIFEST_FILE = join(import.meta.dirname, '..', 'rbac', 'mcp-ops-mitigator.yaml');

/**
 * The mitigation function's write access, a file of its own: applying it is a decision (without
 * it the mitigation page shows every action refused by RBAC, and nothing else changes).
 */
export function mitigatorManifest(
  namespace = 'mcp-system',
  deployment = 'mcp-semantic-control-plane',
  ingress = 'mcp-semantic-ingress',
): string {
  return `# Generated from core/cluster-access.ts by \`npm run generate\`; do not edit.\n${[
    ...mitigatorManifests(namespace, deployment, ingress),
    ...quarantineManifests(namespace),
  ]
    .map((object) => dumpYaml(object))
    .join('---\n')}`;
}
