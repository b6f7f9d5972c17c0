import { channelName, type IncidentChannels } from '../notify.ts';
import { postJson } from './http.ts';

/**
 * Creates the manual's `#incident-YYYYMMDD-NNN` channel with a Slack bot token (scope
 * `channels:manage`) read from Secrets Manager. A channel of that name already there (an earlier
 * try that died before recording it) is the same channel.
 */
export class SlackIncidentChannels implements IncidentChannels {
  constructor(
    private readonly botToken: () => Promise<string>,
    private readonly apiBaseUrl = 'https://slack.com/api',
  ) {}

  async create(incident: { id: string }): Promise<string> {
    const name = channelName(incident.id);
    const answer = (await postJson(
      `${this.apiBaseUrl}/conversations.create`,
      { name, is_private: false },
      { authorization: `Bearer ${await this.botToken()}` },
      3_000,
    )) as { ok?: boolean; error?: string };
    if (answer.ok || answer.error === 'name_taken') return `#${name}`;
    throw new Error(`Slack conversations.create refused ${name}: ${answer.error ?? 'no reason given'}`);
  }
}
