import type { ObjectStore } from '../../core/object-store.ts';
import { reportHtml, reportSubject, reportText } from './render.ts';
import type { Report, ReportKind } from './report.ts';

/** Where a report goes: the reports topic (email subscriptions) and the reports bucket (archive). */
export interface ReportChannels {
  publish(subject: string, message: string): Promise<string>;
  readonly store: ObjectStore;
  readonly bucket: string;
  /** A pre-signed GET link to an archived object. */
  presign(key: string, expiresInSeconds: number): Promise<string>;
}

export interface Delivery {
  readonly messageId: string;
  readonly subject: string;
  readonly bytes: number;
  readonly htmlKey?: string;
  readonly jsonKey?: string;
  readonly link?: string;
  readonly archiveError?: string;
}

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

/**
 * Archives the HTML and JSON, then sends the text with the link. An archive that fails still lets
 * the email go (saying so); only after the email is accepted is the day's delivery marker written.
 */
export async function deliverReport(
  report: Report,
  channels: ReportChannels,
  zone: string,
): Promise<Delivery> {
  const day = reportDay(new Date(report.generatedAt), zone);
  const stamp = report.generatedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const base = `reports/${report.kind}/${day}/${stamp}`;
  let archive: Pick<Delivery, 'htmlKey' | 'jsonKey' | 'link' | 'archiveError'>;
  try {
    await channels.store.putText(
      channels.bucket,
      `${base}.html`,
      reportHtml(report),
      'text/html; charset=utf-8',
    );
    await channels.store.putText(channels.bucket, `${base}.json`, JSON.stringify(report), 'application/json');
    archive = {
      htmlKey: `${base}.html`,
      jsonKey: `${base}.json`,
      link: await channels.presign(`${base}.html`, LINK_SECONDS),
    };
  } catch (error) {
    archive = { archiveError: (error as Error).message.slice(0, 200) };
  }
  const subject = reportSubject(report, zone);
  const message = reportText(report, {
    ...(archive.link ? { link: archive.link } : {}),
    ...(archive.archiveError
      ? { note: `The HTML archive could not be written: ${archive.archiveError}` }
      : {}),
  });
  const messageId = await channels.publish(subject, message);
  await channels.store.putText(
    channels.bucket,
    deliveredMarkerKey(report.kind, day),
    JSON.stringify({
      messageId,
      status: report.status,
      generatedAt: report.generatedAt,
      htmlKey: archive.htmlKey ?? null,
    }),
  );
  return { messageId, subject, bytes: Buffer.byteLength(message), ...archive };
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
