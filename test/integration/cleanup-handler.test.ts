import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { lambdaContext as cleanupContext } from '../support/lambda-context.ts';
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { localClients } from '../support/aws.ts';

const endpoints = inject('endpoints');

const lambdaContext = (remainingMs?: number) => cleanupContext('mcp-ops-cleanup', remainingMs);

type Handler = (event: unknown, context: Context) => Promise<Record<string, unknown>>;
let handler: Handler;

describe('the cleanup Lambda handler', () => {
  beforeAll(async () => {
    process.env.MCP_OPS_AWS_ENDPOINT = endpoints.aws.endpoint;
    process.env.AWS_REGION = endpoints.region;
    process.env.MCP_OPS_STATE_BUCKET = endpoints.buckets.reports;
    process.env.POWERTOOLS_METRICS_NAMESPACE = 'McpOps/Cleanup';
    process.env.POWERTOOLS_SERVICE_NAME = 'cleanup';
    process.env.POWERTOOLS_DEV = 'true';
    process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
    handler = (await import('../../functions/cleanup/handler.ts')).handler as unknown as Handler;
  });

  it('answers a bad payload with a clear error and deletes nothing', async () => {
    const { s3 } = localClients();
    const bucket = `it-handler-${randomUUID().slice(0, 8)}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'a', Body: 'x' }));
    const cases: Array<[unknown, RegExp]> = [
      [{ bucket, retentionDays: -5, dryRun: false }, /retentionDays: Too small/],
      [{ bucket, retentionDays: 2, dryRun: false }, /below the configured floor of 7 days/],
      [{ bucket, dryrun: false }, /Unrecognized key: "dryrun"/],
      [{ bucket: 'mcp-artifacts-backup', dryRun: false }, /is the backup bucket/],
      ['delete everything', /expected object/],
      [{ resumeRunId: '20261125T000000Z-zzzzzz', dryRun: false }, /no run 20261125T000000Z-zzzzzz/],
    ];
    for (const [event, message] of cases) {
      const answer = await handler(event, lambdaContext());
      expect(answer.error, JSON.stringify(event)).toMatch(message);
    }
    const left = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(left.KeyCount).toBe(1);
  });

  it('runs a dry run from a hand-written payload and returns the runbook report', async () => {
    const { s3 } = localClients();
    const bucket = `it-handler-${randomUUID().slice(0, 8)}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'builds/a.tar', Body: 'xyz' }));
    const answer = await handler({ bucket, retentionDays: 30 }, lambdaContext());
    expect(answer).toMatchObject({ dryRun: true, status: 'completed', scanned: 1, matched: 0, deleted: 0 });
    expect((answer.report as { bytes: number }).bytes).toBe(3);
  });
});
