import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { awsClientConfig } from '../../core/aws.ts';
import { DynamoDbIncidentStore } from '../../core/incidents/dynamodb-store.ts';
import { localTarget, subscribeQueue } from '../support/aws.ts';
import { launchChromium } from '../../stack/chromium.ts';
import { amMessage, localEscalationEnv } from '../support/escalation-harness.ts';
import { functionUrlServer } from '../support/function-url-server.ts';
import { lambdaContext } from '../support/lambda-context.ts';

type Handler = (event: unknown, context: Context) => Promise<unknown>;
const endpoints = inject('endpoints');
const SCREENSHOTS = 'out/screenshots';

/**
 * A page as a responder meets it: the real intake handler pages through the moto SNS topic, the
 * real respond handler answers function-URL-shaped requests from a loopback server, and headless
 * Chromium opens the links. Mail scanners and previews GET, HEAD and prefetch links; only the
 * button a person presses may change the incident.
 */
describe('acknowledging from a page in a browser', () => {
  let server: Awaited<ReturnType<typeof functionUrlServer>>;
  let browser: Browser;
  let intake: Handler;
  let respond: Handler | undefined;
  /** Pages the loopback server serves itself (a rendered e-mail), not the handler. */
  const testPages: Record<string, string> = {};
  const incidents = new DynamoDbIncidentStore(
    DynamoDBDocumentClient.from(new DynamoDBClient(awsClientConfig(localTarget())), {
      marshallOptions: { removeUndefinedValues: true },
    }),
    endpoints.tables.incidents,
    endpoints.tables.deliveries,
  );

  beforeAll(async () => {
    server = await functionUrlServer(
      (event, context) => respond!(event, context),
      'mcp-ops-escalation-respond',
      testPages,
    );
    Object.assign(process.env, localEscalationEnv(endpoints, server.url));
    intake = (await import('../../functions/escalation/handler-intake.ts')).handler as unknown as Handler;
    respond = (await import('../../functions/escalation/handler-respond.ts')).handler as unknown as Handler;
    browser = await launchChromium();
    await mkdir(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('changes nothing on GET, HEAD or prefetch; the button acknowledges once, then the resolve page resolves', async () => {
    const primary = await subscribeQueue(endpoints.topics.tiers.primary!);
    const name = `BrowserAlert${Date.now()}`;
    const [opened] = (await intake(
      {
        Records: [
          {
            EventSource: 'aws:sns',
            Sns: {
              Type: 'Notification',
              MessageId: `browser-${name}`,
              Message: amMessage(name, { severity: 'critical' }),
            },
          },
        ],
      },
      lambdaContext('mcp-ops-escalation-intake'),
    )) as Array<{ incidentId: string }>;
    const id = opened!.incidentId;
    const page = (await primary.receive(1, 10_000))
      .map((b) => JSON.parse(b) as { Message: string })
      .find((p) => p.Message.includes(id))!;
    const ackLink = /Acknowledge: (\S+)/.exec(page.Message)![1]!;
    const resolveLink = /Resolve: +(\S+)/.exec(page.Message)![1]!;
    expect(ackLink.startsWith(server.url)).toBe(true);
    const before = JSON.stringify(await incidents.get(id));

    // What a mail scanner does: GET and HEAD both links, with curl itself, and OPTIONS.
    const curl = async (...args: string[]) =>
      (
        await promisify(execFile)('curl', [
          '-s',
          '--noproxy',
          '*',
          '-o',
          '/dev/null',
          '-w',
          '%{http_code}',
          ...args,
        ])
      ).stdout;
    for (const link of [ackLink, resolveLink]) {
      expect(await curl(link)).toBe('200');
      expect(await curl('-I', link)).toBe('200');
      expect(await curl('-X', 'OPTIONS', link)).toBe('204');
      const got = await fetch(link);
      expect(got.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
      expect(await got.text()).toContain(`${id}?</h1>`);
    }
    expect(server.requests.filter((r) => r.method === 'HEAD')).toHaveLength(2);
    // What a mail preview does: prefetch both links from a rendered message.
    const seen = server.requests.length;
    const mail = await browser.newPage();
    testPages['/__test/mail.html'] =
      `<!doctype html><html><head><link rel="prefetch" href="${ackLink}"><link rel="prefetch" href="${resolveLink}"></head><body><p>${id}</p><a href="${ackLink}">Acknowledge</a></body></html>`;
    await mail.goto(`${server.url}__test/mail.html`);
    await expect
      .poll(() => server.requests.slice(seen).filter((r) => r.method === 'GET').length, { timeout: 10_000 })
      .toBeGreaterThanOrEqual(2);
    await mail.close();
    expect(JSON.stringify(await incidents.get(id))).toBe(before);

    // A person opens the acknowledge link, reads, writes a note and presses the button (twice).
    const tab = await browser.newPage({ viewport: { width: 480, height: 900 } });
    const violations: string[] = [];
    tab.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    await tab.goto(ackLink);
    expect(await tab.locator('h1').textContent()).toBe(`Acknowledge ${id}?`);
    expect(await tab.locator('body').textContent()).toContain('Opening this page changed nothing.');
    expect(await tab.locator('td').nth(2).textContent()).toBe('Triggered: paging, not yet acknowledged');
    await tab.fill('textarea[name=note]', 'Looking at it: the 14:02 rollout is suspect');
    await tab.screenshot({ path: `${SCREENSHOTS}/respond-acknowledge.png`, fullPage: true });
    const button = tab.getByRole('button', { name: `Acknowledge ${id} as Primary On-Call` });
    await button.dblclick();
    await tab.waitForSelector('[role=status]');
    expect(await tab.locator('[role=status]').textContent()).toMatch(
      new RegExp(
        `${id} (is already )?acknowledged by Primary On-Call \\(ops-oncall@ninjatech.ai\\) via link`,
      ),
    );
    await tab.screenshot({ path: `${SCREENSHOTS}/respond-acknowledged.png`, fullPage: true });
    const posts = server.requests.filter((r) => r.method === 'POST');
    expect(posts.length).toBeGreaterThanOrEqual(1);
    const acked = (await incidents.get(id))!;
    expect(acked.status).toBe('acknowledged');
    expect(acked.timeline.filter((e) => e.event === 'acknowledged')).toEqual([
      expect.objectContaining({
        detail: 'Primary On-Call (ops-oncall@ninjatech.ai) via link',
        note: 'Looking at it: the 14:02 rollout is suspect',
      }),
    ]);

    // The resolve link now shows who acknowledged, and resolves on click.
    await tab.goto(resolveLink);
    expect(await tab.locator('h1').textContent()).toBe(`Resolve ${id}?`);
    const facts = await tab.locator('table').textContent();
    expect(facts).toContain('Acknowledged byPrimary On-Call (ops-oncall@ninjatech.ai) via link');
    expect(await tab.locator('ol').textContent()).toContain('Looking at it: the 14:02 rollout is suspect');
    await tab.screenshot({ path: `${SCREENSHOTS}/respond-resolve.png`, fullPage: true });
    await tab.getByRole('button', { name: `Resolve ${id} as Primary On-Call` }).click();
    await tab.waitForSelector('[role=status]');
    expect(await tab.locator('[role=status]').textContent()).toBe(
      `${id} resolved by Primary On-Call (ops-oncall@ninjatech.ai) via link. Everyone paged has been told.`,
    );
    expect((await incidents.get(id))!.status).toBe('resolved');
    const allClear = (await primary.receive(1, 10_000)).filter((b) => b.includes(`RESOLVED [P1] ${id}`));
    expect(allClear).toHaveLength(1);

    // The acknowledge link, opened again, says plainly it is over and by whom; no button.
    await tab.goto(ackLink);
    expect(await tab.locator('[role=status]').textContent()).toMatch(
      new RegExp(`^${id} is already resolved by Primary On-Call`),
    );
    expect(await tab.locator('button').count()).toBe(0);
    expect(violations).toEqual([]);
    await tab.close();
  });
});
