import type { OpsConfig } from '../../config.ts';
import { safeFor, singleLine } from '../../text-safety.ts';
import type { TicketRequest, Tickets } from '../notify.ts';
import { postJson } from './http.ts';

export type TicketsConfig = NonNullable<OpsConfig['escalation']['tickets']>;

/** The ticket system's create-issue body: Jira's REST v2 `fields`, or GitHub's issue. */
export function ticketBody(config: TicketsConfig, ticket: TicketRequest): unknown {
  // Titles are plain text on both; bodies are markup (GitHub markdown, Jira wiki): alert text in
  // them is escaped line by line, so nothing in an alert can mention, embed or link.
  const lines = (dialect: 'markdown' | 'jira') =>
    ticket.body
      .split('\n')
      .map((line) => safeFor(dialect, singleLine(line)))
      .join('\n');
  const labels = ticket.labels.map((l) => singleLine(l, 50).replace(/[\s,]+/g, '-'));
  if (config.shape === 'github') {
    return { title: singleLine(ticket.title, 250), body: lines('markdown'), labels };
  }
  return {
    fields: {
      project: { key: config.jiraProject },
      summary: singleLine(ticket.title, 250),
      description: lines('jira'),
      issuetype: { name: ticket.kind === 'bug' ? 'Bug' : config.jiraIncidentType },
      labels,
    },
  };
}

/** The reference the ticket system gave: Jira's key, GitHub's issue number, or our own key. */
function ticketRef(answer: unknown, fallback: string): string {
  const a = (answer ?? {}) as { key?: unknown; number?: unknown; html_url?: unknown };
  if (typeof a.key === 'string') return a.key;
  if (typeof a.number === 'number') return String(a.number);
  if (typeof a.html_url === 'string') return a.html_url;
  return fallback;
}

/**
 * Opens tickets through a generic HTTPS webhook in Jira's or GitHub's create-issue shape. The
 * `Authorization` header's value is a secret read from Secrets Manager. Every retry of one
 * incident's ticket carries the same `Idempotency-Key`; the incidents table's claim is what keeps
 * mcp-ops itself from asking twice.
 */
export class WebhookTickets implements Tickets {
  constructor(
    private readonly config: TicketsConfig,
    private readonly authorization: () => Promise<string>,
  ) {}

  private async headers(key?: string): Promise<Record<string, string>> {
    return { authorization: await this.authorization(), ...(key ? { 'idempotency-key': key } : {}) };
  }

  async open(ticket: TicketRequest): Promise<string> {
    const answer = await postJson(
      this.config.url,
      ticketBody(this.config, ticket),
      await this.headers(ticket.idempotencyKey),
    );
    return ticketRef(answer, ticket.idempotencyKey);
  }

  async comment(ref: string, text: string): Promise<void> {
    if (!this.config.commentUrl) return;
    await postJson(
      this.config.commentUrl.replace('{ref}', encodeURIComponent(ref)),
      { body: safeFor(this.config.shape === 'github' ? 'markdown' : 'jira', singleLine(text)) },
      await this.headers(),
    );
  }
}
