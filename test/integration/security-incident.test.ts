import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { CoreV1Api, KubeConfig, NetworkingV1Api } from '@kubernetes/client-node';
import { createHash, randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubernetesClient } from '../../core/adapters/kubernetes-client.ts';
import { PrometheusHttp } from '../../core/adapters/prometheus-http.ts';
import { S3EvidenceStore } from '../../core/adapters/s3-evidence-store.ts';
import { awsClientConfig, s3ClientConfig } from '../../core/aws.ts';
import { parseConfig } from '../../core/config.ts';
import type { EscalationDeps } from '../../core/incidents/deps.ts';
import { DynamoDbMitigationLedger } from '../../core/incidents/dynamodb-mitigations.ts';
import { escalationPorts, settingsFromEnv } from '../../core/incidents/wiring.ts';
import { followUpIncident } from '../../functions/diagnosis/follow-up.ts';
import { writeReview } from '../../functions/diagnosis/review.ts';
import { afterQuarantine, type SecurityFollowUpDeps } from '../../functions/diagnosis/security-follow-up.ts';
import { intakeMessage } from '../../functions/escalation/intake.ts';
import { resolveIncident } from '../../functions/escalation/actions.ts';
import { KubeMitigationCluster } from '../../functions/mitigate/adapters/kube-cluster.ts';
import { answerMitigationUrl } from '../../functions/mitigate/web.ts';
import { launchChromium } from '../../stack/chromium.ts';
import { markScenario, NAMESPACE } from '../../stack/kube/scenarios.ts';
import { localTarget, subscribeQueue } from '../support/aws.ts';
import { clusterInScenario } from '../support/cluster.ts';
import { localEscalationEnv } from '../support/escalation-harness.ts';
import { functionUrlServer } from '../support/function-url-server.ts';
import { httpReceiver } from '../support/http-receiver.ts';
import { guardDutyEvent } from '../support/security-events.ts';

const endpoints = inject('endpoints');
const SCREENSHOTS = 'out/screenshots';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function kubeconfig(path: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

/**
 * The manual's Security Incident Response on the local stack: a GuardDuty EKS finding on the
 * alerts path opens a P0 security incident that pages the Security Team (its own topic in moto)
 * and POSTs the manual's JSON to a local security API; the evidence goes to an Object Lock bucket
 * in moto with a manifest whose sums match; the quarantine link labels the pod and creates the
 * manual's deny-all policy as the mitigation identity, and its undo reverses both.
 */
describe('a security incident', () => {
  let escalation: EscalationDeps;
  let securityApi: Awaited<ReturnType<typeof httpReceiver>>;
  let server: Awaited<ReturnType<typeof functionUrlServer>>;
  let browser: Browser;
  let admin: KubeConfig;
  let teamTopic: string;
  const bucket = `mcp-ops-evidence-${randomUUID().slice(0, 8)}`;
  const s3 = new S3Client(s3ClientConfig(localTarget()));
  const config = parseConfig({ security: { evidenceRetentionDays: 1 } });

  beforeAll(async () => {
    securityApi = await httpReceiver(() => ({ status: 201, body: { id: 'SEC-1' } }));
    const sns = new SNSClient(awsClientConfig(localTarget()));
    const team = await sns.send(
      new CreateTopicCommand({ Name: `mcp-ops-page-security-${randomUUID().slice(0, 8)}` }),
    );
    teamTopic = team.TopicArn!;
    await s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
    const env = localEscalationEnv(endpoints, 'https://respond.example/');
    const ports = escalationPorts(
      localTarget(),
      settingsFromEnv({
        ...env,
        TIER_TOPICS: JSON.stringify({ ...endpoints.topics.tiers, security: teamTopic }),
        SECURITY_API_URL: `${securityApi.url}/api/incidents`,
      }),
    );
    escalation = await ports.deps(() => new Date());
    const ledger = new DynamoDbMitigationLedger(ports.db, endpoints.tables.incidents);
    server = await functionUrlServer(
      (event) =>
        answerMitigationUrl(
          {
            store: escalation.store,
            pager: escalation.pager,
            tiers: escalation.tiers,
            now: () => new Date(),
            config,
            ledger,
            secret: escalation.links.secret,
            pollMs: 300,
            cluster: async () =>
              new KubeMitigationCluster(
                kubeconfig(endpoints.kubernetes!.kubeconfigMitigator!),
                NAMESPACE,
                config.cluster.deployment,
                config.cluster.appSelector,
              ),
          },
          event,
        ),
      'mcp-ops-mitigate',
    );
    browser = await launchChromium();
    await mkdir(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    if (admin) await markScenario(admin, 'after-security-tests');
    await browser?.close();
    await server?.close();
    await securityApi?.close();
  });

  it('pages the Security Team, posts the manual’s JSON, keeps the evidence; quarantine and its undo are confirmed actions', async () => {
    const cluster = await clusterInScenario('healthy');
    admin = cluster.client('admin');
    const core = admin.makeApiClient(CoreV1Api);
    const pods = (await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: 'app=mcp-semantic' }))
      .items;
    const pod = pods[0]!.metadata!.name!;
    const securityQueue = await subscribeQueue(teamTopic);
    const primary = await subscribeQueue(endpoints.topics.tiers.primary!);

    // 1. The finding, as EventBridge puts it on the alerts topic.
    const [opened] = await intakeMessage(escalation, {
      messageId: `gd-${randomUUID()}`,
      message: guardDutyEvent(`finding-${randomUUID()}`, 8.5, pod),
    });
    const id = opened!.incidentId!;
    const incident = (await escalation.store.get(id))!;
    expect(incident).toMatchObject({ severity: 'P0', alert: { category: 'security', pods: [pod] } });
    const teamPage = (await securityQueue.receive(1, 10_000)).map(
      (b) => (JSON.parse(b) as { Message: string }).Message,
    );
    expect(teamPage[0]).toContain(id);
    expect(securityApi.requests).toHaveLength(1);
    expect(securityApi.requests[0]).toMatchObject({
      method: 'POST',
      path: '/api/incidents',
      body: {
        severity: 'critical',
        type: 'security-breach',
        namespace: 'mcp-system',
        incidentId: id,
        pods: [pod],
        description: expect.stringContaining('reverse shell'),
      },
    });
    expect(securityApi.requests[0]!.headers['idempotency-key']).toBe(`${id}:security-api`);

    // 2. Evidence first, then the follow-up to the tiers paged and the Security Team.
    const security: SecurityFollowUpDeps = {
      team: escalation.security!.team,
      evidence: {
        source: async () => new KubernetesClient(cluster.client('readonly')),
        store: new S3EvidenceStore(s3, bucket),
        namespace: NAMESPACE,
        retentionDays: 1,
      },
    };
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
        security,
        mitigationLinks: { baseUrl: server.url, secret: escalation.links.secret, ttlHours: 4 },
        archive: async () => 's3://reports/diagnosis/security.txt',
      },
      id,
    );
    expect(sent.sent).toBe(true);
    const recorded = (await escalation.store.get(id))!.evidence!;
    expect(recorded.manifest).toBe(`s3://${bucket}/evidence/${id}/initial/manifest.json`);
    const manifestText = await text(`evidence/${id}/initial/manifest.json`);
    expect(sha256(manifestText)).toBe(recorded.digest);
    const manifest = JSON.parse(manifestText) as { files: Array<{ key: string; sha256: string }> };
    expect(manifest.files.map((f) => f.key.split('/initial/')[1]).sort()).toEqual(
      [
        `pods/${pod}.yaml`,
        `pods/${pod}/semantic-control-plane.log`,
        `pods/${pod}/semantic-control-plane.previous.log`,
        'events.txt',
        'networkpolicies.yaml',
      ].sort(),
    );
    for (const file of manifest.files) expect(sha256(await text(file.key)), file.key).toBe(file.sha256);
    expect(await text(`evidence/${id}/initial/pods/${pod}.yaml`)).toContain(`name: ${pod}`);
    // Object Lock in compliance mode (HeadObject: moto's GetObjectRetention answer does not parse);
    // deleting the locked version is refused.
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: bucket, Key: `evidence/${id}/initial/manifest.json` }),
    );
    expect(head.ObjectLockMode).toBe('COMPLIANCE');
    expect(head.ObjectLockRetainUntilDate!.getTime()).toBeGreaterThan(Date.now() + 23 * 3_600_000);
    await expect(
      s3.send(
        new DeleteObjectCommand({
          Bucket: bucket,
          Key: `evidence/${id}/initial/manifest.json`,
          VersionId: head.VersionId,
        }),
      ),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `evidence/${id}/` }));
    expect(listed.KeyCount).toBe(manifest.files.length + 2); // the manifest and its .sha256

    const followUp = (await securityQueue.receive(1, 10_000))
      .map((b) => (JSON.parse(b) as { Message: string }).Message)
      .join('\n');
    expect(followUp).toContain(`Manifest SHA-256: ${recorded.digest}`);
    const quarantineUrl = linkAfter(followUp, `Quarantine ${pod}`);
    const releaseUrl = linkAfter(followUp, `Release ${pod}`);
    await primary.receive(2, 5_000);

    // 3. The quarantine: GET shows and changes nothing; the button labels the pod and applies deny-all.
    const page = await browser.newPage({ viewport: { width: 800, height: 900 } });
    await page.goto(quarantineUrl);
    expect(await page.locator('main').textContent()).toContain(`would label pod ${pod} quarantine=true`);
    await page.screenshot({ path: `${SCREENSHOTS}/quarantine-confirm.png`, fullPage: true });
    expect(
      (await core.readNamespacedPod({ name: pod, namespace: NAMESPACE })).metadata?.labels?.quarantine,
    ).toBeUndefined();
    await page.fill('#by', 'Sec Responder');
    await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
    await page.waitForSelector('p[role=status]', { timeout: 60_000 });
    expect(await page.locator('main').textContent()).toMatch(/created NetworkPolicy deny-all/);
    await page.close();
    expect(
      (await core.readNamespacedPod({ name: pod, namespace: NAMESPACE })).metadata?.labels?.quarantine,
    ).toBe('true');
    const policy = await admin
      .makeApiClient(NetworkingV1Api)
      .readNamespacedNetworkPolicy({ name: 'deny-all', namespace: NAMESPACE });
    expect(policy.spec).toMatchObject({
      podSelector: { matchLabels: { quarantine: 'true' } },
      policyTypes: ['Ingress', 'Egress'],
    });
    const quarantined = (await escalation.store.get(id))!;
    expect(quarantined.quarantinedAt).toBeDefined();

    // 4. The second capture, as the stream's MODIFY asks for it: once.
    const second = await afterQuarantine({ ...escalation, ...security, now: () => new Date() }, id);
    expect(second).toEqual({ captured: true });
    expect(await afterQuarantine({ ...escalation, ...security, now: () => new Date() }, id)).toMatchObject({
      captured: false,
    });
    const after = await text(`evidence/${id}/after-quarantine/networkpolicies.yaml`);
    expect(after).toContain('name: deny-all');

    // 5. The undo reverses both; the review lists the evidence and who quarantined when.
    const release = new URL(releaseUrl).searchParams.get('token')!;
    const undone = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: release, by: 'Sec Responder' }).toString(),
    });
    expect(await undone.text()).toMatch(/deleted NetworkPolicy deny-all/);
    expect(
      (await core.readNamespacedPod({ name: pod, namespace: NAMESPACE })).metadata?.labels?.quarantine,
    ).toBeUndefined();
    await expect(
      admin
        .makeApiClient(NetworkingV1Api)
        .readNamespacedNetworkPolicy({ name: 'deny-all', namespace: NAMESPACE }),
    ).rejects.toMatchObject({ code: 404 });
    await resolveIncident(escalation, id, 'Sec Responder', 'contained');
    const review = await writeReview(
      {
        store: escalation.store,
        prometheus: new PrometheusHttp(endpoints.prometheus),
        pager: escalation.pager,
        tiers: escalation.tiers,
        now: () => new Date(),
        archive: async () => 's3://reports/reviews/security.md',
      },
      id,
    );
    if (!review.written) throw new Error(review.reason);
    expect(review.markdown).toContain(`SHA-256 ${recorded.digest}`);
    expect(review.markdown).toMatch(/Quarantine .* by Sec Responder \(link sent to on-call\): done/);
  }, 240_000);

  async function text(key: string): Promise<string> {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return object.Body!.transformToString();
  }
});

/** The link on the line after the one describing `what` in a follow-up. */
function linkAfter(message: string, what: string): string {
  const lines = message.split('\n').map((l) => l.trim());
  const at = lines.findIndex((l) => l.includes(what));
  if (at < 0) throw new Error(`no "${what}" in:\n${message}`);
  return lines[at + 1]!;
}
