import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  NetworkingV1Api,
  PatchStrategy,
  PolicyV1Api,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { buildCli } from '../../tools/build-cli.ts';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubernetesClient } from '../../core/adapters/kubernetes-client.ts';
import { PrometheusHttp } from '../../core/adapters/prometheus-http.ts';
import { parseConfig, type OpsConfig } from '../../core/config.ts';
import { DynamoDbMitigationLedger } from '../../core/incidents/dynamodb-mitigations.ts';
import type { EscalationDeps } from '../../core/incidents/deps.ts';
import { escalationPorts, settingsFromEnv } from '../../core/incidents/wiring.ts';
import type { MitigationTarget } from '../../core/mitigation/actions.ts';
import { signMitigation } from '../../core/mitigation/links.ts';
import { followUpIncident } from '../../functions/diagnosis/follow-up.ts';
import { intakeMessage } from '../../functions/escalation/intake.ts';
import { KubeMitigationCluster } from '../../functions/mitigate/adapters/kube-cluster.ts';
import { answerMitigationUrl, type MitigatePageDeps } from '../../functions/mitigate/web.ts';
import { launchChromium } from '../../stack/chromium.ts';
import { STACK_DIR } from '../../stack/endpoints.ts';
import { runControllers } from '../../stack/kube/controllers.ts';
import {
  DEPLOYMENT,
  INGRESS,
  markScenario,
  NAMESPACE,
  rollOut,
  setMaintenanceMode,
} from '../../stack/kube/scenarios.ts';
import { localTarget, subscribeQueue } from '../support/aws.ts';
import { clusterInScenario } from '../support/cluster.ts';
import { eventually } from '../support/eventually.ts';
import { amMessage, localEscalationEnv } from '../support/escalation-harness.ts';
import { functionUrlServer } from '../support/function-url-server.ts';

const endpoints = inject('endpoints');
const SCREENSHOTS = 'out/screenshots';
const REVISION = 'deployment.kubernetes.io/revision';
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

function kubeconfig(path: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

/**
 * The playbook's step 3 from a page, on the local stack: the mitigation page's code (web.ts and
 * the mitigation flow) behind a loopback function URL, acting through the real client as the
 * mitigation identity (group mcp-ops:mitigator, the generated RBAC) on the local API server, with
 * the incidents in moto's DynamoDB. No controller-manager runs here: stack/kube/controllers.ts
 * plays the Deployment and ReplicaSet controllers while the tests run.
 */
describe('mitigating from the page', () => {
  let server: Awaited<ReturnType<typeof functionUrlServer>>;
  let browser: Browser;
  let escalation: EscalationDeps;
  let admin: KubeConfig;
  let controllers: ReturnType<typeof runControllers> | undefined;
  let config: OpsConfig = parseConfig({ mitigation: { perHour: 100, verifySeconds: 60 } });
  const ports = escalationPorts(
    localTarget(),
    settingsFromEnv(localEscalationEnv(endpoints, 'https://respond.example/')),
  );
  const ledger = new DynamoDbMitigationLedger(ports.db, endpoints.tables.incidents);
  let now = () => new Date();

  const pageDeps = (): MitigatePageDeps => ({
    store: escalation.store,
    pager: escalation.pager,
    tiers: escalation.tiers,
    ...(escalation.chat ? { chat: escalation.chat } : {}),
    now,
    config,
    ledger,
    secret: escalation.links.secret,
    pollMs: 300,
    cluster: async () =>
      new KubeMitigationCluster(
        kubeconfig(endpoints.kubernetes!.kubeconfigMitigator!),
        config.cluster.namespace,
        config.cluster.deployment,
        config.cluster.appSelector,
      ),
  });

  async function openIncident(name: string, runbook?: string): Promise<string> {
    const [opened] = await intakeMessage(escalation, {
      messageId: `m-${name}`,
      message: amMessage(name, {
        severity: 'critical',
        ...(runbook ? { runbook } : {}),
        startsAt: new Date(),
        summary: `${name} (mitigation test)`,
      }),
    });
    return opened!.incidentId!;
  }

  function link(incidentId: string, target: MitigationTarget, expiresAt = new Date(Date.now() + 3_600_000)) {
    const token = signMitigation(escalation.links.secret, {
      incidentId,
      generation: 1,
      sentTo: 'primary',
      target,
      expiresAt,
    });
    return { token, url: `${server.url}?token=${encodeURIComponent(token)}` };
  }

  async function post(token: string, by = 'Dana (test)') {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, by }).toString(),
    });
    return { status: response.status, text: await response.text() };
  }

  const deployment = () =>
    admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: DEPLOYMENT, namespace: NAMESPACE });

  beforeAll(async () => {
    escalation = await ports.deps(() => new Date());
    server = await functionUrlServer((event) => answerMitigationUrl(pageDeps(), event), 'mcp-ops-mitigate');
    browser = await launchChromium();
    await mkdir(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await controllers?.stop();
    // The world moved (pods replaced, scaled, drained): the next test that wants a scenario reseeds.
    if (admin) await markScenario(admin, 'after-mitigation-tests');
    await browser?.close();
    await server?.close();
  });

  it('a bad rollout: the diagnosis offers the undo, the page changes nothing on GET, its button rolls back once', async () => {
    const cluster = await clusterInScenario('healthy');
    admin = cluster.client('admin');
    await rollOut(admin, {
      version: 'v3.1.0',
      ready: 3,
      errorsInLogs: 3,
      logDir: join(STACK_DIR, 'kube', 'logs'),
    });
    controllers = runControllers(admin);
    const primary = await subscribeQueue(endpoints.topics.tiers.primary!);
    const id = await openIncident(`BadRollout${Date.now()}`, 'runbook-1-high-error-rate');
    const sent = await followUpIncident(
      {
        diagnosis: {
          config,
          kube: new KubernetesClient(cluster.client('readonly')),
          prometheus: new PrometheusHttp(endpoints.prometheus),
          now: () => new Date(),
        },
        store: escalation.store,
        pager: escalation.pager,
        tiers: escalation.tiers,
        policy: escalation.policy,
        mitigationLinks: { baseUrl: server.url, secret: escalation.links.secret, ttlHours: 4 },
        archive: async () => 's3://reports/diagnosis/test.txt',
      },
      id,
    );
    expect(sent.sent).toBe(true);
    // The page to the primary and the diagnosis follow-up; the follow-up carries the undo link.
    const bodies = (await primary.receive(2, 20_000)).map(
      (b) => (JSON.parse(b) as { Message: string }).Message,
    );
    const followUp = bodies.find((b) => b.includes('Mitigate ('))!;
    expect(followUp).toContain(`Roll ${DEPLOYMENT} back from revision 2 to revision 1`);
    const undoUrl = followUp
      .split('\n')
      .map((l) => l.trim())
      .find(
        (l, i, all) => l.startsWith('http') && all[i - 1]!.includes('back from revision 2 to revision 1'),
      )!;
    expect(undoUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=m1\./);

    const before = await deployment();
    const page = await browser.newPage({ viewport: { width: 800, height: 900 } });
    await page.goto(undoUrl);
    await expect(page.locator('h1').textContent()).resolves.toContain('back from revision 2 to revision 1');
    const body = await page.locator('main').textContent();
    expect(body).toContain('would patch deployment'); // the API server's dry run
    expect(body).toContain('image mcp/semantic-control-plane:v3.0.0');
    await page.screenshot({ path: `${SCREENSHOTS}/mitigate-confirm.png`, fullPage: true });
    const unchanged = await deployment();
    expect(unchanged.metadata?.generation).toBe(before.metadata?.generation);
    expect(unchanged.spec?.template.spec?.containers[0]?.image).toBe('mcp/semantic-control-plane:v3.1.0');

    await page.fill('#by', 'Dana Responder');
    await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
    await page.waitForSelector('p[role=status]', { timeout: 90_000 });
    const outcome = await page.locator('main').textContent();
    await page.screenshot({ path: `${SCREENSHOTS}/mitigate-done.png`, fullPage: true });
    expect(outcome).toMatch(/rolled back to revision 1's template/);
    const after = await deployment();
    expect(after.spec?.template.spec?.containers[0]?.image).toBe('mcp/semantic-control-plane:v3.0.0');
    expect(after.metadata?.annotations?.[REVISION]).toBe('3');
    expect(after.status?.availableReplicas).toBe(5);
    const incident = (await escalation.store.get(id))!;
    const mitigated = incident.timeline.find((e) => e.event === 'mitigated')!;
    expect(mitigated.detail).toContain('by Dana Responder (link sent to on-call): done');
    expect(incident.phase).toBe('monitoring');
    expect(Object.values(incident.mitigations!)[0]).toMatchObject({
      state: 'done',
      by: expect.stringContaining('Dana'),
    });

    // The replay, a second responder, a double click: nothing more changes, and they are told who acted.
    const token = new URL(undoUrl).searchParams.get('token')!;
    const replay = await post(token, 'Sam Second');
    expect(replay.status).toBe(200);
    expect(replay.text).toContain('already done by Dana Responder');
    expect((await deployment()).metadata?.generation).toBe(after.metadata?.generation);
    const outcomeMessages = await primary.receive(1, 10_000);
    expect(outcomeMessages.join('\n')).toContain('mitigation done: undo');
    await page.close();
  }, 240_000);

  it('restarts a crash-looping pod, once', async () => {
    await controllers?.stop();
    const cluster = await clusterInScenario('crash-loop');
    admin = cluster.client('admin');
    controllers = runControllers(admin);
    const core = admin.makeApiClient(CoreV1Api);
    const pods = (await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: 'app=mcp-semantic' }))
      .items;
    const crashing = pods.find((p) => p.metadata?.annotations?.['mcp-ops.local/behaviour'] === 'crash-loop')!;
    const id = await openIncident(`CrashLoop${Date.now()}`, 'runbook-3-pod-crash-loop');
    const { token, url } = link(id, {
      action: 'restart',
      pod: crashing.metadata!.name!,
      uid: crashing.metadata!.uid!,
    });
    const shown = await (await fetch(url)).text();
    expect(shown).toContain(`would delete pod ${crashing.metadata!.name}`);
    // The GET's dry run left the pod as it was (a DELETE's dry run must ride in its body).
    const still = await core.readNamespacedPod({ name: crashing.metadata!.name!, namespace: NAMESPACE });
    expect(still.metadata?.uid).toBe(crashing.metadata!.uid);
    expect(still.metadata?.deletionTimestamp).toBeUndefined();
    const done = await post(token);
    expect(done.text).toMatch(/replaced by .* \(ready\)/);
    await expect(
      core.readNamespacedPod({ name: crashing.metadata!.name!, namespace: NAMESPACE }),
    ).rejects.toMatchObject({ code: 404 });
    expect((await post(token)).text).toContain('already done by');
  }, 180_000);

  it('scales up to the configured 5, never down or past it', async () => {
    await controllers?.stop();
    admin = (await clusterInScenario('healthy')).client('admin');
    controllers = runControllers(admin);
    const apps = admin.makeApiClient(AppsV1Api);
    await apps.patchNamespacedDeploymentScale(
      { name: DEPLOYMENT, namespace: NAMESPACE, body: { spec: { replicas: 3 } } },
      merge,
    );
    await eventually(
      async () => ((await deployment()).status?.availableReplicas === 3 ? true : undefined),
      30_000,
      '3 replicas available',
    );
    const id = await openIncident(`Latency${Date.now()}`, 'runbook-2-high-latency');
    const past = await post(link(id, { action: 'scale', fromReplicas: 3, replicas: 6 }).token);
    expect(past.status).toBe(409);
    expect(past.text).toContain('configured maximum of 5');
    const down = await post(link(id, { action: 'scale', fromReplicas: 3, replicas: 2 }).token);
    expect(down.text).toContain('Scaling only goes up');
    const up = await post(link(id, { action: 'scale', fromReplicas: 3, replicas: 5 }).token);
    expect(up.text).toContain('5 replicas available');
    expect((await deployment()).spec?.replicas).toBe(5);
  }, 120_000);

  it('drains a node; refuses the last schedulable node and a drain a PodDisruptionBudget forbids', async () => {
    const core = admin.makeApiClient(CoreV1Api);
    const id = await openIncident(`NodePressure${Date.now()}`);
    const drain = await post(link(id, { action: 'drain', node: 'mcp-node-3' }).token);
    expect(drain.text).toMatch(/mcp-node-3 cordoned, 0 pod\(s\) left to go/);
    expect((await core.readNode({ name: 'mcp-node-3' })).spec?.unschedulable).toBe(true);
    await eventually(
      async () => ((await deployment()).status?.availableReplicas === 5 ? true : undefined),
      60_000,
      '5 replicas available again',
    );
    const onNode = await core.listNamespacedPod({
      namespace: NAMESPACE,
      fieldSelector: 'spec.nodeName=mcp-node-3',
    });
    expect(onNode.items.filter((p) => !p.metadata?.deletionTimestamp)).toEqual([]);

    // A budget that allows no disruption: refused before anything is evicted.
    const policy = admin.makeApiClient(PolicyV1Api);
    await policy.createNamespacedPodDisruptionBudget({
      namespace: NAMESPACE,
      body: {
        metadata: { name: 'mcp-test-pdb' },
        spec: { minAvailable: 5, selector: { matchLabels: { app: 'mcp-semantic' } } },
      },
    });
    try {
      const id2 = await openIncident(`NodePdb${Date.now()}`);
      const refused = await post(link(id2, { action: 'drain', node: 'mcp-node-2' }).token);
      expect(refused.status).toBe(409);
      expect(refused.text).toContain('PodDisruptionBudget mcp-test-pdb');
      expect((await core.readNode({ name: 'mcp-node-2' })).spec?.unschedulable).toBeFalsy();
    } finally {
      await policy.deleteNamespacedPodDisruptionBudget({ name: 'mcp-test-pdb', namespace: NAMESPACE });
    }
    // The last schedulable node: node 2 cordoned by hand, node 1 is all that is left.
    await core.patchNode({ name: 'mcp-node-2', body: { spec: { unschedulable: true } } }, merge);
    const id3 = await openIncident(`NodeLast${Date.now()}`);
    const last = await post(link(id3, { action: 'drain', node: 'mcp-node-1' }).token);
    expect(last.status).toBe(409);
    expect(last.text).toContain('mcp-node-1 is the last schedulable node');
    for (const node of ['mcp-node-2', 'mcp-node-3'])
      await core.patchNode({ name: node, body: { spec: { unschedulable: false } } }, merge);
  }, 180_000);

  it('switches maintenance mode off, once; refuses inside the window', async () => {
    await setMaintenanceMode(admin, true);
    const id = await openIncident(`MaintenanceLeftOn${Date.now()}`);
    const target: MitigationTarget = { action: 'maintenance-off', ingress: INGRESS };
    // Inside the maintenance window, a link changes nothing (the CLI's --force is the way then).
    const saved = config;
    config = parseConfig({
      mitigation: { perHour: 100 },
      maintenanceWindow: {
        weekday: new Date().getUTCDay(),
        nthOfMonth: Math.ceil(new Date().getUTCDate() / 7) > 4 ? 5 : Math.ceil(new Date().getUTCDate() / 7),
        startUtc: '00:00',
        endUtc: '23:59',
      },
    });
    const inWindow = await post(link(id, target).token);
    config = saved;
    expect(inWindow.status).toBe(409);
    expect(inWindow.text).toContain('maintenance window is on');
    const off = await post(link(id, target).token);
    expect(off.text).toContain('maintenance mode off');
    const ingress = await admin
      .makeApiClient(NetworkingV1Api)
      .readNamespacedIngress({ name: INGRESS, namespace: NAMESPACE });
    expect(ingress.metadata?.annotations?.['nginx.ingress.kubernetes.io/custom-http-errors']).toBeUndefined();
    expect((await post(link(id, target).token)).text).toContain('already done by');
  }, 120_000);

  it('refuses a link that was altered, expired, or names another incident; the cap per hour holds', async () => {
    const id = await openIncident(`Refusals${Date.now()}`);
    const { token } = link(id, { action: 'scale', fromReplicas: 5, replicas: 5 });
    const altered = token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect((await post(altered)).status).toBe(403);
    const expired = link(id, { action: 'drain', node: 'mcp-node-1' }, new Date(Date.now() - 1000));
    expect((await post(expired.token)).text).toContain('expired');
    expect((await post(link('INC-20990101-999', { action: 'drain', node: 'mcp-node-1' }).token)).status).toBe(
      404,
    );
    // The cap: a clock in an hour of its own, one mitigation allowed; the second is refused.
    const saved = { config, now };
    // Noon, never inside the maintenance window (02:00-06:00 UTC), on a day of a far year of its own.
    const hour = new Date(
      Date.UTC(
        2090 + Math.floor(Math.random() * 9),
        Math.floor(Math.random() * 12),
        10 + Math.floor(Math.random() * 18),
        12,
      ),
    );
    config = parseConfig({ mitigation: { perHour: 1 } });
    now = () => hour;
    try {
      await setMaintenanceMode(admin, true);
      const a = await openIncident(`CapA${Date.now()}`);
      const b = await openIncident(`CapB${Date.now()}`);
      const target: MitigationTarget = { action: 'maintenance-off', ingress: INGRESS };
      const sign = (incidentId: string) =>
        signMitigation(escalation.links.secret, {
          incidentId,
          generation: 1,
          sentTo: 'primary',
          target,
          expiresAt: new Date(hour.getTime() + 3_600_000),
        });
      expect((await post(sign(a))).text).toContain('maintenance mode off');
      await setMaintenanceMode(admin, true);
      const capped = await post(sign(b));
      expect(capped.status).toBe(429);
      expect(capped.text).toContain('the cap of 1 mitigations this hour is reached');
    } finally {
      ({ config, now } = saved);
      await setMaintenanceMode(admin, false);
    }
  }, 120_000);

  it('the command line: a dry run first, the same guard rails, acts once', async () => {
    const bundle = await buildCli(join(process.cwd(), 'out', 'mitigate-cli'));
    // The other tests here have used this hour's mitigations: the command gets the tests' cap.
    const configFile = join(process.cwd(), 'out', 'mitigate-cli', 'mcp-ops.config.json');
    await writeFile(configFile, JSON.stringify({ mitigation: { perHour: 100 } }));
    const cli = async (...args: string[]) => {
      try {
        const { stdout } = await promisify(execFile)(process.execPath, [
          bundle,
          'mitigate',
          ...args,
          '--local',
          '--config',
          configFile,
        ]);
        return { code: 0, out: stdout };
      } catch (error) {
        const failed = error as { code: number; stdout: string; stderr: string };
        return { code: failed.code, out: `${failed.stdout}${failed.stderr}` };
      }
    };
    admin ??= (await clusterInScenario('healthy')).client('admin');
    await setMaintenanceMode(admin, true);
    const id = await openIncident(`CliMitigate${Date.now()}`);
    const dry = await cli(id, 'maintenance-off', '--dry-run');
    expect(dry.code, dry.out).toBe(0);
    expect(dry.out).toContain('would remove nginx.ingress.kubernetes.io/custom-http-errors');
    const ingress = () =>
      admin.makeApiClient(NetworkingV1Api).readNamespacedIngress({ name: INGRESS, namespace: NAMESPACE });
    expect((await ingress()).metadata?.annotations?.['nginx.ingress.kubernetes.io/custom-http-errors']).toBe(
      '503',
    );
    const past = await cli(id, 'scale', '9');
    expect(past.code).toBe(2);
    expect(past.out).toContain('configured maximum of 5');
    const acted = await cli(id, 'maintenance-off', '--by', 'terminal-tester');
    expect(acted.code, acted.out).toBe(0);
    expect(acted.out).toContain('confirmed by terminal-tester via mcp-ops');
    expect(
      (await ingress()).metadata?.annotations?.['nginx.ingress.kubernetes.io/custom-http-errors'],
    ).toBeUndefined();
    const again = await cli(id, 'maintenance-off');
    expect(again.out).toContain('already done by terminal-tester via mcp-ops');
  }, 180_000);

  it('only the mitigation identity writes: the read-only identity is refused every write, the mitigator anything outside its rules', async () => {
    const readonly = kubeconfig(endpoints.kubernetes!.kubeconfigReadonly);
    const mitigator = kubeconfig(endpoints.kubernetes!.kubeconfigMitigator!);
    const dry = { dryRun: 'All' };
    const denied = (promise: Promise<unknown>) => expect(promise).rejects.toMatchObject({ code: 403 });
    await denied(
      readonly
        .makeApiClient(AppsV1Api)
        .patchNamespacedDeploymentScale(
          { name: DEPLOYMENT, namespace: NAMESPACE, body: { spec: { replicas: 5 } }, ...dry },
          merge,
        ),
    );
    await denied(
      readonly
        .makeApiClient(CoreV1Api)
        .patchNode({ name: 'mcp-node-1', body: { spec: { unschedulable: true } }, ...dry }, merge),
    );
    // The mitigator: another deployment's name, ConfigMaps, Secrets, deleting nodes.
    await denied(
      mitigator
        .makeApiClient(AppsV1Api)
        .patchNamespacedDeployment(
          { name: 'prometheus-mcp', namespace: NAMESPACE, body: { spec: { replicas: 0 } }, ...dry },
          merge,
        ),
    );
    await denied(
      mitigator
        .makeApiClient(CoreV1Api)
        .patchNamespacedConfigMap(
          { name: 'mcp-semantic-config', namespace: NAMESPACE, body: { data: {} }, ...dry },
          merge,
        ),
    );
    await denied(mitigator.makeApiClient(CoreV1Api).listNamespacedSecret({ namespace: NAMESPACE }));
    await denied(mitigator.makeApiClient(CoreV1Api).deleteNode({ name: 'mcp-node-1', ...dry }));
  }, 60_000);
});
