import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { V1Deployment, V1Ingress, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseConfig, type OpsConfig } from '../../core/config.ts';
import type { KubernetesPort } from '../../core/kubernetes.ts';
import {
  maintenanceSchedules,
  maintenanceWindowOf,
  nextMaintenanceWindow,
  stageTime,
  windowForStage,
} from '../../core/maintenance-window.ts';
import { McpOpsStack } from '../../lib/mcp-ops-stack.ts';
import type { MaintenanceDeps, MaintenancePage } from '../../functions/maintenance/maintenance-deps.ts';
import { parseMaintenanceEvent, runMaintenanceEvent } from '../../functions/maintenance/maintenance-job.ts';
import { MemoryObjectStore } from '../support/memory-object-store.ts';

const MANUAL = parseConfig({}).maintenanceWindow;

describe('the maintenance window and its schedules', () => {
  it('is the first Saturday 02:00-06:00 UTC; the next one after a window is next month’s', () => {
    expect(nextMaintenanceWindow(new Date('2026-11-28T00:00:00Z'), MANUAL).start.toISOString()).toBe(
      '2026-12-05T02:00:00.000Z',
    );
    expect(nextMaintenanceWindow(new Date('2026-12-05T03:00:00Z'), MANUAL).start.toISOString()).toBe(
      '2026-12-05T02:00:00.000Z',
    );
    expect(nextMaintenanceWindow(new Date('2026-12-05T06:00:00Z'), MANUAL).start.toISOString()).toBe(
      '2027-01-02T02:00:00.000Z',
    );
  });

  it('gives UTC cron expressions for SAT#1, the notice on the last Saturday before it (7 days earlier)', () => {
    expect(maintenanceSchedules(MANUAL)).toEqual([
      { stage: 'notice', expression: 'cron(0 2 ? * 7L *)', exact: true },
      { stage: 'reminder', expression: 'cron(0 2 ? * FRI *)', exact: false },
      { stage: 'pre-24h', expression: 'cron(0 2 ? * FRI *)', exact: false },
      { stage: 'pre-1h', expression: 'cron(0 1 ? * SAT#1 *)', exact: true },
      { stage: 'watch', expression: 'cron(0/5 2-5 ? * SAT#1 *)', exact: true },
      { stage: 'post', expression: 'cron(0 6 ? * SAT#1 *)', exact: true },
    ]);
    // Every last Saturday of a month is exactly 7 days before the next month's first Saturday.
    for (let month = 0; month < 24; month += 1) {
      const window = maintenanceWindowOf(new Date(Date.UTC(2026, month, 1)), MANUAL);
      const notice = stageTime('notice', window);
      expect(notice.getUTCDay()).toBe(6);
      expect(new Date(notice.getTime() + 7 * 86_400_000).getUTCMonth()).not.toBe(notice.getUTCMonth());
    }
  });

  it('follows a configured window: third Tuesday 22:00-01:00 (past midnight), and the last Sunday', () => {
    const third = { weekday: 2, nthOfMonth: 3, startUtc: '22:00', endUtc: '01:00' };
    const schedules = Object.fromEntries(maintenanceSchedules(third).map((s) => [s.stage, s.expression]));
    expect(schedules).toMatchObject({
      notice: 'cron(0 22 ? * TUE#2 *)',
      'pre-1h': 'cron(0 21 ? * TUE#3 *)',
      post: 'cron(0 1 ? * WED *)',
      watch: 'cron(0/5 * ? * TUE,WED *)',
    });
    const times = maintenanceWindowOf(new Date('2026-12-01T00:00:00Z'), third);
    expect(times.start.toISOString()).toBe('2026-12-15T22:00:00.000Z');
    expect(times.end.toISOString()).toBe('2026-12-16T01:00:00.000Z');
    const last = { weekday: 0, nthOfMonth: 5, startUtc: '02:00', endUtc: '06:00' };
    expect(maintenanceSchedules(last)[4]).toEqual({
      stage: 'watch',
      expression: 'cron(0/5 2-5 ? * 1L *)',
      exact: true,
    });
  });

  it('finds the window a scheduled time belongs to, and none for a weekly schedule’s other weeks', () => {
    // Fridays at 02:00: only the one before the first Saturday is the 24 h check.
    expect(windowForStage('pre-24h', new Date('2026-12-04T02:00:10Z'), MANUAL)?.start.toISOString()).toBe(
      '2026-12-05T02:00:00.000Z',
    );
    expect(windowForStage('pre-24h', new Date('2026-12-11T02:00:00Z'), MANUAL)).toBeUndefined();
    // The Friday before the first Saturday of January 2027 is in December.
    expect(windowForStage('reminder', new Date('2027-01-01T02:00:00Z'), MANUAL)?.start.toISOString()).toBe(
      '2027-01-02T02:00:00.000Z',
    );
    expect(windowForStage('notice', new Date('2026-11-28T02:00:00Z'), MANUAL)?.start.toISOString()).toBe(
      '2026-12-05T02:00:00.000Z',
    );
    expect(windowForStage('watch', new Date('2026-12-05T04:35:00Z'), MANUAL)).toBeDefined();
    expect(windowForStage('watch', new Date('2026-12-12T04:35:00Z'), MANUAL)).toBeUndefined();
    expect(windowForStage('post', new Date('2026-12-05T06:01:00Z'), MANUAL)?.end.toISOString()).toBe(
      '2026-12-05T06:00:00.000Z',
    );
  });

  it('refuses a malformed event with a clear error', () => {
    expect(() => parseMaintenanceEvent({ stage: 'during' })).toThrow(/expected \{"stage": "notice"\|/);
    expect(() => parseMaintenanceEvent({ stage: 'post', at: 'yesterday' })).toThrow(/at/);
    expect(parseMaintenanceEvent({ stage: 'post', at: '2026-12-05T06:00:00Z' })).toEqual({
      stage: 'post',
      at: '2026-12-05T06:00:00Z',
    });
  });
});

/** Ports over memory: a healthy deployment, the Ingress, no Prometheus answers. */
function fakeDeps(config: OpsConfig, now: Date) {
  const sent: Array<{ to: readonly string[]; subject: string }> = [];
  const pages: MaintenancePage[] = [];
  const pod: V1Pod = {
    metadata: { name: 'p-1' },
    spec: { containers: [{ name: 'c', image: 'mcp/semantic-control-plane:v3.0.0' }] },
    status: { conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [] },
  };
  const kube = {
    async *pods() {
      yield [pod];
    },
    async *warningEvents() {
      yield [];
    },
    deployment: async () =>
      ({
        metadata: { generation: 1, annotations: { 'deployment.kubernetes.io/revision': '7' } },
        spec: { replicas: 1, template: { spec: { containers: [{ name: 'c', image: 'img:1' }] } } },
        status: { observedGeneration: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 },
      }) as unknown as V1Deployment,
    ingress: async () => ({ metadata: { annotations: {} } }) as V1Ingress,
    podProxyGet: async () => 'up 1\n',
  } as unknown as KubernetesPort;
  const deps: MaintenanceDeps = {
    config,
    kube,
    prometheus: { query: async () => [{ labels: {}, value: 0.01 }], alerts: async () => [] },
    store: new MemoryObjectStore(),
    stateBucket: 'state',
    mail: async (to, message) => {
      sent.push({ to, subject: message.subject });
      return { via: 'ses', messageId: `m-${sent.length}` };
    },
    page: async (page) => {
      pages.push(page);
    },
    openIncidents: async () => [],
    now: () => now,
  };
  return { deps, sent, pages };
}

describe('the maintenance job’s steps', () => {
  const config = parseConfig({ maintenance: { users: ['users@example.com'] } });

  it('does nothing on a weekly schedule’s other weeks, and sends the notice once per window', async () => {
    const { deps, sent } = fakeDeps(config, new Date('2026-12-11T02:00:00Z'));
    expect(await runMaintenanceEvent({ stage: 'reminder', at: '2026-12-11T02:00:00Z' }, deps)).toEqual({
      stage: 'reminder',
      due: false,
      at: '2026-12-11T02:00:00.000Z',
    });
    expect(sent).toEqual([]);
    const first = await runMaintenanceEvent({ stage: 'notice', at: '2026-11-28T02:00:00Z' }, deps);
    const again = await runMaintenanceEvent({ stage: 'notice', at: '2026-11-28T02:00:00Z' }, deps);
    expect(first).toMatchObject({ due: true, sent: true, record: 'MAINT-20261205' });
    expect(again).toMatchObject({ due: true, sent: false, record: 'MAINT-20261205' });
    expect(sent).toEqual([
      {
        to: ['users@example.com'],
        subject: expect.stringContaining('Saturday, 5 December 2026 at 02:00 UTC'),
      },
    ]);
  });

  it('sends a notice once when its first try dies right after sending, and again when the send was refused', async () => {
    const { deps, sent } = fakeDeps(config, new Date('2026-11-28T02:00:00Z'));
    const store = deps.store as MemoryObjectStore;
    const putText = store.putText.bind(store);
    let died = false;
    store.putText = async (bucket, key, body) => {
      if (!died && key.endsWith('notice-sent.json') && body.includes('"sent"')) {
        died = true;
        throw new Error('the process died');
      }
      return putText(bucket, key, body);
    };
    const notice = { stage: 'notice', at: '2026-11-28T02:00:00Z' };
    await expect(runMaintenanceEvent(notice, deps)).rejects.toThrow(/the process died/);
    expect(await runMaintenanceEvent(notice, deps)).toMatchObject({ sent: false });
    expect(sent).toHaveLength(1);

    // SES refuses the reminder's first try: nothing went out, so the retry sends it, once.
    let refuse = true;
    const mail = deps.mail;
    const flaky = {
      ...deps,
      mail: async (...args: Parameters<typeof mail>) => {
        if (refuse) {
          refuse = false;
          throw new Error('SES throttled (injected)');
        }
        return mail(...args);
      },
    };
    const reminder = { stage: 'reminder', at: '2026-12-04T02:00:00Z' };
    await expect(runMaintenanceEvent(reminder, flaky)).rejects.toThrow(/SES throttled/);
    expect(await runMaintenanceEvent(reminder, flaky)).toMatchObject({ sent: true });
    expect(await runMaintenanceEvent(reminder, flaky)).toMatchObject({ sent: false });
    expect(sent).toHaveLength(2);
  });

  it('a failed pre-check mails the team at 24 h and also pages the primary at 1 h', async () => {
    // No backup in the bucket: "Backup all data" fails.
    const { deps, sent, pages } = fakeDeps(config, new Date('2026-12-04T02:00:00Z'));
    const early = await runMaintenanceEvent({ stage: 'pre-24h', at: '2026-12-04T02:00:00Z' }, deps);
    expect(early).toMatchObject({ due: true, paged: false });
    expect(pages).toEqual([]);
    expect(sent.map((s) => s.to)).toEqual([config.reports.recipients]);
    const late = await runMaintenanceEvent({ stage: 'pre-1h', at: '2026-12-05T01:00:00Z' }, deps);
    expect(late).toMatchObject({ due: true, paged: true });
    expect(pages).toEqual([
      expect.objectContaining({
        alertname: 'MCPMaintenancePreCheckFailed',
        priority: 'P1',
        window: '2026-12-05T02:00:00.000Z',
      }),
    ]);
  });

  it('a source that never answers fails its item within its time limit; the others still report', async () => {
    const { deps } = fakeDeps(config, new Date('2026-12-05T06:00:00Z'));
    const hanging: MaintenanceDeps = {
      ...deps,
      itemTimeoutMs: 200,
      prometheus: { query: () => new Promise(() => {}), alerts: async () => [] },
    };
    const outcome = await runMaintenanceEvent({ stage: 'post', at: '2026-12-05T06:00:00Z' }, hanging);
    if (!('result' in outcome)) throw new Error('no result');
    const byName = Object.fromEntries(outcome.result.items.map((i) => [i.name, i]));
    expect(byName['Error rate against baseline']).toMatchObject({
      status: 'FAIL',
      detail: 'could not be read within 0.2 s',
    });
    expect(byName['Rollout complete']).toMatchObject({ status: 'PASS' });
    expect(byName['Maintenance mode off']).toMatchObject({ status: 'PASS' });
  });
});

describe('the maintenance job in the stack', () => {
  const app = new App();
  const stack = new McpOpsStack(app, 'McpOps', {
    config: parseConfig({}),
    env: { account: '111122223333', region: 'eu-west-1' },
  });
  const template = Template.fromStack(stack);

  it('schedules each step in UTC for the first Saturday of the month, the notice 7 days earlier', () => {
    const expected: Record<string, string> = {
      'mcp-ops-maintenance-notice': 'cron(0 2 ? * 7L *)',
      'mcp-ops-maintenance-reminder': 'cron(0 2 ? * FRI *)',
      'mcp-ops-maintenance-pre-24h': 'cron(0 2 ? * FRI *)',
      'mcp-ops-maintenance-pre-1h': 'cron(0 1 ? * SAT#1 *)',
      'mcp-ops-maintenance-watch': 'cron(0/5 2-5 ? * SAT#1 *)',
      'mcp-ops-maintenance-post': 'cron(0 6 ? * SAT#1 *)',
    };
    for (const [name, expression] of Object.entries(expected)) {
      const stage = name.replace('mcp-ops-maintenance-', '');
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        Name: name,
        ScheduleExpression: expression,
        ScheduleExpressionTimezone: 'Etc/UTC',
        Target: Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('MaintenanceJobFunction'), 'Arn'] },
          Input: JSON.stringify({ stage, at: '<aws.scheduler.scheduled-time>' }),
        }),
      });
    }
  });

  it('may read the cluster, the backups and the open-incidents index, write only its window state, and page', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const statements = Object.entries(policies)
      .filter(([id]) => id.startsWith('MaintenanceJobRole'))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>);
    const sids = Object.fromEntries(statements.map((s) => [s.Sid, s]));
    expect(sids.OpenIncidents?.Action).toBe('dynamodb:Query');
    expect(JSON.stringify(sids.OpenIncidents?.Resource)).toContain('/index/open-incidents');
    expect(JSON.stringify(sids.WindowState?.Resource)).toContain('/reports/maintenance/*');
    expect(sids.Page?.Action).toBe('sns:Publish');
    expect(
      statements.flatMap((s) => [s.Action].flat()).filter((a) => /Delete|Update|Patch/.test(String(a))),
    ).toEqual([]);
    template.hasResourceProperties('AWS::EKS::AccessEntry', {
      PrincipalArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('MaintenanceJobRole'), 'Arn'] },
      KubernetesGroups: ['mcp-ops:readonly'],
    });
  });
});
