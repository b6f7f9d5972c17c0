/**
 * Exactly what the checks read in Kubernetes, and nothing more: one source for the CDK app (EKS
 * access entry + manifest) and the local cluster. No write verb anywhere. Secrets: `list` in the
 * service's namespace only, and the checks ask for PartialObjectMetadata (names and ages, never
 * data); Kubernetes cannot grant metadata-only access, so the code is what keeps data out.
 */
export interface AccessRule {
  readonly apiGroups: string[];
  readonly resources: string[];
  readonly verbs: string[];
  readonly resourceNames?: string[];
}

export const CHECKS_ROLE_NAME = 'mcp-ops-readonly';
/** The Kubernetes group the EKS access entry maps the checks function's IAM role to. */
export const CHECKS_GROUP = 'mcp-ops:readonly';

const read = ['get', 'list', 'watch'];

/** The group the cleanup function's role maps to: it reads the service's ConfigMap, nothing else. */
export const CONFIG_READER_GROUP = 'mcp-ops:config-reader';
export const CONFIG_READER_ROLE_NAME = 'mcp-ops-config-reader';

const LABELS = { 'app.kubernetes.io/managed-by': 'mcp-ops' };

/** RBAC subjects for Kubernetes groups (what EKS access entries map roles to). */
function subjectsOf(groups: readonly string[]) {
  return groups.map((group) => ({ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: group }));
}

/** A namespaced Role with `rules` and its binding to `groups`. */
function roleFor(name: string, namespace: string, rules: readonly AccessRule[], groups: readonly string[]) {
  const subjects = subjectsOf(groups);
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name, namespace, labels: LABELS },
      rules: rules.map((r) => ({ ...r })),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace, labels: LABELS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects,
    },
  ];
}

/** The Role and binding that let `group` get the one ConfigMap (the cleanup's retention). */
export function configReaderManifests(
  namespace: string,
  configMap: string,
  groups: readonly string[] = [CONFIG_READER_GROUP],
) {
  const rules = [{ apiGroups: [''], resources: ['configmaps'], resourceNames: [configMap], verbs: ['get'] }];
  return roleFor(CONFIG_READER_ROLE_NAME, namespace, rules, groups);
}

/** A ClusterRole with `rules` and its binding to `groups`. */
function clusterRoleFor(name: string, rules: readonly AccessRule[], groups: readonly string[]) {
  const subjects = subjectsOf(groups);
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name, labels: LABELS },
      rules: rules.map((r) => ({ ...r })),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name, labels: LABELS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects,
    },
  ];
}

/** Cluster-wide (ClusterRole): pods, logs, events, nodes, jobs, policies, RBAC, metrics, pod proxy. */
export const CHECKS_CLUSTER_RULES: readonly AccessRule[] = [
  {
    apiGroups: [''],
    resources: ['pods', 'pods/log', 'events', 'nodes', 'configmaps', 'services', 'namespaces'],
    verbs: read,
  },
  { apiGroups: ['apps'], resources: ['deployments', 'replicasets'], verbs: read },
  { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: read },
  { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: read },
  // Ingresses: the maintenance job reads whether maintenance mode (the 503 annotation) is on.
  { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies', 'ingresses'], verbs: read },
  {
    apiGroups: ['rbac.authorization.k8s.io'],
    resources: ['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings'],
    verbs: read,
  },
  { apiGroups: ['metrics.k8s.io'], resources: ['pods', 'nodes'], verbs: read },
  // The reports' fallback when Prometheus is down: the pods' /metrics through the pod proxy.
  { apiGroups: [''], resources: ['pods/proxy'], verbs: ['get'] },
];

/** In the service's namespace only (Role): listing Secrets for the security check's metadata. */
export const CHECKS_NAMESPACE_RULES: readonly AccessRule[] = [
  { apiGroups: [''], resources: ['secrets'], verbs: ['list'] },
];

/** The Prometheus Service the reports query through the API server's service proxy. */
export interface PrometheusServiceRef {
  readonly namespace: string;
  readonly name: string;
  readonly port: number | string;
}

export const PROMETHEUS_PROXY_ROLE_NAME = 'mcp-ops-prometheus-proxy';

/**
 * `get` on `services/proxy` of that one Service and port, in its namespace. RBAC sees the proxied
 * name as the path carries it, `<name>:<port>` (checked on the local API server: the bare name does
 * not match a request naming the port, and another port of the same Service is refused).
 */
export function prometheusProxyRules(
  service: PrometheusServiceRef,
): AccessRule & { resourceNames: string[] } {
  return {
    apiGroups: [''],
    resources: ['services/proxy'],
    verbs: ['get'],
    resourceNames: [`${service.name}:${service.port}`],
  };
}

const DEFAULT_PROMETHEUS: PrometheusServiceRef = {
  namespace: 'mcp-system',
  name: 'prometheus-mcp',
  port: 9090,
};

/** The ClusterRole, Roles and their bindings to `group`, as Kubernetes objects. */
export function checksAccessManifests(
  namespace: string,
  groups: readonly string[] = [CHECKS_GROUP],
  prometheus: PrometheusServiceRef | undefined = DEFAULT_PROMETHEUS,
) {
  return [
    ...clusterRoleFor(CHECKS_ROLE_NAME, CHECKS_CLUSTER_RULES, groups),
    ...roleFor(CHECKS_ROLE_NAME, namespace, CHECKS_NAMESPACE_RULES, groups),
    ...(prometheus
      ? roleFor(PROMETHEUS_PROXY_ROLE_NAME, prometheus.namespace, [prometheusProxyRules(prometheus)], groups)
      : []),
  ];
}

/**
 * The mitigation function's group: the one role that writes to the cluster, and only what the
 * playbook's step 3 needs. Namespaced (the service's namespace): patch the one Deployment and its
 * scale, delete pods (restart), patch the one Ingress (maintenance mode off), and what those
 * changes must read first. Cluster-wide: patch nodes (cordon), list pods on a node and create
 * evictions (a drain evicts every pod on the node, whatever its namespace; the API server still
 * enforces each PodDisruptionBudget).
 */
export const MITIGATOR_GROUP = 'mcp-ops:mitigator';
export const MITIGATOR_ROLE_NAME = 'mcp-ops-mitigator';

export function mitigatorNamespaceRules(deployment: string, ingress: string): AccessRule[] {
  return [
    { apiGroups: ['apps'], resources: ['deployments'], resourceNames: [deployment], verbs: ['get', 'patch'] },
    {
      apiGroups: ['apps'],
      resources: ['deployments/scale'],
      resourceNames: [deployment],
      verbs: ['get', 'patch'],
    },
    { apiGroups: ['apps'], resources: ['replicasets'], verbs: ['list'] },
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'delete'] },
    {
      apiGroups: ['networking.k8s.io'],
      resources: ['ingresses'],
      resourceNames: [ingress],
      verbs: ['get', 'patch'],
    },
    { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: ['list'] },
  ];
}

export const MITIGATOR_CLUSTER_RULES: readonly AccessRule[] = [
  { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'patch'] },
  { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
  { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
];

export function mitigatorManifests(
  namespace: string,
  deployment: string,
  ingress: string,
  groups: readonly string[] = [MITIGATOR_GROUP],
) {
  return [
    ...clusterRoleFor(MITIGATOR_ROLE_NAME, MITIGATOR_CLUSTER_RULES, groups),
    ...roleFor(MITIGATOR_ROLE_NAME, namespace, mitigatorNamespaceRules(deployment, ingress), groups),
  ];
}

/**
 * Security Incident Response's quarantine, a group of its own (the mitigation function's access
 * entry holds it beside the mitigator's): in the service's namespace, label pods (`patch`), create
 * the `deny-all` NetworkPolicy, and read and delete that one policy (the undo). Kubernetes cannot
 * narrow `create` by name; the code only ever creates `deny-all`.
 */
export const QUARANTINE_GROUP = 'mcp-ops:quarantine';
export const QUARANTINE_ROLE_NAME = 'mcp-ops-quarantine';

export const QUARANTINE_RULES: readonly AccessRule[] = [
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'patch'] },
  { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['create'] },
  {
    apiGroups: ['networking.k8s.io'],
    resources: ['networkpolicies'],
    resourceNames: ['deny-all'],
    verbs: ['get', 'delete'],
  },
];

export function quarantineManifests(namespace: string, groups: readonly string[] = [QUARANTINE_GROUP]) {
  return roleFor(QUARANTINE_ROLE_NAME, namespace, QUARANTINE_RULES, groups);
}
