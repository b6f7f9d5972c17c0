import { safeFor, singleLine } from '../../text-safety.ts';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { z } from 'zod';
import type { Chat, ChatMessage } from '../notify.ts';

/**
 * AWS Chatbot's (Amazon Q Developer in chat applications) custom notification, as its
 * documentation gives it: a Slack or Teams channel configured on the topic renders it.
 */
export const ChatbotNotificationSchema = z
  .object({
    version: z.literal('1.0'),
    source: z.literal('custom'),
    id: z.string().optional(),
    content: z
      .object({
        textType: z.literal('client-markdown').optional(),
        title: z.string().optional(),
        description: z.string().optional(),
        nextSteps: z.array(z.string()).optional(),
        keywords: z.array(z.string()).optional(),
      })
      .strict(),
    metadata: z
      .object({
        threadId: z.string().optional(),
        summary: z.string().optional(),
        eventType: z.string().optional(),
        relatedResources: z.array(z.string()).optional(),
        additionalContext: z.record(z.string(), z.string()).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type ChatbotNotification = z.infer<typeof ChatbotNotificationSchema>;

const SEVERITY_MARK: Record<ChatMessage['severity'], string> = {
  P0: ':red_circle:',
  P1: ':large_orange_circle:',
  P2: ':large_yellow_circle:',
  P3: ':white_circle:',
};

/** One incident's messages share a thread (`threadId`): opened, updates, resolved. */
export function chatbotNotification(message: ChatMessage): ChatbotNotification {
  return {
    version: '1.0',
    source: 'custom',
    id: `${message.incidentId}:${message.event}`,
    content: {
      textType: 'client-markdown',
      // Every line may carry an alert's or a responder's text: markdown-escaped, one line each.
      title: `${SEVERITY_MARK[message.severity]} ${safeFor('markdown', singleLine(message.title))}`,
      description: message.lines.map((line) => safeFor('markdown', singleLine(line))).join('\n'),
      nextSteps: message.nextSteps.map((step) => safeFor('markdown', singleLine(step))),
      keywords: [message.incidentId, message.severity, message.event],
    },
    metadata: {
      threadId: message.incidentId,
      summary: singleLine(message.title, 200),
      eventType: `mcp-ops.incident.${message.event}`,
      additionalContext: { incidentId: message.incidentId, severity: message.severity },
    },
  };
}

/** Posts to the team's chat through the chat SNS topic that AWS Chatbot reads. */
export class ChatbotChat implements Chat {
  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
  ) {}

  async post(message: ChatMessage): Promise<void> {
    await this.sns.send(
      new PublishCommand({ TopicArn: this.topicArn, Message: JSON.stringify(chatbotNotification(message)) }),
    );
  }
}
