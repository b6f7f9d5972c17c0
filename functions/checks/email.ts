/**
 * The report as an HTML e-mail that mail clients render: one 600 px table, CSS inlined by juice,
 * the status and its reason first, then what changed since the last report, the findings, and
 * each section's details cut to stay under Gmail's clipping size. No images, no scripts.
 */
import juice from 'juice/client';
import { deltaHeadline, formatFigure, localTime, type ReportDelta } from './delta.ts';
import { escapeHtml } from '../../core/text-safety.ts';
import { fitToBudget } from '../../core/outbox/budget.ts';
import { cappedDelta, COLOUR, type ArchiveLink } from './render.ts';
import type { Report, Section, SectionStatus } from './report-model.ts';
import { sectionBody } from './html-tables.ts';

/** Gmail clips messages over 102 KB of HTML; stay clear of it. */
export const EMAIL_HTML_BUDGET = 95 * 1024;
/** The plain-text alternative. */
export const EMAIL_TEXT_BUDGET = 48 * 1024;

const LABEL: Record<SectionStatus, string> = {
  OK: 'OK',
  WARNING: 'WARNING',
  CRITICAL: 'CRITICAL',
  FAILED: 'NOT CHECKED',
};

const badge = (status: SectionStatus) =>
  `<span class="badge" style="background-color:${COLOUR[status]}">${LABEL[status]}</span>`;

const CSS = `
body{margin:0;padding:0;background-color:#f6f8fa}
table{border-collapse:collapse}
.outer{width:100%;background-color:#f6f8fa}
.main{width:100%;max-width:600px;background-color:#ffffff;font-family:Arial,Helvetica,sans-serif;font-size:14px;line-height:20px;color:#1f2328}
.cell{padding:12px 16px}
.title{font-size:18px;line-height:24px;font-weight:bold}
.reason{font-weight:bold}
.badge{color:#ffffff;font-size:11px;line-height:16px;font-weight:bold;padding:1px 6px;border-radius:3px;white-space:nowrap}
h2{font-size:15px;line-height:20px;margin:16px 0 6px 0;padding:0}
.list{width:100%}
.list td{padding:3px 4px;vertical-align:top;border-bottom:1px solid #eaeef2;word-break:break-word}
.tag{font-size:11px;font-weight:bold;color:#57606a;white-space:nowrap}
.muted{color:#57606a;font-size:12px}
pre{font-family:Menlo,Consolas,monospace;font-size:11px;line-height:15px;background-color:#f6f8fa;padding:6px;margin:4px 0;white-space:pre-wrap;word-break:break-all}
a{color:#0969da}
.dashboard{font-size:12px;font-weight:normal}
.figures{margin:8px 0}
.data{width:100%;margin:4px 0;background-color:#f6f8fa}
.data th,.data td{font-family:Menlo,Consolas,monospace;font-size:11px;line-height:15px;padding:2px 8px 2px 0;white-space:nowrap;text-align:left;vertical-align:top}
.data th{color:#57606a;font-weight:bold;border-bottom:1px solid #d0d7de}
.figures th{text-align:left;font-size:12px;color:#57606a;padding:2px 12px 2px 0}
.figures td{padding:2px 12px 2px 0}
.figures td.changed{font-weight:bold}
`;

function deltaBlock(delta: ReportDelta, report: Report, zone: string): string {
  const { shown, left } = cappedDelta(delta);
  const rows = [
    ...shown.added.map((f) => ({ tag: 'NEW', f, extra: '' })),
    ...shown.cleared.map((f) => ({ tag: 'CLEARED', f, extra: '' })),
    ...shown.persisting.map((f) => ({ tag: 'STILL', f, extra: ` (since ${localTime(f.since, zone)})` })),
  ];
  const hidden = left > 0 ? `<p class="muted">… and ${left} more in the full report</p>` : '';
  const compared = delta.previousAt !== undefined;
  const figures = delta.figures.length
    ? `<table class="figures" role="presentation"><tr><th>Figure</th>${compared ? '<th>Last report</th>' : ''}<th>Now</th></tr>${delta.figures
        .map((f) => {
          const before = formatFigure(f.unit, f.before);
          const after = formatFigure(f.unit, f.after);
          const changed = compared && before !== after;
          return `<tr><td>${escapeHtml(f.label)}</td>${compared ? `<td>${escapeHtml(before)}</td>` : ''}<td${changed ? ' class="changed"' : ''}>${escapeHtml(after)}</td></tr>`;
        })
        .join('')}</table>`
    : '';
  return `<h2>${escapeHtml(deltaHeadline(delta, report.kind, zone))}</h2>
${
  rows.length
    ? `<table class="list" role="presentation">${rows
        .map(
          ({ tag, f, extra }) =>
            `<tr><td class="tag">${tag}</td><td>${badge(f.status)}</td><td><b>${escapeHtml(f.section)}</b>: ${escapeHtml(f.text)}${escapeHtml(extra)}</td></tr>`,
        )
        .join('\n')}</table>`
    : ''
}${hidden}${figures}`;
}

/**
 * The findings not already listed in the delta above it (each finding once), and every section
 * that could not be checked.
 */
function findingsBlock(report: Report, delta: ReportDelta): string {
  const { shown } = cappedDelta(delta);
  const listed = new Set([...shown.added, ...shown.persisting].map((f) => `${f.section}\u0000${f.text}`));
  const all = report.sections.flatMap((s) => s.findings.map((f) => ({ s, f })));
  const rows = report.sections.flatMap((s) => [
    ...(s.status === 'FAILED'
      ? [
          `<tr><td>${badge('FAILED')}</td><td><b>${escapeHtml(s.title)}</b>: ${escapeHtml(s.summary)}</td></tr>`,
        ]
      : []),
    ...s.findings
      .filter((f) => !listed.has(`${s.title}\u0000${f.text}`))
      .map(
        (f) =>
          `<tr><td>${badge(f.status)}</td><td><b>${escapeHtml(s.title)}</b>: ${escapeHtml(f.text)}</td></tr>`,
      ),
  ]);
  if (rows.length === 0)
    return all.length === 0
      ? '<h2>Findings</h2><p>None: every check passed.</p>'
      : '<p class="muted">Every finding is listed above.</p>';
  return `<h2>${all.length > rows.length ? 'Other findings' : 'Findings'}</h2><table class="list" role="presentation">${rows.join('\n')}</table>`;
}

function sectionBlock(section: Section, keep: number): string {
  const cut = section.lines.length - keep;
  const dashboard = section.dashboardUrl
    ? ` <a class="dashboard" href="${escapeHtml(section.dashboardUrl)}">dashboard</a>`
    : '';
  return `<h2>${badge(section.status)} ${escapeHtml(section.title)}${dashboard}</h2>
<p>${escapeHtml(section.summary)}</p>
${keep > 0 ? sectionBody(section, keep, true) : ''}${
    cut > 0 ? `<p class="muted">… ${cut} more line(s) in the full report</p>` : ''
  }`;
}

function archiveBlock(archive: ArchiveLink | undefined, zone: string): string {
  if (!archive) return '<p class="muted">The full report could not be archived this time.</p>';
  const link = archive.presigned
    ? `<a href="${escapeHtml(archive.presigned.url)}">Open the full report</a> (this link works until ${escapeHtml(localTime(archive.presigned.expiresAt, zone))}; afterwards <a href="${escapeHtml(archive.console)}">in the AWS console</a>)`
    : `<a href="${escapeHtml(archive.console)}">Open the full report in the AWS console</a> (needs an AWS sign-in)`;
  return `<p>${link}<br><span class="muted">${escapeHtml(archive.uri)}</span></p>`;
}

export interface EmailContext {
  readonly delta: ReportDelta;
  readonly zone: string;
  readonly archive?: ArchiveLink;
  readonly note?: string;
  readonly budget?: number;
}

/**
 * The HTML part. When over `budget` bytes, the longest sections' details are halved first; the
 * status, the delta and every finding always stay, and the full report is linked.
 */
export function reportEmailHtml(report: Report, context: EmailContext): string {
  const budget = context.budget ?? EMAIL_HTML_BUDGET;
  const kept = report.sections.map((s) => s.lines.length);
  const render = () =>
    juice(
      `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(report.title)}: ${report.status}</title><style>${CSS}</style></head>
<body><table class="outer" role="presentation"><tr><td align="center">
<table class="main" role="presentation">
<tr><td class="cell"><div class="title">${badge(report.status)} ${escapeHtml(report.title)}</div>
<p class="reason">${escapeHtml(report.reason)}</p>
${deltaBlock(context.delta, report, context.zone)}</td></tr>
<tr><td class="cell">${findingsBlock(report, context.delta)}</td></tr>
<tr><td class="cell">${archiveBlock(context.archive, context.zone)}</td></tr>
<tr><td class="cell">${report.sections.map((s, i) => sectionBlock(s, kept[i]!)).join('\n')}</td></tr>
<tr><td class="cell muted">Generated ${escapeHtml(localTime(report.generatedAt, context.zone))} (${escapeHtml(report.generatedAt)}) in ${(report.durationMs / 1000).toFixed(1)} s by mcp-ops.${
        context.note ? `<br>${escapeHtml(context.note)}` : ''
      }</td></tr>
</table></td></tr></table></body></html>
`,
      { removeStyleTags: true, applyWidthAttributes: true, applyAttributesTableElements: true },
    );
  return fitToBudget(kept, render, budget);
}
