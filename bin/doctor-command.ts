// `mcp-ops doctor`: bin/doctor-checks.ts wired to the account and the cluster, read-only. The
// cluster is read with the operator's kubeconfig (with --local the local stack's admin one): the
// RBAC check asks SubjectAccessReviews for each function's group, which needs
// `create subjectaccessreviews` (cluster admins have it) and never impersonates.
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeAccessEntryCommand,
  DescribeClusterCommand,
  EKSClient,
  ListAccessEntriesCommand,
} from '@aws-sdk/client-eks';
import { GetAccountCommand, GetEmailIdentityCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { GetTopicAttributesCommand, ListSubscriptionsByTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { AuthorizationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { json, type CommandContext, type CommandResult } from './command-context.ts';
import { doctorText, runDoctor, type DoctorPorts } from './doctor-checks.ts';
import { loadKubeconfig } from './terminal-cluster.ts';
import { topicArnsByName } from './topic-names.ts';
import { KubernetesClient } from '../core/adapters/kubernetes-client.ts';
import { ampTransport, serviceProxyTransport } from '../core/adapters/prometheus-access.ts';
import { directTransport } from '../core/adapters/prometheus-http.ts';
import { awsClientConfig } from '../core/aws.ts';
import type { OpsConfig } from '../core/config.ts';
import { RequestRefused } from '../core/errors.ts';
import type { PrometheusTransport } from '../core/prometheus.ts';

class DoctorRefused extends RequestRefused {}

/** The package's root (where rules/ is), from the sources or the built CLI's chunks. */
function packageRoot(): string {
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, 'rules', 'mcp-semantic.rules.yml'))) {
    const up = dirname(dir);
    if (up === dir)
      throw new DoctorRefused('rules/mcp-semantic.rules.yml not found beside the mcp-ops package');
    dir = up;
  }
  return dir;
}

export function expectedAlerts(): string[] {
  const rules = parseYaml(readFileSync(join(packageRoot(), 'rules', 'mcp-semantic.rules.yml'), 'utf8')) as {
    groups?: { rules?: { alert?: string }[] }[];
  };
  return (rules.groups ?? []).flatMap((g) => (g.rules ?? []).flatMap((r) => (r.alert ? [r.alert] : [])));
}

async function topicsByName(sns: SNSClient, config: OpsConfig): Promise<DoctorPorts['topics']> {
  const arns = await topicArnsByName(sns);
  const prefix = config.resourcePrefix;
  return {
    ...(arns.has(`${prefix}-alerts`) ? { alerts: arns.get(`${prefix}-alerts`)! } : {}),
    ...(arns.has(`${prefix}-reports`) ? { reports: arns.get(`${prefix}-reports`)! } : {}),
    tiers: Object.fromEntries(config.onCall.tiers.map((t) => [t.name, arns.get(`${prefix}-page-${t.name}`)])),
  };
}

async function httpGet(url: string, timeoutMs = 5_000): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
  return { status: response.status, body: await response.text() };
}

function prometheusTransport(
  context: CommandContext,
  kube: () => Promise<KubernetesClient>,
): PrometheusTransport {
  const { prometheus } = context.config;
  if (prometheus.access === 'service-proxy') return serviceProxyTransport(kube, prometheus.service);
  if (prometheus.access === 'amp')
    return ampTransport({
      workspaceId: prometheus.ampWorkspaceId!,
      region: context.target.region,
      credentials: defaultProvider(),
    });
  // With --local, the local stack's Prometheus stands for the in-cluster URL no terminal reaches.
  return directTransport(context.endpoints?.prometheus ?? prometheus.url);
}

export async function doctorPorts(context: CommandContext): Promise<DoctorPorts> {
  const { endpoints, target } = context;
  let config = context.config;
  // The local stack's sender, as its SES identity was made (stack/moto.ts).
  if (endpoints && !config.reports.email)
    config = { ...config, reports: { ...config.reports, email: { from: endpoints.mail.from } } };
  const kc = loadKubeconfig(
    { ...context.cluster, ...(endpoints?.kubernetes ? { local: endpoints.kubernetes.kubeconfig } : {}) },
    (message) => new DoctorRefused(message),
  );
  if (!kc)
    throw new DoctorRefused(
      'no cluster access: pass --kubeconfig, set KUBECONFIG, have ~/.kube/config, or use --local',
    );
  const sns = new SNSClient(awsClientConfig(target));
  const aws = awsClientConfig(target);
  const authorization = kc.makeApiClient(AuthorizationV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const eks = new EKSClient(aws);
  const ses = new SESv2Client(aws);
  const cloudwatch = new CloudWatchClient(aws);
  const alertmanagerUrl = context.values['alertmanager-url'] ?? endpoints?.alertmanager;
  const transport = prometheusTransport(context, () => Promise.resolve(new KubernetesClient(kc)));
  const topics = endpoints
    ? { alerts: endpoints.topics.alerts, reports: endpoints.topics.reports, tiers: endpoints.topics.tiers }
    : await topicsByName(sns, config);
  return {
    config,
    ...(endpoints
      ? {}
      : {
          eks: {
            async authenticationMode() {
              const { cluster } = await eks.send(new DescribeClusterCommand({ name: config.cluster.name }));
              return cluster?.accessConfig?.authenticationMode;
            },
            async entryGroups() {
              const principals: string[] = [];
              let next: string | undefined;
              do {
                const page = await eks.send(
                  new ListAccessEntriesCommand({ clusterName: config.cluster.name, nextToken: next }),
                );
                principals.push(...(page.accessEntries ?? []));
                next = page.nextToken;
              } while (next);
              return Promise.all(
                principals.map(async (principal) => {
                  const { accessEntry } = await eks.send(
                    new DescribeAccessEntryCommand({
                      clusterName: config.cluster.name,
                      principalArn: principal,
                    }),
                  );
                  return { principal, groups: accessEntry?.kubernetesGroups ?? [] };
                }),
              );
            },
          },
        }),
    async canI(group, q) {
      const review = await authorization.createSubjectAccessReview({
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: {
            user: 'mcp-ops-doctor',
            groups: [group, 'system:authenticated'],
            resourceAttributes: {
              verb: q.verb,
              group: q.group,
              resource: q.resource,
              ...(q.subresource ? { subresource: q.subresource } : {}),
              ...(q.namespace ? { namespace: q.namespace } : {}),
              ...(q.name ? { name: q.name } : {}),
            },
          },
        },
      });
      return review.status?.allowed === true;
    },
    prometheus: {
      describe: transport.describe,
      async alertRules() {
        const { status, body } = await transport.get('/api/v1/rules?type=alert');
        if (status !== 200) throw new Error(`answered HTTP ${status}`);
        const answer = JSON.parse(body) as { data?: { groups?: { rules?: { name?: string }[] }[] } };
        return (answer.data?.groups ?? []).flatMap((g) =>
          (g.rules ?? []).flatMap((r) => (r.name ? [r.name] : [])),
        );
      },
    },
    expectedAlerts: expectedAlerts(),
    ...(alertmanagerUrl
      ? {
          alertmanager: {
            describe: `Alertmanager at ${alertmanagerUrl}`,
            async configYaml() {
              const { status, body } = await httpGet(`${alertmanagerUrl.replace(/\/+$/, '')}/api/v2/status`);
              if (status !== 200) throw new Error(`Alertmanager answered HTTP ${status}`);
              return (JSON.parse(body) as { config?: { original?: string } }).config?.original ?? '';
            },
          },
        }
      : {}),
    topics,
    async subscriptions(topicArn) {
      const found: { arn: string; protocol: string; endpoint: string }[] = [];
      let next: string | undefined;
      do {
        const page = await sns.send(
          new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken: next }),
        );
        for (const s of page.Subscriptions ?? [])
          found.push({
            arn: s.SubscriptionArn ?? '',
            protocol: s.Protocol ?? '',
            endpoint: s.Endpoint ?? '',
          });
        next = page.NextToken;
      } while (next);
      return found;
    },
    async topicExists(topicArn) {
      try {
        await sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn }));
        return true;
      } catch (error) {
        if ((error as Error).name === 'NotFoundException' || (error as Error).name === 'NotFound')
          return false;
        throw error;
      }
    },
    ses: {
      async identityVerified(identity) {
        try {
          const answer = await ses.send(new GetEmailIdentityCommand({ EmailIdentity: identity }));
          return answer.VerifiedForSendingStatus === true;
        } catch (error) {
          if ((error as Error).name === 'NotFoundException') return false;
          throw error;
        }
      },
      async productionAccess() {
        try {
          return (await ses.send(new GetAccountCommand({}))).ProductionAccessEnabled;
        } catch (error) {
          // An emulator without GetAccount: unknown, said as such (AWS always answers it).
          if (endpoints) return undefined;
          throw error;
        }
      },
    },
    async httpStatus(url) {
      return (await httpGet(url)).status;
    },
    async dashboardsConfigMap() {
      const list = await core.listConfigMapForAllNamespaces({
        fieldSelector: 'metadata.name=mcp-ops-dashboards',
      });
      const map = list.items[0];
      return map ? Object.keys(map.data ?? {}) : undefined;
    },
    async alarms() {
      const found: { name: string; actions: string[] }[] = [];
      let next: string | undefined;
      do {
        const page = await cloudwatch.send(
          new DescribeAlarmsCommand({ AlarmNamePrefix: `${config.resourcePrefix}-`, NextToken: next }),
        );
        for (const a of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])])
          found.push({ name: a.AlarmName ?? '', actions: a.AlarmActions ?? [] });
        next = page.NextToken;
      } while (next);
      return found;
    },
    alarmsOptional: endpoints !== undefined,
  };
}

/** Exit 1 when a check found a problem. */
export async function run(context: CommandContext): Promise<CommandResult> {
  context.progress('checking the stack, the account and the cluster (read-only) ...');
  const checks = await runDoctor(await doctorPorts(context));
  const problems = checks.filter((c) => c.status === 'problem').length;
  return {
    output: context.structured ? json({ problems, checks }) : doctorText(checks),
    exit: problems > 0 ? 1 : 0,
  };
}
