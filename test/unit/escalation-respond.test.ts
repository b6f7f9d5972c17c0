import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { intakeMessage } from '../../functions/escalation/intake.ts';
import { type EscalationDeps } from '../../core/incidents/deps.ts';
import { signToken } from '../../functions/escalation/links.ts';
import { respondToRequest, type RespondRequest } from '../../functions/escalation/respond.ts';
import { renderRespondPage, RESPOND_HEADERS } from '../../functions/escalation/respond-page.ts';
import { MAX_BODY_BYTES, parseRespondEvent } from '../../functions/escalation/respond-request.ts';
import {
  amMessage,
  CountingMetrics,
  escalationDeps,
  LINK_SECRET,
  RecordingPager,
  TestClock,
} from '../support/escalation-harness.ts';
import { MemoryIncidentStore } from '../support/memory-incident-store.ts';

describe('the respond page: only a person pressing the button acts', () => {
  let store: MemoryIncidentStore;
  let pager: RecordingPager;
  let clock: TestClock;
  let metrics: CountingMetrics;
  let deps: EscalationDeps;
  let id: string;
  let ackLink: string;
  let resolveLink: string;

  const tokenOf = (link: string) => new URL(link).searchParams.get('token') ?? undefined;
  const ask = (request: RespondRequest) => respondToRequest(deps, request, deps.tiers);
  const press = (link: string, action: string, note?: string) =>
    ask({ method: 'POST', token: tokenOf(link), action, ...(note ? { note } : {}) });
  const snapshot = async () => JSON.stringify(await store.get(id));

  beforeEach(async () => {
    store = new MemoryIncidentStore();
    pager = new RecordingPager();
    clock = new TestClock(new Date('2026-11-25T10:00:00Z'));
    metrics = new CountingMetrics();
    deps = escalationDeps(store, clock, pager, {}, metrics);
    const [opened] = await intakeMessage(deps, {
      messageId: 'm-1',
      message: amMessage('ValidationErrorRateHigh', { severity: 'critical' }),
    });
    id = opened!.incidentId!;
    const body = pager.sent[0]!.page.body;
    ackLink = /Acknowledge: (\S+)/.exec(body)![1]!;
    resolveLink = /Resolve: +(\S+)/.exec(body)![1]!;
  });

  it('shows the incident and a button on GET, HEAD and OPTIONS, and changes nothing', async () => {
    const before = await snapshot();
    const shown = await ask({ method: 'GET', token: tokenOf(ackLink) });
    expect(shown).toMatchObject({ status: 200, view: { kind: 'confirm', claims: { action: 'ack' } } });
    expect(await ask({ method: 'GET', token: tokenOf(resolveLink) })).toMatchObject({
      view: { kind: 'confirm', claims: { action: 'resolve' } },
    });
    expect(await ask({ method: 'HEAD', token: tokenOf(ackLink) })).toEqual({
      status: 200,
      view: { kind: 'empty' },
    });
    expect(await ask({ method: 'OPTIONS' })).toEqual({ status: 204, view: { kind: 'empty' } });
    expect(await snapshot()).toBe(before);
    expect(pager.sent).toHaveLength(1);
  });

  it('refuses every other method, a missing token, a token for another action, a forged or an expired one', async () => {
    const before = await snapshot();
    for (const verb of ['PUT', 'DELETE', 'PATCH']) {
      expect(await ask({ method: 'OTHER', verb })).toMatchObject({
        status: 405,
        view: { kind: 'refused', message: expect.stringContaining(`${verb} is not accepted here`) },
      });
    }
    expect(await ask({ method: 'POST', action: 'ack' })).toMatchObject({
      status: 400,
      view: { message: expect.stringMatching(/No token was sent/) },
    });
    expect(await press(resolveLink, 'ack')).toMatchObject({
      status: 403,
      view: { message: `This link is for resolving ${id}, not "ack". Nothing was changed.` },
    });
    expect(await press(ackLink, 'resolve')).toMatchObject({ status: 403 });
    expect(await ask({ method: 'POST', token: tokenOf(ackLink) })).toMatchObject({
      status: 403,
      view: { message: expect.stringMatching(/not an unnamed action/) },
    });
    const forged = tokenOf(ackLink)!.replace(/.{4}$/, 'AAAA');
    expect(await ask({ method: 'POST', token: forged, action: 'ack' })).toMatchObject({
      status: 403,
      view: { message: expect.stringMatching(/signature does not match/) },
    });
    const other = signToken('not-our-secret', {
      action: 'ack',
      incidentId: id,
      tier: 'primary',
      generation: 1,
      expiresAt: new Date('2026-11-26T09:00:00Z'),
    });
    expect((await ask({ method: 'POST', token: other, action: 'ack' })).status).toBe(403);
    // The key before a rotation: its links open once the respond page knows it, and only then.
    deps = { ...deps, links: { ...deps.links, previousSecrets: async () => ['not-our-secret'] } };
    expect(await ask({ method: 'GET', token: other })).toMatchObject({ status: 200 });
    deps = { ...deps, links: { ...deps.links, previousSecrets: async () => [] } };
    const unknown = signToken(LINK_SECRET, {
      action: 'ack',
      incidentId: 'INC-20261125-999',
      tier: 'primary',
      generation: 1,
      expiresAt: new Date('2026-11-26T09:00:00Z'),
    });
    expect(await ask({ method: 'POST', token: unknown, action: 'ack' })).toMatchObject({ status: 404 });
    clock.advanceMinutes(24 * 60);
    expect(await press(ackLink, 'ack')).toMatchObject({
      status: 403,
      view: { message: expect.stringMatching(/expired at 2026-11-26T10:00:00.000Z. Nothing was changed/) },
    });
    expect(await ask({ method: 'GET', token: tokenOf(ackLink) })).toMatchObject({ status: 403 });
    expect(await snapshot()).toBe(before);
  });

  it('acknowledges once on a double click, with the note, and says so plainly the second time', async () => {
    clock.advanceMinutes(4);
    const [first, second] = await Promise.all([
      press(ackLink, 'ack', 'looking at the 09:52 rollout'),
      press(ackLink, 'ack', 'looking at the 09:52 rollout'),
    ]);
    const messages = [first!, second!].map((a) => (a.view.kind === 'outcome' ? a.view.message : a.view.kind));
    expect(messages.sort()).toEqual([
      `${id} acknowledged by Primary On-Call (ops-oncall@ninjatech.ai) via link. Paging the next tiers has stopped; Engineering Manager will still be told at 11:00 UTC unless it is resolved by then.`,
      `${id} is already acknowledged by Primary On-Call (ops-oncall@ninjatech.ai) via link.`,
    ]);
    const incident = (await store.get(id))!;
    const acks = incident.timeline.filter((e) => e.event === 'acknowledged');
    expect(acks).toEqual([
      {
        at: '2026-11-25T10:04:00.000Z',
        event: 'acknowledged',
        detail: 'Primary On-Call (ops-oncall@ninjatech.ai) via link',
        note: 'looking at the 09:52 rollout',
      },
    ]);
    expect(metrics.counts.get('Acknowledgements')).toBe(1);
    // The resolve link's page now says who acknowledged, and still offers to resolve.
    const shown = await ask({ method: 'GET', token: tokenOf(resolveLink) });
    expect(shown.view).toMatchObject({ kind: 'confirm', incident: { status: 'acknowledged' } });
    expect((await ask({ method: 'GET', token: tokenOf(ackLink) })).view).toMatchObject({
      kind: 'outcome',
      message: expect.stringMatching(/already acknowledged by Primary On-Call/),
    });
  });

  it('resolves once, tells the paged once, and a replayed resolve changes nothing', async () => {
    const resolved = await press(resolveLink, 'resolve', 'rolled back');
    expect(resolved.view).toMatchObject({
      message: `${id} resolved by Primary On-Call (ops-oncall@ninjatech.ai) via link. Everyone paged has been told.`,
    });
    expect(pager.forIncident(id)).toEqual(['primary', 'resolved:primary']);
    expect(pager.sent[1]!.page.body).toContain('What we know: rolled back');
    const after = await snapshot();
    const replay = await press(resolveLink, 'resolve');
    expect(replay.view).toMatchObject({
      message: `${id} is already resolved by Primary On-Call (ops-oncall@ninjatech.ai) via link at 2026-11-25T10:00:00.000Z.`,
    });
    expect(await press(ackLink, 'ack')).toMatchObject({
      view: { message: expect.stringMatching(/already resolved/) },
    });
    expect(await snapshot()).toBe(after);
    expect(pager.forIncident(id)).toEqual(['primary', 'resolved:primary']);
  });

  it('refuses a link of an earlier generation of the incident (opened again since it was sent)', async () => {
    store.incidents.get(id)!.generation = 2;
    const before = await snapshot();
    for (const answer of [
      await press(resolveLink, 'resolve'),
      await ask({ method: 'GET', token: tokenOf(resolveLink) }),
    ]) {
      expect(answer).toMatchObject({ status: 409, view: { message: expect.stringMatching(/opened again/) } });
    }
    expect(await snapshot()).toBe(before);
  });

  it('renders a self-contained page: strict headers, escaped text, a form that posts the token back', async () => {
    store.incidents.get(id)!.alert = {
      ...store.incidents.get(id)!.alert,
      summary: '<script>alert(1)</script> & "quotes"',
    };
    const page = renderRespondPage(await ask({ method: 'GET', token: tokenOf(ackLink) }), '/', deps.tiers);
    expect(page.statusCode).toBe(200);
    expect(page.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    });
    const style = /<style>([\s\S]*?)<\/style>/.exec(page.body)![1]!;
    const hash = createHash('sha256').update(style).digest('base64');
    expect(RESPOND_HEADERS['content-security-policy']).toBe(
      `default-src 'none'; style-src 'sha256-${hash}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
    );
    expect(page.body).not.toMatch(/<script|src=|href=/i);
    expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;');
    expect(page.body).toContain(`<form method="post" action="/">`);
    expect(page.body).toContain(`name="token" value="${tokenOf(ackLink)}"`);
    expect(page.body).toContain('name="action" value="ack"');
    expect(page.body).toContain(`Acknowledge ${id} as Primary On-Call</button>`);
    const head = renderRespondPage(await ask({ method: 'HEAD' }), '/', deps.tiers);
    expect(head.body).toBe('');
  });
});

describe('parsing a function URL request', () => {
  const event = (method: string, extra: Record<string, unknown> = {}) => ({
    version: '2.0',
    rawPath: '/',
    rawQueryString: 'token=abc',
    queryStringParameters: { token: 'abc' },
    headers: { host: 'x.lambda-url.eu-west-1.on.aws' },
    requestContext: { http: { method, path: '/' } },
    isBase64Encoded: false,
    ...extra,
  });

  it('reads the token from the query on GET and from the form on POST, base64 or not', () => {
    expect(parseRespondEvent(event('GET'))).toEqual({
      ok: true,
      path: '/',
      request: { method: 'GET', token: 'abc' },
    });
    const form = 'token=t.1&action=ack&note=on+it%21';
    const post = (body: string, isBase64Encoded: boolean) =>
      parseRespondEvent(
        event('POST', {
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body,
          isBase64Encoded,
        }),
      );
    const expected = {
      ok: true,
      path: '/',
      request: { method: 'POST', token: 't.1', action: 'ack', note: 'on it!' },
    };
    expect(post(form, false)).toEqual(expected);
    expect(post(Buffer.from(form).toString('base64'), true)).toEqual(expected);
    expect(parseRespondEvent(event('DELETE'))).toMatchObject({
      request: { method: 'OTHER', verb: 'DELETE' },
    });
  });

  it('refuses what no page of ours sends, with the reason', () => {
    expect(parseRespondEvent({ hello: 'world' })).toMatchObject({ ok: false, status: 400 });
    expect(
      parseRespondEvent(event('POST', { headers: { 'content-type': 'application/json' }, body: '{}' })),
    ).toMatchObject({
      ok: false,
      status: 415,
    });
    expect(
      parseRespondEvent(
        event('POST', {
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'a'.repeat(MAX_BODY_BYTES + 1),
        }),
      ),
    ).toMatchObject({ ok: false, status: 413 });
    // The form posts back to the request's path, never to another host.
    expect(parseRespondEvent(event('GET', { rawPath: '//evil.example/x' }))).toMatchObject({ path: '/' });
  });
});
