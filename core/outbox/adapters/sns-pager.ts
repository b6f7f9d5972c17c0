import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { OnCallTier } from '../../config.ts';
import type { Pager } from '../pager.ts';
import type { Page } from '../page-message.ts';

/** Pages a tier by publishing to its SNS topic (e-mail, SMS or a pager service subscribe there). */
export class SnsPager implements Pager {
  constructor(
    private readonly sns: SNSClient,
    private readonly topicArns: Readonly<Record<string, string>>,
  ) {}

  async page(tier: OnCallTier, page: Page): Promise<void> {
    const topic = this.topicArns[tier.name];
    if (!topic) throw new Error(`No page topic for on-call tier "${tier.name}"`);
    await this.sns.send(
      new PublishCommand({
        TopicArn: topic,
        Subject: page.subject,
        Message: page.body,
        MessageAttributes: { tier: { DataType: 'String', StringValue: tier.name } },
      }),
    );
  }
}
