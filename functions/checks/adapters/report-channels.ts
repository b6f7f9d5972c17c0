import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { S3ObjectStore } from '../../../core/adapters/s3-object-store.ts';
import type { MailMessage } from '../../../core/outbox/mail.ts';
import { sendWithSes } from '../../../core/outbox/ses-mail.ts';
import type { ReportChannels } from '../deliver.ts';

/** A link that would die within this many seconds is not worth sending. */
const SHORTEST_LINK_SECONDS = 300;

export interface SesSettings {
  readonly ses: SESv2Client;
  readonly from: string;
  readonly to: readonly string[];
  /** The configuration set that records bounces and complaints. */
  readonly configurationSet?: string;
}

/**
 * How long a pre-signed link signed with `credentials` really works: S3 refuses it once the
 * credentials that signed it expire, whatever X-Amz-Expires says. Long-term keys: `atMost`. Session
 * credentials with a known expiry: until shortly before it. Session credentials whose expiry the
 * SDK does not know (Lambda's environment variables carry none): no promise can be made.
 */
export function presignLifetime(
  credentials: { sessionToken?: string; expiration?: Date },
  atMost: number,
  now: Date,
): number | undefined {
  if (credentials.expiration) {
    const left = Math.floor((credentials.expiration.getTime() - now.getTime()) / 1000) - 60;
    const seconds = Math.min(atMost, left);
    return seconds >= SHORTEST_LINK_SECONDS ? seconds : undefined;
  }
  return credentials.sessionToken ? undefined : atMost;
}

/** The reports topic, bucket and (when configured) SES through the AWS SDK (Lambda, CLI, moto). */
export function awsReportChannels(
  clients: { s3: S3Client; sns: SNSClient },
  topicArn: string,
  bucket: string,
  ses?: SesSettings,
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
    ...(ses
      ? {
          mail: (message: MailMessage) =>
            sendWithSes(
              {
                client: ses.ses,
                from: ses.from,
                ...(ses.configurationSet ? { configurationSet: ses.configurationSet } : {}),
              },
              ses.to,
              message,
              'mcp-ops',
            ),
        }
      : {}),
    async link(key, atMost, now) {
      const region = await clients.s3.config.region();
      const uri = `s3://${bucket}/${key}`;
      const consoleUrl = `https://${region}.console.aws.amazon.com/s3/object/${bucket}?region=${region}&bucketType=general&prefix=${encodeURIComponent(key)}`;
      // Signatures carry whole seconds: X-Amz-Date is `now` rounded down.
      const signedAt = new Date(Math.floor(now.getTime() / 1000) * 1000);
      const lifetime = presignLifetime(await clients.s3.config.credentials(), atMost, signedAt);
      if (lifetime === undefined) return { uri, console: consoleUrl };
      const url = await getSignedUrl(clients.s3, new GetObjectCommand({ Bucket: bucket, Key: key }), {
        expiresIn: lifetime,
        signingDate: signedAt,
      });
      return {
        uri,
        console: consoleUrl,
        presigned: { url, expiresAt: new Date(signedAt.getTime() + lifetime * 1000).toISOString() },
      };
    },
  };
}
