// E-mail as every job sends it: one message with its HTML and plain-text forms, built as MIME for
// SES's raw send. The reports (checks) and the maintenance notices both send through this.
import MailComposer from 'nodemailer/lib/mail-composer/index.js';

/** A multipart e-mail (HTML and its plain-text alternative). */
export interface MailMessage {
  readonly subject: string;
  readonly html: string;
  readonly text: string;
}

/** The e-mail as a MIME message: multipart/alternative, plain text first, then HTML. */
export async function mimeMessage(
  from: string,
  to: readonly string[],
  message: MailMessage,
  headers: Record<string, string> = {},
): Promise<Buffer> {
  return new MailComposer({
    from,
    to: [...to],
    subject: message.subject,
    text: message.text,
    html: message.html,
    headers,
  })
    .compile()
    .build();
}
