import {
  CreateBucketCommand,
  DeleteObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it, vi } from 'vitest';
import { S3ObjectStore } from '../../core/adapters/s3-object-store.ts';
import { verifyBackup, type BackupFailure } from '../../core/backup-verify.ts';
import { fixtureObjectBody, fixtureObjectKey, writeBackupFixture } from '../../stack/backup-fixture.ts';
import { localClients } from '../support/aws.ts';
import { lambdaContext } from '../support/lambda-context.ts';

const endpoints = inject('endpoints');
const NOW = new Date('2026-11-25T18:00:00Z');
const FOLDER = 'backup-20261125T0300Z';

async function freshBucket(s3: S3Client): Promise<string> {
  const bucket = `it-backup-${randomUUID().slice(0, 8)}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

async function goodBackup(s3: S3Client, options: { s3Checksums?: boolean; metadataDigests?: boolean } = {}) {
  const bucket = await freshBucket(s3);
  await writeBackupFixture(s3, {
    bucket,
    folder: FOLDER,
    objects: 40,
    completedAt: new Date('2026-11-25T03:10:00Z'),
    ...options,
  });
  return bucket;
}

function verify(s3: S3Client, bucket: string, sampleSize = 20) {
  return verifyBackup(new S3ObjectStore(s3), { bucket, maxAgeHours: 26, sampleSize, now: () => NOW });
}

const put = (s3: S3Client, bucket: string, key: string, body: string | Buffer) =>
  s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));

describe('backup verification on the local S3 server', () => {
  const { s3 } = localClients();

  it('passes a good backup: every check passed, 20 objects read back against S3 checksums', async () => {
    const bucket = await goodBackup(s3, { s3Checksums: true, metadataDigests: false });
    const verdict = await verify(s3, bucket);
    expect(verdict.failures).toEqual([]);
    expect(verdict.verified).toBe(true);
    expect(verdict.checks.map((c) => [c.name, c.status])).toEqual([
      ['pointer', 'passed'],
      ['folder', 'passed'],
      ['metadata', 'passed'],
      ['freshness', 'passed'],
      ['completeness', 'passed'],
      ['checksums', 'passed'],
    ]);
    expect(verdict).toMatchObject({ folder: FOLDER, sampled: 20, ageHours: 14.83 });
    expect(verdict.found).toEqual(verdict.declared);
  });

  const failures: Array<[string, (bucket: string) => Promise<unknown>, BackupFailure[], number?]> = [
    [
      'latest.txt is missing',
      (b) => s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'latest.txt' })),
      ['pointer-missing'],
    ],
    ['latest.txt is empty', (b) => put(s3, b, 'latest.txt', '\n'), ['pointer-invalid']],
    [
      'latest.txt names a folder that does not exist',
      (b) => put(s3, b, 'latest.txt', 'backup-20261124T0300Z'),
      ['folder-missing'],
    ],
    [
      'metadata.json is missing',
      (b) => s3.send(new DeleteObjectCommand({ Bucket: b, Key: `${FOLDER}/metadata.json` })),
      ['metadata-missing'],
    ],
    [
      'metadata.json is not JSON',
      (b) => put(s3, b, `${FOLDER}/metadata.json`, '{"createdAt": "2026-11-'),
      ['metadata-unparsable'],
    ],
    [
      'metadata.json lacks its object count',
      (b) =>
        put(
          s3,
          b,
          `${FOLDER}/metadata.json`,
          JSON.stringify({ createdAt: '2026-11-25T03:00:00Z', totalBytes: 1 }),
        ),
      ['metadata-incomplete'],
    ],
    [
      'the backup is 30 hours old',
      async (b) => {
        await writeBackupFixture(s3, {
          bucket: b,
          folder: FOLDER,
          objects: 40,
          completedAt: new Date('2026-11-24T12:00:00Z'),
        });
      },
      ['stale'],
    ],
    [
      'an object of the backup is gone',
      (b) => s3.send(new DeleteObjectCommand({ Bucket: b, Key: `${FOLDER}/${fixtureObjectKey(7)}` })),
      ['count-mismatch', 'size-mismatch'],
      0,
    ],
    [
      'an object grew after the metadata was written',
      (b) => put(s3, b, `${FOLDER}/${fixtureObjectKey(3)}`, fixtureObjectBody('other', 3, 999)),
      ['size-mismatch'],
      0,
    ],
    [
      'an object was overwritten with other bytes of the same size',
      (b) =>
        put(
          s3,
          b,
          `${FOLDER}/${fixtureObjectKey(5)}`,
          fixtureObjectBody('XXXXXXXXXXXXXXXXXXXXX', 5, 64 + ((5 * 37) % 512)),
        ),
      ['checksum-mismatch'],
      40,
    ],
  ];

  it.each(failures)('names the failure when %s', async (_what, breakIt, expected, sampleSize = 20) => {
    const bucket = await goodBackup(s3);
    await breakIt(bucket);
    const verdict = await verify(s3, bucket, sampleSize);
    expect(verdict.verified).toBe(false);
    expect(verdict.failures).toEqual(expected);
    const failed = verdict.checks.filter((c) => c.status === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    for (const check of failed) expect(check.detail.length).toBeGreaterThan(5);
  });

  it('fails a backup whose objects carry no checksum anywhere (it cannot be verified)', async () => {
    const bucket = await goodBackup(s3, { s3Checksums: false, metadataDigests: false });
    const verdict = await verify(s3, bucket);
    expect(verdict.failures).toEqual(['checksum-missing']);
  });

  it('the daily function publishes BackupVerified and BackupAgeHours and returns the verdict', async () => {
    const bucket = await goodBackup(s3, { s3Checksums: true });
    process.env.MCP_OPS_AWS_ENDPOINT = endpoints.aws.endpoint;
    process.env.AWS_REGION = endpoints.region;
    process.env.MCP_OPS_CONFIG = JSON.stringify({ buckets: { backup: bucket } });
    process.env.POWERTOOLS_METRICS_NAMESPACE = 'McpOps/Backup';
    process.env.POWERTOOLS_SERVICE_NAME = 'backup';
    process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
    delete process.env.POWERTOOLS_DEV;
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    const { handler } = await import('../../functions/backup/handler.ts');
    type Handler = (event: unknown, context: Context) => Promise<Record<string, unknown>>;
    const invoke = handler as unknown as Handler;
    let answer: Record<string, unknown>;
    let refused: Record<string, unknown>;
    try {
      answer = await invoke({}, lambdaContext('mcp-ops-backup'));
      refused = await invoke({ sample: 3 }, lambdaContext('mcp-ops-backup'));
    } finally {
      spy.mockRestore();
    }
    // Fresh by the wall clock? The fixture finished 2026-11-25T03:10Z; judge only what is stable.
    expect(answer).toMatchObject({ bucket, folder: FOLDER, sampled: 20 });
    expect(refused.error).toMatch(/Unrecognized key: "sample"/);
    const emf = written
      .map((line) => {
        try {
          return JSON.parse(line) as Record<string, unknown>;
        } catch {
          return undefined;
        }
      })
      .find((doc) => doc && '_aws' in doc);
    expect(emf).toBeDefined();
    expect(emf).toHaveProperty('BackupVerified');
    expect(emf).toHaveProperty('BackupAgeHours');
    expect(emf?.BackupVerified).toBe(answer.verified ? 1 : 0);
  });
});
