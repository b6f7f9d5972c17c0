// The CDK app's configuration as `cdk synth -c config=FILE` gives it.
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../core/config-file.ts';
import { McpOpsStack } from '../../lib/mcp-ops-stack.ts';

const root = join(import.meta.dirname, '..', '..');

describe('the CDK app’s configuration file', () => {
  it('refuses a named file that does not exist, naming it, before synthesizing anything', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bin', 'mcp-ops.ts')], {
      cwd: root,
      encoding: 'utf8',
      env: {
        ...process.env,
        CDK_CONTEXT_JSON: JSON.stringify({ config: '/nonexistent/prod.jsn' }),
        CDK_OUTDIR: mkdtempSync(join(tmpdir(), 'cdk-')),
      },
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Configuration file /nonexistent/prod.jsn does not exist');
  });

  it('synthesizes the same template from the YAML and the JSON form of one configuration', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-ops-config-'));
    writeFileSync(
      join(dir, 'team.json'),
      JSON.stringify({
        resourcePrefix: 'team-ops',
        schedules: { timeZone: 'Europe/London', morningReport: '08:30' },
        retention: { protectedPrefixes: ['releases/'] },
        escalation: { alertPublishers: ['arn:aws:iam::123456789012:role/alertmanager'] },
      }),
    );
    writeFileSync(
      join(dir, 'team.yaml'),
      [
        'resourcePrefix: team-ops',
        'schedules:',
        '  timeZone: Europe/London',
        "  morningReport: '08:30'",
        'retention:',
        '  protectedPrefixes: [releases/]',
        'escalation:',
        '  alertPublishers:',
        '    - arn:aws:iam::123456789012:role/alertmanager',
        '',
      ].join('\n'),
    );
    const synth = (file: string) =>
      Template.fromStack(
        new McpOpsStack(new App(), 'McpOps', {
          config: loadConfigFile(join(dir, file), { named: true }),
          env: { account: '123456789012', region: 'eu-west-1' },
        }),
      ).toJSON();
    const fromJson = synth('team.json');
    expect(JSON.stringify(fromJson)).toContain('team-ops-alerts');
    expect(synth('team.yaml')).toEqual(fromJson);
  }, 120_000);

  it('outputs what a person needs after a deploy, each with a description', () => {
    const template = Template.fromStack(
      new McpOpsStack(new App(), 'McpOps', {
        config: loadConfigFile(undefined),
        env: { account: '123456789012', region: 'eu-west-1' },
      }),
    );
    const outputs = template.toJSON().Outputs as Record<string, { Description: string; Value: unknown }>;
    expect(Object.keys(outputs).sort()).toEqual([
      'AlertsTopicArn',
      'DashboardsConfigMap',
      'IncidentsTable',
      'MitigateUrl',
      'OperationsDashboard',
      'ReportsBucket',
      'RespondUrl',
    ]);
    for (const [name, output] of Object.entries(outputs))
      expect(output.Description.length, name).toBeGreaterThan(20);
    expect(outputs.AlertsTopicArn!.Value).toEqual({ Ref: expect.stringMatching(/AlertsTopic/) });
    expect(JSON.stringify(outputs.RespondUrl!.Value)).toMatch(/Respond.*FunctionUrl/);
  }, 120_000);

  it('has a dashboard of its own: functions, dead letters, pages, refused sends, reports, cleanup', () => {
    const template = Template.fromStack(
      new McpOpsStack(new App(), 'McpOps', {
        config: loadConfigFile(undefined),
        env: { account: '123456789012', region: 'eu-west-1' },
      }),
    );
    const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0]!.Properties.DashboardName).toBe('mcp-ops-operations');
    const body = JSON.stringify(dashboards[0]!.Properties.DashboardBody);
    for (const metric of [
      'Invocations',
      'Errors',
      'Duration',
      'ApproximateNumberOfMessagesVisible',
      'PagesSent',
      'IntegrationFailures',
      'IncidentFailures',
      'ReportDelivered',
      'ObjectsDeleted',
      'BytesFreed',
    ])
      expect(body, metric).toContain(metric);
    // Every function of the stack is on it.
    const functions = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([, f]) =>
      String(f.Properties.FunctionName ?? '').startsWith('mcp-ops-'),
    );
    expect(functions.length).toBe(9);
    for (const [id] of functions) expect(body, id).toContain(`{"Ref":"${id}"}`);
  }, 120_000);

  it('traces every function with X-Ray, its two actions in a policy of their own', () => {
    const template = Template.fromStack(
      new McpOpsStack(new App(), 'McpOps', {
        config: loadConfigFile(undefined),
        env: { account: '123456789012', region: 'eu-west-1' },
      }),
    );
    const functions = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([, f]) =>
      String(f.Properties.FunctionName ?? '').startsWith('mcp-ops-'),
    );
    expect(functions.length).toBe(9);
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    for (const [id, f] of functions) {
      expect(f.Properties.TracingConfig, id).toEqual({ Mode: 'Active' });
      const role = (f.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const xray = policies
        .filter((p) => JSON.stringify(p.Properties.Roles).includes(role))
        .flatMap(
          (p) =>
            p.Properties.PolicyDocument.Statement as Array<{
              Sid?: string;
              Action: unknown;
              Resource: unknown;
            }>,
        )
        .filter((s) => JSON.stringify(s.Action).includes('xray:'));
      expect(xray, id).toEqual([
        {
          Sid: 'XRayTraces',
          Effect: 'Allow',
          Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
          Resource: '*',
        },
      ]);
    }
  }, 120_000);
});
