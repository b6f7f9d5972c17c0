import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config.ts';
import type { KubernetesPort } from '../../core/kubernetes.ts';
import { presignLifetime } from '../../functions/checks/adapters/report-channels.ts';
import type { ChecksDeps } from '../../functions/checks/checks-deps.ts';
import { deliverReport, lastDeliveredKey, type ReportChannels } from '../../functions/checks/deliver.ts';
import { compareReports, deltaLines, findingKey, type ArchivedReport } from '../../functions/checks/delta.ts';
import { EMAIL_HTML_BUDGET, EMAIL_TEXT_BUDGET, reportEmailHtml } from '../../functions/checks/email.ts';
import { reportHtml, reportText, table } from '../../functions/checks/render.ts';
import { tablesOf } from '../../functions/checks/text-table.ts';
import type { Figure, Finding, Report, Section } from '../../functions/checks/report-model.ts';
import { resourcesSection } from '../../functions/checks/sections/resources.ts';
import { KEY_METRICS, metricFindings } from '../../functions/checks/service-metrics.ts';
import { MemoryObjectStore } from '../support/memory-object-store.ts';

const section = (id: string, findings: Finding[], figures: Figure[] = [], over: Partial<Section> = {}) =>
  ({
    id,
    title: id,
    status: findings.some((f) => f.status === 'CRITICAL') ? 'CRITICAL' : findings.length ? 'WARNING' : 'OK',
    summary: `${id} summary`,
    findings,
    lines: [],
    data: null,
    durationMs: 1,
    figures,
    ...over,
  }) as Section;

const report = (generatedAt: string, sections: Section[]): Report => ({
  kind: 'morning',
  title: 'MCP Level 3 morning health check',
  generatedAt,
  status: 'WARNING',
  reason: 'something',
  sections,
  durationMs: 100,
});

const errorRate = (value: number | null): Figure => ({
  id: 'validation_error_rate',
  label: 'error rate',
  value,
  unit: 'ratio',
});

describe('what changed since the last report', () => {
  const day1 = report('2026-11-25T17:00:00.000Z', [
    section('pods', [{ status: 'WARNING', text: '2 pod(s) restarted more than 5 times' }]),
    section(
      'metrics',
      [{ status: 'WARNING', text: 'Request latency p95 (5m) 250 ms (> 200 ms warning)' }],
      [errorRate(0.004)],
    ),
  ]);

  it('says there is nothing to compare with on the first report', () => {
    const delta = compareReports(undefined, day1);
    expect(delta.previousAt).toBeUndefined();
    expect(delta.added).toHaveLength(2);
    expect(deltaLines(delta, 'morning', 'UTC')[0]).toBe(
      'No earlier morning report to compare with: this is the first one archived.',
    );
    expect(deltaLines(delta, 'morning', 'UTC')[1]).toBe('Figures: error rate 0.40%');
  });

  it('lists new, cleared and persisting findings, the last with since when, and the figures', () => {
    const first: ArchivedReport = { ...day1, delta: compareReports(undefined, day1) };
    const day2 = report('2026-11-26T17:00:00.000Z', [
      // Same finding, other numbers: persists since day 1.
      section('pods', [{ status: 'WARNING', text: '3 pod(s) restarted more than 5 times' }]),
      section(
        'metrics',
        [{ status: 'CRITICAL', text: 'Validation error rate (5m) 12.00% (> 5% warning, > 10% critical)' }],
        [errorRate(0.021)],
      ),
    ]);
    const second: ArchivedReport = { ...day2, delta: compareReports(first, day2) };
    expect(second.delta!.added.map((f) => f.text)).toEqual([
      'Validation error rate (5m) 12.00% (> 5% warning, > 10% critical)',
    ]);
    expect(second.delta!.cleared.map((f) => f.text)).toEqual([
      'Request latency p95 (5m) 250 ms (> 200 ms warning)',
    ]);
    expect(second.delta!.persisting).toEqual([
      expect.objectContaining({ text: '3 pod(s) restarted more than 5 times', since: day1.generatedAt }),
    ]);
    const lines = deltaLines(second.delta!, 'morning', 'Europe/Berlin');
    expect(lines[0]).toBe(
      'Since the last morning report (2026-11-25 18:00 Europe/Berlin): 1 new, 1 cleared, 1 still open.',
    );
    expect(lines).toContain('Figures: error rate 0.40% → 2.10%');
    expect(lines).toContain(
      '  STILL    WARNING  pods: 3 pod(s) restarted more than 5 times (since 2026-11-25 18:00 Europe/Berlin)',
    );
    // A third report still carries day 1 as the start, not day 2.
    const day3 = report('2026-11-27T17:00:00.000Z', [
      section('pods', [{ status: 'WARNING', text: '4 pod(s) restarted more than 5 times' }]),
    ]);
    expect(compareReports(second, day3).persisting[0]!.since).toBe(day1.generatedAt);
  });

  it('keeps digits inside names apart and counts a section that could not be checked', () => {
    expect(findingKey('pods', { text: 'pod web-7d9f4-x2 OOMKilled 3 times' })).toBe(
      'pods|pod web-7d9f4-x2 OOMKilled # times',
    );
    const failed = report('2026-11-26T17:00:00.000Z', [
      section('pods', [], [], { status: 'FAILED', error: 'timed out after 45 s' }),
    ]);
    expect(compareReports(undefined, failed).added).toEqual([
      expect.objectContaining({
        key: 'pods|not checked',
        text: 'could not be checked: timed out after 45 s',
      }),
    ]);
  });
});

describe('a pre-signed link promises only what its credentials allow', () => {
  const now = new Date('2026-11-27T09:00:00Z');
  it('lives its full 7 days on long-term keys', () => {
    expect(presignLifetime({}, 604_800, now)).toBe(604_800);
  });
  it('ends before session credentials expire', () => {
    const expiration = new Date(now.getTime() + 2 * 3_600_000);
    const seconds = presignLifetime({ sessionToken: 't', expiration }, 604_800, now)!;
    expect(now.getTime() + seconds * 1000).toBeLessThanOrEqual(expiration.getTime());
    expect(seconds).toBeGreaterThan(7_000);
  });
  it('is not made when the session’s end is unknown or too near', () => {
    expect(presignLifetime({ sessionToken: 't' }, 604_800, now)).toBeUndefined();
    const soon = new Date(now.getTime() + 120_000);
    expect(presignLifetime({ sessionToken: 't', expiration: soon }, 604_800, now)).toBeUndefined();
  });
});

describe('the e-mail stays under the sizes mail clients clip', () => {
  const lines = Array.from({ length: 4_000 }, (_, i) => `mcp-semantic-control-plane-${i} Running 1/1 0`);
  const big = report('2026-11-27T09:00:00.000Z', [
    section('pods', [{ status: 'CRITICAL', text: '40 pod(s) in CrashLoopBackOff' }], [], { lines }),
    section('errors', [{ status: 'WARNING', text: '12 FATAL line(s)' }], [], { lines }),
  ]);
  const archive = {
    uri: 's3://reports/reports/morning/x.html',
    console: 'https://us-east-1.console.aws.amazon.com/s3/object/reports?prefix=x',
  };

  it('cuts details, never findings, and says where the rest is', () => {
    const delta = compareReports(undefined, big);
    const html = reportEmailHtml(big, { delta, zone: 'UTC', archive });
    expect(Buffer.byteLength(html)).toBeLessThanOrEqual(EMAIL_HTML_BUDGET);
    // Each finding once: the delta lists them (all new here), the findings block does not repeat them.
    expect(html.split('40 pod(s) in CrashLoopBackOff')).toHaveLength(2);
    expect(html.split('12 FATAL line(s)')).toHaveLength(2);
    expect(html).toContain('Every finding is listed above.');
    expect(html).toMatch(/more line\(s\) in the full report/);
    expect(html).toContain(archive.console);
    expect(html).not.toMatch(/<style|<script|<img/);
    expect(html).toMatch(/<table[^>]+style="[^"]*max-width: ?600px/);
    const text = reportText(big, { delta, zone: 'UTC', archive, budget: EMAIL_TEXT_BUDGET });
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(EMAIL_TEXT_BUDGET);
    expect(text).toContain(archive.console);
  });
});

describe('delivery', () => {
  const healthy = report('2026-11-27T09:00:00.000Z', [section('pods', [], [errorRate(0.001)])]);
  function channels(mail?: ReportChannels['mail']) {
    const store = new MemoryObjectStore();
    const published: string[] = [];
    const c: ReportChannels = {
      store,
      bucket: 'reports',
      publish: async (_subject, message) => {
        published.push(message);
        return `sns-${published.length}`;
      },
      ...(mail ? { mail } : {}),
      link: async (key) => ({ uri: `s3://reports/${key}`, console: `https://console/${key}` }),
    };
    return { c, store, published };
  }

  it('falls back to the reports topic when SES refuses, saying why, and moves the pointer only then', async () => {
    const { c, store, published } = channels(async () => {
      throw new Error('Email address is not verified.');
    });
    const delivery = await deliverReport(healthy, c, 'UTC');
    expect(delivery).toMatchObject({ via: 'sns', mailError: 'Email address is not verified.' });
    expect(published[0]).toMatch(/Amazon SES refused this report \(Email address is not verified\.\)/);
    const pointer = JSON.parse((await store.getText('reports', lastDeliveredKey('morning')))!);
    expect(pointer.jsonKey).toBe(delivery.jsonKey);
  });

  it('sends the multipart e-mail through SES when configured and compares the next with it', async () => {
    const sent: Array<{ subject: string; html: string; text: string }> = [];
    const { c, published } = channels(async (m) => {
      sent.push(m);
      return `ses-${sent.length}`;
    });
    expect(await deliverReport(healthy, c, 'UTC')).toMatchObject({ via: 'ses', messageId: 'ses-1' });
    const later = report('2026-11-28T09:00:00.000Z', [
      section(
        'pods',
        [{ status: 'CRITICAL', text: '1 pod(s) in CrashLoopBackOff: a (Runbook 3)' }],
        [errorRate(0.03)],
      ),
    ]);
    const second = await deliverReport(later, c, 'UTC');
    expect(published).toEqual([]);
    expect(second.delta.added).toHaveLength(1);
    expect(sent[1]!.text.split('\n').slice(0, 5)).toEqual([
      'MCP Level 3 morning health check: WARNING',
      'something',
      'Since the last morning report (2026-11-27 09:00 UTC): 1 new, 0 cleared, 0 still open.',
      'Figures: error rate 0.10% → 3.00%',
      '  NEW      CRITICAL  pods: 1 pod(s) in CrashLoopBackOff: a (Runbook 3)',
    ]);
    expect(sent[1]!.html).toContain('1 pod(s) in CrashLoopBackOff: a (Runbook 3)');
  });
});

describe('a check that could not run is never OK', () => {
  it('warns when metrics.k8s.io has no usage for the pods', async () => {
    const pod = { metadata: { name: 'p1' }, spec: { containers: [{ name: 'c' }] } } as V1Pod;
    const kube = {
      async *pods() {
        yield [pod];
      },
      podUsage: async () => [],
    } as unknown as KubernetesPort;
    const deps = { config: parseConfig({}), kube, now: () => new Date() } as unknown as ChecksDeps;
    const outcome = await resourcesSection(deps);
    expect(outcome.summary).toBe('no usage measured (metrics.k8s.io had none for 1 pod(s))');
    expect(outcome.findings).toEqual([
      expect.objectContaining({
        status: 'WARNING',
        text: expect.stringMatching(/^not measured: .*OOM risk/),
      }),
    ]);
  });

  it('warns when a judged metric has no data, and when nothing at all was measured', () => {
    const values = KEY_METRICS.map((definition) => ({
      definition,
      value: definition.id === 'request_p95' ? undefined : 0.01,
    }));
    expect(metricFindings(values)).toEqual([
      expect.objectContaining({ status: 'WARNING', text: expect.stringMatching(/Request latency p95/) }),
    ]);
    const none = KEY_METRICS.map((definition) => ({ definition, value: undefined }));
    expect(metricFindings(none)).toEqual([
      { status: 'WARNING', text: 'not measured: no metric returned data' },
    ]);
  });
});

describe('a section’s tables', () => {
  const name = 'mcp-semantic-control-plane-7b869d3b91-7a122-with-a-name-far-too-long-for-a-column';
  const lines = table(
    ['NAME', 'STATUS', 'RESTARTS', 'NODE'],
    [[name, 'CrashLoopBackOff', '12', 'ip-10-0-12-34.eu-west-1.compute.internal']],
  );
  const withTable = report('2026-11-27T09:00:00.000Z', [
    section('pods', [], [], { lines: [...lines, 'Logs: 1 pod(s) unreadable'], tables: tablesOf(lines) }),
  ]);

  it('are columns in the e-mail, a long name cut to fit with the whole in its title', () => {
    const html = reportEmailHtml(withTable, { delta: compareReports(undefined, withTable), zone: 'UTC' });
    expect(html).toMatch(/<table class="data"/);
    expect(html).toContain(`title="${name}"`);
    expect(html).toMatch(/<td[^>]*><span title="[^"]+">mcp-semantic-control-plane[^<]*…<\/span><\/td>/);
    expect(html).toContain('Logs: 1 pod(s) unreadable');
  });

  it('are whole columns in the archived page', () => {
    const html = reportHtml(withTable);
    expect(html).toMatch(/<table class="data"/);
    expect(html).toContain(`<td>${name}</td>`);
    expect(html).not.toContain('…</span>');
  });
});
