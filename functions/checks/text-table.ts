/**
 * A section's table, once: as aligned text lines (the text part, the terminal) and, remembered
 * beside them, as a header and rows (the HTML part draws real columns from them). `tablesOf`
 * answers the tables made for a section's `lines` array.
 */
export interface SectionTable {
  readonly header: readonly string[];
  readonly rows: ReadonlyArray<readonly string[]>;
  /** The header as the text lines write it: where the table starts among the section's lines. */
  readonly headerLine: string;
}

const TABLES = new WeakMap<readonly string[], SectionTable[]>();

export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (c ?? '').padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const lines = [line(header), ...rows.map(line)];
  TABLES.set(lines, [{ header, rows, headerLine: lines[0]! }]);
  return lines;
}

/** The tables made for `lines` (the same array, grown or not after), if any. */
export function tablesOf(lines: readonly string[]): SectionTable[] {
  return TABLES.get(lines) ?? [];
}
