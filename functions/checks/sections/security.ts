import type {
  V1Container,
  V1NetworkPolicy,
  V1Pod,
  V1PolicyRule,
  RbacV1Subject as V1Subject,
} from '@kubernetes/client-node';
import type { Finding, SectionOutcome } from '../report-model.ts';
import type { ChecksDeps } from '../checks-deps.ts';

/** One security finding: what, where, how bad, and the one-line fix. */
export interface SecurityFinding {
  readonly severity: 'CRITICAL' | 'WARNING';
  readonly area: 'pod' | 'network' | 'rbac' | 'secrets' | 'image';
  readonly object: string;
  readonly problem: string;
  readonly fix: string;
}

const DANGEROUS_CAPABILITIES = new Set([
  'ALL',
  'SYS_ADMIN',
  'NET_ADMIN',
  'SYS_PTRACE',
  'SYS_MODULE',
  'DAC_READ_SEARCH',
  'NET_RAW',
  'BPF',
]);

/** The pod security checks of the manual's "Check pod security", done per container. */
export function podSecurityFindings(pod: V1Pod): SecurityFinding[] {
  const name = `pod/${pod.metadata?.name}`;
  const spec = pod.spec;
  if (!spec) return [];
  const out: SecurityFinding[] = [];
  const add = (severity: SecurityFinding['severity'], object: string, problem: string, fix: string) =>
    out.push({ severity, area: 'pod', object, problem, fix });
  if (spec.hostNetwork) add('CRITICAL', name, 'uses the host network', 'remove hostNetwork: true');
  if (spec.hostPID) add('CRITICAL', name, 'shares the host PID namespace', 'remove hostPID: true');
  if (spec.hostIPC) add('CRITICAL', name, 'shares the host IPC namespace', 'remove hostIPC: true');
  for (const volume of spec.volumes ?? [])
    if (volume.hostPath)
      add(
        'CRITICAL',
        name,
        `mounts hostPath ${volume.hostPath.path} (volume ${volume.name})`,
        'use a PersistentVolumeClaim, configMap or emptyDir instead of hostPath',
      );
  const podNonRoot = spec.securityContext?.runAsNonRoot;
  const podUser = spec.securityContext?.runAsUser;
  const containers: V1Container[] = [...(spec.initContainers ?? []), ...spec.containers];
  for (const c of containers) {
    const where = `${name} container ${c.name}`;
    const sc = c.securityContext ?? {};
    const user = sc.runAsUser ?? podUser;
    if (sc.privileged) add('CRITICAL', where, 'runs privileged', 'set securityContext.privileged: false');
    if (user === 0)
      add(
        'CRITICAL',
        where,
        'runs as root (runAsUser: 0)',
        'set runAsUser to a non-zero uid and runAsNonRoot: true',
      );
    else if ((sc.runAsNonRoot ?? podNonRoot) !== true)
      add(
        'WARNING',
        where,
        'may run as root (runAsNonRoot not set)',
        'set securityContext.runAsNonRoot: true',
      );
    if (sc.allowPrivilegeEscalation !== false)
      add(
        'WARNING',
        where,
        'allows privilege escalation',
        'set securityContext.allowPrivilegeEscalation: false',
      );
    if (sc.readOnlyRootFilesystem !== true)
      add(
        'WARNING',
        where,
        'has a writable root filesystem',
        'set securityContext.readOnlyRootFilesystem: true (mount emptyDir where it must write)',
      );
    const added = (sc.capabilities?.add ?? []).filter((cap) =>
      DANGEROUS_CAPABILITIES.has(cap.replace(/^CAP_/, '')),
    );
    if (added.length > 0)
      add(
        'CRITICAL',
        where,
        `adds capabilities ${added.join(', ')}`,
        'remove them from securityContext.capabilities.add',
      );
    if (!(sc.capabilities?.drop ?? []).includes('ALL'))
      add(
        'WARNING',
        where,
        'does not drop all capabilities',
        'set securityContext.capabilities.drop: ["ALL"]',
      );
  }
  return out;
}

function selects(policy: V1NetworkPolicy, labels: Record<string, string>): boolean {
  const selector = policy.spec?.podSelector;
  if (!selector) return true;
  const matchLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const matchExpressions = (selector.matchExpressions ?? []).every((e) => {
    const value = labels[e.key];
    switch (e.operator) {
      case 'In':
        return value !== undefined && (e.values ?? []).includes(value);
      case 'NotIn':
        return value === undefined || !(e.values ?? []).includes(value);
      case 'Exists':
        return value !== undefined;
      case 'DoesNotExist':
        return value === undefined;
      default:
        return false;
    }
  });
  return matchLabels && matchExpressions;
}

/** A default deny: selects every pod and allows nothing in for Ingress (Egress too, if declared). */
export function isDefaultDeny(policy: V1NetworkPolicy): boolean {
  const spec = policy.spec;
  const all = !spec?.podSelector?.matchLabels && !spec?.podSelector?.matchExpressions?.length;
  const types = spec?.policyTypes ?? ['Ingress'];
  return all && types.includes('Ingress') && (spec?.ingress ?? []).length === 0;
}

const wildcard = (rule: V1PolicyRule) =>
  (rule.verbs ?? []).includes('*') &&
  ((rule.resources ?? []).includes('*') || (rule.nonResourceURLs ?? []).includes('*'));

const isSystemSubject = (s: V1Subject) => s.name.startsWith('system:') && s.kind !== 'ServiceAccount';
const subjectName = (s: V1Subject) => `${s.kind} ${s.namespace ? `${s.namespace}/` : ''}${s.name}`;

/** Pods, NetworkPolicies, RBAC and Secrets of the namespace, plus ECR scan findings of its images. */
export async function securityFindings(
  deps: ChecksDeps,
): Promise<{ findings: SecurityFinding[]; facts: Record<string, unknown>; unreadable: string[] }> {
  const { namespace } = deps.config.cluster;
  const now = deps.now();
  const findings: SecurityFinding[] = [];
  const unreadable: string[] = [];
  const facts: Record<string, unknown> = {};
  const attempt = async (what: string, work: () => Promise<void>) => {
    try {
      await work();
    } catch (error) {
      unreadable.push(`${what}: ${(error as Error).message.split('\n')[0]!.slice(0, 160)}`);
    }
  };

  const podLabels: Array<{ name: string; labels: Record<string, string> }> = [];
  const images = new Set<string>();
  await attempt('pods', async () => {
    for await (const page of deps.kube.pods(namespace)) {
      for (const pod of page) {
        if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
        findings.push(...podSecurityFindings(pod));
        podLabels.push({ name: pod.metadata?.name ?? '?', labels: pod.metadata?.labels ?? {} });
        for (const c of pod.spec?.containers ?? []) if (c.image) images.add(c.image);
      }
    }
    facts.pods = podLabels.length;
  });

  await attempt('network policies', async () => {
    const policies = await deps.kube.networkPolicies(namespace);
    const defaultDeny = policies.filter(isDefaultDeny);
    facts.networkPolicies = policies.map((p) => p.metadata?.name);
    facts.defaultDeny = defaultDeny.map((p) => p.metadata?.name);
    if (defaultDeny.length === 0)
      findings.push({
        severity: 'WARNING',
        area: 'network',
        object: `namespace/${namespace}`,
        problem: 'has no default-deny NetworkPolicy',
        fix: 'add a NetworkPolicy with podSelector: {} and policyTypes [Ingress, Egress] and no rules',
      });
    const unselected = podLabels.filter((p) => !policies.some((policy) => selects(policy, p.labels)));
    facts.podsWithoutPolicy = unselected.map((p) => p.name);
    if (unselected.length > 0)
      findings.push({
        severity: 'WARNING',
        area: 'network',
        object: `namespace/${namespace}`,
        problem: `${unselected.length} pod(s) selected by no NetworkPolicy: ${unselected
          .slice(0, 5)
          .map((p) => p.name)
          .join(', ')}`,
        fix: 'add a NetworkPolicy selecting them (or a default deny)',
      });
  });

  await attempt('RBAC', async () => {
    const [roles, bindings, clusterRoles, clusterBindings] = await Promise.all([
      deps.kube.roles(namespace),
      deps.kube.roleBindings(namespace),
      deps.kube.clusterRoles(),
      deps.kube.clusterRoleBindings(),
    ]);
    const rulesOf = (kind: string, name: string) =>
      (kind === 'Role'
        ? roles.find((r) => r.metadata?.name === name)
        : clusterRoles.find((r) => r.metadata?.name === name)
      )?.rules ?? [];
    const tooMuch = (kind: string, name: string) =>
      name === 'cluster-admin'
        ? 'cluster-admin'
        : rulesOf(kind, name).some(wildcard)
          ? `${kind} ${name} with wildcard rules (* on *)`
          : undefined;
    for (const b of bindings) {
      const what = tooMuch(b.roleRef.kind, b.roleRef.name);
      if (!what) continue;
      for (const s of (b.subjects ?? []).filter((s) => !isSystemSubject(s)))
        findings.push({
          severity: 'CRITICAL',
          area: 'rbac',
          object: `rolebinding/${b.metadata?.name}`,
          problem: `gives ${subjectName(s)} ${what} in ${namespace}`,
          fix: 'bind a Role with only the verbs and resources it needs',
        });
    }
    for (const b of clusterBindings) {
      const what = tooMuch('ClusterRole', b.roleRef.name);
      if (!what) continue;
      for (const s of (b.subjects ?? []).filter((s) => !isSystemSubject(s))) {
        const inNamespace = s.kind === 'ServiceAccount' && s.namespace === namespace;
        findings.push({
          severity: inNamespace ? 'CRITICAL' : 'WARNING',
          area: 'rbac',
          object: `clusterrolebinding/${b.metadata?.name}`,
          problem: `gives ${subjectName(s)} ${what} cluster-wide${inNamespace ? ` (a service account of ${namespace})` : ''}`,
          fix: 'replace with a namespaced RoleBinding to a least-privilege Role',
        });
      }
    }
    facts.roleBindings = bindings.length;
  });

  await attempt('secrets', async () => {
    const secrets = await deps.kube.secretsMetadata(namespace);
    const old = secrets.filter((s) => s.created && now.getTime() - s.created.getTime() > 90 * 86_400_000);
    facts.secrets = { count: secrets.length, olderThan90Days: old.map((s) => s.name) };
    for (const s of old)
      findings.push({
        severity: 'WARNING',
        area: 'secrets',
        object: `secret/${s.name}`,
        problem: `not rotated for ${Math.floor((now.getTime() - s.created!.getTime()) / 86_400_000)} days (over 90)`,
        fix: 'rotate the credential and replace the Secret',
      });
  });

  if (deps.imageScans) {
    await attempt('image scans', async () => {
      const scanned: Record<string, Record<string, number>> = {};
      for (const image of images) {
        const scan = await deps.imageScans!.scanOf(image);
        if (!scan) continue;
        scanned[image] = scan.counts;
        const critical = scan.counts.CRITICAL ?? 0;
        const high = scan.counts.HIGH ?? 0;
        if (critical + high > 0)
          findings.push({
            severity: critical > 0 ? 'CRITICAL' : 'WARNING',
            area: 'image',
            object: image,
            problem: `${critical} critical and ${high} high vulnerabilities (ECR scan)`,
            fix: 'rebuild on a patched base image and roll out',
          });
      }
      facts.imageScans = scanned;
    });
  }
  // The manual runs `trivy image` on every image. An image no scanner looked at (not in ECR, and no
  // other scanner configured) is named, so the section can never say "clean" about it.
  const scannedImages = (facts.imageScans ?? {}) as Record<string, unknown>;
  const notScanned = [...images].filter((i) => !(i in scannedImages)).sort();
  facts.imagesNotScanned = notScanned;
  if (notScanned.length > 0)
    findings.push({
      severity: 'WARNING',
      area: 'image',
      object: notScanned.join(', '),
      problem: `${notScanned.length === 1 ? 'is' : `(${notScanned.length} images) are`} not scanned for vulnerabilities: ${deps.imageScans ? 'not in ECR, the only scanner configured' : 'no scanner is configured'}`,
      fix: 'push them to ECR with scan on push (or an ECR pull-through cache), or scan them with trivy image before they run',
    });
  return { findings, facts, unreadable };
}

/** The daily security check as a report section (the security report's and the morning report's). */
export async function securitySection(deps: ChecksDeps): Promise<SectionOutcome> {
  const { findings, facts, unreadable } = await securityFindings(deps);
  // Nothing of the cluster readable is a failed section, not a clean bill of health.
  const clusterParts = ['pods', 'network policies', 'RBAC', 'secrets'];
  if (clusterParts.every((part) => unreadable.some((u) => u.startsWith(`${part}:`))))
    throw new Error(`nothing could be read: ${unreadable[0]}`);
  findings.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'CRITICAL' ? -1 : 1));
  const grouped = new Map<string, { f: SecurityFinding; objects: string[] }>();
  for (const f of findings) {
    const key = `${f.severity}|${f.area}|${f.problem}`;
    const g = grouped.get(key);
    if (g) g.objects.push(f.object);
    else grouped.set(key, { f, objects: [f.object] });
  }
  const reportFindings: Finding[] = [...grouped.values()].map(({ f, objects }) => ({
    status: f.severity,
    text: `${objects.length > 1 ? `${objects.length} objects (${objects.slice(0, 2).join(', ')}…)` : objects[0]} ${f.problem}. Fix: ${f.fix}`,
  }));
  for (const u of unreadable) reportFindings.push({ status: 'WARNING', text: `could not check ${u}` });
  const critical = findings.filter((f) => f.severity === 'CRITICAL').length;
  return {
    summary:
      findings.length === 0 ? 'no security findings' : `${findings.length} finding(s), ${critical} critical`,
    findings: reportFindings,
    lines: findings
      .slice(0, 100)
      .map((f) => `${f.severity.padEnd(8)} ${f.area.padEnd(8)} ${f.object}: ${f.problem}. Fix: ${f.fix}`),
    data: { findings, facts, unreadable },
  };
}
