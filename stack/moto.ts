import { S3ObjectStore } from '../core/adapters/s3-object-store.ts';
import { writeBackupFixture } from './backup-fixture.ts';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateSecretCommand,
  ResourceExistsException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  AlreadyExistsException,
  CreateConfigurationSetCommand,
  CreateEmailIdentityCommand,
  SESv2Client,
} from '@aws-sdk/client-sesv2';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { randomBytes } from 'node:crypto';
import { awsClientConfig, s3ClientConfig, type AwsTarget } from '../core/aws.ts';
import type { OpsConfig } from '../core/config.ts';
import {
  DELIVERIES_TABLE,
  deliveriesTableName,
  INCIDENTS_TABLE,
  incidentsTableName,
  linkSecretName,
} from '../core/incidents/table.ts';
import { httpOk, type ServiceSpec } from './processes.ts';

const REQUIREMENTS = join(import.meta.dirname, 'requirements.txt');

/** Installs moto into the project-local venv, once per version of requirements.txt. */
export function ensureMotoInstalled(stackDir: string, log: (line: string) => void): string {
  const venv = join(stackDir, 'venv');
  const server = join(venv, 'bin', 'moto_server');
  const wanted = createHash('sha256').update(readFileSync(REQUIREMENTS)).digest('hex');
  const stamp = join(venv, '.requirements.sha256');
  if (existsSync(server) && existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) return server;
  const started = Date.now();
  log(`installing moto into ${venv} ...`);
  if (!existsSync(join(venv, 'bin', 'pip'))) {
    execFileSync(process.env.PYTHON ?? 'python3', ['-m', 'venv', venv], { stdio: 'inherit' });
  }
  execFileSync(
    join(venv, 'bin', 'pip'),
    ['install', '--quiet', '--disable-pip-version-check', '-r', REQUIREMENTS],
    {
      stdio: 'inherit',
    },
  );
  writeFileSync(stamp, wanted);
  log(`moto installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return server;
}

export function motoService(server: string, port: number): ServiceSpec {
  const base = `http://127.0.0.1:${port}`;
  return {
    name: 'moto',
    // moto's server with DynamoDB's conditional writes made atomic and quiet request logging:
    // see stack/moto_server.py.
    command: join(dirname(server), 'python3'),
    args: [join(import.meta.dirname, 'moto_server.py'), '-H', '127.0.0.1', '-p', String(port)],
    ready: () => httpOk(`${base}/moto-api/data.json`),
  };
}

export interface SeededAws {
  topics: { reports: string; alerts: string; chat: string; tiers: Record<string, string> };
  buckets: { artifacts: string; backup: string; reports: string };
  tables: { incidents: string; deliveries: string };
  secrets: { linkSecret: string };
  mail: { from: string; to: string[]; configurationSet: string };
}

/** The local reports sender: an SES identity (moto marks it verified) and a configuration set. */
async function seedMail(target: AwsTarget, config: OpsConfig): Promise<SeededAws['mail']> {
  const ses = new SESv2Client(awsClientConfig(target));
  const mail = {
    from: config.reports.email?.from ?? 'mcp-ops@reports.mcp-ops.local',
    to: config.reports.recipients,
    configurationSet: `${config.resourcePrefix}-reports`,
  };
  const identity = config.reports.email?.identity ?? mail.from;
  for (const command of [
    new CreateEmailIdentityCommand({ EmailIdentity: identity }),
    new CreateConfigurationSetCommand({ ConfigurationSetName: mail.configurationSet }),
  ]) {
    try {
      await ses.send(command as CreateEmailIdentityCommand);
    } catch (error) {
      // moto answers a second configuration set with SES v1's ConfigurationSetAlreadyExistsException.
      if (
        !(error instanceof AlreadyExistsException) &&
        !(error as Error).name.endsWith('AlreadyExistsException')
      )
        throw error;
    }
  }
  ses.destroy();
  return mail;
}

export async function seedIncidentsTable(target: AwsTarget, name: string): Promise<void> {
  const db = new DynamoDBClient(awsClientConfig(target));
  const { partitionKey, openIndex, reviewIndex } = INCIDENTS_TABLE;
  const indexes = [openIndex, reviewIndex].map((index) => ({
    IndexName: index.name,
    KeySchema: [
      { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: 'ALL' as const },
  }));
  const attributes = [
    partitionKey,
    ...[openIndex, reviewIndex].flatMap((i) => [i.partitionKey, i.sortKey]),
  ].map((AttributeName) => ({ AttributeName, AttributeType: 'S' as const }));
  try {
    await db.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: attributes,
        KeySchema: [{ AttributeName: partitionKey, KeyType: 'HASH' }],
        GlobalSecondaryIndexes: indexes,
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException) && (error as Error).name !== 'ResourceInUseException')
      throw error;
    // A table made by an older version of this script: add the indexes it lacks, as a deploy would.
    const table = await db.send(new DescribeTableCommand({ TableName: name }));
    const present = new Set((table.Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
    for (const index of indexes.filter((i) => !present.has(i.IndexName)))
      await db.send(
        new UpdateTableCommand({
          TableName: name,
          AttributeDefinitions: attributes,
          GlobalSecondaryIndexUpdates: [{ Create: index }],
        }),
      );
  }
  db.destroy();
}

/** The deliveries table, as the CDK app makes it: one key, records expiring by TTL. */
export async function seedDeliveriesTable(target: AwsTarget, name: string): Promise<void> {
  const db = new DynamoDBClient(awsClientConfig(target));
  try {
    await db.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: DELIVERIES_TABLE.partitionKey, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: DELIVERIES_TABLE.partitionKey, KeyType: 'HASH' }],
      }),
    );
    await db.send(
      new UpdateTimeToLiveCommand({
        TableName: name,
        TimeToLiveSpecification: { AttributeName: DELIVERIES_TABLE.ttlAttribute, Enabled: true },
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException) && (error as Error).name !== 'ResourceInUseException')
      throw error;
  }
  db.destroy();
}

async function seedLinkSecret(target: AwsTarget, name: string): Promise<string> {
  const secrets = new SecretsManagerClient(awsClientConfig(target));
  try {
    const created = await secrets.send(
      new CreateSecretCommand({ Name: name, SecretString: randomBytes(32).toString('base64url') }),
    );
    return created.ARN ?? name;
  } catch (error) {
    if (!(error instanceof ResourceExistsException) && (error as Error).name !== 'ResourceExistsException')
      throw error;
    return name;
  } finally {
    secrets.destroy();
  }
}

/**
 * Plays the service's nightly backup Job: when the backup bucket has no backup younger than 20 h,
 * writes one (200 objects, finished 3 h ago) so the local stack looks like a healthy morning.
 */
async function seedNightlyBackup(s3: S3Client, bucket: string): Promise<void> {
  const store = new S3ObjectStore(s3);
  const pointer = (await store.getText(bucket, 'latest.txt'))?.trim();
  if (pointer) {
    const metadata = await store.getText(bucket, `${pointer}/metadata.json`);
    const finished = metadata ? Date.parse(JSON.parse(metadata).completedAt ?? '') : NaN;
    if (Date.now() - finished < 20 * 3_600_000) return;
  }
  const completedAt = new Date(Date.now() - 3 * 3_600_000);
  const folder = `backup-${completedAt.toISOString().slice(0, 13).replace(/[-:]/g, '')}00Z`;
  await writeBackupFixture(s3, { bucket, folder, objects: 200, completedAt, s3Checksums: true });
}

/** Creates the buckets and topics the deployed stack would have (idempotent: both calls are). */
export async function seedAws(target: AwsTarget, config: OpsConfig): Promise<SeededAws> {
  const s3 = new S3Client(s3ClientConfig(target));
  const sns = new SNSClient(awsClientConfig(target));
  const prefix = config.resourcePrefix;
  const buckets = {
    artifacts: config.buckets.artifacts,
    backup: config.buckets.backup,
    reports: `${prefix}-reports`,
  };
  for (const bucket of Object.values(buckets)) {
    try {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    } catch (error) {
      const name = (error as Error).name;
      if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw error;
    }
  }
  const topicArn = async (name: string) =>
    (await sns.send(new CreateTopicCommand({ Name: `${prefix}-${name}` }))).TopicArn ?? '';
  const tiers: Record<string, string> = {};
  for (const tier of config.onCall.tiers) {
    tiers[tier.name] = await topicArn(`page-${tier.name}`);
    // Each tier's person, as the stack subscribes them (moto confirms at once; `mcp-ops doctor` looks).
    await sns.send(
      new SubscribeCommand({ TopicArn: tiers[tier.name], Protocol: 'email', Endpoint: tier.contact }),
    );
  }
  const topics = {
    reports: await topicArn('reports'),
    alerts: await topicArn('alerts'),
    chat: await topicArn('chat'),
    tiers,
  };
  await seedNightlyBackup(s3, buckets.backup);
  s3.destroy();
  sns.destroy();
  const tables = { incidents: incidentsTableName(prefix), deliveries: deliveriesTableName(prefix) };
  await seedIncidentsTable(target, tables.incidents);
  await seedDeliveriesTable(target, tables.deliveries);
  const secrets = { linkSecret: await seedLinkSecret(target, linkSecretName(prefix)) };
  return { topics, buckets, tables, secrets, mail: await seedMail(target, config) };
}
