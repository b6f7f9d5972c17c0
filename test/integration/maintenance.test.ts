// The maintenance job on the local stack: the real API server (kwok pods, a seeded rollout and
// the Ingress's maintenance annotation), Prometheus over the simulated service, moto's S3, SES,
// SNS and DynamoDB. Time is injected: each stage runs at its own time of a window around now.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { simpleParser } from 'mailparser';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { KubernetesClient } from '../../core/adapters/kubernetes-client.ts';
import { PrometheusHttp } from '../../core/adapters/prometheus-http.ts';
import { S3ObjectStore } from '../../core/adapters/s3-object-store.ts';
import { awsClientConfig } from '../../core/aws.ts';
import { parseConfig } from '../../core/config.ts';
import { stageTime, type MaintenanceStage, type WindowTimes } from '../../core/maintenance-window.ts';
import {
  alertsTopicPager,
  maintenanceMailer,
  openIncidentsFrom,
} from '../../functions/maintenance/adapters/aws-maintenance.ts';
import type { MaintenanceDeps } from '../../functions/maintenance/maintenance-deps.ts';
import { runStage, type MaintenanceOutcome } from '../../functions/maintenance/maintenance-job.ts';
import { writeBackupFixture } from '../../stack/backup-fixture.ts';
import { renderEmail } from '../../stack/chromium.ts';
import { STACK_DIR } from '../../stack/endpoints.ts';
import { rollOut, setMaintenanceMode } from '../../stack/kube/scenarios.ts';
import { seedIncidentsTable } from '../../stack/moto.ts';
import { localClients, localTarget, subscribeQueue } from '../support/aws.ts';
import { clusterInScenario } from '../support/cluster.ts';

const endpoints = inject('endpoints');
const OUT = join(import.meta.dirname, '..', '..', 'out');
const USERS = ['mcp-users@example.com'];

interface Setup {
  deps: MaintenanceDeps;
  times: WindowTimes;
  at: (stage: MaintenanceStage) => void;
  pages: Awaited<ReturnType<typeof subscribeQueue>>;
  incidents: DynamoDBDocumentClient;
  incidentsTable: string;
}

/**
 * A window around now (it started 5 minutes ago, or starts in an hour) and a backup taken
 * `backupHoursBefore` its start; fresh buckets and incidents table, so tests do not see each other.
 */
async function setup(options: { windowStartsInMinutes: number; backupHoursBefore: number }): Promise<Setup> {
  const { s3, sns } = localClients();
  const id = randomUUID().slice(0, 8);
  const backup = `it-maint-backup-${id}`;
  const state = `it-maint-state-${id}`;
  for (const bucket of [backup, state]) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const start = new Date(Math.floor(Date.now() / 60_000) * 60_000 + options.windowStartsInMinutes * 60_000);
  const times = { start, end: new Date(start.getTime() + 4 * 3_600_000) };
  await writeBackupFixture(s3, {
    bucket: backup,
    folder: `backup-${id}`,
    objects: 30,
    completedAt: new Date(start.getTime() - options.backupHoursBefore * 3_600_000),
  });
  const incidentsTable = `it-maint-incidents-${id}`;
  await seedIncidentsTable(localTarget(), incidentsTable);
  const db = DynamoDBDocumentClient.from(new DynamoDBClient(awsClientConfig(localTarget())));
  const config = parseConfig({
    buckets: { backup },
    maintenance: { users: USERS },
    reports: { recipients: endpoints.mail.to },
  });
  const cluster = await clusterInScenario('healthy');
  let clock = new Date();
  const pages = await subscribeQueue(endpoints.topics.alerts, true);
  const deps: MaintenanceDeps = {
    config,
    kube: new KubernetesClient(cluster.client('readonly')),
    prometheus: new PrometheusHttp(endpoints.prometheus),
    store: new S3ObjectStore(s3),
    stateBucket: state,
    mail: maintenanceMailer({
      sns,
      reportsTopicArn: endpoints.topics.reports,
      ses: {
        client: new SESv2Client(awsClientConfig(localTarget())),
        from: endpoints.mail.from,
        configurationSet: endpoints.mail.configurationSet,
      },
    }),
    page: alertsTopicPager(sns, endpoints.topics.alerts),
    openIncidents: openIncidentsFrom(db, incidentsTable),
    now: () => clock,
  };
  return {
    deps,
    times,
    // The stage runs at its own time; the sources are read now (the window is placed around now).
    at: (stage) => {
      clock = stageTime(stage, times);
    },
    pages,
    incidents: db,
    incidentsTable,
  };
}

async function sesMessage(messageId: string) {
  const answer = await fetch(`${endpoints.aws.endpoint}/moto-api/mcp-ops/ses-sent`);
  const sent = (await answer.json()) as Array<{ id: string; destinations: string[]; raw: string }>;
  const message = sent.find((m) => m.id === messageId);
  if (!message) throw new Error(`moto has no message ${messageId}`);
  // moto lists a To address twice when the raw message names it and Destination does too.
  return { ...(await simpleParser(message.raw)), destinations: [...new Set(message.destinations)] };
}

async function markerAnswer(deps: MaintenanceDeps, times: WindowTimes, name: string) {
  const { WindowState } = await import('../../functions/maintenance/window-record.ts');
  const marker = await new WindowState(deps.store, deps.stateBucket, times).read<{
    answer: { via: string; messageId: string };
  }>(name);
  return marker?.answer;
}

function check(outcome: MaintenanceOutcome) {
  if (!('result' in outcome)) throw new Error(`stage ${outcome.stage} has no check result`);
  return outcome.result;
}

const admin = async () => (await clusterInScenario('healthy')).client('admin');
const logDir = join(STACK_DIR, 'kube', 'logs');

describe('maintenance window on the local stack', () => {
  it('a clean upgrade: notice, pre-checks, maintenance mode, v3.0.0 → v3.1.0, post-check passes and users hear of it', async () => {
    mkdirSync(OUT, { recursive: true });
    const { deps, times, at } = await setup({ windowStartsInMinutes: -5, backupHoursBefore: 10 });

    at('notice');
    const notice = await runStage('notice', times, deps);
    expect(notice).toMatchObject({ stage: 'notice', sent: true });
    const noticeMail = await sesMessage((await markerAnswer(deps, times, 'notice-sent'))!.messageId);
    expect(noticeMail.destinations).toEqual(USERS);
    expect(noticeMail.text).toContain(`Starts: `);
    expect(noticeMail.text).toMatch(/UTC \(.*(PST|PDT|GMT-[78])\)/);
    // A retried notice finds it was sent and sends nothing.
    expect(await runStage('notice', times, deps)).toMatchObject({ sent: false });
    const noticeView = await renderEmail(noticeMail.html as string, join(OUT, 'maintenance-notice.png'));
    expect(noticeView.scrollWidth).toBeLessThanOrEqual(600);
    expect(noticeView.text).toContain('Maintenance ticket: MAINT-');

    at('pre-1h');
    const pre = check(await runStage('pre-1h', times, deps));
    expect(pre.items.map((i) => `${i.status} ${i.name}`)).toEqual([
      'PASS Backup all data',
      'PASS No open P0/P1 incident',
      'PASS Prepare rollback plan',
      'PASS Health baseline',
    ]);
    expect(pre.rollback?.command).toBe(
      'kubectl rollout undo deployment/mcp-semantic-control-plane -n mcp-system --to-revision=1',
    );
    expect(pre.rollback?.image).toBe('mcp/semantic-control-plane:v3.0.0');

    // The window: maintenance mode on, the upgrade, maintenance mode off, each seen by the watch.
    const kc = await admin();
    await setMaintenanceMode(kc, true);
    at('watch');
    const on = await runStage('watch', times, deps);
    expect(on).toMatchObject({ stage: 'watch', mode: { on: true } });
    await rollOut(kc, { version: 'v3.1.0', ready: 5, logDir });
    await setMaintenanceMode(kc, false);
    await new Promise((resolve) => setTimeout(resolve, 3_000)); // kwok plays the new pods ready

    at('post');
    const outcome = await runStage('post', times, deps);
    const post = check(outcome);
    expect(
      post.items.filter((i) => i.status === 'FAIL'),
      JSON.stringify(post.items, null, 1),
    ).toEqual([]);
    expect(post.passed).toBe(true);
    expect(post.changes).toContain(
      'Upgraded: mcp/semantic-control-plane:v3.0.0 → mcp/semantic-control-plane:v3.1.0',
    );
    expect(post.changes.filter((c) => c.startsWith('Maintenance mode'))).toEqual([
      expect.stringMatching(/^Maintenance mode on at /),
      expect.stringMatching(/^Maintenance mode off at /),
    ]);
    expect(outcome).toMatchObject({ paged: false });
    const report = await sesMessage((await markerAnswer(deps, times, 'post-sent'))!.messageId);
    expect(report.subject).toMatch(/^\[PASS\] Maintenance report MAINT-/);
    const view = await renderEmail(report.html as string, join(OUT, 'maintenance-report-pass.png'));
    expect(view.scrollWidth).toBeLessThanOrEqual(600);
    expect(view.text).toContain(
      'Upgraded: mcp/semantic-control-plane:v3.0.0 → mcp/semantic-control-plane:v3.1.0',
    );
    const done = await sesMessage((await markerAnswer(deps, times, 'completion-sent'))!.messageId);
    expect(done.destinations).toEqual(USERS);
    expect(done.subject).toMatch(/maintenance complete/);
  }, 180_000);

  it('a rollout stuck at 3/5 ready fails the post-check, with the rollback command, and tells no user it is done', async () => {
    const { deps, times, at } = await setup({ windowStartsInMinutes: -5, backupHoursBefore: 10 });
    at('pre-1h');
    expect(check(await runStage('pre-1h', times, deps)).passed).toBe(true);
    await rollOut(await admin(), { version: 'v3.1.0', ready: 3, logDir });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    at('post');
    const post = check(await runStage('post', times, deps));
    expect(post.passed).toBe(false);
    const rollout = post.items.find((i) => i.name === 'Rollout complete')!;
    expect(rollout.status).toBe('FAIL');
    expect(rollout.detail).toContain('ready 3/5');
    expect(rollout.lines).toContain(
      'Rollback: kubectl rollout undo deployment/mcp-semantic-control-plane -n mcp-system --to-revision=1',
    );
    expect(post.items.find((i) => i.name === 'All pods ready')).toMatchObject({ status: 'FAIL' });
    expect(await markerAnswer(deps, times, 'completion-sent')).toBeUndefined();
    const report = await sesMessage((await markerAnswer(deps, times, 'post-sent'))!.messageId);
    expect(report.subject).toMatch(/^\[FAIL\] Maintenance report .*Rollout complete/);
    await renderEmail(report.html as string, join(OUT, 'maintenance-report-stuck.png'));
  }, 180_000);

  it('maintenance mode left on after the window fails and pages the primary (P1) once per window', async () => {
    const { deps, times, at, pages } = await setup({ windowStartsInMinutes: -5, backupHoursBefore: 10 });
    at('pre-1h');
    await runStage('pre-1h', times, deps);
    await setMaintenanceMode(await admin(), true);
    at('post');
    const outcome = await runStage('post', times, deps);
    const post = check(outcome);
    expect(post.items.find((i) => i.name === 'Maintenance mode off')).toMatchObject({
      status: 'FAIL',
      detail: expect.stringContaining('users are getting 503s'),
    });
    expect(outcome).toMatchObject({ paged: true });
    const [page] = await pages.receive(1);
    const alert = JSON.parse(page!) as { alerts: Array<{ labels: Record<string, string> }> };
    expect(alert.alerts[0]!.labels).toMatchObject({
      alertname: 'MCPMaintenanceModeStillOn',
      priority: 'P1',
      severity: 'critical',
      maintenance_window: times.start.toISOString(),
    });
    await setMaintenanceMode(await admin(), false);
  }, 180_000);

  it('a stale backup or an open P1 incident fails the pre-check; at 1 h before it pages, at 24 h it only e-mails', async () => {
    const { deps, times, at, pages, incidents, incidentsTable } = await setup({
      windowStartsInMinutes: 60,
      backupHoursBefore: 60,
    });
    await incidents.send(
      new PutCommand({
        TableName: incidentsTable,
        Item: {
          pk: 'incident#INC-TEST-1',
          id: 'INC-TEST-1',
          openFlag: 'OPEN',
          createdAt: new Date().toISOString(),
          severity: 'P1',
          status: 'acknowledged',
          title: 'MCPSemanticErrorRateCritical',
        },
      }),
    );
    at('pre-24h');
    const early = await runStage('pre-24h', times, deps);
    expect(early).toMatchObject({ paged: false });
    at('pre-1h');
    const late = await runStage('pre-1h', times, deps);
    const result = check(late);
    const backup = result.items.find((i) => i.name === 'Backup all data')!;
    expect(backup.status).toBe('FAIL');
    expect(backup.detail).toMatch(/failed verification: stale|before .* \(window start minus 48 h\)/);
    expect(result.items.find((i) => i.name === 'No open P0/P1 incident')).toMatchObject({
      status: 'FAIL',
      lines: ['INC-TEST-1 P1 acknowledged: MCPSemanticErrorRateCritical'],
    });
    expect(late).toMatchObject({ paged: true });
    const received = await pages.receive(1);
    expect(received).toHaveLength(1);
    expect(JSON.parse(received[0]!).alerts[0].labels).toMatchObject({
      alertname: 'MCPMaintenancePreCheckFailed',
      priority: 'P1',
    });
    const mail = await sesMessage((await markerAnswer(deps, times, 'pre-1h-failed-sent'))!.messageId);
    expect(mail.subject).toMatch(/^\[FAIL\] Pre-maintenance check .*Backup all data/);
    expect(mail.text).toContain('Rollback plan: kubectl rollout undo');
  }, 180_000);
});
