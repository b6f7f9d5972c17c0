// The doctor's checks over fake ports, for what the local stack cannot show: EKS access entries,
// rules not loaded, subscriptions waiting for confirmation, a read-only group that may write, and
// one check failing without holding back the others.
import { describe, expect, it } from 'vitest';
import { runDoctor, doctorText, type DoctorPorts } from '../../bin/doctor-checks.ts';
import { CHECKS_GROUP, CONFIG_READER_GROUP } from '../../core/cluster-access.ts';
import { parseConfig } from '../../core/config.ts';

const config = parseConfig({ reports: { email: { from: 'ops@example.com' } } });
const topic = (name: string) => `arn:aws:sns:eu-west-1:123456789012:mcp-ops-${name}`;

function ports(overrides: Partial<DoctorPorts> = {}): DoctorPorts {
  return {
    config,
    eks: {
      authenticationMode: async () => 'API_AND_CONFIG_MAP',
      entryGroups: async () => [
        { principal: 'arn:aws:iam::123456789012:role/checks', groups: [CHECKS_GROUP] },
        { principal: 'arn:aws:iam::123456789012:role/cleanup', groups: [CONFIG_READER_GROUP] },
      ],
    },
    canI: async (_group, q) => !['patch', 'create', 'delete', 'update'].includes(q.verb),
    prometheus: { describe: 'Prometheus', alertRules: async () => ['A', 'B'] },
    expectedAlerts: ['A', 'B'],
    alertmanager: {
      describe: 'Alertmanager',
      configYaml: async () => `sns_configs:\n- topic_arn: ${topic('alerts')}`,
    },
    topics: {
      alerts: topic('alerts'),
      reports: topic('reports'),
      tiers: Object.fromEntries(config.onCall.tiers.map((t) => [t.name, topic(`page-${t.name}`)])),
    },
    subscriptions: async () => [{ arn: `${topic('x')}:1`, protocol: 'email', endpoint: 'a@example.com' }],
    topicExists: async () => true,
    ses: { identityVerified: async () => true, productionAccess: async () => true },
    httpStatus: async () => 200,
    dashboardsConfigMap: async () => [
      'mcp-overview.json',
      'mcp-validation.json',
      'mcp-promotion.json',
      'mcp-artifacts.json',
    ],
    alarms: async () => [{ name: 'mcp-ops-x-errors', actions: [topic('alerts')] }],
    ...overrides,
  };
}

const problemsOf = async (p: DoctorPorts) =>
  (await runDoctor(p)).filter((c) => c.status === 'problem').map((c) => `${c.name}: ${c.detail}`);

describe('mcp-ops doctor’s checks', () => {
  it('finds nothing wrong when everything is in place', async () => {
    const checks = await runDoctor(ports());
    expect(checks.map((c) => c.status)).toEqual(Array(8).fill('ok'));
    expect(doctorText(checks)).toMatch(/no problems found$/);
  });

  it('names EKS access mode and missing access entries', async () => {
    expect(
      await problemsOf(
        ports({ eks: { authenticationMode: async () => 'CONFIG_MAP', entryGroups: async () => [] } }),
      ),
    ).toEqual([
      `EKS access entries: cluster ${config.cluster.name} authentication mode is CONFIG_MAP: access entries are ignored`,
    ]);
    expect(
      await problemsOf(
        ports({ eks: { authenticationMode: async () => 'API', entryGroups: async () => [] } }),
      ),
    ).toEqual([`EKS access entries: no access entry maps a role to ${CHECKS_GROUP}, ${CONFIG_READER_GROUP}`]);
  });

  it('names rules not loaded, a group that may write, and subscriptions waiting for confirmation', async () => {
    expect(await problemsOf(ports({ prometheus: { describe: 'P', alertRules: async () => ['A'] } }))).toEqual(
      ['Prometheus and its rules: 1 of 2 alert rules not loaded (B)'],
    );
    expect(await problemsOf(ports({ canI: async () => true }))).toEqual([
      expect.stringMatching(
        /^Kubernetes RBAC: read-only groups may write: mcp-ops:readonly can patch deployments/,
      ),
    ]);
    const pending = await problemsOf(
      ports({
        subscriptions: async () => [
          { arn: 'PendingConfirmation', protocol: 'email', endpoint: 'b@example.com' },
        ],
      }),
    );
    expect(pending).toEqual([
      expect.stringMatching(
        /^SNS subscriptions: no confirmed subscription on page-primary, .*waiting for confirmation: page-primary → b@example.com/,
      ),
    ]);
  });

  it('reports a check that cannot run as a problem, and runs the others', async () => {
    const checks = await runDoctor(
      ports({ alarms: async () => Promise.reject(new Error('AccessDenied: cloudwatch:DescribeAlarms')) }),
    );
    const alarms = checks.find((c) => c.name === 'CloudWatch alarms')!;
    expect(alarms).toMatchObject({
      status: 'problem',
      detail: 'could not check: AccessDenied: cloudwatch:DescribeAlarms',
    });
    expect(checks.filter((c) => c.status === 'ok')).toHaveLength(7);
  });
});
