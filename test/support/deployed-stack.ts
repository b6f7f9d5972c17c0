// The synthesized stack as deployed, on this machine: its resources created in a moto server of its
// own with IAM enforcement, each function's role holding exactly the template's policies, and each
// function's bundle from cdk.out run by the Lambda Runtime Interface Emulator on the template's
// Node.js major, with the template's handler, environment, memory and timeout.
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateKeyCommand, KMSClient, PutKeyPolicyCommand } from '@aws-sdk/client-kms';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  CreateConfigurationSetCommand,
  CreateEmailIdentityCommand,
  SESv2Client,
} from '@aws-sdk/client-sesv2';
import { CreateTopicCommand, SetTopicAttributesCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
const ADMIN = { accessKeyId: 'AKIAADMINEXAMPLE0001', secretAccessKey: 'admin-secret' };

type Json = unknown;
interface Resource {
  Type: string;
  Properties?: Record<string, Json>;
  Metadata?: Record<string, Json>;
}
export interface Template {
  Resources: Record<string, Resource>;
}

export interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Json>;
}

export interface FunctionSpec {
  readonly logicalId: string;
  readonly name: string;
  readonly handler: string;
  readonly runtime: string;
  readonly memorySize: number;
  readonly timeout: number;
  readonly assetDir: string;
  readonly environment: Record<string, string>;
  readonly roleLogicalId: string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * `cdk synth` as `cdk deploy` would run it for a concrete account and region, into `outDir`, with
 * `config` (over the manual's defaults) as the app's configuration file when given.
 */
export function synthesize(outDir: string, config?: object): TemplateResolver {
  const context: string[] = [];
  if (config) {
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, '..', 'mcp-ops.config.json');
    writeFileSync(file, JSON.stringify(config));
    context.push('--context', `config=${file}`);
  }
  execFileSync('npx', ['cdk', 'synth', '--quiet', ...context, '--output', outDir], {
    cwd: join(import.meta.dirname, '..', '..'),
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, CDK_DEFAULT_ACCOUNT: ACCOUNT, CDK_DEFAULT_REGION: REGION },
  });
  return new TemplateResolver(
    JSON.parse(readFileSync(join(outDir, 'McpOps.template.json'), 'utf8')) as Template,
  );
}

/** CloudFormation's intrinsic functions over what the provisioning created. */
export class TemplateResolver {
  readonly refs = new Map<string, string>();
  readonly attrs = new Map<string, Record<string, string>>();

  constructor(readonly template: Template) {}

  resolve(value: Json): Json {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const object = value as Record<string, Json>;
    const keys = Object.keys(object);
    if (keys.length === 1) {
      const [key] = keys as [string];
      const arg = object[key];
      switch (key) {
        case 'Ref':
          return this.ref(arg as string);
        case 'Fn::GetAtt': {
          const [id, attr] = arg as [string, string];
          const found = this.attrs.get(id)?.[attr];
          if (found === undefined) throw new Error(`no attribute ${id}.${attr}`);
          return found;
        }
        case 'Fn::Join': {
          const [sep, parts] = arg as [string, Json[]];
          return parts.map((p) => String(this.resolve(p))).join(sep);
        }
        case 'Fn::Sub': {
          const [text, vars] = (typeof arg === 'string' ? [arg, {}] : arg) as [string, Record<string, Json>];
          return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
            if (name in vars) return String(this.resolve(vars[name]));
            if (name.includes('.')) {
              const [id, attr] = name.split('.') as [string, string];
              return String(this.resolve({ 'Fn::GetAtt': [id, attr] }));
            }
            return String(this.ref(name));
          });
        }
        case 'Fn::Select': {
          const [index, list] = arg as [number, Json];
          return (this.resolve(list) as Json[])[Number(index)];
        }
        case 'Fn::Split': {
          const [sep, text] = arg as [string, Json];
          return String(this.resolve(text)).split(sep);
        }
      }
    }
    return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, this.resolve(v)]));
  }

  private ref(id: string): string {
    const pseudo: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::Region': REGION,
      'AWS::AccountId': ACCOUNT,
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': 'McpOps',
    };
    const found = pseudo[id] ?? this.refs.get(id);
    if (found === undefined) throw new Error(`no Ref for ${id}`);
    return found;
  }

  ofType(type: string): Array<[string, Resource]> {
    return Object.entries(this.template.Resources).filter(([, r]) => r.Type === type);
  }
}

/** A moto server of the test's own, so IAM enforcement there touches no other test. */
export async function startIamMoto(options: {
  python: string;
  eksClusters: Record<string, { endpoint: string; ca: string }>;
}): Promise<{
  endpoint: string;
  enforce: () => Promise<void>;
  relax: () => Promise<void>;
  /** moto's own log: every refusal as `mcp-ops-iam: DENY <principal> <action> on <resource>`. */
  log: () => string;
  stop: () => Promise<void>;
}> {
  const port = await freePort();
  const child = spawn(
    options.python,
    [join(import.meta.dirname, '..', '..', 'stack', 'moto_server.py'), '-H', '127.0.0.1', '-p', String(port)],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, MCP_MOTO_EKS_CLUSTERS: JSON.stringify(options.eksClusters) },
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + String(chunk)).slice(-200_000)));
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i += 1) {
    const ok = await fetch(`${endpoint}/moto-api/data.json`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (i > 150 || child.exitCode !== null) throw new Error(`moto did not start: ${stderr}`);
    await sleep(100);
  }
  const resetAuth = async (count: string) => {
    const response = await fetch(`${endpoint}/moto-api/reset-auth`, { method: 'POST', body: count });
    if (!response.ok) throw new Error(`reset-auth: HTTP ${response.status}`);
  };
  return {
    endpoint,
    // From here on every request is authenticated and authorized against IAM.
    enforce: () => resetAuth('0'),
    // The test's own setup between invocations (a role's policy, a session as Lambda would get it).
    relax: () => resetAuth('inf'),
    log: () => stderr,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** Creates the template's resources in moto (before enforcement), recording Ref and attributes. */
export async function provision(
  resolver: TemplateResolver,
  endpoint: string,
): Promise<{ roles: Map<string, string> }> {
  const config = { region: REGION, endpoint, credentials: ADMIN };
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  const sns = new SNSClient(config);
  const sqs = new SQSClient(config);
  const db = new DynamoDBClient(config);
  const secrets = new SecretsManagerClient(config);
  const kms = new KMSClient(config);
  const iam = new IAMClient(config);
  const ses = new SESv2Client(config);
  const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
  const roles = new Map<string, string>();
  const short = (id: string) =>
    id
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '')
      .slice(0, 40);

  for (const [id, r] of Object.entries(resolver.template.Resources)) {
    const p = (r.Properties ?? {}) as Record<string, Json>;
    switch (r.Type) {
      case 'AWS::KMS::Key': {
        const key = await kms.send(new CreateKeyCommand({ Description: id }));
        resolver.refs.set(id, key.KeyMetadata!.KeyId!);
        resolver.attrs.set(id, { Arn: key.KeyMetadata!.Arn! });
        break;
      }
      case 'AWS::S3::Bucket': {
        const name = (p.BucketName as string | undefined) ?? `mcpops-${short(id)}`;
        // The evidence bucket's Object Lock, as CloudFormation makes it (only at creation).
        await s3.send(
          new CreateBucketCommand({
            Bucket: name,
            ...(p.ObjectLockEnabled === true ? { ObjectLockEnabledForBucket: true } : {}),
          }),
        );
        resolver.refs.set(id, name);
        resolver.attrs.set(id, { Arn: `arn:aws:s3:::${name}`, DomainName: `${name}.s3.amazonaws.com` });
        break;
      }
      case 'AWS::SNS::Topic': {
        const name = (p.TopicName as string | undefined) ?? short(id);
        const topic = await sns.send(new CreateTopicCommand({ Name: name }));
        resolver.refs.set(id, topic.TopicArn!);
        resolver.attrs.set(id, { TopicArn: topic.TopicArn!, TopicName: name });
        break;
      }
      case 'AWS::SQS::Queue': {
        const name = (p.QueueName as string | undefined) ?? short(id);
        const queue = await sqs.send(new CreateQueueCommand({ QueueName: name }));
        const attrs = await sqs.send(
          new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl!, AttributeNames: ['QueueArn'] }),
        );
        resolver.refs.set(id, queue.QueueUrl!);
        resolver.attrs.set(id, {
          Arn: attrs.Attributes!.QueueArn!,
          QueueName: name,
          QueueUrl: queue.QueueUrl!,
        });
        break;
      }
      case 'AWS::SecretsManager::Secret': {
        const name = (p.Name as string | undefined) ?? short(id);
        const secret = await secrets.send(
          new CreateSecretCommand({ Name: name, SecretString: randomBytes(36).toString('base64url') }),
        );
        resolver.refs.set(id, secret.ARN!);
        break;
      }
      case 'AWS::Lambda::Function': {
        const name = (p.FunctionName as string | undefined) ?? short(id);
        resolver.refs.set(id, name);
        resolver.attrs.set(id, { Arn: arn('lambda', `function:${name}`) });
        break;
      }
      case 'AWS::Logs::LogGroup': {
        const name = (p.LogGroupName as string | undefined) ?? short(id);
        resolver.refs.set(id, name);
        resolver.attrs.set(id, { Arn: arn('logs', `log-group:${name}:*`) });
        break;
      }
      case 'AWS::IAM::Role': {
        const name = ((p.RoleName as string | undefined) ?? id).slice(0, 64);
        const role = await iam.send(
          new CreateRoleCommand({
            RoleName: name,
            AssumeRolePolicyDocument: JSON.stringify(p.AssumeRolePolicyDocument),
          }),
        );
        resolver.refs.set(id, name);
        resolver.attrs.set(id, { Arn: role.Role!.Arn! });
        roles.set(id, name);
        break;
      }
      case 'AWS::SES::ConfigurationSet': {
        const name = p.Name as string;
        await ses.send(new CreateConfigurationSetCommand({ ConfigurationSetName: name }));
        resolver.refs.set(id, name);
        break;
      }
      case 'AWS::SES::EmailIdentity': {
        // moto marks an identity verified as soon as it exists.
        const identity = p.EmailIdentity as string;
        await ses.send(new CreateEmailIdentityCommand({ EmailIdentity: identity }));
        resolver.refs.set(id, identity);
        break;
      }
      case 'AWS::Lambda::Url':
        // Filled in by the runner with the emulator's address of the function behind it.
        resolver.attrs.set(id, { FunctionUrl: 'http://127.0.0.1/' });
        break;
    }
  }
  // The resource policies, once everything they name exists: each topic's key and policy, each
  // key's policy. The emulator evaluates them with the identity policies (stack/moto_server.py).
  for (const [id, r] of resolver.ofType('AWS::SNS::Topic')) {
    const keyId = r.Properties?.KmsMasterKeyId;
    if (keyId === undefined) continue;
    await sns.send(
      new SetTopicAttributesCommand({
        TopicArn: resolver.refs.get(id)!,
        AttributeName: 'KmsMasterKeyId',
        AttributeValue: String(resolver.resolve(keyId)),
      }),
    );
  }
  for (const [, r] of resolver.ofType('AWS::SNS::TopicPolicy')) {
    const p = resolver.resolve(r.Properties as Json) as { PolicyDocument: Json; Topics: string[] };
    for (const topicArn of p.Topics)
      await sns.send(
        new SetTopicAttributesCommand({
          TopicArn: topicArn,
          AttributeName: 'Policy',
          AttributeValue: JSON.stringify(p.PolicyDocument),
        }),
      );
  }
  for (const [id, r] of resolver.ofType('AWS::KMS::Key')) {
    const policy = resolver.resolve(r.Properties?.KeyPolicy as Json);
    if (policy)
      await kms.send(
        new PutKeyPolicyCommand({
          KeyId: resolver.refs.get(id)!,
          PolicyName: 'default',
          Policy: JSON.stringify(policy),
        }),
      );
  }
  for (const [id, r] of resolver.ofType('AWS::DynamoDB::Table')) {
    const p = resolver.resolve(r.Properties) as Record<string, Json>;
    const name = (p.TableName as string | undefined) ?? short(id);
    await db.send(
      new CreateTableCommand({
        TableName: name,
        KeySchema: p.KeySchema,
        AttributeDefinitions: p.AttributeDefinitions,
        BillingMode: 'PAY_PER_REQUEST',
        ...(p.GlobalSecondaryIndexes ? { GlobalSecondaryIndexes: p.GlobalSecondaryIndexes } : {}),
        ...(p.StreamSpecification
          ? { StreamSpecification: { StreamEnabled: true, ...(p.StreamSpecification as object) } }
          : {}),
      } as CreateTableCommandInput),
    );
    resolver.refs.set(id, name);
    // The stream's ARN (an event source's, and its role's grants) is the table's own once it has one.
    const { Table } = await db.send(new DescribeTableCommand({ TableName: name }));
    resolver.attrs.set(id, {
      Arn: arn('dynamodb', `table/${name}`),
      ...(Table?.LatestStreamArn ? { StreamArn: Table.LatestStreamArn } : {}),
    });
  }
  return { roles };
}

/** Every identity-policy statement the template gives a role: its inline policies and AWS::IAM::Policy. */
export function roleStatements(resolver: TemplateResolver, roleLogicalId: string): Statement[] {
  const statements: Statement[] = [];
  const role = resolver.template.Resources[roleLogicalId]!;
  for (const policy of (role.Properties?.Policies ?? []) as Array<{
    PolicyDocument: { Statement: Statement[] };
  }>)
    statements.push(...(resolver.resolve(policy.PolicyDocument.Statement) as Statement[]));
  for (const [, policy] of resolver.ofType('AWS::IAM::Policy')) {
    const names = (policy.Properties!.Roles as Json[]).map((r) => JSON.stringify(r));
    if (!names.includes(JSON.stringify({ Ref: roleLogicalId }))) continue;
    const doc = policy.Properties!.PolicyDocument as { Statement: Statement[] };
    statements.push(...(resolver.resolve(doc.Statement) as Statement[]));
  }
  return statements;
}

/** Puts `statements` on the role as its only policy and returns a fresh session of it (as Lambda's). */
export async function sessionFor(
  endpoint: string,
  roleName: string,
  roleArn: string,
  statements: Statement[],
  policyName = 'template',
) {
  const config = { region: REGION, endpoint, credentials: ADMIN };
  await new IAMClient(config).send(
    new PutRolePolicyCommand({
      RoleName: roleName,
      PolicyName: policyName,
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: statements }),
    }),
  );
  const session = await new STSClient(config).send(
    new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: roleName.slice(0, 60) }),
  );
  const c = session.Credentials!;
  return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
}

export function functionsOf(resolver: TemplateResolver, cdkOut: string): FunctionSpec[] {
  return resolver.ofType('AWS::Lambda::Function').map(([id, r]) => {
    const p = r.Properties!;
    const role = (p.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const variables = (p.Environment as { Variables?: Record<string, Json> } | undefined)?.Variables ?? {};
    return {
      logicalId: id,
      name: p.FunctionName as string,
      handler: p.Handler as string,
      runtime: p.Runtime as string,
      memorySize: Number(p.MemorySize ?? 128),
      timeout: Number(p.Timeout ?? 3),
      assetDir: join(cdkOut, r.Metadata!['aws:asset:path'] as string),
      environment: Object.fromEntries(
        Object.entries(variables).map(([k, v]) => [k, String(resolver.resolve(v))]),
      ),
      roleLogicalId: role,
    };
  });
}

export interface RunningFunction {
  readonly url: string;
  readonly output: () => string;
  /** The runtime's init as the emulator reports it (`INIT REPORT(durationMs: ...)`), once initialised. */
  readonly initMs: () => number | undefined;
  invoke(event: unknown): Promise<{ status: number; body: string; json: () => unknown }>;
  stop(): Promise<void>;
}

/** One function in the emulator: `aws-lambda-rie <node> <ric> <handler>`, as Lambda's Node.js image runs it. */
export async function runFunction(
  spec: FunctionSpec,
  runtime: { rie: string; node: string; ric: string },
  env: Record<string, string>,
): Promise<RunningFunction> {
  const port = await freePort();
  // The Runtime API between the emulator and the runtime: a port of its own (default 9001), so
  // several functions run at once.
  const runtimeApiPort = await freePort();
  const child: ChildProcess = spawn(
    runtime.rie,
    [
      '--runtime-interface-emulator-address',
      `127.0.0.1:${port}`,
      '--runtime-api-address',
      `127.0.0.1:${runtimeApiPort}`,
      runtime.node,
      runtime.ric,
      spec.handler,
    ],
    {
      cwd: spec.assetDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        // Only what Lambda gives a function: no inherited variables of the test process.
        PATH: '/usr/local/bin:/usr/bin:/bin',
        LANG: 'en_US.UTF-8',
        TZ: ':UTC',
        LAMBDA_TASK_ROOT: spec.assetDir,
        LAMBDA_RUNTIME_DIR: spec.assetDir,
        _HANDLER: spec.handler,
        AWS_LAMBDA_FUNCTION_NAME: spec.name,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memorySize),
        AWS_LAMBDA_FUNCTION_TIMEOUT: String(spec.timeout),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_EXECUTION_ENV: `AWS_Lambda_${spec.runtime}`,
        AWS_REGION: REGION,
        AWS_DEFAULT_REGION: REGION,
        ...spec.environment,
        ...env,
      },
    },
  );
  let output = '';
  const append = (chunk: Buffer) => (output = (output + String(chunk)).slice(-200_000));
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const url = `http://127.0.0.1:${port}/2015-03-31/functions/function/invocations`;
  for (let i = 0; ; i += 1) {
    // The emulator answers once it listens; the runtime starts on the first invocation.
    const up = await new Promise<boolean>((resolve) => {
      const socket = createServer().listen(port, '127.0.0.1');
      socket.once('listening', () => socket.close(() => resolve(false)));
      socket.once('error', () => resolve(true));
    });
    if (up) break;
    if (i > 100 || child.exitCode !== null)
      throw new Error(`${spec.name}: emulator did not start\n${output}`);
    await sleep(50);
  }
  return {
    url,
    output: () => output,
    initMs: () => {
      const match = /INIT REPORT\(durationMs: ([\d.]+)\)/.exec(output);
      return match ? Number(match[1]) : undefined;
    },
    async invoke(event) {
      const response = await fetch(url, { method: 'POST', body: JSON.stringify(event) });
      const body = await response.text();
      return { status: response.status, body, json: () => JSON.parse(body) as unknown };
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/**
 * Stand-in names for every resource, for running a bundle without provisioning (the cold-start
 * benchmark): Refs and ARNs of the right shape, pointing nowhere.
 */
export function placeholderResources(resolver: TemplateResolver): void {
  for (const [id, r] of Object.entries(resolver.template.Resources)) {
    const service = r.Type.split('::')[1]!.toLowerCase();
    const arn =
      r.Type === 'AWS::SNS::Topic'
        ? `arn:aws:sns:${REGION}:${ACCOUNT}:${id}`
        : `arn:aws:${service}:${REGION}:${ACCOUNT}:${id}`;
    resolver.refs.set(
      id,
      r.Type === 'AWS::SNS::Topic' || r.Type === 'AWS::SecretsManager::Secret' ? arn : id,
    );
    resolver.attrs.set(id, { Arn: arn, FunctionUrl: 'http://127.0.0.1:9/', TopicArn: arn });
  }
}
