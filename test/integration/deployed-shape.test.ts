// The stack as Lambda runs it: `cdk synth`'s template and bundles, each function in AWS's Runtime
// Interface Emulator on the template's Node.js major, with the template's handler, environment,
// memory and timeout, the credentials of a role holding exactly its template policies, on a moto that
// enforces IAM, reaching the local cluster through DescribeCluster and an EKS token.
import { CreateClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  IAMClient,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  GetTopicAttributesCommand,
  PublishCommand,
  SetTopicAttributesCommand,
  SNSClient,
} from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { GetKeyPolicyCommand, KMSClient, PutKeyPolicyCommand } from '@aws-sdk/client-kms';
import { CoreV1Api, KubeConfig, NetworkingV1Api } from '@kubernetes/client-node';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { signMitigation } from '../../core/mitigation/links.ts';
import { INGRESS, setMaintenanceMode } from '../../stack/kube/scenarios.ts';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { simpleParser, type ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseConfig } from '../../core/config.ts';
import { maintenanceWindowOf, stageTime } from '../../core/maintenance-window.ts';
import { writeBackupFixture } from '../../stack/backup-fixture.ts';
import { KUBE_PORTS } from '../../stack/kube/control-plane.ts';
import { ensureLambdaRuntime, LAMBDA_NODE_MAJOR, type LambdaRuntime } from '../../stack/lambda-runtime.ts';
import { STACK_DIR } from '../../stack/endpoints.ts';
import {
  ACCOUNT,
  functionsOf,
  provision,
  REGION,
  roleStatements,
  runFunction,
  sessionFor,
  startIamMoto,
  synthesize,
  type TemplateResolver,
  type FunctionSpec,
  type RunningFunction,
  type Statement,
} from '../support/deployed-stack.ts';
import { subscribeQueue } from '../support/aws.ts';
import { amMessage } from '../support/escalation-harness.ts';
import { functionUrlServer } from '../support/function-url-server.ts';
import { eventually } from '../support/eventually.ts';
import { httpReceiver } from '../support/http-receiver.ts';
import { guardDutyEvent } from '../support/security-events.ts';

const endpoints = inject('endpoints');
const CDK_OUT = join(import.meta.dirname, '..', '..', 'out', 'deployed-shape', 'cdk.out');

let resolver: TemplateResolver;
let specs: FunctionSpec[];
let runtime: LambdaRuntime;
let moto: Awaited<ReturnType<typeof startIamMoto>>;
let admin: {
  region: string;
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
};
let roles: Map<string, string>;
const running = new Map<string, RunningFunction>();
let urlServer: Awaited<ReturnType<typeof functionUrlServer>> | undefined;
let mitigateServer: Awaited<ReturnType<typeof functionUrlServer>>;
let securityApi: Awaited<ReturnType<typeof httpReceiver>>;
const kc = new KubeConfig();

const spec = (name: string) => specs.find((s) => s.name === name)!;
const REPORTS_SENDER = 'mcp-ops@reports.deployed.example';
const MANUAL_WINDOW = parseConfig({}).maintenanceWindow;

/**
 * moto's log since `from` once it says `expected`: its stderr reaches us a moment after its
 * answer, and in pieces, so the line is waited for (5 s), then the log is handed to the assertion.
 */
const loggedSince = async (from: number, expected: string | RegExp) => {
  const says = (log: string) => (typeof expected === 'string' ? log.includes(expected) : expected.test(log));
  await eventually(
    async () => (says(moto.log().slice(from)) ? true : undefined),
    5_000,
    `moto's log to say ${String(expected)}`,
  ).catch(() => undefined);
  return moto.log().slice(from);
};

/** What the test's moto accepted through SES (our launcher's endpoint), MIME parsed. */
async function sesSent(): Promise<ParsedMail[]> {
  const answer = await fetch(`${moto.endpoint}/moto-api/mcp-ops/ses-sent`);
  const sent = (await answer.json()) as Array<{ raw: string | null }>;
  return Promise.all(sent.filter((m) => m.raw).map((m) => simpleParser(m.raw!)));
}

/** The groups the template's access entries give a role (what EKS maps a role to). */
function accessGroups(roleLogicalId: string): string[] {
  return resolver
    .ofType('AWS::EKS::AccessEntry')
    .filter(([, r]) => JSON.stringify(r.Properties!.PrincipalArn).includes(`"${roleLogicalId}"`))
    .flatMap(([, r]) => r.Properties!.KubernetesGroups as string[]);
}

/** Puts all of the template's statements back on `fn`'s role (after an ablated run). */
async function restoreRole(fn: FunctionSpec): Promise<void> {
  await moto.relax();
  try {
    await sessionFor(
      moto.endpoint,
      roles.get(fn.roleLogicalId)!,
      resolver.attrs.get(fn.roleLogicalId)!.Arn!,
      roleStatements(resolver, fn.roleLogicalId),
    );
  } finally {
    await moto.enforce();
  }
}

/** A session of `fn`'s role holding `statements` (default: all its template's), known to the cluster. */
async function roleSession(fn: FunctionSpec, statements?: Statement[]): Promise<Record<string, string>> {
  const roleName = roles.get(fn.roleLogicalId)!;
  const roleArn = resolver.attrs.get(fn.roleLogicalId)!.Arn!;
  await moto.relax();
  const session = await sessionFor(
    moto.endpoint,
    roleName,
    roleArn,
    statements ?? roleStatements(resolver, fn.roleLogicalId),
  ).finally(() => moto.enforce());
  // The cluster knows the session as EKS would: through the role's access entry.
  const registered = await fetch(`http://127.0.0.1:${KUBE_PORTS.tokenWebhook}/credentials`, {
    method: 'POST',
    body: JSON.stringify({ ...session, roleArn, groups: accessGroups(fn.roleLogicalId) }),
  });
  expect(registered.ok).toBe(true);
  return {
    MCP_OPS_AWS_ENDPOINT: moto.endpoint,
    AWS_ACCESS_KEY_ID: session.accessKeyId,
    AWS_SECRET_ACCESS_KEY: session.secretAccessKey,
    AWS_SESSION_TOKEN: session.sessionToken,
  };
}

/** Starts `fn` in the emulator with a session of its role holding `statements`. */
async function start(fn: FunctionSpec, statements?: Statement[]): Promise<RunningFunction> {
  return runFunction(fn, runtime, await roleSession(fn, statements));
}

async function fn(name: string): Promise<RunningFunction> {
  let found = running.get(name);
  if (!found) {
    found = await start(spec(name));
    running.set(name, found);
  }
  return found;
}

/** What `topicArn` delivers in the test's moto: each message's text (waiting up to 5 s for the first). */
async function queueOn(topicArn: string) {
  const queue = await subscribeQueue(topicArn, false, {
    sns: new SNSClient(admin),
    sqs: new SQSClient(admin),
  });
  return {
    receive: async (count = 1) =>
      (await queue.receive(count, 5_000)).map((body) => (JSON.parse(body) as { Message: string }).Message),
  };
}

/** The SNS event the alerts topic delivers for one Alertmanager message. */
/** A finished cleanup run's summary as the cleanup job keeps it (what Runbook 4's diagnosis reads). */
const CLEANUP_SUMMARY = {
  runId: '29991231T000000Z-ablate',
  status: 'completed',
  dryRun: true,
  bucket: 'mcp-artifacts',
  prefix: '',
  retentionDays: 90,
  bytesFreed: 0,
  report: { objects: 1, bytes: 10, largest: [], expiring: {} },
};

function alertEvent(
  name: string,
  status: 'firing' | 'resolved' = 'firing',
  severity = 'critical',
  runbook?: string,
) {
  return snsEvent(
    `msg-${name}-${status}`,
    amMessage(name, { severity, status, ...(runbook ? { runbook } : {}) }),
  );
}

/** The event the alerts topic hands intake for one message. */
function snsEvent(messageId: string, message: string, subject: string | null = null) {
  const alertsTopic = resolver.refs.get(
    resolver.ofType('AWS::SNS::Topic').find(([id]) => id.includes('AlertsTopic'))![0],
  )!;
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `${alertsTopic}:sub`,
        Sns: {
          Type: 'Notification',
          MessageId: messageId,
          TopicArn: alertsTopic,
          Subject: subject,
          Message: message,
          Timestamp: new Date().toISOString(),
        },
      },
    ],
  };
}

/** Scheduler targets' input for a function, as the template writes it. */
function scheduledInputs(fnLogicalId: string): unknown[] {
  return resolver
    .ofType('AWS::Scheduler::Schedule')
    .filter(([, r]) =>
      JSON.stringify((r.Properties!.Target as { Arn: unknown }).Arn).includes(`"${fnLogicalId}"`),
    )
    .map(([, r]) => JSON.parse((r.Properties!.Target as { Input: string }).Input) as unknown);
}

describe('the stack as deployed: bundles from cdk.out in the Lambda runtime emulator, with their roles', () => {
  beforeAll(async () => {
    // The reports go by SES as a team that configured `reports.email` gets them.
    // Cleanup protects releases/ (denied by IAM on its role too).
    // The security team's API, on loopback (the manual's URL is the default).
    securityApi = await httpReceiver(() => ({ status: 201 }));
    resolver = synthesize(CDK_OUT, {
      security: { apiUrl: `${securityApi.url}/api/incidents` },
      reports: { email: { from: REPORTS_SENDER } },
      retention: { protectedPrefixes: ['releases/'] },
      // Every ablated run of the mitigation acts once: the hour's cap must not be what refuses it.
      mitigation: { perHour: 100 },
    });
    runtime = ensureLambdaRuntime(() => undefined);

    kc.loadFromFile(endpoints.kubernetes!.kubeconfig);
    const cluster = kc.getCurrentCluster()!;
    const ca = cluster.caData ?? readFileSync(cluster.caFile!).toString('base64');
    moto = await startIamMoto({
      python: join(STACK_DIR, 'venv', 'bin', 'python3'),
      eksClusters: { 'mcp-cluster': { endpoint: cluster.server, ca } },
    });
    ({ roles } = await provision(resolver, moto.endpoint));
    // An administrator of the emulated account, for the test's own setup and reading back.
    const boot = {
      region: REGION,
      endpoint: moto.endpoint,
      credentials: { accessKeyId: 'AKIABOOT', secretAccessKey: 'boot' },
    };
    const iam = new IAMClient(boot);
    await iam.send(new CreateUserCommand({ UserName: 'test-admin' }));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: 'test-admin',
        PolicyName: 'all',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
        }),
      }),
    );
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'test-admin' }))).AccessKey!;
    admin = {
      region: REGION,
      endpoint: moto.endpoint,
      credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! },
    };
    // What exists beside the stack: the cluster, the artifacts and backup buckets the config names.
    await new EKSClient(boot).send(
      new CreateClusterCommand({
        name: 'mcp-cluster',
        roleArn: `arn:aws:iam::${ACCOUNT}:role/eks`,
        resourcesVpcConfig: { subnetIds: [] },
      }),
    );
    const s3 = new S3Client({ ...boot, forcePathStyle: true });
    for (const bucket of ['mcp-artifacts', 'mcp-artifacts-backup'])
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await writeBackupFixture(s3, {
      bucket: 'mcp-artifacts-backup',
      folder: 'backup-deployed',
      objects: 40,
      completedAt: new Date(Date.now() - 2 * 3600_000),
      writePointer: true,
    });
    // The respond function behind a function URL; the links in pages lead there.
    urlServer = await functionUrlServer(async (event) => {
      const result = await (await fn('mcp-ops-escalation-respond')).invoke(event);
      return result.json();
    }, 'mcp-ops-escalation-respond');
    // The mitigation function behind its own URL; the diagnosis's offered actions lead there.
    mitigateServer = await functionUrlServer(async (event) => {
      const result = await (await fn('mcp-ops-mitigate')).invoke(event);
      return result.json();
    }, 'mcp-ops-mitigate');
    for (const [id] of resolver.ofType('AWS::Lambda::Url'))
      resolver.attrs.set(id, { FunctionUrl: id.includes('Mitigate') ? mitigateServer.url : urlServer.url });
    specs = functionsOf(resolver, CDK_OUT);
    await moto.enforce();
  }, 300_000);

  afterAll(async () => {
    for (const f of running.values()) await f.stop();
    await urlServer?.close();
    await mitigateServer?.close();
    await securityApi?.close();
    await moto?.stop();
  });

  it('declares every function on the Node.js major the tests run it on, bundled with its SDK', () => {
    expect(specs.map((s) => s.name).sort()).toEqual([
      'mcp-ops-backup-verify',
      'mcp-ops-checks',
      'mcp-ops-cleanup',
      'mcp-ops-escalation-diagnose',
      'mcp-ops-escalation-intake',
      'mcp-ops-escalation-respond',
      'mcp-ops-escalation-tick',
      'mcp-ops-maintenance',
      'mcp-ops-mitigate',
    ]);
    for (const s of specs) {
      expect(s.runtime).toBe(`nodejs${LAMBDA_NODE_MAJOR}.x`);
      // The SDK the tests ran is inside the bundle, not Lambda's own.
      expect(readFileSync(join(s.assetDir, 'index.mjs'), 'utf8')).toMatch(/@aws-sdk\/|aws-sdk-js|smithy/i);
      // Source maps name files and lines without a copy of the sources (init reads the whole map).
      const map = JSON.parse(readFileSync(join(s.assetDir, 'index.mjs.map'), 'utf8')) as Record<
        string,
        unknown
      >;
      expect(map.sourcesContent).toBeUndefined();
    }
  });

  it('refuses what a role was not given: the emulator enforces IAM', async () => {
    const checks = spec('mcp-ops-checks');
    const bare = await start(checks, [{ Effect: 'Allow', Action: 'sts:GetCallerIdentity', Resource: '*' }]);
    try {
      const answer = await bare.invoke({ report: 'security' });
      // moto answers EKS's refusal in XML (the SDK then fails to parse it), so the refusal is read
      // where it names action and resource: the emulator's own log.
      expect(`${answer.body}\n${bare.output()}`).toMatch(/AccessDenied|not authorized|"httpStatusCode":403/i);
      expect(moto.log()).toMatch(
        /DENY arn:aws:sts::123456789012:assumed-role\/[^ ]+ eks:DescribeCluster on arn:aws:eks:us-east-1:123456789012:cluster\/mcp-cluster/,
      );
    } finally {
      await bare.stop();
    }
  });

  it('sends the morning report with its Prometheus sections from Prometheus, through the service proxy', async () => {
    const checks = spec('mcp-ops-checks');
    const [morning] = scheduledInputs(checks.logicalId).filter(
      (i) => (i as { report?: string }).report === 'morning',
    );
    expect(morning).toEqual({ report: 'morning' });
    const before = (await sesSent()).length;
    const running = await fn(checks.name);
    const answer = await running.invoke(morning);
    expect(answer.status, running.output()).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ delivery: { via: 'ses' } });
    const mail = (await sesSent()).slice(before);
    expect(mail).toHaveLength(1);
    expect(mail[0]!.from?.text).toBe(REPORTS_SENDER);
    expect(mail[0]!.html).toBeTruthy();
    const text = mail[0]!.text ?? '';
    expect(text, running.output().slice(-3000)).toMatch(/source: prometheus/);
    expect(text).not.toMatch(/source: pod-proxy/);
    expect(running.output()).not.toMatch(/AccessDenied/);
    expect(running.output()).toMatch(/REPORT RequestId/);
  });

  it('answers a bad request to each job with its reason, through the one refusal middleware, and retries nothing', async () => {
    const bad: Array<[string, unknown, RegExp]> = [
      ['mcp-ops-checks', { report: 'noon' }, /report/],
      ['mcp-ops-cleanup', { retentionDays: -3 }, /retentionDays/],
      ['mcp-ops-backup-verify', { maxAgeHours: 'soon' }, /maxAgeHours/],
      ['mcp-ops-maintenance', { stage: 'lunch' }, /stage/],
    ];
    for (const [name, input, reason] of bad) {
      const running = await fn(name);
      const answer = await running.invoke(input);
      // A refused request is an answer (200, no function error): Lambda does not retry it.
      expect(answer.status, running.output().slice(-2000)).toBe(200);
      expect(answer.json(), name).toEqual({ error: expect.stringMatching(reason) });
      expect(running.output()).toMatch(/refused/);
    }
  });

  it('cleans up with the ConfigMap’s artifact.retention.days, read in Lambda through the cluster', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const patch = async (days: string) => {
      const map = await core.readNamespacedConfigMap({
        name: 'mcp-semantic-config',
        namespace: 'mcp-system',
      });
      map.data = { ...map.data, 'artifact.retention.days': days };
      await core.replaceNamespacedConfigMap({
        name: 'mcp-semantic-config',
        namespace: 'mcp-system',
        body: map,
      });
    };
    await patch('45');
    try {
      const answer = (await (await fn('mcp-ops-cleanup')).invoke({})).json() as Record<string, unknown>;
      expect(answer).toMatchObject({ dryRun: true, retentionDays: 45, retentionSource: 'configmap' });
    } finally {
      await patch('90');
    }
  });

  it('refuses, by IAM, the cleanup role’s delete under a configured protected prefix, whatever its code asks', async () => {
    const cleanup = spec('mcp-ops-cleanup');
    const roleArn = resolver.attrs.get(cleanup.roleLogicalId)!.Arn!;
    await moto.relax();
    const session = await sessionFor(
      moto.endpoint,
      roles.get(cleanup.roleLogicalId)!,
      roleArn,
      roleStatements(resolver, cleanup.roleLogicalId),
    ).finally(() => moto.enforce());
    const asAdmin = new S3Client({ ...admin, forcePathStyle: true });
    for (const Key of ['releases/v1.bin', 'scratch/old.bin'])
      await asAdmin.send(new PutObjectCommand({ Bucket: 'mcp-artifacts', Key, Body: 'x' }));
    const asCleanup = new S3Client({
      region: REGION,
      endpoint: moto.endpoint,
      forcePathStyle: true,
      credentials: session,
    });
    const before = moto.log().length;
    await expect(
      asCleanup.send(new DeleteObjectCommand({ Bucket: 'mcp-artifacts', Key: 'releases/v1.bin' })),
    ).rejects.toThrow(/Access Denied|AccessDenied/);
    expect(
      await loggedSince(
        before,
        `/${roles.get(cleanup.roleLogicalId)}/${roles.get(cleanup.roleLogicalId)!.slice(0, 60)} s3:DeleteObject on arn:aws:s3:::mcp-artifacts/releases/v1.bin`,
      ),
    ).toContain(
      `/${roles.get(cleanup.roleLogicalId)}/${roles.get(cleanup.roleLogicalId)!.slice(0, 60)} s3:DeleteObject on arn:aws:s3:::mcp-artifacts/releases/v1.bin`,
    );
    // The same role deletes outside the protected prefix.
    await asCleanup.send(new DeleteObjectCommand({ Bucket: 'mcp-artifacts', Key: 'scratch/old.bin' }));
    const left = await asAdmin.send(new ListObjectsV2Command({ Bucket: 'mcp-artifacts' }));
    expect((left.Contents ?? []).map((o) => o.Key)).toContain('releases/v1.bin');
    expect((left.Contents ?? []).map((o) => o.Key)).not.toContain('scratch/old.bin');

    // One request, one run: the same request invoked again answers the run it started.
    const request = { dryRun: false, idempotencyKey: `deployed-${Date.now()}` };
    const first = (await (await fn('mcp-ops-cleanup')).invoke(request)).json() as { runId: string };
    const again = (await (await fn('mcp-ops-cleanup')).invoke(request)).json() as { runId: string };
    expect(first.runId).toMatch(/^\d{8}T\d{6}Z-[a-z0-9]{6}$/);
    expect(again.runId).toBe(first.runId);
  });

  it('verifies the latest backup with the backup function’s role', async () => {
    const backup = spec('mcp-ops-backup-verify');
    const [input] = scheduledInputs(backup.logicalId);
    const running = await fn(backup.name);
    const answer = await running.invoke(input);
    expect(answer.status).toBe(200);
    expect(running.output()).not.toMatch(/AccessDenied/);
    expect(JSON.stringify(answer.json())).toMatch(/backup-deployed/);
  });

  it('takes a CloudWatch alarm of this account through the alerts topic’s and key’s policies to intake, and refuses what the config does not name', async () => {
    const alertsTopic = resolver.refs.get(
      resolver.ofType('AWS::SNS::Topic').find(([id]) => id.includes('AlertsTopic'))![0],
    )!;
    const alarm = resolver
      .ofType('AWS::CloudWatch::Alarm')
      .map(
        ([, r]) => resolver.resolve(r.Properties as never) as { AlarmName: string; AlarmDescription: string },
      )
      .find((a) => a.AlarmName === 'mcp-ops-artifact-storage-full')!;
    const alarmArn = (account: string) => `arn:aws:cloudwatch:${REGION}:${account}:alarm:${alarm.AlarmName}`;
    const message = JSON.stringify({
      AlarmName: alarm.AlarmName,
      AlarmDescription: alarm.AlarmDescription,
      AlarmArn: alarmArn(ACCOUNT),
      NewStateValue: 'ALARM',
      NewStateReason: 'Threshold Crossed: 1 datapoint [93.0] was greater than the threshold (90.0).',
      StateChangeTime: new Date().toISOString(),
      Region: 'US East (N. Virginia)',
    });
    // What CloudWatch does when the alarm fires: publish as the service, from this account's alarm.
    const publishAsCloudWatch = (account: string) =>
      fetch(`${moto.endpoint}/moto-api/mcp-ops/publish-as-service`, {
        method: 'POST',
        body: JSON.stringify({
          service: 'cloudwatch.amazonaws.com',
          sourceAccount: account,
          sourceArn: alarmArn(account),
          topicArn: alertsTopic,
          message,
          subject: `ALARM: "${alarm.AlarmName}" in US East (N. Virginia)`,
        }),
      });
    const queue = await queueOn(alertsTopic);
    expect((await publishAsCloudWatch(ACCOUNT)).status).toBe(200);
    const [delivered] = await queue.receive();
    expect(JSON.parse(delivered!)).toMatchObject({ AlarmName: 'mcp-ops-artifact-storage-full' });
    // Intake takes it as SNS hands it over: the storage-full alarm is critical, a P1 that pages.
    const outcomes = (
      await (await fn('mcp-ops-escalation-intake')).invoke(snsEvent(`cw-${Date.now()}`, delivered!, 'ALARM'))
    ).json() as Array<{ outcome: string; incidentId?: string }>;
    expect(outcomes[0]).toMatchObject({ outcome: expect.stringMatching(/^(opened|joined)$/) });

    // Another account's alarm is refused by the topic's policy, by name.
    let before = moto.log().length;
    expect((await publishAsCloudWatch('999999999999')).status).toBe(403);
    expect(
      await loggedSince(
        before,
        `DENY service cloudwatch.amazonaws.com sns:Publish on ${alertsTopic} (resource policy)`,
      ),
    ).toContain(`DENY service cloudwatch.amazonaws.com sns:Publish on ${alertsTopic} (resource policy)`);
    // Without the statement that lets this account's alarms in, they are refused too.
    const topics = new SNSClient(admin);
    const policy = JSON.parse(
      (await topics.send(new GetTopicAttributesCommand({ TopicArn: alertsTopic }))).Attributes!.Policy!,
    ) as { Statement: Array<{ Sid?: string }> };
    const setPolicy = (doc: unknown) =>
      topics.send(
        new SetTopicAttributesCommand({
          TopicArn: alertsTopic,
          AttributeName: 'Policy',
          AttributeValue: JSON.stringify(doc),
        }),
      );
    await setPolicy({
      ...policy,
      Statement: policy.Statement.filter((st) => st.Sid !== 'AllowThisAccountsAlarms'),
    });
    try {
      before = moto.log().length;
      expect((await publishAsCloudWatch(ACCOUNT)).status).toBe(403);
      const refusal = `DENY service cloudwatch.amazonaws.com sns:Publish on ${alertsTopic}`;
      expect(await loggedSince(before, refusal)).toContain(refusal);
    } finally {
      await setPolicy(policy);
    }

    // Nor through the topic's key without the key policy's statement for this account's alarms.
    const kms = new KMSClient(admin);
    const keyId = resolver.refs.get(resolver.ofType('AWS::KMS::Key')[0]![0])!;
    const keyPolicy = (await kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' })))
      .Policy!;
    const withoutAlarms = JSON.parse(keyPolicy) as { Statement: Array<{ Sid?: string }> };
    withoutAlarms.Statement = withoutAlarms.Statement.filter(
      (st) => st.Sid !== 'AllowCloudWatchAlarmsToPublish',
    );
    await kms.send(
      new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default', Policy: JSON.stringify(withoutAlarms) }),
    );
    try {
      before = moto.log().length;
      expect((await publishAsCloudWatch(ACCOUNT)).status).toBe(403);
      expect(
        await loggedSince(
          before,
          /DENY service cloudwatch\.amazonaws\.com kms:GenerateDataKey on arn:aws:kms:/,
        ),
      ).toMatch(/DENY service cloudwatch\.amazonaws\.com kms:GenerateDataKey on arn:aws:kms:/);
    } finally {
      await kms.send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default', Policy: keyPolicy }));
    }

    // A principal of this account whose own policy allows the publish, not named in config: refused.
    await moto.relax();
    let developer;
    try {
      const iam = new IAMClient(admin);
      const userName = `developer-${Date.now()}`;
      await iam.send(new CreateUserCommand({ UserName: userName }));
      await iam.send(
        new PutUserPolicyCommand({
          UserName: userName,
          PolicyName: 'publish',
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 'sns:Publish', Resource: alertsTopic }],
          }),
        }),
      );
      developer = (await iam.send(new CreateAccessKeyCommand({ UserName: userName }))).AccessKey!;
    } finally {
      await moto.enforce();
    }
    before = moto.log().length;
    const asDeveloper = new SNSClient({
      region: REGION,
      endpoint: moto.endpoint,
      credentials: { accessKeyId: developer.AccessKeyId!, secretAccessKey: developer.SecretAccessKey! },
    });
    await expect(
      asDeveloper.send(
        new PublishCommand({
          TopicArn: alertsTopic,
          Message: amMessage('ForgedResolve', { status: 'resolved' }),
        }),
      ),
    ).rejects.toThrow(/AccessDenied|not authorized/i);
    const unnamed = new RegExp(
      `DENY arn:aws:iam::${ACCOUNT}:user/developer-\\d+ sns:Publish on ${alertsTopic.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(resource policy\\)`,
    );
    expect(await loggedSince(before, unnamed)).toMatch(unnamed);
  });

  it('pages from an Alertmanager message in its SNS envelope, and the link acknowledges through the function URL', async () => {
    const topics = JSON.parse(spec('mcp-ops-escalation-intake').environment.TIER_TOPICS!) as Record<
      string,
      string
    >;
    const primary = await queueOn(topics.primary!);
    const intake = await fn('mcp-ops-escalation-intake');
    const name = `DeployedShape${Date.now()}`;
    const event = alertEvent(name);
    const opened = await intake.invoke(event);
    const denied = () =>
      moto
        .log()
        .split('\n')
        .filter((l) => l.includes('DENY'))
        .join('\n');
    expect(opened.status, intake.output().slice(-3000)).toBe(200);
    expect(JSON.stringify(opened.json()), `${denied()}\n${intake.output().slice(-3000)}`).toMatch(/opened/);
    const pages = await primary.receive();
    const page = pages.find((m) => m.includes(name))!;
    expect(page, intake.output().slice(-3000)).toBeDefined();
    const link = new URL(/Acknowledge: (\S+)/.exec(page)![1]!);
    expect(link.origin).toBe(new URL(urlServer!.url).origin);
    const shown = await fetch(link);
    expect(shown.status).toBe(200);
    expect(await shown.text()).toMatch(/<form/);
    const acked = await fetch(new URL(link.pathname, link), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: link.searchParams.get('token')!, action: 'ack' }).toString(),
    });
    expect(acked.status).toBe(200);
    expect(await acked.text()).toMatch(/acknowledged/i);

    const tick = spec('mcp-ops-escalation-tick');
    const [tickInput] = scheduledInputs(tick.logicalId);
    const ticked = await (await fn(tick.name)).invoke(tickInput);
    expect(ticked.status).toBe(200);
    for (const f of running.values()) expect(f.output()).not.toMatch(/AccessDenied/);
  });

  it('sends its trace to the X-Ray daemon: the handler and each AWS call a subsegment of the invocation', async () => {
    // The emulator drops the invoke's X-Amzn-Trace-Id, so the bundle runs here under plain Node.js
    // of the runtime's major with what Lambda gives a traced invocation: _X_AMZN_TRACE_ID and the
    // daemon's address (a UDP listener standing for the daemon Lambda runs beside the function).
    const daemon = createSocket('udp4');
    const segments: Array<{ trace_id?: string; name?: string; namespace?: string }> = [];
    daemon.on('message', (message) => {
      const text = String(message);
      segments.push(JSON.parse(text.slice(text.indexOf('\n') + 1)) as (typeof segments)[number]);
    });
    await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
    const intake = spec('mcp-ops-escalation-intake');
    const traceId = `1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
    const driver = [
      `const { handler } = await import(${JSON.stringify(`${intake.assetDir}/${intake.handler.split('.')[0]}.mjs`)});`,
      `const context = { functionName: ${JSON.stringify(intake.name)}, functionVersion: '$LATEST', awsRequestId: 'traced-1',`,
      `  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:${intake.name}', memoryLimitInMB: '512',`,
      `  logGroupName: '/aws/lambda/${intake.name}', logStreamName: 'traced', getRemainingTimeInMillis: () => 30000 };`,
      `console.log(JSON.stringify(await handler(JSON.parse(process.env.EVENT), context)));`,
    ].join('\n');
    try {
      const run = await promisify(execFile)(runtime.node, ['--input-type=module', '-e', driver], {
        cwd: intake.assetDir,
        env: {
          PATH: '/usr/local/bin:/usr/bin:/bin',
          TZ: ':UTC',
          LAMBDA_TASK_ROOT: intake.assetDir,
          AWS_LAMBDA_FUNCTION_NAME: intake.name,
          AWS_EXECUTION_ENV: `AWS_Lambda_${intake.runtime}`,
          AWS_REGION: 'us-east-1',
          ...intake.environment,
          ...(await roleSession(intake)),
          _X_AMZN_TRACE_ID: `Root=${traceId};Parent=${randomBytes(8).toString('hex')};Sampled=1`,
          AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon.address().port}`,
          EVENT: JSON.stringify(alertEvent(`Traced${Date.now()}`)),
        },
      });
      expect(run.stdout).toMatch(/opened/);
      const mine = await eventually(
        async () => {
          const found = segments.filter((s) => s.trace_id === traceId);
          return found.some((s) => s.name === 'DynamoDB') && found.some((s) => s.name?.startsWith('## '))
            ? found
            : undefined;
        },
        10_000,
        `segments of trace ${traceId} (got ${JSON.stringify(segments).slice(0, 500)})`,
      );
      expect(mine.find((s) => s.name === 'DynamoDB')).toMatchObject({ namespace: 'aws' });
      expect(mine.some((s) => s.name === 'SNS')).toBe(true);
    } finally {
      daemon.close();
    }
  });

  // The converse: every action the template grants is one the function uses. Each action is taken
  // away in turn (a role holding all the others), the function's scenario runs, and the emulator
  // must refuse that action by name; what the local stack cannot exercise is listed with why.
  // What the Lambda service itself does with a function's role: logs, X-Ray (its daemon sends the
  // function's segments; the test below receives them), the dead-letter queues (the
  // stream's failure destination too), VPC interfaces, and reading the incidents table's stream.
  const LAMBDA_SERVICE =
    /^(logs:|xray:|sqs:(SendMessage|GetQueueAttributes|GetQueueUrl)$|ec2:|dynamodb:(DescribeStream|GetRecords|GetShardIterator|ListStreams)$)/;
  const NOT_EXERCISED_HERE: Record<string, string> = {
    // moto's SNS never calls KMS; on AWS, publishing to the SSE-KMS topics needs both.
    'PageEncrypted:kms:Decrypt': 'SNS server-side encryption is not emulated',
    'PageEncrypted:kms:GenerateDataKey*': 'SNS server-side encryption is not emulated',
    'SendReportsEncrypted:kms:Decrypt': 'SNS server-side encryption is not emulated',
    'SendReportsEncrypted:kms:GenerateDataKey*': 'SNS server-side encryption is not emulated',
    'SendEncrypted:kms:Decrypt': 'SNS server-side encryption is not emulated',
    'SendEncrypted:kms:GenerateDataKey*': 'SNS server-side encryption is not emulated',
    // S3 answers 403 instead of 404 for a missing key to a caller without s3:ListBucket; moto
    // answers NoSuchKey either way.
    'WindowStateList:s3:ListBucket': 'moto does not ask for s3:ListBucket when a key is missing',
    'ReportsList:s3:ListBucket': 'moto does not ask for s3:ListBucket when a key is missing',
    // With reports.email the reports go by SES; the topic carries one only when SES refuses it
    // (deliver.ts's fallback, tested in test/unit/report-mail.test.ts).
    'SendReports:sns:Publish': 'reports go by SES here; the topic is the fallback',
    // The local pods' images are not in ECR; the scan lookup runs for ECR images only.
    'ImageScanFindings:ecr:DescribeImageScanFindings': 'the local images are not in ECR',
    // Deleting needs objects older than the retention floor (7 days); moto stamps uploads now.
    'DeleteExpiredArtifacts:s3:DeleteObject': 'no object here is older than the retention floor',
    // The local pods are hardened: the security check finds nothing CRITICAL to raise as an alert
    // (test/unit/security.test.ts raises one and follows it into a security incident).
    'RaiseSecurityAlerts:sns:Publish': 'the local world has no CRITICAL security finding',
    // On S3 a PutObject with Object Lock headers needs s3:PutObjectRetention too; moto does not ask.
    'WriteEvidence:s3:PutObjectRetention': 'moto does not check s3:PutObjectRetention on a locked PutObject',
    // Only a run that nears the 15-minute limit continues in a fresh invocation of itself.
    'ContinueLongRun:lambda:InvokeFunction': 'a run pauses only near the function timeout',
  };

  // Each run of the maintenance scenario takes a window of its own (a month further on), so
  // nothing it sends once per window was already sent by an earlier run.
  let maintenanceRuns = 0;
  const maintenanceRun = async (f: RunningFunction) => {
    const window = maintenanceWindowOf(new Date(Date.UTC(2030, maintenanceRuns++, 1)), MANUAL_WINDOW);
    const notice = await f.invoke({ stage: 'notice', at: stageTime('notice', window).toISOString() });
    const pre = await f.invoke({ stage: 'pre-1h', at: stageTime('pre-1h', window).toISOString() });
    return { notice, pre };
  };

  it('runs the maintenance pre-check an hour before a window: it fails (the backup is older than the margin), mails the team and pages', async () => {
    const maintenance = spec('mcp-ops-maintenance');
    const inputs = scheduledInputs(maintenance.logicalId) as Array<{ stage: string; at: string }>;
    expect(inputs.map((i) => i.stage).sort()).toEqual([
      'notice',
      'post',
      'pre-1h',
      'pre-24h',
      'reminder',
      'watch',
    ]);
    expect(new Set(inputs.map((i) => i.at))).toEqual(new Set(['<aws.scheduler.scheduled-time>']));
    const alerts = await queueOn(maintenance.environment.ALERTS_TOPIC_ARN!);
    const before = (await sesSent()).length;
    const running = await fn(maintenance.name);
    const { notice, pre } = await maintenanceRun(running);
    expect(notice.status, running.output().slice(-2000)).toBe(200);
    expect(notice.json()).toMatchObject({ stage: 'notice', due: true, sent: true });
    const outcome = pre.json() as {
      result: { items: Array<{ name: string; status: string; detail: string }> };
      paged: boolean;
    };
    expect(outcome.paged, `${JSON.stringify(outcome).slice(0, 2000)}\n${running.output().slice(-3000)}`).toBe(
      true,
    );
    const items = Object.fromEntries(outcome.result.items.map((i) => [i.name, i]));
    expect(items['Backup all data']).toMatchObject({ status: 'FAIL' });
    expect(items['Prepare rollback plan']).toMatchObject({ status: 'PASS' });
    expect(items['Health baseline']).toMatchObject({ status: 'PASS' });
    // Read with the role (an incident an earlier test opened here may be open: FAIL names it).
    expect(items['No open P0/P1 incident']!.detail).not.toMatch(/could not be read/);
    const mail = (await sesSent()).slice(before);
    expect(mail.map((m) => m.subject)).toEqual([
      expect.stringMatching(/maintenance Saturday/),
      expect.stringMatching(/^\[FAIL\] Pre-maintenance check MAINT-/),
    ]);
    expect((await alerts.receive()).some((m) => m.includes('MCPMaintenancePreCheckFailed'))).toBe(true);
    expect(running.output()).not.toMatch(/AccessDenied/);
  });

  /** An incident opened by the intake bundle, then its INSERT as the table's stream delivers it. */
  const diagnoseRun = async (f: RunningFunction, runbook?: string) => {
    const intakeFn = await fn('mcp-ops-escalation-intake');
    // `security`: a GuardDuty EKS finding about a pod of the service, as EventBridge sends it.
    const pod =
      runbook === 'security'
        ? (
            await kc
              .makeApiClient(CoreV1Api)
              .listNamespacedPod({ namespace: 'mcp-system', labelSelector: 'app=mcp-semantic' })
          ).items[0]!.metadata!.name!
        : undefined;
    const intake = await intakeFn.invoke(
      pod
        ? snsEvent(
            `gd-${Date.now()}-${Math.random()}`,
            guardDutyEvent(`finding-${Date.now()}-${Math.random()}`, 8, pod),
          )
        : alertEvent(`AblationDiagnose${Date.now()}`, 'firing', 'critical', runbook),
    );
    const opened = intake.json() as Array<{ incidentId?: string }>;
    if (!Array.isArray(opened))
      throw new Error(`intake answered ${intake.status}: ${intakeFn.output().slice(-4000)}`);
    const id = opened.find((o) => o.incidentId)!.incidentId!;
    const answer = await f.invoke({
      Records: [
        {
          eventID: `stream-${id}`,
          eventName: 'INSERT',
          eventSource: 'aws:dynamodb',
          dynamodb: {
            Keys: { pk: { S: `INC#${id}` } },
            NewImage: { pk: { S: `INC#${id}` }, id: { S: id } },
            StreamViewType: 'NEW_IMAGE',
          },
        },
      ],
    });
    return { id, answer };
  };

  /** Runbook 4 reads the cleanup job's newest finished run: one is there, newest of all. */
  const seedCleanupSummary = async () => {
    await new S3Client({ ...admin, forcePathStyle: true }).send(
      new PutObjectCommand({
        Bucket: spec('mcp-ops-escalation-diagnose').environment.REPORTS_BUCKET!,
        Key: `cleanup/${CLEANUP_SUMMARY.runId}/summary.json`,
        Body: JSON.stringify(CLEANUP_SUMMARY),
      }),
    );
  };

  it('keeps a security incident’s evidence in the Object Lock bucket, pages the Security Team and posts to its API, with the functions’ roles', async () => {
    const topics = JSON.parse(spec('mcp-ops-escalation-intake').environment.TIER_TOPICS!) as Record<
      string,
      string
    >;
    const team = await queueOn(topics.security!);
    const before = securityApi.requests.length;
    const running = await fn('mcp-ops-escalation-diagnose');
    const { id, answer } = await diagnoseRun(running, 'security');
    expect(answer.status, running.output().slice(-3000)).toBe(200);
    expect((await team.receive(2)).join('\n')).toContain(id);
    expect(securityApi.requests.slice(before)).toEqual([
      expect.objectContaining({ body: expect.objectContaining({ type: 'security-breach', incidentId: id }) }),
    ]);
    const bucket = spec('mcp-ops-escalation-diagnose').environment.EVIDENCE_BUCKET!;
    const s3 = new S3Client({ ...admin, forcePathStyle: true });
    const manifest = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: `evidence/${id}/initial/manifest.json` }),
    );
    expect(manifest.ObjectLockMode).toBe('COMPLIANCE');
    expect(JSON.parse(await manifest.Body!.transformToString())).toMatchObject({
      incidentId: id,
      phase: 'initial',
    });
    expect(running.output()).not.toMatch(/AccessDenied/);
  });

  it('diagnoses a storage incident (Runbook 4) with the cleanup job’s newest run, with the diagnose function’s role', async () => {
    const running = await fn('mcp-ops-escalation-diagnose');
    await seedCleanupSummary();
    const { id, answer } = await diagnoseRun(running, 'runbook-4-storage-full');
    expect(answer.status, running.output().slice(-3000)).toBe(200);
    const archived = await new S3Client({ ...admin, forcePathStyle: true }).send(
      new GetObjectCommand({
        Bucket: spec('mcp-ops-escalation-diagnose').environment.REPORTS_BUCKET!,
        Key: `reports/diagnosis/${id}.txt`,
      }),
    );
    const text = await archived.Body!.transformToString();
    expect(text).toContain(`last cleanup run ${CLEANUP_SUMMARY.runId} (dry run`);
    expect(text).not.toMatch(/Storage: FAILED/);
    expect(running.output()).not.toMatch(/AccessDenied/);
  });

  it('follows a new incident’s page with its diagnosis, from the table’s stream, with the diagnose function’s role', async () => {
    const diagnose = spec('mcp-ops-escalation-diagnose');
    const topics = JSON.parse(diagnose.environment.TIER_TOPICS!) as Record<string, string>;
    const primary = await queueOn(topics.primary!);
    const running = await fn(diagnose.name);
    const { id, answer } = await diagnoseRun(running);
    expect(answer.status, running.output().slice(-3000)).toBe(200);
    expect(answer.json()).toEqual({
      batchItemFailures: [],
      outcomes: [{ incidentId: id, kind: 'diagnose', done: true }],
    });
    const messages = (await primary.receive(2)).filter((m) => m.includes(id));
    expect(messages.some((m) => m.startsWith(`Diagnosis for ${id}`))).toBe(true);
    // A person resolves it (as the respond page does, here by hand); the stream's MODIFY drafts
    // the review, its counts read from Prometheus through the service proxy.
    const resolvedAt = new Date().toISOString();
    await new DynamoDBClient(admin).send(
      new UpdateItemCommand({
        TableName: diagnose.environment.INCIDENTS_TABLE!,
        Key: { pk: { S: `INC#${id}` } },
        UpdateExpression: 'SET #s = :r, timeline = list_append(timeline, :e) REMOVE openFlag',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: {
          ':r': { S: 'resolved' },
          ':e': {
            L: [
              {
                M: {
                  at: { S: resolvedAt },
                  event: { S: 'resolved' },
                  detail: { S: 'resolved by tester via the respond page' },
                },
              },
            ],
          },
        },
      }),
    );
    const reviewed = await running.invoke({
      Records: [
        {
          eventID: `stream-review-${id}`,
          eventName: 'MODIFY',
          eventSource: 'aws:dynamodb',
          dynamodb: { NewImage: { pk: { S: `INC#${id}` }, id: { S: id }, status: { S: 'resolved' } } },
        },
      ],
    });
    expect(reviewed.json()).toEqual({
      batchItemFailures: [],
      outcomes: [{ incidentId: id, kind: 'review', done: true }],
    });
    const review = (await primary.receive(3)).find((m) => m.includes('post-incident review is drafted'));
    expect(review).toMatch(/requests failed: \d+; validations failed: \d+/);
    expect(running.output()).not.toMatch(/AccessDenied/);
  });

  /**
   * One mitigation through the function URL as its bundle answers it: an incident opened by intake,
   * maintenance mode left on, the link signed with the stack's link key; the GET (the dry run) and
   * the button's POST. Answers the two pages.
   */
  async function mitigationRun(invoke: (event: unknown) => Promise<{ json(): unknown }>) {
    const opened = (
      await (
        await fn('mcp-ops-escalation-intake')
      ).invoke(alertEvent(`Mitigate${Date.now()}${Math.random()}`))
    ).json() as Array<{ incidentId?: string }>;
    const id = opened.find((o) => o.incidentId)!.incidentId!;
    await setMaintenanceMode(kc, true);
    const secret = await new SecretsManagerClient(admin).send(
      new GetSecretValueCommand({ SecretId: spec('mcp-ops-mitigate').environment.LINK_SECRET_ARN! }),
    );
    const token = signMitigation(secret.SecretString!, {
      incidentId: id,
      generation: 1,
      sentTo: 'primary',
      target: { action: 'maintenance-off', ingress: INGRESS },
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    const request = (method: string, extra: object) => ({
      version: '2.0',
      rawPath: '/',
      rawQueryString: '',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      requestContext: { http: { method, path: '/' } },
      ...extra,
    });
    const shown = (await invoke(request('GET', { queryStringParameters: { token } }))).json() as {
      body: string;
    };
    const acted = (
      await invoke(
        request('POST', {
          body: Buffer.from(new URLSearchParams({ token, by: 'deployed-shape' }).toString()).toString(
            'base64',
          ),
          isBase64Encoded: true,
        }),
      )
    ).json() as { statusCode: number; body: string };
    return { id, shown, acted };
  }

  it('mitigates from a link with the mitigation function’s role: the only access entry in the writing group', async () => {
    // Only the mitigation function's role is mapped to the group that may write to the cluster.
    for (const f of specs)
      expect(accessGroups(f.roleLogicalId).includes('mcp-ops:mitigator'), f.name).toBe(
        f.name === 'mcp-ops-mitigate',
      );
    const mitigate = await fn('mcp-ops-mitigate');
    const { shown, acted } = await mitigationRun((event) => mitigate.invoke(event));
    expect(shown.body, mitigate.output().slice(-3000)).toContain(
      'would remove nginx.ingress.kubernetes.io/custom-http-errors',
    );
    expect(acted.statusCode, mitigate.output().slice(-3000)).toBe(200);
    expect(acted.body).toContain('maintenance mode off');
    const ingress = await kc
      .makeApiClient(NetworkingV1Api)
      .readNamespacedIngress({ name: INGRESS, namespace: 'mcp-system' });
    expect(ingress.metadata?.annotations?.['nginx.ingress.kubernetes.io/custom-http-errors']).toBeUndefined();
    expect(mitigate.output()).not.toMatch(/AccessDenied/);
    // The checks' role maps to the read-only group alone (mitigate.test.ts shows that group refused every write).
    const checks = spec('mcp-ops-checks');
    expect(accessGroups(checks.roleLogicalId)).toEqual(['mcp-ops:readonly']);
  });

  const scenarios: Record<string, (f: RunningFunction) => Promise<void>> = {
    'mcp-ops-mitigate': async (f) => {
      await mitigationRun((event) => f.invoke(event));
    },
    'mcp-ops-escalation-diagnose': async (f) => {
      await diagnoseRun(f);
      await diagnoseRun(f, 'security');
      await seedCleanupSummary();
      await diagnoseRun(f, 'runbook-4-storage-full');
    },
    'mcp-ops-maintenance': async (f) => {
      await maintenanceRun(f);
    },
    'mcp-ops-checks': async (f) => {
      for (const input of scheduledInputs(spec('mcp-ops-checks').logicalId)) await f.invoke(input);
    },
    'mcp-ops-cleanup': async (f) => {
      await f.invoke({});
      // A real run (nothing here has expired) keeps its journal and manifest under cleanup/; the
      // same request again (its idempotency key) answers that run's summary.
      const request = { dryRun: false, idempotencyKey: `ablation-${Date.now()}` };
      await f.invoke(request);
      await f.invoke(request);
    },
    'mcp-ops-backup-verify': async (f) => {
      for (const input of scheduledInputs(spec('mcp-ops-backup-verify').logicalId)) await f.invoke(input);
    },
    'mcp-ops-escalation-intake': async (f) => {
      const name = `Ablation${Date.now()}`;
      await f.invoke(alertEvent(name));
      // Alertmanager's "resolved" frees the alert's pointer (the incident stays for a person).
      await f.invoke(alertEvent(name, 'resolved'));
    },
    'mcp-ops-escalation-tick': async (f) => {
      // Incidents opened two hours ago and never acknowledged (their clocks moved back by hand, as
      // time would): a P1's ladder is due up to the manager (pages), a P2's response time has
      // passed (the reminder in chat).
      const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000).toISOString();
      for (const severity of ['critical', 'warning']) {
        const opened = (
          await (
            await fn('mcp-ops-escalation-intake')
          ).invoke(alertEvent(`AblationTick${severity}${Date.now()}`, 'firing', severity))
        ).json() as Array<{ incidentId?: string }>;
        const id = opened.find((o) => o.incidentId)!.incidentId!;
        await new DynamoDBClient(admin).send(
          new UpdateItemCommand({
            TableName: spec('mcp-ops-escalation-tick').environment.INCIDENTS_TABLE!,
            Key: { pk: { S: `INC#${id}` } },
            UpdateExpression: 'SET ladderStartedAt = :t, nextEscalationAt = :t',
            ExpressionAttributeValues: { ':t': { S: twoHoursAgo } },
          }),
        );
      }
      for (const input of scheduledInputs(spec('mcp-ops-escalation-tick').logicalId)) await f.invoke(input);
    },
    'mcp-ops-escalation-respond': async (f) => {
      const name = `AblationRespond${Date.now()}`;
      const topics = JSON.parse(spec('mcp-ops-escalation-intake').environment.TIER_TOPICS!) as Record<
        string,
        string
      >;
      const primary = await queueOn(topics.primary!);
      await (await fn('mcp-ops-escalation-intake')).invoke(alertEvent(name));
      const page = (await primary.receive()).find((m) => m.includes(name));
      for (const action of ['ack', 'resolve']) {
        const link = new URL(
          new RegExp(`${action === 'ack' ? 'Acknowledge' : 'Resolve'}:\\s+(\\S+)`).exec(page ?? '')![1]!,
        );
        const body = new URLSearchParams({ token: link.searchParams.get('token')!, action }).toString();
        await f.invoke({
          version: '2.0',
          rawPath: '/',
          rawQueryString: '',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          requestContext: { http: { method: 'POST', path: '/' } },
          body: Buffer.from(body).toString('base64'),
          isBase64Encoded: true,
        });
      }
    },
  };

  it('needs every action its role grants: taking any one away makes the emulator refuse it by name', async () => {
    const exercised: string[] = [];
    const notExercised: string[] = [];
    for (const f of specs) {
      const all = roleStatements(resolver, f.roleLogicalId);
      for (const [index, statement] of all.entries()) {
        // A Deny grants nothing to take away; its own test shows it refusing.
        if (statement.Effect === 'Deny') continue;
        for (const action of [statement.Action].flat()) {
          if (LAMBDA_SERVICE.test(action)) continue;
          const label = `${statement.Sid ?? index}:${action}`;
          const actions = [statement.Action].flat().filter((a) => a !== action);
          const without = all.flatMap((st, i) =>
            i !== index ? [st] : actions.length > 0 ? [{ ...st, Action: actions }] : [],
          );
          const before = moto.log().length;
          const ablated = await start(f, without);
          try {
            await scenarios[f.name]!(ablated);
          } finally {
            await ablated.stop();
            // The role gets all its statements back: a scenario of another function runs this
            // one as it is deployed (the tick's and the diagnosis's open incidents through intake).
            await restoreRole(f);
          }
          const pattern = new RegExp(
            `DENY \\S+/${roles.get(f.roleLogicalId)}/\\S+ ${action.replace(/[.*+?^${}()|[\]\\]/g, (c) => (c === '*' ? '[A-Za-z]*' : `\\${c}`))} on`,
          );
          if (pattern.test(moto.log().slice(before))) exercised.push(`${f.name} ${label}`);
          else notExercised.push(`${f.name} ${label}`);
        }
      }
    }
    const expected = Object.keys(NOT_EXERCISED_HERE);
    const unexplained = notExercised.filter((n) => !expected.includes(n.split(' ')[1]!));
    expect(unexplained, `granted but never used:\n${unexplained.join('\n')}`).toEqual([]);
    // And the list stays true: nothing on it is in fact exercised here.
    const stale = expected.filter((label) => exercised.some((e) => e.split(' ')[1] === label));
    expect(stale, 'exercised after all; take it off NOT_EXERCISED_HERE').toEqual([]);
    expect(exercised.length).toBeGreaterThan(15);
  }, 600_000);
});
