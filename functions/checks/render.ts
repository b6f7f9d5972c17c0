import { fitToBudget } from '../../core/outbox/budget.ts';
import { deltaLines, localTime, type ReportDelta } from './delta.ts';
import type { Report, Section } from './report-model.ts';
import { sectionBody } from './html-tables.ts';
import { escapeHtml } from '../../core/text-safety.ts';

/** Where the archived full report is: a link whose lifetime is the true one, and what never expires. */
export interface ArchiveLink {
  /** `s3://bucket/key` */
  readonly uri: string;
  /** The object in the S3 console (needs an AWS sign-in; works as long as the object exists). */
  readonly console: string;
  /** A pre-signed GET link and the moment it stops working; absent when no lifetime can be promised. */
  readonly presigned?: { readonly url: string; readonly expiresAt: string };
}

/** What the e-mail says besides the report: the delta, the archive, a note on how it was sent. */
export interface MessageContext {
  readonly delta?: ReportDelta;
  readonly zone?: string;
  readonly archive?: ArchiveLink;
  /** Said at the end (e.g. why the SNS fallback carried it). */
  readonly note?: string;
  readonly budget?: number;
}

/** Delta lines shown per category before "… and N more" (the archive has them all). */
const DELTA_ROWS = 15;

/** The delta, capped for the e-mail, and how many changes the cap left out. */
export function cappedDelta(delta: ReportDelta): { shown: ReportDelta; left: number } {
  const shown = {
    ...delta,
    added: delta.added.slice(0, DELTA_ROWS),
    cleared: delta.cleared.slice(0, DELTA_ROWS),
    persisting: delta.persisting.slice(0, DELTA_ROWS),
  };
  const count = (d: ReportDelta) => d.added.length + d.cleared.length + d.persisting.length;
  return { shown, left: count(delta) - count(shown) };
}

/** The archive's whereabouts as text lines. */
export function archiveLines(archive: ArchiveLink, zone: string): string[] {
  return [
    archive.presigned
      ? `Full report: ${archive.presigned.url}\n  (this link works until ${localTime(archive.presigned.expiresAt, zone)})`
      : `Full report: ${archive.console}`,
    `Archived as ${archive.uri}${archive.presigned ? ` (AWS console: ${archive.console})` : ' (AWS console link above; needs an AWS sign-in)'}`,
  ];
}

/** SNS messages are at most 256 KiB; leave room for the envelope and the archive link. */
export const SNS_MESSAGE_BUDGET = 250 * 1024;
const SUBJECT_LIMIT = 100;

const ICON: Record<Section['status'], string> = {
  OK: 'OK',
  WARNING: 'WARN',
  CRITICAL: 'CRIT',
  FAILED: 'FAILED',
};

/** The email subject: status first, then what, within SNS's 100 characters. */
export function reportSubject(report: Report, zone: string): string {
  const when = new Intl.DateTimeFormat('en-CA', { timeZone: zone, dateStyle: 'short' }).format(
    new Date(report.generatedAt),
  );
  const subject = `[${report.status}] ${report.title} ${when}: ${report.reason}`;
  // SNS refuses control characters and subjects over 100 characters.
  // eslint-disable-next-line no-control-regex -- control characters are exactly what SNS refuses
  const clean = subject.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return clean.length > SUBJECT_LIMIT ? `${clean.slice(0, SUBJECT_LIMIT - 1)}…` : clean;
}

function sectionText(section: Section, lines: readonly string[], cut: number): string {
  const head = `== ${section.title} [${ICON[section.status]}] ${section.summary}`;
  const findings = section.findings.map((f) => `  ! ${f.status}: ${f.text}`);
  if (section.dashboardUrl) findings.push(`  Dashboard: ${section.dashboardUrl}`);
  const body = lines.map((l) => `  ${l}`);
  if (cut > 0) body.push(`  … ${cut} more line(s) cut to fit the email; the archived report has them all`);
  return [head, ...findings, ...body].join('\n');
}

/**
 * The plain-text email: status, reason, what changed since the last report, then the sections.
 * When it would exceed `budget` bytes, the longest sections lose lines first (each says how many
 * were cut); the status, reason, delta and every finding always stay.
 */
export function reportText(report: Report, context: MessageContext = {}): string {
  const budget = context.budget ?? SNS_MESSAGE_BUDGET;
  const zone = context.zone ?? 'UTC';
  const capped = context.delta ? cappedDelta(context.delta) : undefined;
  const header = [
    `${report.title}: ${report.status}`,
    report.reason,
    ...(capped ? deltaLines(capped.shown, report.kind, zone) : []),
    ...(capped && capped.left > 0 ? [`  … and ${capped.left} more change(s) in the full report`] : []),
    '',
    `Generated ${report.generatedAt} in ${(report.durationMs / 1000).toFixed(1)} s.`,
    ...(context.archive ? archiveLines(context.archive, zone) : []),
    '',
  ].join('\n');
  const footer = context.note ? `\n${context.note}\n` : '';
  const kept = report.sections.map((s) => s.lines.length);
  const render = () =>
    `${header}\n${report.sections
      .map((s, i) => sectionText(s, s.lines.slice(0, kept[i]), s.lines.length - kept[i]!))
      .join('\n\n')}\n${footer}`;
  let text = fitToBudget(kept, render, budget);
  if (Buffer.byteLength(text) > budget)
    text = `${text.slice(0, budget - 200 - footer.length)}\n… cut to fit the email\n${footer}`;
  return text;
}

/** Each status's badge colour, in the archived page and the e-mail alike. */
export const COLOUR: Record<Section['status'], string> = {
  OK: '#1a7f37',
  WARNING: '#9a6700',
  CRITICAL: '#cf222e',
  FAILED: '#8250df',
};

/** One self-contained HTML page (inline CSS, no scripts, no external resources): the archived report. */
export function reportHtml(report: Report, context: Pick<MessageContext, 'delta' | 'zone'> = {}): string {
  const changes = context.delta
    ? `<section id="changes"><h2>What changed</h2><ul>${deltaLines(
        context.delta,
        report.kind,
        context.zone ?? 'UTC',
      )
        .map((l) => `<li>${escapeHtml(l.trim())}</li>`)
        .join('')}</ul></section>\n`
    : '';
  const sections = report.sections
    .map(
      (s) => `<section id="${escapeHtml(s.id)}">
<h2><span class="badge" style="background:${COLOUR[s.status]}">${ICON[s.status]}</span> ${escapeHtml(s.title)}${s.dashboardUrl ? ` <a class="dashboard" href="${escapeHtml(s.dashboardUrl)}">dashboard</a>` : ''}</h2>
<p>${escapeHtml(s.summary)}</p>
${s.findings.length ? `<ul>${s.findings.map((f) => `<li class="${f.status.toLowerCase()}">${escapeHtml(f.text)}</li>`).join('')}</ul>` : ''}
${s.lines.length ? sectionBody(s, s.lines.length, false) : ''}
</section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(report.title)}: ${report.status}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:75em;color:#1f2328}
h1 .badge,h2 .badge{color:#fff;border-radius:4px;padding:0 .4em;font-size:.8em}
pre{background:#f6f8fa;padding:.6em;overflow-x:auto;font-size:12px}
table.data{border-collapse:collapse;font:12px/1.4 ui-monospace,Menlo,Consolas,monospace;margin:.4em 0}
table.data th,table.data td{text-align:left;padding:.15em 1em .15em 0;white-space:nowrap;vertical-align:top}
table.data th{color:#57606a;border-bottom:1px solid #d0d7de}
li.critical{color:#cf222e} li.warning{color:#9a6700}
</style></head><body>
<h1><span class="badge" style="background:${COLOUR[report.status]}">${report.status}</span> ${escapeHtml(report.title)}</h1>
<p><strong>${escapeHtml(report.reason)}</strong></p>
<p>Generated ${escapeHtml(report.generatedAt)} in ${(report.durationMs / 1000).toFixed(1)} s.</p>
${changes}${sections}
</body></html>
`;
}

export { table } from './text-table.ts';
