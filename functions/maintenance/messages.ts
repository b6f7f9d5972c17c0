// What people read from the maintenance job: the users' notice and reminder, the team's
// pre-check and maintenance reports (PASS/FAIL per item), and the users' completion notice.
// Each is one multipart e-mail: plain text and a 600 px HTML table with inline styles.
import type { WindowTimes } from '../../core/maintenance-window.ts';
import type { MailMessage } from '../../core/outbox/mail.ts';
import { escapeHtml } from '../../core/text-safety.ts';
import type { CheckResult } from './checklist.ts';
import type { MaintenanceRecord } from './window-record.ts';

const GREEN = '#1a7f37';
const RED = '#cf222e';

/** "Saturday 5 December 2026, 02:00 UTC" and the same instant in the team's zone. */
export function whenText(at: Date, zone: string): { utc: string; local: string } {
  const format = (timeZone: string) =>
    new Intl.DateTimeFormat('en-GB', {
      timeZone,
      weekday: 'long',
      day: 'numeric',
      month: 'long',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hour12: false,
      timeZoneName: 'short',
    }).format(at);
  return { utc: format('UTC'), local: format(zone) };
}

function page(title: string, colour: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body style="margin:0;padding:0;background:#f6f8fa">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" style="width:600px;max-width:600px;margin:0 auto;font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#1f2328;background:#ffffff">
<tr><td style="padding:16px;border-top:6px solid ${colour}"><h1 style="font-size:20px;margin:0 0 8px">${escapeHtml(title)}</h1>${body}</td></tr>
</table></body></html>`;
}

const para = (text: string) => `<p style="margin:8px 0">${escapeHtml(text)}</p>`;

/** "Notify users 7 days in advance" (and the 24 h reminder): the window in UTC and the team's zone. */
export function noticeMail(
  kind: 'notice' | 'reminder',
  times: WindowTimes,
  record: MaintenanceRecord,
  zone: string,
): MailMessage {
  const start = whenText(times.start, zone);
  const end = whenText(times.end, zone);
  const hours = (times.end.getTime() - times.start.getTime()) / 3_600_000;
  const subject = `${kind === 'reminder' ? 'Reminder: ' : ''}MCP Level 3 maintenance ${start.utc} (${hours} h) [${record.id}]`;
  const lead =
    kind === 'reminder'
      ? 'Reminder: routine maintenance of MCP Level 3 starts in 24 hours.'
      : 'Routine maintenance of MCP Level 3 is scheduled for the first window of next week.';
  const lines = [
    lead,
    '',
    `Starts: ${start.utc} (${start.local})`,
    `Ends:   ${end.utc} (${end.local})`,
    '',
    'During the window the service may answer 503 (maintenance mode). Requests made then should be retried after it ends.',
    `Maintenance ticket: ${record.id}`,
  ];
  const html = page(
    subject,
    '#0969da',
    [
      para(lead),
      `<table role="presentation" cellpadding="4" style="border-collapse:collapse;margin:8px 0">`,
      `<tr><td style="font-weight:bold">Starts</td><td>${escapeHtml(start.utc)}<br><span style="color:#57606a">${escapeHtml(start.local)}</span></td></tr>`,
      `<tr><td style="font-weight:bold">Ends</td><td>${escapeHtml(end.utc)}<br><span style="color:#57606a">${escapeHtml(end.local)}</span></td></tr>`,
      `</table>`,
      para(lines[5]!),
      para(lines[6]!),
    ].join('\n'),
  );
  return { subject, text: `${lines.join('\n')}\n`, html };
}

/** The team's report of a pre- or post-check: the verdict first, then each item PASS/FAIL. */
export function checkMail(result: CheckResult, zone: string): MailMessage {
  const what = result.kind === 'pre' ? 'Pre-maintenance check' : 'Maintenance report';
  const verdict = result.passed ? 'PASS' : 'FAIL';
  const failed = result.items.filter((i) => i.status === 'FAIL');
  const start = whenText(new Date(result.window.start), zone);
  const subject = `[${verdict}] ${what} ${result.window.id}${failed.length ? `: ${failed.map((i) => i.name).join(', ')}` : ''}`;
  const text = [
    `${what}: ${verdict}${failed.length ? ` (${failed.length} of ${result.items.length} items failed)` : ''}`,
    `Window: ${start.utc} (${start.local}) to ${result.window.end}; checked ${result.checkedAt}`,
    ...(result.changes.length ? ['', 'Changes in the window:', ...result.changes.map((c) => `- ${c}`)] : []),
    '',
    ...result.items.flatMap((i) => [
      `${i.status} ${i.name}: ${i.detail}`,
      ...(i.lines ?? []).map((l) => `    ${l}`),
    ]),
    ...(result.rollback ? ['', `Rollback plan: ${result.rollback.command}`] : []),
  ];
  const rows = result.items
    .map(
      (i) =>
        `<tr><td style="padding:6px;border-bottom:1px solid #d0d7de;vertical-align:top"><span style="display:inline-block;padding:2px 6px;border-radius:4px;color:#ffffff;font-weight:bold;background:${i.status === 'PASS' ? GREEN : RED}">${i.status}</span></td>` +
        `<td style="padding:6px;border-bottom:1px solid #d0d7de"><b>${escapeHtml(i.name)}</b><br>${escapeHtml(i.detail)}${
          i.lines?.length
            ? `<pre style="margin:4px 0 0;font-size:12px;white-space:pre-wrap;word-break:break-all">${escapeHtml(i.lines.join('\n'))}</pre>`
            : ''
        }</td></tr>`,
    )
    .join('\n');
  const html = page(
    `${what}: ${verdict}`,
    result.passed ? GREEN : RED,
    [
      para(`Window ${result.window.id}: ${start.utc} (${start.local}); checked ${result.checkedAt}.`),
      ...(result.changes.length
        ? [
            `<p style="margin:8px 0"><b>Changes in the window</b></p><ul>${result.changes.map((c) => `<li>${escapeHtml(c)}</li>`).join('')}</ul>`,
          ]
        : []),
      `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="border-collapse:collapse">${rows}</table>`,
      ...(result.rollback
        ? [
            `<p style="margin:8px 0"><b>Rollback plan</b></p><pre style="font-size:12px;white-space:pre-wrap">${escapeHtml(result.rollback.command)}</pre>`,
          ]
        : []),
    ].join('\n'),
  );
  return { subject, text: `${text.join('\n')}\n`, html };
}

/** "Notify users of completion". */
export function completionMail(result: CheckResult, zone: string): MailMessage {
  const end = whenText(new Date(result.checkedAt), zone);
  const subject = `MCP Level 3 maintenance complete [${result.window.id}]`;
  const lines = [
    'Routine maintenance of MCP Level 3 is complete and the service is verified healthy.',
    `Verified: ${end.utc} (${end.local})`,
    ...(result.changes.filter((c) => c.startsWith('Upgraded')).length
      ? ['', ...result.changes.filter((c) => c.startsWith('Upgraded'))]
      : []),
  ];
  const html = page(subject, GREEN, lines.filter(Boolean).map(para).join('\n'));
  return { subject, text: `${lines.join('\n')}\n`, html };
}
