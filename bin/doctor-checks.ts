// `mcp-ops doctor`'s checks, as plain functions over what they read (bin/doctor-command.ts wires
// them to AWS and the cluster). Each check reads only, says what it found, and for a problem the
// fix in one line. One check failing to run never stops the others: it is reported as a problem
// with what stopped it.
import {
  CHECKS_CLUSTER_RULES,
  CHECKS_GROUP,
  CHECKS_NAMESPACE_RULES,
  CONFIG_READER_GROUP,
  prometheusProxyRules,
  type AccessRule,
} from '../core/cluster-access.ts';
import type { OpsConfig } from '../core/config.ts';
import { DASHBOARD_UIDS } from '../core/thresholds.ts';

export type CheckStatus = 'ok' | 'problem' | 'skipped';

export interface DoctorCheck {
  readonly name: string;
  readonly status: CheckStatus;
  readonly detail: string;
  /** For a problem: what to do, in one line. */
  readonly fix?: string;
}

/** One access question, as a SubjectAccessReview asks it. */
export interface AccessQuestion {
  readonly verb: string;
  readonly group: string;
  readonly resource: string;
  readonly subresource?: string;
  readonly namespace?: string;
  readonly name?: string;
}

export interface Subscription {
  readonly arn: string;
  readonly protocol: string;
  readonly endpoint: string;
}

export interface DoctorPorts {
  readonly config: OpsConfig;
  /** EKS: the cluster's authentication mode and its access entries' groups; undefined: not EKS. */
  readonly eks?: {
    authenticationMode(): Promise<string | undefined>;
    entryGroups(): Promise<readonly { principal: string; groups: readonly string[] }[]>;
  };
  /** May a member of `group` do this? (SubjectAccessReview.) */
  canI(group: string, question: AccessQuestion): Promise<boolean>;
  /** Prometheus by the configured access path: how it is reached, and the alert rules loaded. */
  readonly prometheus: { readonly describe: string; alertRules(): Promise<string[]> };
  /** The alert names the project's rules define (rules/mcp-semantic.rules.yml). */
  readonly expectedAlerts: readonly string[];
  /** Alertmanager's running configuration (YAML), when it is known how to reach it. */
  readonly alertmanager?: { readonly describe: string; configYaml(): Promise<string> };
  readonly topics: {
    readonly alerts?: string;
    readonly reports?: string;
    readonly tiers: Readonly<Record<string, string | undefined>>;
  };
  subscriptions(topicArn: string): Promise<readonly Subscription[]>;
  topicExists(topicArn: string): Promise<boolean>;
  /** SES: whether the identity may send, and whether the account is out of the sandbox. */
  readonly ses?: {
    identityVerified(identity: string): Promise<boolean>;
    productionAccess(): Promise<boolean | undefined>;
  };
  /** The HTTP status `url` answers with, or throws when nothing answers. */
  httpStatus(url: string): Promise<number>;
  /** The dashboards ConfigMap's keys, or undefined when it is not in the cluster. */
  dashboardsConfigMap(): Promise<readonly string[] | undefined>;
  /** The stack's alarms (named `<prefix>-...`) and their actions. */
  alarms(): Promise<readonly { name: string; actions: readonly string[] }[]>;
  /** No alarms is fine here (the local stack has none). */
  readonly alarmsOptional?: boolean;
}

const ok = (name: string, detail: string): DoctorCheck => ({ name, status: 'ok', detail });
const problem = (name: string, detail: string, fix: string): DoctorCheck => ({
  name,
  status: 'problem',
  detail,
  fix,
});
const skipped = (name: string, detail: string): DoctorCheck => ({ name, status: 'skipped', detail });

async function eksAccess(ports: DoctorPorts): Promise<DoctorCheck> {
  const name = 'EKS access entries';
  const { eks } = ports;
  if (!eks) return skipped(name, 'not an EKS cluster (the local stack maps roles with its token webhook)');
  const mode = await eks.authenticationMode();
  if (!mode?.includes('API'))
    return problem(
      name,
      `cluster ${ports.config.cluster.name} authentication mode is ${mode ?? 'CONFIG_MAP'}: access entries are ignored`,
      `aws eks update-cluster-config --name ${ports.config.cluster.name} --access-config authenticationMode=API_AND_CONFIG_MAP`,
    );
  const entries = await eks.entryGroups();
  const missing = [CHECKS_GROUP, CONFIG_READER_GROUP].filter(
    (group) => !entries.some((e) => e.groups.includes(group)),
  );
  if (missing.length > 0)
    return problem(
      name,
      `no access entry maps a role to ${missing.join(', ')}`,
      'deploy the stack again (cdk deploy creates the entries), or add them with aws eks create-access-entry',
    );
  return ok(name, `${mode}; entries for ${CHECKS_GROUP} and ${CONFIG_READER_GROUP}`);
}

function questionsOf(rules: readonly AccessRule[], namespace?: string): AccessQuestion[] {
  return rules.flatMap((rule) =>
    rule.resources.map((resource) => {
      const [plain, subresource] = resource.split('/') as [string, string | undefined];
      return {
        verb: rule.verbs.includes('list') ? 'list' : rule.verbs[0]!,
        group: rule.apiGroups[0]!,
        resource: plain,
        ...(subresource ? { subresource } : {}),
        ...(namespace ? { namespace } : {}),
        ...(rule.resourceNames?.[0] ? { name: rule.resourceNames[0] } : {}),
      };
    }),
  );
}

const said = (q: AccessQuestion) =>
  `${q.verb} ${q.resource}${q.subresource ? `/${q.subresource}` : ''}${q.group ? `.${q.group}` : ''}${q.name ? ` ${q.name}` : ''}${q.namespace ? ` in ${q.namespace}` : ''}`;

/** Each function's group may do what its rules say, and cannot write. */
async function rbac(ports: DoctorPorts): Promise<DoctorCheck> {
  const name = 'Kubernetes RBAC';
  const { namespace, configMap } = ports.config.cluster;
  const wanted: [string, AccessQuestion][] = [
    ...questionsOf(CHECKS_CLUSTER_RULES).map((q): [string, AccessQuestion] => [CHECKS_GROUP, q]),
    ...questionsOf(CHECKS_NAMESPACE_RULES, namespace).map((q): [string, AccessQuestion] => [CHECKS_GROUP, q]),
    [CONFIG_READER_GROUP, { verb: 'get', group: '', resource: 'configmaps', namespace, name: configMap }],
  ];
  if (ports.config.prometheus.access === 'service-proxy') {
    const service = ports.config.prometheus.service;
    const [q] = questionsOf([prometheusProxyRules(service)], service.namespace);
    wanted.push([CHECKS_GROUP, q!]);
  }
  const refused: string[] = [];
  for (const [group, question] of wanted)
    if (!(await ports.canI(group, question))) refused.push(`${group} cannot ${said(question)}`);
  const writes: [string, AccessQuestion][] = [CHECKS_GROUP, CONFIG_READER_GROUP].map((group) => [
    group,
    { verb: 'patch', group: 'apps', resource: 'deployments', namespace },
  ]);
  const writable: string[] = [];
  for (const [group, question] of writes)
    if (await ports.canI(group, question)) writable.push(`${group} can ${said(question)}`);
  if (refused.length > 0)
    return problem(
      name,
      `${refused.length} of ${wanted.length} reads refused: ${refused.slice(0, 3).join('; ')}${refused.length > 3 ? '; …' : ''}`,
      'kubectl apply -f rbac/mcp-ops-readonly.yaml (npm run rbac:manifest writes it for your namespace)',
    );
  if (writable.length > 0)
    return problem(
      name,
      `read-only groups may write: ${writable.join('; ')}`,
      'remove the bindings that grant these groups write verbs (kubectl get rolebindings,clusterrolebindings -A -o wide)',
    );
  return ok(
    name,
    `${wanted.length} reads allowed to ${CHECKS_GROUP} and ${CONFIG_READER_GROUP}; writes refused`,
  );
}

async function prometheus(ports: DoctorPorts): Promise<DoctorCheck> {
  const name = 'Prometheus and its rules';
  let loaded: string[];
  try {
    loaded = await ports.prometheus.alertRules();
  } catch (error) {
    return problem(
      name,
      `${ports.prometheus.describe}: ${(error as Error).message}`,
      `check prometheus.access (${ports.config.prometheus.access}) in the configuration and that Prometheus runs`,
    );
  }
  const missing = ports.expectedAlerts.filter((a) => !loaded.includes(a));
  if (missing.length > 0)
    return problem(
      name,
      `${missing.length} of ${ports.expectedAlerts.length} alert rules not loaded (${missing.slice(0, 4).join(', ')}${missing.length > 4 ? ', …' : ''})`,
      'kubectl apply -f rules/mcp-semantic.prometheusrule.yaml (or add rules/mcp-semantic.rules.yml to rule_files)',
    );
  return ok(name, `${ports.prometheus.describe}: all ${ports.expectedAlerts.length} alert rules loaded`);
}

async function alertmanager(ports: DoctorPorts): Promise<DoctorCheck> {
  const name = 'Alertmanager route to the alerts topic';
  if (!ports.alertmanager) return skipped(name, 'no Alertmanager URL (pass --alertmanager-url)');
  const topic = ports.topics.alerts;
  if (!topic) return problem(name, 'the alerts topic was not found', 'deploy the stack (cdk deploy)');
  const yaml = await ports.alertmanager.configYaml();
  if (!yaml.includes('sns_configs') || !yaml.includes(topic))
    return problem(
      name,
      `${ports.alertmanager.describe} has no sns_configs receiver for ${topic}`,
      `add a receiver with sns_configs: [{topic_arn: ${topic}, sigv4: {region: …, role_arn: …}}] and route to it`,
    );
  return ok(name, `${ports.alertmanager.describe} sends to ${topic}`);
}

async function ses(ports: DoctorPorts): Promise<DoctorCheck> {
  const name = 'SES sender';
  const email = ports.config.reports.email;
  if (!email || !ports.ses)
    return skipped(name, 'reports.email not configured: reports go to the reports topic');
  const identity = email.identity ?? email.from;
  if (!(await ports.ses.identityVerified(identity)))
    return problem(
      name,
      `identity ${identity} is not verified for sending`,
      `verify it: aws sesv2 create-email-identity --email-identity ${identity}, then publish its DKIM records`,
    );
  const production = await ports.ses.productionAccess();
  if (production === false)
    return problem(
      name,
      `the account is in the SES sandbox: only verified recipients get mail (${ports.config.reports.recipients.join(', ')})`,
      'request production access (aws sesv2 put-account-details --production-access-enabled ...)',
    );
  return ok(name, `${identity} verified${production ? ', out of the sandbox' : ''}`);
}

async function subscriptions(ports: DoctorPorts): Promise<DoctorCheck> {
  const name = 'SNS subscriptions';
  const wanted = Object.entries(ports.topics.tiers).map(([tier, arn]) => ({ label: `page-${tier}`, arn }));
  if (!ports.config.reports.email) wanted.push({ label: 'reports', arn: ports.topics.reports });
  const missingTopics = wanted.filter((w) => !w.arn).map((w) => w.label);
  if (missingTopics.length > 0)
    return problem(name, `topics not found: ${missingTopics.join(', ')}`, 'deploy the stack (cdk deploy)');
  const without: string[] = [];
  const pending: string[] = [];
  for (const { label, arn } of wanted) {
    const subs = await ports.subscriptions(arn!);
    const waiting = subs.filter((s) => s.arn === 'PendingConfirmation');
    pending.push(...waiting.map((s) => `${label} → ${s.endpoint}`));
    if (subs.length === waiting.length) without.push(label);
  }
  if (without.length > 0 || pending.length > 0)
    return problem(
      name,
      [
        without.length ? `no confirmed subscription on ${without.join(', ')}` : '',
        pending.length ? `waiting for confirmation: ${pending.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('; '),
      'each person clicks "Confirm subscription" in the AWS mail; onCall.tiers[].contact says who is subscribed',
    );
  return ok(name, `${wanted.length} topics, each with a confirmed subscription`);
}

async function grafana(ports: DoctorPorts): Promise<DoctorCheck> {
  const name = 'Grafana and the dashboards';
  const base = ports.config.grafana.baseUrl;
  let status: number;
  try {
    status = await ports.httpStatus(`${base}/api/health`);
  } catch (error) {
    return problem(
      name,
      `${base} does not answer (${(error as Error).message})`,
      'set grafana.baseUrl to the URL people open Grafana at (the reports link to it)',
    );
  }
  if (status >= 500)
    return problem(
      name,
      `${base}/api/health answered HTTP ${status}`,
      'check Grafana itself (its pod, its database)',
    );
  const keys = await ports.dashboardsConfigMap();
  const missing = DASHBOARD_UIDS.filter((uid) => !keys?.includes(`${uid}.json`));
  if (missing.length > 0)
    return problem(
      name,
      keys === undefined
        ? 'the dashboards ConfigMap mcp-ops-dashboards is not in the cluster'
        : `the dashboards ConfigMap lacks ${missing.join(', ')}`,
      'kubectl apply -n <grafana namespace> -f dashboards/mcp-ops-dashboards.configmap.yaml (npm run dashboards)',
    );
  return ok(name, `${base} answers; the four dashboards are in the ConfigMap`);
}

async function alarms(ports: DoctorPorts): Promise<DoctorCheck> {
  const name = 'CloudWatch alarms';
  const found = await ports.alarms();
  if (found.length === 0)
    return ports.alarmsOptional
      ? skipped(name, `no alarms named ${ports.config.resourcePrefix}-* (the local stack has none)`)
      : problem(name, `no alarms named ${ports.config.resourcePrefix}-*`, 'deploy the stack (cdk deploy)');
  const broken: string[] = [];
  const exists = new Map<string, boolean>();
  for (const alarm of found) {
    const topics = alarm.actions.filter((a) => a.startsWith('arn:aws:sns:'));
    if (topics.length === 0) {
      broken.push(`${alarm.name} has no SNS action`);
      continue;
    }
    for (const topic of topics) {
      if (!exists.has(topic)) exists.set(topic, await ports.topicExists(topic));
      if (!exists.get(topic)) broken.push(`${alarm.name} → ${topic} (no such topic)`);
    }
  }
  if (broken.length > 0)
    return problem(
      name,
      `${broken.length} of ${found.length} alarms reach no topic: ${broken.slice(0, 3).join('; ')}`,
      'deploy the stack again (cdk deploy sets every alarm’s action to the alerts topic)',
    );
  return ok(name, `${found.length} alarms, each with an action on an existing topic`);
}

export const CHECKS: readonly { name: string; run: (ports: DoctorPorts) => Promise<DoctorCheck> }[] = [
  { name: 'EKS access entries', run: eksAccess },
  { name: 'Kubernetes RBAC', run: rbac },
  { name: 'Prometheus and its rules', run: prometheus },
  { name: 'Alertmanager route to the alerts topic', run: alertmanager },
  { name: 'SES sender', run: ses },
  { name: 'SNS subscriptions', run: subscriptions },
  { name: 'Grafana and the dashboards', run: grafana },
  { name: 'CloudWatch alarms', run: alarms },
];

/** Every check, side by side; one that throws is a problem saying what stopped it. */
export async function runDoctor(ports: DoctorPorts): Promise<DoctorCheck[]> {
  return Promise.all(
    CHECKS.map(({ name, run }) =>
      run(ports).catch((error: unknown) =>
        problem(
          name,
          `could not check: ${error instanceof Error ? error.message : String(error)}`,
          'check your credentials and that the endpoint is reachable from here',
        ),
      ),
    ),
  );
}

export function doctorText(checks: readonly DoctorCheck[]): string {
  const mark = { ok: 'ok     ', problem: 'PROBLEM', skipped: 'skipped' } as const;
  const lines = checks.flatMap((c) => [
    `${mark[c.status]}  ${c.name}: ${c.detail}`,
    ...(c.fix ? [`         fix: ${c.fix}`] : []),
  ]);
  const problems = checks.filter((c) => c.status === 'problem').length;
  return [...lines, '', problems === 0 ? 'no problems found' : `${problems} problem(s) found`].join('\n');
}
