import type { MailMessage } from '../../core/outbox/mail.ts';
import type { ObjectStore } from '../../core/object-store.ts';
import { compareReports, type ArchivedReport, type ReportDelta } from './delta.ts';
import { EMAIL_TEXT_BUDGET, reportEmailHtml } from './email.ts';
import { reportHtml, reportSubject, reportText, type ArchiveLink } from './render.ts';
import type { Report, ReportKind } from './report-model.ts';

/**
 * Where a report goes: Amazon SES to the configured recipients when configured (`mail`), else the
 * reports topic's e-mail subscriptions; and the reports bucket (archive).
 */
export interface ReportChannels {
  publish(subject: string, message: string): Promise<string>;
  /** Sends through SES; absent when SES is not configured. Answers the message id. */
  readonly mail?: (message: MailMessage) => Promise<string>;
  readonly store: ObjectStore;
  readonly bucket: string;
  /** Where an archived object can be read, with a pre-signed link only if its lifetime is known. */
  link(key: string, atMostSeconds: number, now: Date): Promise<ArchiveLink>;
}

export interface Delivery {
  readonly messageId: string;
  /** `ses`, or `sns` (SES not configured, or it refused the message: `mailError`). */
  readonly via: 'ses' | 'sns';
  readonly subject: string;
  readonly bytes: number;
  readonly htmlKey?: string;
  readonly jsonKey?: string;
  readonly archive?: ArchiveLink;
  readonly archiveError?: string;
  readonly mailError?: string;
  readonly delta: ReportDelta;
}

/** S3 caps a pre-signed link at 7 days. */
const LINK_SECONDS = 7 * 86_400;

/** The report's day in the team's zone, e.g. "2026-11-25": keys and the delivery marker use it. */
export function reportDay(at: Date, zone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
}

export const deliveredMarkerKey = (kind: ReportKind, day: string) => `reports/${kind}/${day}/delivered.json`;
/** Names the JSON of the last delivered report of a kind: the next one compares itself with it. */
export const lastDeliveredKey = (kind: ReportKind) => `reports/${kind}/last-delivered.json`;

/** The last delivered report of `kind`, or why it could not be read (undefined: there is none). */
export async function previousReport(
  kind: ReportKind,
  channels: Pick<ReportChannels, 'store' | 'bucket'>,
): Promise<{ report?: ArchivedReport; error?: string }> {
  try {
    const pointer = await channels.store.getText(channels.bucket, lastDeliveredKey(kind));
    if (pointer === undefined) return {};
    const { jsonKey } = JSON.parse(pointer) as { jsonKey: string };
    const json = await channels.store.getText(channels.bucket, jsonKey);
    if (json === undefined) return { error: `${jsonKey} is gone` };
    return { report: JSON.parse(json) as ArchivedReport };
  } catch (error) {
    return { error: (error as Error).message.slice(0, 200) };
  }
}

/**
 * Compares with the last delivered report, archives the HTML and JSON (with the delta), then sends
 * the e-mail: through SES when configured, else (or when SES refuses it) through the reports topic,
 * saying which. An archive that fails still lets the e-mail go (saying so); only after the e-mail is
 * accepted are the day's delivery marker and the last-delivered pointer written.
 */
export async function deliverReport(
  report: Report,
  channels: ReportChannels,
  zone: string,
  now: () => Date = () => new Date(),
): Promise<Delivery> {
  const day = reportDay(new Date(report.generatedAt), zone);
  const stamp = report.generatedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const base = `reports/${report.kind}/${day}/${stamp}`;
  const previous = await previousReport(report.kind, channels);
  const delta = compareReports(previous.report, report);
  let archive: Pick<Delivery, 'htmlKey' | 'jsonKey' | 'archive' | 'archiveError'>;
  try {
    await channels.store.putText(
      channels.bucket,
      `${base}.html`,
      reportHtml(report, { delta, zone }),
      'text/html; charset=utf-8',
    );
    const archived: ArchivedReport = { ...report, delta };
    await channels.store.putText(
      channels.bucket,
      `${base}.json`,
      JSON.stringify(archived),
      'application/json',
    );
    archive = {
      htmlKey: `${base}.html`,
      jsonKey: `${base}.json`,
      archive: await channels.link(`${base}.html`, LINK_SECONDS, now()),
    };
  } catch (error) {
    archive = { archiveError: (error as Error).message.slice(0, 200) };
  }
  const notes = [
    ...(previous.error
      ? [`The previous ${report.kind} report could not be read (${previous.error}): nothing compared.`]
      : []),
    ...(archive.archiveError ? [`The full report could not be archived: ${archive.archiveError}`] : []),
  ];
  const context = {
    delta,
    zone,
    ...(archive.archive ? { archive: archive.archive } : {}),
  };
  const subject = reportSubject(report, zone);
  let mailError: string | undefined;
  if (channels.mail) {
    const note = [...notes, 'Sent by mcp-ops through Amazon SES.'].join(' ');
    const text = reportText(report, { ...context, note, budget: EMAIL_TEXT_BUDGET });
    try {
      const messageId = await channels.mail({
        subject,
        text,
        html: reportEmailHtml(report, { ...context, note }),
      });
      return await recordDelivery(report, channels, day, {
        messageId,
        via: 'ses',
        subject,
        bytes: Buffer.byteLength(text),
        delta,
        ...archive,
      });
    } catch (error) {
      mailError = (error as Error).message.slice(0, 200);
    }
  }
  const fallback = mailError
    ? `Amazon SES refused this report (${mailError}); it came through the reports SNS topic instead.`
    : 'Sent through the reports SNS topic: Amazon SES is not configured (reports.email), so this is plain text.';
  const message = reportText(report, { ...context, note: [...notes, fallback].join(' ') });
  const messageId = await channels.publish(subject, message);
  return recordDelivery(report, channels, day, {
    messageId,
    via: 'sns',
    subject,
    bytes: Buffer.byteLength(message),
    delta,
    ...archive,
    ...(mailError ? { mailError } : {}),
  });
}

async function recordDelivery(
  report: Report,
  channels: ReportChannels,
  day: string,
  delivery: Delivery,
): Promise<Delivery> {
  await channels.store.putText(
    channels.bucket,
    deliveredMarkerKey(report.kind, day),
    JSON.stringify({
      messageId: delivery.messageId,
      via: delivery.via,
      status: report.status,
      generatedAt: report.generatedAt,
      htmlKey: delivery.htmlKey ?? null,
    }),
  );
  if (delivery.jsonKey)
    await channels.store.putText(
      channels.bucket,
      lastDeliveredKey(report.kind),
      JSON.stringify({ jsonKey: delivery.jsonKey, generatedAt: report.generatedAt }),
    );
  return delivery;
}

/** The watchdog's question at 09:30 / 18:30: was today's report delivered? */
export async function wasDelivered(
  kind: ReportKind,
  channels: Pick<ReportChannels, 'store' | 'bucket'>,
  now: Date,
  zone: string,
): Promise<boolean> {
  return (
    (await channels.store.getText(channels.bucket, deliveredMarkerKey(kind, reportDay(now, zone)))) !==
    undefined
  );
}
