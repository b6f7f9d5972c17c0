// A section's details as HTML: its tables as real columns (remembered by text-table.ts), its other
// lines (log lines) as preformatted text. The e-mail fits the columns to 600 px; the archived page
// shows them whole.
import { escapeHtml } from '../../core/text-safety.ts';
import type { Section } from './report-model.ts';
import type { SectionTable } from './text-table.ts';

/** Monospaced 11 px: about 6.7 px a character; the table gets the content width less its padding. */
const CHAR_PX = 6.7;
const TABLE_PX = 600 - 32;
const CELL_PAD_PX = 8;

/**
 * How many characters each column may show so the row fits 600 px without wrapping: the natural
 * widths when they fit, else the widest column gives up characters first.
 */
export function columnCaps(header: readonly string[], rows: ReadonlyArray<readonly string[]>): number[] {
  const caps = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const budget = Math.floor((TABLE_PX - CELL_PAD_PX * header.length) / CHAR_PX);
  let total = caps.reduce((a, b) => a + b, 0);
  while (total > budget) {
    const widest = caps.indexOf(Math.max(...caps));
    if (caps[widest]! <= 4) break;
    caps[widest]! -= 1;
    total -= 1;
  }
  return caps;
}

/** A cell's text, cut to `cap` characters with an ellipsis; the whole text in `title`. */
function cellText(text: string, cap: number): string {
  return text.length <= cap
    ? escapeHtml(text)
    : `<span title="${escapeHtml(text)}">${escapeHtml(text.slice(0, Math.max(1, cap - 1)))}…</span>`;
}

function htmlTable(t: SectionTable, rows: ReadonlyArray<readonly string[]>, fit: boolean): string {
  // Fitted to a mail client's 600 px, or whole (the archived page scrolls instead).
  const caps = fit ? columnCaps(t.header, t.rows) : t.header.map(() => Number.POSITIVE_INFINITY);
  const row = (cells: readonly string[], tag: 'th' | 'td') =>
    `<tr>${t.header.map((_, i) => `<${tag}>${cellText(cells[i] ?? '', caps[i]!)}</${tag}>`).join('')}</tr>`;
  return `<table class="data" role="presentation">${row(t.header, 'th')}${rows.map((r) => row(r, 'td')).join('')}</table>`;
}

/** The first `keep` lines of a section: its tables as columns, other lines (log lines) as text. */
export function sectionBody(section: Section, keep: number, fit: boolean): string {
  const lines = section.lines.slice(0, keep);
  const out: string[] = [];
  let text: string[] = [];
  const flush = () => {
    if (text.length > 0) out.push(`<pre>${escapeHtml(text.join('\n'))}</pre>`);
    text = [];
  };
  for (let i = 0; i < lines.length; i += 1) {
    const t = section.tables?.find((x) => x.headerLine === lines[i]);
    if (!t) {
      text.push(lines[i]!);
      continue;
    }
    flush();
    const shown = Math.min(t.rows.length, lines.length - i - 1);
    out.push(htmlTable(t, t.rows.slice(0, shown), fit));
    i += shown;
  }
  flush();
  return out.join('\n');
}
