import { safeFor, singleLine } from '../../text-safety.ts';
import type { Chat, ChatMessage } from '../notify.ts';
import { postJson } from './http.ts';

/**
 * Posts to a Slack incoming webhook, for teams that do not use AWS Chatbot. The webhook URL is a
 * secret (anyone holding it can post): it is read from Secrets Manager, never configured in clear.
 */
export class SlackWebhookChat implements Chat {
  constructor(private readonly webhookUrl: () => Promise<string>) {}

  async post(message: ChatMessage): Promise<void> {
    // Alert and responder text is data: mrkdwn-escaped (no <!channel>, no <url|label>), one line each.
    const slack = (line: string) => safeFor('slack', singleLine(line));
    const text = [
      `*${slack(message.title)}*`,
      ...message.lines.map(slack),
      ...message.nextSteps.map((s) => `• ${slack(s)}`),
    ].join('\n');
    await postJson(await this.webhookUrl(), { text });
  }
}

/** Several chats at once (the Chatbot topic and a Slack webhook); each must take the message. */
export class BothChats implements Chat {
  constructor(readonly parts: readonly Chat[]) {}

  /** Escalation sends to each part under its own claim (chatsOf); this is for a direct post. */
  async post(message: ChatMessage): Promise<void> {
    await Promise.all(this.parts.map((chat) => chat.post(message)));
  }
}
