import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { S3ObjectStore } from '../../core/s3-object-store.ts';
import type { ReportChannels } from './deliver.ts';

/** The reports topic and bucket through the AWS SDK (Lambda, the command line, or moto). */
export function awsReportChannels(
  clients: { s3: S3Client; sns: SNSClient },
  topicArn: string,
  bucket: string,
): ReportChannels {
  return {
    store: new S3ObjectStore(clients.s3),
    bucket,
    async publish(subject, message) {
      const answer = await clients.sns.send(
        new PublishCommand({ TopicArn: topicArn, Subject: subject, Message: message }),
      );
      return answer.MessageId ?? '';
    },
    presign: (key, expiresIn) =>
      getSignedUrl(clients.s3, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn }),
  };
}
