import { CreateClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import type { Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { awsClientConfig, s3ClientConfig } from '../../core/aws.ts';
import { describeEksCluster } from '../../core/adapters/eks.ts';
import { localTarget, subscribeQueue } from '../support/aws.ts';
import { lambdaContext } from '../support/lambda-context.ts';

const endpoints = inject('endpoints');
type Handler = (event: unknown, context: Context) => Promise<Record<string, unknown>>;
let handler: Handler;
const clusterName = `it-${randomUUID().slice(0, 8)}`;

describe('the checks Lambda handler', () => {
  beforeAll(async () => {
    const eks = new EKSClient(awsClientConfig(localTarget()));
    await eks.send(
      new CreateClusterCommand({
        name: clusterName,
        roleArn: `arn:aws:iam::${endpoints.aws.accountId}:role/eks`,
        resourcesVpcConfig: { subnetIds: [] },
      }),
    );
    process.env.MCP_OPS_AWS_ENDPOINT = endpoints.aws.endpoint;
    process.env.AWS_REGION = endpoints.region;
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
    process.env.MCP_OPS_CONFIG = JSON.stringify({
      cluster: { name: clusterName },
      buckets: { backup: endpoints.buckets.backup },
      // Nothing answers here: the report must still go out with its sections marked failed.
      prometheus: { access: 'direct', url: 'http://127.0.0.1:9' },
    });
    process.env.REPORTS_TOPIC_ARN = endpoints.topics.reports;
    // A bucket of its own: the day's delivery marker must start absent.
    const reportsBucket = `it-reports-${randomUUID().slice(0, 8)}`;
    await new S3Client(s3ClientConfig(localTarget())).send(
      new CreateBucketCommand({ Bucket: reportsBucket }),
    );
    process.env.REPORTS_BUCKET = reportsBucket;
    process.env.POWERTOOLS_METRICS_NAMESPACE = 'McpOps/Checks';
    process.env.POWERTOOLS_SERVICE_NAME = 'checks';
    process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';
    handler = (await import('../../functions/checks/handler.ts')).handler as unknown as Handler;
  });

  it('finds the EKS cluster’s endpoint and CA through DescribeCluster', async () => {
    const cluster = await describeEksCluster(new EKSClient(awsClientConfig(localTarget())), clusterName);
    expect(cluster.endpoint).toMatch(/^https:\/\/.+\.eks\.amazonaws\.com/);
    expect(cluster.certificateAuthority.length).toBeGreaterThan(100);
  });

  it('answers the watchdog, publishing ReportOnTime, and refuses an event it does not know', async () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    let answer: Record<string, unknown>;
    try {
      answer = await handler({ watchdog: 'security' }, lambdaContext('mcp-ops-checks'));
    } finally {
      spy.mockRestore();
    }
    expect(answer).toEqual({ watchdog: 'security', delivered: false });
    const emf = written.map((l) => l.trim()).filter((l) => l.includes('"ReportOnTime"'));
    expect(emf.length).toBe(1);
    expect(JSON.parse(emf[0]!)).toMatchObject({ ReportOnTime: 0, report: 'security', service: 'checks' });
    // Refused, and answered: the one refusal middleware (no retry of a request that cannot work).
    await expect(handler({ report: 'lunch' }, lambdaContext('mcp-ops-checks'))).resolves.toEqual({
      error: expect.stringMatching(/expected \{"report":"morning"\|"evening"\|"security"\}/),
    });
  });

  it('sends the security report through the reports topic with an EKS token even when the cluster cannot be reached', async () => {
    const queue = await subscribeQueue(endpoints.topics.reports);
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    let answer: Record<string, unknown>;
    try {
      answer = await handler({ report: 'security' }, lambdaContext('mcp-ops-checks'));
    } finally {
      spy.mockRestore();
    }
    expect(answer).toMatchObject({ report: 'security', status: 'WARNING', failedSections: ['security'] });
    const [body] = await queue.receive(1, 20_000);
    const message = JSON.parse(body!) as { Subject: string; Message: string };
    expect(message.Subject).toMatch(/^\[WARNING\] MCP Level 3 security check/);
    expect(message.Message).toMatch(/Security \[FAILED\] could not be checked: nothing could be read/);
  }, 120_000);
});
