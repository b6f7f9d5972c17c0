import { buildCli } from '../../tools/build-cli.ts';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import { localClients, subscribeQueue } from '../support/aws.ts';
import { httpReceiver } from '../support/http-receiver.ts';
import { amMessage, localEscalationEnv } from '../support/escalation-harness.ts';
import { lambdaContext } from '../support/lambda-context.ts';

const endpoints = inject('endpoints');
type Handler = (event: unknown, context: Context) => Promise<unknown>;
let intake: Handler;
let tick: Handler;
let respond: Handler;

const snsEvent = (messageId: string, message: string) => ({
  Records: [
    {
      EventSource: 'aws:sns',
      Sns: {
        Type: 'Notification',
        MessageId: messageId,
        TopicArn: endpoints.topics.alerts,
        Subject: null,
        Message: message,
      },
    },
  ],
});

describe('the escalation Lambda handlers on the local stack', () => {
  beforeAll(async () => {
    Object.assign(process.env, localEscalationEnv(endpoints, 'https://respond.example/'));
    intake = (await import('../../functions/escalation/handler-intake.ts')).handler as unknown as Handler;
    tick = (await import('../../functions/escalation/handler-tick.ts')).handler as unknown as Handler;
    respond = (await import('../../functions/escalation/handler-respond.ts')).handler as unknown as Handler;
  });

  it('pages from an SNS event, ignores its redelivery, and acknowledges through the signed link', async () => {
    const primary = await subscribeQueue(endpoints.topics.tiers.primary!);
    const name = `HandlerAlert${Date.now()}`;
    const event = snsEvent(`handler-${name}`, amMessage(name, { severity: 'critical' }));
    const [opened] = (await intake(event, lambdaContext('mcp-ops-escalation-intake'))) as Array<{
      incidentId: string;
      outcome: string;
    }>;
    expect(opened!.outcome).toBe('opened');
    const [again] = (await intake(event, lambdaContext('mcp-ops-escalation-intake'))) as Array<{
      outcome: string;
    }>;
    expect(again!.outcome).toBe('duplicate');
    const pages = (await primary.receive(2, 4_000)).map((b) => JSON.parse(b) as { Message: string });
    const mine = pages.filter((p) => p.Message.includes(opened!.incidentId));
    expect(mine).toHaveLength(1);

    const link = new URL(/Acknowledge: (\S+)/.exec(mine[0]!.Message)![1]!);
    expect(link.origin).toBe('https://respond.example');
    const token = link.searchParams.get('token')!;
    const urlEvent = (method: string, extra: Record<string, unknown> = {}) => ({
      version: '2.0',
      rawPath: '/',
      headers: {},
      requestContext: { http: { method } },
      isBase64Encoded: false,
      ...extra,
    });
    const post = (form: Record<string, string>) =>
      respond(
        urlEvent('POST', {
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: Buffer.from(new URLSearchParams(form).toString()).toString('base64'),
          isBase64Encoded: true,
        }),
        lambdaContext('mcp-ops-escalation-respond'),
      ) as Promise<{ statusCode: number; body: string; headers: Record<string, string> }>;
    const forged = await post({ token: `${token.slice(0, -2)}xx`, action: 'ack' });
    expect(forged.statusCode).toBe(403);
    expect(forged.body).toMatch(/signature does not match/);
    const shown = (await respond(
      urlEvent('GET', { queryStringParameters: { token } }),
      lambdaContext('mcp-ops-escalation-respond'),
    )) as { statusCode: number; body: string };
    expect(shown.statusCode).toBe(200);
    expect(shown.body).toContain(`Acknowledge ${opened!.incidentId}?`);
    const answer = await post({ token, action: 'ack' });
    expect(answer.statusCode).toBe(200);
    expect(answer.body).toMatch(new RegExp(`${opened!.incidentId} acknowledged by Primary`));
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');

    const outcome = (await tick({}, lambdaContext('mcp-ops-escalation-tick'))) as { escalated: unknown[] };
    expect(Array.isArray(outcome.escalated)).toBe(true);
  });

  it('still pages the primary for an event that is not SNS at all', async () => {
    const primary = await subscribeQueue(endpoints.topics.tiers.primary!);
    const marker = `not-sns-${Date.now()}`;
    const [outcome] = (await intake({ hello: marker }, lambdaContext('mcp-ops-escalation-intake'))) as Array<{
      incidentId: string;
    }>;
    const pages = (await primary.receive(1, 4_000)).filter((b) => b.includes(outcome!.incidentId));
    expect(pages).toHaveLength(1);
    expect(pages[0]).toContain(marker);
  });

  it('acknowledges, shows and resolves from the command line', async () => {
    const name = `CliAlert${Date.now()}`;
    const [opened] = (await intake(
      snsEvent(`cli-${name}`, amMessage(name)),
      lambdaContext('mcp-ops-escalation-intake'),
    )) as Array<{ incidentId: string }>;
    const id = opened!.incidentId;
    // The command as shipped: the built bundle on plain node.
    const bundle = await buildCli(join(process.cwd(), 'out', 'cli-escalation'));
    const cli = (...args: string[]) =>
      promisify(execFile)(process.execPath, [bundle, ...args, '--local'], { cwd: process.cwd() });
    expect((await cli('incidents')).stdout).toContain(id);
    expect((await cli('ack', id, '--by', 'alice')).stdout).toBe(
      `${id} acknowledged by alice via mcp-ops. Nobody else will be paged.\n`,
    );
    await expect(cli('ack', id)).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining(`${id} is already acknowledged; nothing was changed.`),
    });
    await expect(cli('ack', 'INC-bogus')).rejects.toMatchObject({
      stderr: expect.stringContaining('expected an incident id like INC-20261125-001'),
    });
    expect((await cli('resolve', id, '--by', 'bob')).stdout).toContain(`${id} resolved by bob via mcp-ops`);
    const shown = (await cli('incident', id)).stdout;
    expect(shown).toMatch(/acknowledged +alice via mcp-ops/);
    expect(shown).toMatch(/resolved +bob via mcp-ops/);
    expect((await cli('incidents')).stdout).not.toContain(id);
  });

  it('answers ack, update and resolve with the incident as JSON under -o json', async () => {
    const name = `CliJson${Date.now()}`;
    const [opened] = (await intake(
      snsEvent(`json-${name}`, amMessage(name)),
      lambdaContext('mcp-ops-escalation-intake'),
    )) as Array<{ incidentId: string }>;
    const id = opened!.incidentId;
    const bundle = await buildCli(join(process.cwd(), 'out', 'cli-escalation'));
    const json = async (...args: string[]) =>
      JSON.parse(
        (await promisify(execFile)(process.execPath, [bundle, ...args, '--local', '-o', 'json'])).stdout,
      ) as Record<string, unknown>;
    expect(await json('ack', id, '--by', 'dana')).toMatchObject({ id, status: 'acknowledged' });
    expect(
      await json('incident', 'update', id, 'cache flushed', '--status', 'monitoring', '--by', 'dana'),
    ).toEqual({
      id,
      status: 'monitoring',
      message: 'cache flushed',
      by: 'dana via mcp-ops',
    });
    expect(await json('resolve', id, '--by', 'dana')).toMatchObject({ id, status: 'resolved' });
  });

  it('follows a test alert from the alerts topic to its incident, chat and page, and resolves it (mcp-ops alert test)', async () => {
    // Lambda's SNS trigger for the intake function: moto delivers the topic's messages to an HTTP
    // subscription; the delivery is answered at once and the handler runs after (an async invoke).
    const running: Promise<unknown>[] = [];
    const trigger = await httpReceiver((request) => {
      const body = (typeof request.body === 'string' ? JSON.parse(request.body) : request.body) as {
        Type?: string;
        MessageId: string;
        Message: string;
      };
      if (body.Type === 'Notification')
        running.push(
          intake(snsEvent(body.MessageId, body.Message), lambdaContext('mcp-ops-escalation-intake')),
        );
      return {};
    });
    const { sns } = localClients();
    const { SubscriptionArn } = await sns.send(
      new SubscribeCommand({
        TopicArn: endpoints.topics.alerts,
        Protocol: 'http',
        Endpoint: `${trigger.url}/sns`,
      }),
    );
    try {
      const bundle = await buildCli(join(process.cwd(), 'out', 'cli-alert-test'));
      const cli = (...args: string[]) =>
        promisify(execFile)(process.execPath, [bundle, 'alert', 'test', ...args, '--local'], {
          cwd: process.cwd(),
        });
      const p3 = JSON.parse((await cli('--timeout', '30', '--by', 'carol', '-o', 'json')).stdout) as {
        incidentId: string;
        passed: boolean;
        steps: { step: string; afterSeconds?: number; detail: string }[];
      };
      expect(p3.passed).toBe(true);
      expect(p3.steps.map((s) => s.step)).toEqual([
        'published',
        'opened',
        'chat',
        'ticket',
        'page',
        'resolved',
      ]);
      expect(p3.steps.find((s) => s.step === 'page')!.detail).toBe('none (P3 pages never)');
      // The local stack has no ticket system configured: said, not failed.
      expect(p3.steps.find((s) => s.step === 'ticket')!.detail).toMatch(/none opened/);
      expect(p3.steps.filter((s) => s.afterSeconds === undefined).map((s) => s.step)).toEqual([
        'ticket',
        'page',
      ]);
      const incident = (await promisify(execFile)(process.execPath, [
        bundle,
        'incident',
        p3.incidentId,
        '-o',
        'json',
        '--local',
      ])) as { stdout: string };
      const shown = JSON.parse(incident.stdout) as { status: string; title: string };
      expect(shown.status).toBe('resolved');

      // P1 pages the first tier at once, and the text names the page and its timing.
      const primary = await subscribeQueue(endpoints.topics.tiers.primary!);
      const p1 = await cli('--severity', 'P1', '--timeout', '30', '--by', 'carol');
      expect(p1.stdout).toMatch(/^alert test \w+ \(P1\): INC-\d{8}-\d{3,}/);
      expect(p1.stdout).toMatch(/paged +\d+\.\ds +Primary/i);
      expect(p1.stdout).toMatch(/resolved +\d+\.\ds +by carol via mcp-ops/);
      expect(p1.stdout.trimEnd().endsWith('passed')).toBe(true);
      const id = /(INC-\d{8}-\d{3,})/.exec(p1.stdout)![1]!;
      const pages = (await primary.receive(2, 5_000)).filter((b) => b.includes(id));
      // The page, then the "resolved" notice to the tier already paged.
      expect(pages.length).toBe(2);
    } finally {
      await sns.send(new UnsubscribeCommand({ SubscriptionArn }));
      await trigger.close();
      await Promise.allSettled(running);
    }
  });

  it('says when no incident comes of a test alert, with exit 1', async () => {
    const bundle = await buildCli(join(process.cwd(), 'out', 'cli-alert-test'));
    // No trigger subscribed here: nothing takes the alert off the topic.
    await expect(
      promisify(execFile)(process.execPath, [bundle, 'alert', 'test', '--timeout', '2', '--local']),
    ).rejects.toMatchObject({
      code: 1,
      stdout: expect.stringMatching(/no incident within 2 s: is the intake function subscribed/),
    });
  });
});
