import { SendEmailCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import { mimeMessage, type MailMessage } from './mail.ts';

export interface SesSender {
  readonly client: SESv2Client;
  readonly from: string;
  /** The configuration set that records bounces and complaints. */
  readonly configurationSet?: string;
}

/** Sends `message` through SES as one raw MIME message (both parts); answers SES's message id. */
export async function sendWithSes(
  ses: SesSender,
  to: readonly string[],
  message: MailMessage,
  mailer: string,
): Promise<string> {
  const raw = await mimeMessage(ses.from, to, message, { 'X-Mailer': mailer });
  const answer = await ses.client.send(
    new SendEmailCommand({
      FromEmailAddress: ses.from,
      Destination: { ToAddresses: [...to] },
      Content: { Raw: { Data: raw } },
      ...(ses.configurationSet ? { ConfigurationSetName: ses.configurationSet } : {}),
    }),
  );
  return answer.MessageId ?? '';
}
