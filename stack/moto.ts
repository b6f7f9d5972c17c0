import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { awsClientConfig, s3ClientConfig, type AwsTarget } from '../core/aws.ts';
import type { OpsConfig } from '../core/config.ts';
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
    command: server,
    args: ['-H', '127.0.0.1', '-p', String(port)],
    ready: () => httpOk(`${base}/moto-api/data.json`),
  };
}

export interface SeededAws {
  topics: { reports: string; alerts: string; tiers: Record<string, string> };
  buckets: { artifacts: string; backup: string; reports: string };
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
  for (const tier of config.onCall.tiers) tiers[tier.name] = await topicArn(`page-${tier.name}`);
  const topics = { reports: await topicArn('reports'), alerts: await topicArn('alerts'), tiers };
  s3.destroy();
  sns.destroy();
  return { topics, buckets };
}
