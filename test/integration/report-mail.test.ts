// The reports as people get them: through SES (read back from moto), with what changed since the
// last one first, links that promise only what their credentials allow, and the HTML as Chromium
// draws it at a mail client's width.
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { CoreV1Api } from '@kubernetes/client-node';
import { simpleParser, type ParsedMail } from 'mailparser';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { awsClientConfig, s3ClientConfig } from '../../core/aws.ts';
import { awsReportChannels } from '../../functions/checks/adapters/report-channels.ts';
import { deliverReport, type Delivery } from '../../functions/checks/deliver.ts';
import { EMAIL_HTML_BUDGET, EMAIL_TEXT_BUDGET } from '../../functions/checks/email.ts';
import { morningReport } from '../../functions/checks/checklists.ts';
import { KEY_METRICS } from '../../functions/checks/service-metrics.ts';
import { renderEmail } from '../../stack/chromium.ts';
import { localClients, localTarget } from '../support/aws.ts';
import { localChecksDeps, setServiceFault } from '../support/checks.ts';
import { clusterInScenario, listAllPods } from '../support/cluster.ts';
import { eventually } from '../support/eventually.ts';

const endpoints = inject('endpoints');
const { s3, sns } = localClients();
const ses = new SESv2Client(awsClientConfig(localTarget()));
const OUT = join(import.meta.dirname, '..', '..', 'out');
const ZONE = 'UTC';

/** Every message moto's SES accepted (our launcher's endpoint; moto keeps them in the process). */
async function sentMail(): Promise<
  Array<{ id: string; source: string; destinations: string[]; raw: string }>
> {
  const answer = await fetch(`${endpoints.aws.endpoint}/moto-api/mcp-ops/ses-sent`);
  if (!answer.ok) throw new Error(`ses-sent: HTTP ${answer.status}`);
  return (await answer.json()) as Array<{ id: string; source: string; destinations: string[]; raw: string }>;
}

async function received(
  delivery: Delivery,
): Promise<ParsedMail & { source: string; destinations: string[] }> {
  const message = (await sentMail()).find((m) => m.id === delivery.messageId);
  if (!message) throw new Error(`moto has no message ${delivery.messageId}`);
  return { ...(await simpleParser(message.raw)), source: message.source, destinations: message.destinations };
}

const errorRateQuery = KEY_METRICS.find((m) => m.id === 'validation_error_rate')!.promql;

describe('the morning report by e-mail', () => {
  let bucket: string;
  const channels = () =>
    awsReportChannels({ s3, sns }, endpoints.topics.reports, bucket, {
      ses,
      from: endpoints.mail.from,
      to: endpoints.mail.to,
      configurationSet: endpoints.mail.configurationSet,
    });

  beforeAll(async () => {
    bucket = `reports-mail-${randomUUID().slice(0, 8)}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    mkdirSync(OUT, { recursive: true });
  });
  afterAll(async () => {
    await setServiceFault('reset');
  });

  it('arrives through SES with both parts, from the sender to the recipients; the next names what changed, then what cleared', async () => {
    await clusterInScenario('healthy');
    await setServiceFault('reset');
    const first = await deliverReport(await morningReport(localChecksDeps()), channels(), ZONE);
    expect(first.via).toBe('ses');
    const mail1 = await received(first);
    expect(mail1.source).toBe(endpoints.mail.from);
    expect(new Set(mail1.destinations)).toEqual(new Set(endpoints.mail.to));
    expect(mail1.subject).toMatch(/^\[(OK|WARNING|CRITICAL)\] MCP Level 3 morning health check/);
    expect(mail1.headers.get('content-type')).toMatchObject({ value: 'multipart/alternative' });
    expect(mail1.text).toMatch(/^MCP Level 3 morning health check: (OK|WARNING|CRITICAL)\n/);
    expect(mail1.text).toContain('No earlier morning report to compare with');
    expect(mail1.html).toBeTruthy();
    expect(mail1.html as string).not.toMatch(/<style/);
    expect(mail1.html as string).toContain(first.archive!.uri);
    const healthyView = await renderEmail(mail1.html as string, join(OUT, 'email-healthy.png'));
    expect(healthyView.scrollWidth).toBeLessThanOrEqual(healthyView.viewportWidth);
    expect(healthyView.text).toContain('1. Pods');
    // The sections' tables are real columns at 600 px: every cell on one line, within its width.
    expect(healthyView.cells).toBeGreaterThan(20);
    expect(healthyView.overflowingCells).toEqual([]);

    // The fault: pods crash-looping and validations failing.
    const before = first.delta.figures.find((f) => f.id === 'validation_error_rate')!.after!;
    await clusterInScenario('crash-loop');
    await setServiceFault({ errorRate: 0.5 });
    const prometheus = localChecksDeps().prometheus;
    await eventually(
      async () => ((await prometheus.query(errorRateQuery))[0]?.value ?? 0) > before + 0.02 || undefined,
      60_000,
      'the validation error rate to rise in Prometheus',
    );
    const second = await deliverReport(await morningReport(localChecksDeps()), channels(), ZONE);
    const mail2 = await received(second);
    // The delta: everything before the first blank line.
    const top = (mail2.text ?? '').split('\n\n')[0]!;
    expect(top.split('\n')[3]).toMatch(/^Figures: /);
    expect(top).toMatch(/^Since the last morning report \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\): [1-9]\d* new, /m);
    expect(top).toMatch(/^ {2}NEW {6}CRITICAL {2}1\. Pods: \d+ pod\(s\) in CrashLoopBackOff/m);
    expect(top).toMatch(/^Figures: .*error rate \d+\.\d+% → \d+\.\d+%/m);
    const rate = second.delta.figures.find((f) => f.id === 'validation_error_rate')!;
    expect(rate.before).toBe(before);
    expect(rate.after!).toBeGreaterThan(before);
    const crashView = await renderEmail(mail2.html as string, join(OUT, 'email-crashloop.png'));
    expect(crashView.scrollWidth).toBeLessThanOrEqual(crashView.viewportWidth);
    expect(crashView.overflowingCells).toEqual([]);
    expect(crashView.text).toMatch(/NEW\s+CRITICAL\s+1\. Pods: \d+ pod\(s\) in CrashLoopBackOff/);

    // Fixed: the crash loop is listed as cleared.
    await clusterInScenario('healthy');
    const third = await deliverReport(await morningReport(localChecksDeps()), channels(), ZONE);
    const mail3 = await received(third);
    expect(mail3.text).toMatch(/^ {2}CLEARED {2}CRITICAL {2}1\. Pods: \d+ pod\(s\) in CrashLoopBackOff/m);
    expect(third.delta.previousAt).toBe(second.delta.since[second.delta.added[0]!.key]);
  });

  it('promises a link only for as long as the credentials that signed it live', async () => {
    const key = `reports/morning/link-${randomUUID()}.html`;
    const now = new Date();
    const signedBy = (credentials: Record<string, unknown>) =>
      awsReportChannels(
        {
          s3: new S3Client({
            ...s3ClientConfig(localTarget()),
            credentials: async () => credentials as never,
          }),
          sns,
        },
        endpoints.topics.reports,
        bucket,
      ).link(key, 7 * 86_400, now);
    const expiration = new Date(now.getTime() + 2 * 3_600_000);
    const session = await signedBy({
      accessKeyId: 'test',
      secretAccessKey: 'test',
      sessionToken: 's',
      expiration,
    });
    const url = new URL(session.presigned!.url);
    const signedAt = url.searchParams.get('X-Amz-Date')!;
    const at = Date.parse(
      `${signedAt.slice(0, 4)}-${signedAt.slice(4, 6)}-${signedAt.slice(6, 8)}T${signedAt.slice(9, 11)}:${signedAt.slice(11, 13)}:${signedAt.slice(13, 15)}Z`,
    );
    const encodedEnd = at + Number(url.searchParams.get('X-Amz-Expires')) * 1000;
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('s');
    expect(encodedEnd).toBeLessThanOrEqual(expiration.getTime());
    expect(Date.parse(session.presigned!.expiresAt)).toBe(encodedEnd);
    // Session credentials whose end is unknown (Lambda's): no link that could lie, the console instead.
    const lambdaLike = await signedBy({ accessKeyId: 'test', secretAccessKey: 'test', sessionToken: 's' });
    expect(lambdaLike.presigned).toBeUndefined();
    expect(lambdaLike.console).toMatch(/^https:\/\/us-east-1\.console\.aws\.amazon\.com\/s3\/object\//);
    const longTerm = await signedBy({ accessKeyId: 'test', secretAccessKey: 'test' });
    expect(new URL(longTerm.presigned!.url).searchParams.get('X-Amz-Expires')).toBe('604800');
  });

  // The scale scenario is seeded once, for this test and the next (seeding it takes a while).
  it('holds the scale scenario for benchmarks: 2,000 pods and 20,000 events, paged', async () => {
    const cluster = await clusterInScenario('scale');
    const core = cluster.client('readonly').makeApiClient(CoreV1Api);
    const { pods, pages } = await listAllPods(core, 500);
    expect(pods).toHaveLength(2_000);
    // 500 a page; a fifth, empty page when other pods (Prometheus) follow the last one in the listing.
    expect(pages).toBeGreaterThanOrEqual(4);
    expect(pages).toBeLessThanOrEqual(5);
    expect(new Set(pods.map((p) => p.spec?.nodeName)).size).toBe(20);
    let events = 0;
    let next: string | undefined;
    do {
      const page = await core.listNamespacedEvent({ namespace: 'mcp-system', limit: 5_000, _continue: next });
      events += page.items.length;
      next = page.metadata?._continue;
    } while (next);
    expect(events).toBe(20_000);
    // The next test reports on it as it is, and leaves the cluster healthy.
  }, 600_000);

  it('stays under Gmail’s clipping size on the scale scenario, and says where the full report is', async () => {
    await clusterInScenario('scale');
    try {
      const delivery = await deliverReport(await morningReport(localChecksDeps()), channels(), ZONE);
      const mail = await received(delivery);
      expect(Buffer.byteLength(mail.html as string)).toBeLessThan(100 * 1024);
      expect(Buffer.byteLength(mail.html as string)).toBeLessThanOrEqual(EMAIL_HTML_BUDGET + 2048);
      expect(Buffer.byteLength(mail.text ?? '')).toBeLessThan(50 * 1024);
      expect(Buffer.byteLength(mail.text ?? '')).toBeLessThanOrEqual(EMAIL_TEXT_BUDGET + 1024);
      for (const part of [mail.html as string, mail.text ?? ''])
        expect(part).toContain(delivery.archive!.uri);
      const view = await renderEmail(mail.html as string, join(OUT, 'email-scale.png'));
      expect(view.scrollWidth).toBeLessThanOrEqual(view.viewportWidth);
      expect(view.cells).toBeGreaterThan(20);
      expect(view.overflowingCells).toEqual([]);
      // A name cut to fit keeps the whole of it in its title.
      expect(mail.html as string).toMatch(/<span title="[^"]{20,}">[^<]*…<\/span>/);
      console.log(
        `scale e-mail: HTML ${(Buffer.byteLength(mail.html as string) / 1024).toFixed(1)} KB, text ${(Buffer.byteLength(mail.text ?? '') / 1024).toFixed(1)} KB`,
      );
    } finally {
      await clusterInScenario('healthy');
    }
  }, 400_000);
});
