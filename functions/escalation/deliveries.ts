import { z } from 'zod';
import { sha256 } from './alerts.ts';

const SnsEventSchema = z.object({
  Records: z
    .array(
      z.object({
        Sns: z.object({
          MessageId: z.string().min(1),
          Message: z.string(),
          Subject: z.string().nullish(),
        }),
      }),
    )
    .min(1),
});

export interface Delivery {
  readonly messageId: string;
  readonly message: string;
}

/**
 * The deliveries in a Lambda event: an SNS event's records, or, for anything else (a hand-made
 * `aws lambda invoke`, a misrouted event), the event itself as one raw message, which still pages.
 * A raw message's id is a digest of it, so a retry of the same event is recognised.
 */
export function deliveriesFromEvent(event: unknown): Delivery[] {
  const parsed = SnsEventSchema.safeParse(event);
  if (parsed.success)
    return parsed.data.Records.map((r) => ({ messageId: r.Sns.MessageId, message: r.Sns.Message }));
  const raw = typeof event === 'string' ? event : (JSON.stringify(event) ?? String(event));
  return [{ messageId: `raw-${sha256(raw).slice(0, 32)}`, message: raw }];
}
