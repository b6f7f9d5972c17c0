import type { Report, Section } from './report.ts';

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
  const body = lines.map((l) => `  ${l}`);
  if (cut > 0) body.push(`  … ${cut} more line(s) cut to fit the email; the archived report has them all`);
  return [head, ...findings, ...body].join('\n');
}

/**
 * The plain-text email. When it would exceed `budget` bytes, the longest sections lose lines first
 * (each says how many were cut); the status, reason and every finding always stay.
 */
export function reportText(
  report: Report,
  options: { link?: string; budget?: number; note?: string } = {},
): string {
  const budget = options.budget ?? SNS_MESSAGE_BUDGET;
  const header = [
    `${report.title}: ${report.status}`,
    report.reason,
    `Generated ${report.generatedAt} in ${(report.durationMs / 1000).toFixed(1)} s.`,
    ...(options.link ? [`Full report (HTML, link valid 7 days): ${options.link}`] : []),
    ...(options.note ? [options.note] : []),
    '',
  ].join('\n');
  const kept = report.sections.map((s) => s.lines.length);
  const render = () =>
    `${header}\n${report.sections
      .map((s, i) => sectionText(s, s.lines.slice(0, kept[i]), s.lines.length - kept[i]!))
      .join('\n\n')}\n`;
  let text = render();
  while (Buffer.byteLength(text) > budget) {
    const longest = kept.indexOf(Math.max(...kept));
    if (kept[longest]! === 0) break;
    kept[longest] = Math.floor(kept[longest]! / 2);
    text = render();
  }
  if (Buffer.byteLength(text) > budget) text = `${text.slice(0, budget - 100)}\n… cut to fit the email\n`;
  return text;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const COLOUR: Record<Section['status'], string> = {
  OK: '#1a7f37',
  WARNING: '#9a6700',
  CRITICAL: '#cf222e',
  FAILED: '#8250df',
};

/** One self-contained HTML page (inline CSS, no scripts, no external resources). */
export function reportHtml(report: Report): string {
  const sections = report.sections
    .map(
      (s) => `<section id="${escapeHtml(s.id)}">
<h2><span class="badge" style="background:${COLOUR[s.status]}">${ICON[s.status]}</span> ${escapeHtml(s.title)}</h2>
<p>${escapeHtml(s.summary)}</p>
${s.findings.length ? `<ul>${s.findings.map((f) => `<li class="${f.status.toLowerCase()}">${escapeHtml(f.text)}</li>`).join('')}</ul>` : ''}
${s.lines.length ? `<pre>${escapeHtml(s.lines.join('\n'))}</pre>` : ''}
</section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(report.title)}: ${report.status}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:75em;color:#1f2328}
h1 .badge,h2 .badge{color:#fff;border-radius:4px;padding:0 .4em;font-size:.8em}
pre{background:#f6f8fa;padding:.6em;overflow-x:auto;font-size:12px}
li.critical{color:#cf222e} li.warning{color:#9a6700}
</style></head><body>
<h1><span class="badge" style="background:${COLOUR[report.status]}">${report.status}</span> ${escapeHtml(report.title)}</h1>
<p><strong>${escapeHtml(report.reason)}</strong></p>
<p>Generated ${escapeHtml(report.generatedAt)} in ${(report.durationMs / 1000).toFixed(1)} s.</p>
${sections}
</body></html>
`;
}

/** Rows of cells as aligned text columns. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (c ?? '').padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}
