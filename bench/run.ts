// npm run bench -- <name>: runs one benchmark, prints a side-by-side table, and writes
// bench/out/<name>.json with the raw figures and a `ratios` object.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchResult, BenchRow } from './bench-result.ts';

const BENCHES: Record<string, () => Promise<{ run: () => Promise<BenchResult> }>> = {
  cleanup: () => import('./cleanup.ts'),
  backup: () => import('./backup.ts'),
  escalation: () => import('./escalation.ts'),
  report: () => import('./report.ts'),
  coldstart: () => import('./coldstart.ts'),
  diagnose: () => import('./diagnose.ts'),
};

function table(rows: BenchRow[]): string {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r.figures)))];
  const cells = rows.map((r) => [r.name, ...columns.map((c) => formatCell(r.figures[c]))]);
  const header = ['', ...columns];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

function formatCell(value: number | string | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

const name = process.argv[2];
const load = name ? BENCHES[name] : undefined;
if (!load) {
  console.error(`usage: npm run bench -- <${Object.keys(BENCHES).join('|')}>`);
  process.exit(2);
}
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const result = await (await load()).run();
console.log(`\n${result.title}\n`);
console.log(table(result.rows));
console.log('\nratios:', JSON.stringify(result.ratios));
if (result.extra) console.log('figures:', JSON.stringify(result.extra));
const outDir = join(import.meta.dirname, 'out');
mkdirSync(outDir, { recursive: true });
writeFileSync(
  join(outDir, `${name}.json`),
  `${JSON.stringify({ ...result.extra, ...result, at: new Date().toISOString() }, null, 2)}\n`,
);
console.log(`written to bench/out/${name}.json`);
