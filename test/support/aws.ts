import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { awsClientConfig, s3ClientConfig, type AwsTarget } from '../../core/aws.ts';

export function localTarget(): AwsTarget {
  const endpoints = inject('endpoints');
  return { region: endpoints.region, endpoint: endpoints.aws.endpoint };
}

export function localClients() {
  const target = localTarget();
  return {
    s3: new S3Client(s3ClientConfig(target)),
    sns: new SNSClient(awsClientConfig(target)),
    sqs: new SQSClient(awsClientConfig(target)),
    cloudwatch: new CloudWatchClient(awsClientConfig(target)),
  };
}

/**
 * A fresh SQS queue subscribed to a topic, so a test can read what the topic delivered (on the local
 * stack's moto unless `clients` point elsewhere).
 */
export async function subscribeQueue(
  topicArn: string,
  raw = false,
  clients: { sns: SNSClient; sqs: SQSClient } = localClients(),
) {
  const { sns, sqs } = clients;
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `test-${randomUUID()}` }));
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  await sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: 'sqs',
      Endpoint: attributes.Attributes?.QueueArn,
      Attributes: raw ? { RawMessageDelivery: 'true' } : {},
    }),
  );
  const queueUrl = QueueUrl!;
  return {
    queueUrl,
    /** Waits until at least `count` messages arrived or the time is up; returns their bodies. */
    async receive(count = 1, timeoutMs = 20_000): Promise<string[]> {
      const bodies: string[] = [];
      const deadline = Date.now() + timeoutMs;
      while (bodies.length < count && Date.now() < deadline) {
        const got = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        for (const message of got.Messages ?? []) bodies.push(message.Body ?? '');
        // Taken off the queue, so a message is counted once even if a test outlives its visibility timeout.
        if (got.Messages?.length) {
          await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: got.Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
            }),
          );
        }
      }
      return bodies;
    },
  };
}
