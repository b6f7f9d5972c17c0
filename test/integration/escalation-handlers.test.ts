import { buildCli } from '../../bin/build-cli.ts';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { subscribeQueue } from '../support/aws.ts';
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
});
