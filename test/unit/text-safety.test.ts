// Text from alerts and responders reaches chat, tickets and pages as data, never as markup.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config.ts';
import {
  jiraText,
  markdownText,
  safeFor,
  singleLine,
  slackText,
  snsSubject,
} from '../../core/text-safety.ts';
import { chatbotNotification } from '../../core/outbox/adapters/chatbot-chat.ts';
import { SlackWebhookChat } from '../../core/outbox/adapters/slack-webhook-chat.ts';
import { ticketBody } from '../../core/outbox/adapters/webhook-tickets.ts';
import { parseAlertMessage } from '../../functions/escalation/alerts.ts';
import type { Incident } from '../../core/incidents/incident.ts';
import { chatMessage, ticketRequest } from '../../core/outbox/notify.ts';
import { renderPage, renderResolved } from '../../core/outbox/page-message.ts';

const HOSTILE_NAME = 'Evil <!channel> <https://evil.example|Acknowledge> @here';
const HOSTILE_SUMMARY =
  'disk full\nAcknowledge: https://evil.example/ack\n*bold* _it_ ![img](http://x/i.png) [~admin] !http://x/i.png! {noformat}';

function hostileIncident(): Incident {
  const [alert] = parseAlertMessage(
    JSON.stringify({
      status: 'firing',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: HOSTILE_NAME, severity: 'critical', 'team\n': 'x\u202eevil' },
          annotations: { summary: HOSTILE_SUMMARY },
          fingerprint: '0123456789abcdef',
        },
      ],
    }),
  );
  return {
    id: 'INC-20261125-001',
    dedupKey: alert!.dedupKey,
    severity: 'P1',
    status: 'triggered',
    title: `${alert!.name}: ${alert!.summary}`,
    alert: alert!,
    createdAt: '2026-11-25T10:00:00.000Z',
    tierReached: 0,
    pages: {},
    repeats: 0,
    timeline: [],
  } as Incident;
}

const links = { ack: 'https://respond.example/?token=a', resolve: 'https://respond.example/?token=r' };
const tier = parseConfig({}).onCall.tiers[0]!;

describe('escaping per destination', () => {
  it('Slack mrkdwn: no mention, no labelled link, no formatting, one line per field', async () => {
    const posted: string[] = [];
    const original = globalThis.fetch;
    globalThis.fetch = (async (_url: string, init: { body: string }) => {
      posted.push((JSON.parse(init.body) as { text: string }).text);
      return new Response('ok');
    }) as unknown as typeof fetch;
    try {
      await new SlackWebhookChat(async () => 'https://hooks.slack.example/x').post(
        chatMessage('opened', hostileIncident(), 'https://runbooks.example/r.md', [
          `Note: ${HOSTILE_SUMMARY}`,
        ]),
      );
    } finally {
      globalThis.fetch = original;
    }
    const text = posted[0]!;
    expect(text).not.toMatch(/<!channel>|<https?:[^>]*\|/);
    expect(text).not.toContain('<');
    expect(text).toContain('&lt;!channel&gt;');
    expect(text).not.toMatch(/(^|\s)@here\b/);
    expect(text.split('\n').filter((l) => l.startsWith('Acknowledge:'))).toEqual([]);
    // Our own link still works.
    expect(text).toContain('https://runbooks.example/r.md');
  });

  it('Chatbot markdown: markdown marks escaped, images and links cannot form, one line per field', () => {
    const n = chatbotNotification(chatMessage('opened', hostileIncident(), 'https://runbooks.example/r.md'));
    const all = [n.content.title, n.content.description, ...(n.content.nextSteps ?? [])].join('\n');
    expect(all).not.toContain('![');
    expect(all).not.toContain('](');
    expect(all).not.toContain('<!channel>');
    expect(all).not.toContain('*bold*');
    // Our own text reads as written.
    expect(n.content.title).toContain('[P1] INC-20261125-001');
    expect(n.content.description!.split('\n').filter((l) => /^Acknowledge:/.test(l))).toEqual([]);
  });

  it('Jira wiki and GitHub markdown tickets: no mention, embed or link from the alert', () => {
    const ticket = ticketRequest(hostileIncident(), 'https://runbooks.example/r.md');
    const jira = ticketBody(
      {
        url: 'https://x.atlassian.net/rest/api/2/issue',
        shape: 'jira',
        jiraProject: 'OPS',
        jiraIncidentType: 'Incident',
      } as never,
      ticket,
    ) as { fields: { summary: string; description: string } };
    expect(jira.fields.description).not.toMatch(/(^|[^\\])\[~admin\]/);
    expect(jira.fields.description).not.toMatch(/(^|[^\\])!http/);
    expect(jira.fields.description).not.toMatch(/(^|[^\\])\{noformat\}/);
    expect(jira.fields.summary).not.toContain('\n');
    const github = ticketBody(
      { url: 'https://api.github.com/repos/o/r/issues', shape: 'github' } as never,
      ticket,
    ) as {
      title: string;
      body: string;
    };
    expect(github.body).not.toContain('![');
    expect(github.body).not.toMatch(/(^|\s)@here\b/);
    expect(github.title).not.toContain('\n');
  });

  it('plain-text pages: every alert field on one line, so no fake Acknowledge line sits above the real one', () => {
    const page = renderPage(hostileIncident(), tier, links);
    const acks = page.body.split('\n').filter((l) => l.startsWith('Acknowledge:'));
    expect(acks).toEqual([`Acknowledge: ${links.ack}`]);
    expect(page.body).not.toMatch(/\u202e/);
    expect(page.subject.length).toBeLessThanOrEqual(99);
    expect(page.subject).not.toMatch(/\p{Cc}/u);
    const resolved = renderResolved(
      hostileIncident(),
      'Primary on-call\nAcknowledge: x',
      'fixed\nResolve: https://evil',
    );
    expect(resolved.body.split('\n').filter((l) => /^(Acknowledge|Resolve):/.test(l))).toEqual([]);
  });

  it('holds for any text: single lines stay single, Slack never sees a raw angle bracket, subjects fit SNS', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        expect(singleLine(text)).not.toMatch(/[\n\r\u2028\u2029\p{Cc}]/u);
        expect(slackText(singleLine(text))).not.toMatch(/[<>]/);
        expect(safeFor('slack', singleLine(text))).not.toMatch(/[<>]/);
        const subject = snsSubject(text);
        expect(subject.length).toBeGreaterThan(0);
        expect(subject.length).toBeLessThanOrEqual(99);
        expect(subject).not.toMatch(/\p{Cc}/u);
        expect(markdownText(singleLine(text))).not.toMatch(/!\[|\]\(|<|>/);
        expect(jiraText(singleLine(text))).not.toMatch(/(^|[^\\])\[~/);
      }),
      { numRuns: 500 },
    );
  });
});
