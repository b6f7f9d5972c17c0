// The checks' read-only Kubernetes access as YAML for `kubectl apply -f rbac/mcp-ops-readonly.yaml`
// on the EKS cluster; the CDK app's access entry maps the checks function's role to its group.
// `npm run generate` writes it from core/cluster-access.ts.
import { dumpYaml } from '@kubernetes/client-node';
import { join } from 'node:path';
import { checksAccessManifests, configReaderManifests } from '../core/cluster-access.ts';

export const RBAC_MANIFEST_FILE = join(import.meta.dirname, '..', 'rbac', 'mcp-ops-readonly.yaml');

export function clusterAccessManifest(namespace = 'mcp-system', configMap = 'mcp-semantic-config'): string {
  return `# Generated from core/cluster-access.ts by \`npm run generate\`; do not edit.\n${[
    ...checksAccessManifests(namespace),
    ...configReaderManifests(namespace, configMap),
  ]
    .map((object) => dumpYaml(object))
    .join('---\n')}`;
}
