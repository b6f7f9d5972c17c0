// The alert rules' thresholds from the one table (core/thresholds.ts): `npm run rules:thresholds`
// rewrites, in rules/mcp-semantic.rules.yml, each table alert's `expr` (value against its level)
// and `for`, leaving labels, annotations, comments and the other rules as they are; then the
// PrometheusRule manifest follows. A test fails when the committed file differs from this.
import { join } from 'node:path';
import { alertExpr, THRESHOLDS, type Threshold } from '../core/thresholds.ts';
import { RULES_DIR } from './prometheus.ts';

export const RULES_FILE = join(RULES_DIR, 'mcp-semantic.rules.yml');

const quoted = (expr: string) =>
  /^[\w(]/.test(expr) && !/: |#|^[*&!|>'"%@`]/.test(expr) ? expr : `'${expr}'`;

/** How the annotations write a level's value: "5 %", "100 ms", "1 s", "300 s" and "5 min". */
function spoken(row: Threshold, value: number): string[] {
  if (row.unit === 'ratio') return [`${+(value * 100).toFixed(3)} %`];
  if (row.unit === 'seconds')
    return value < 1
      ? [`${+(value * 1000).toFixed(0)} ms`]
      : [`${value} s`, ...(value % 60 === 0 ? [`${value / 60} min`] : [])];
  return [];
}

/**
 * `rulesYaml` with every table alert's `expr` and `for` set from `table`, and the old value where
 * its own summary and description say it ("above 5 %") replaced by the new one.
 */
export function applyThresholds(rulesYaml: string, table: readonly Threshold[] = THRESHOLDS): string {
  let text = rulesYaml;
  for (const row of table) {
    for (const level of row.levels) {
      const block = new RegExp(
        `^(\\s*)- alert: ${level.alert}\\n[\\s\\S]*?(?=^\\s*- (?:alert|name): |(?![\\s\\S]))`,
        'm',
      );
      const found = block.exec(text);
      if (!found) throw new Error(`no alert ${level.alert} in the rules file`);
      const indent = found[1]!;
      const old = Number(/^\s*expr: .* [<>]=? ?'?([\d.]+)'?\s*$/m.exec(found[0])?.[1]);
      let updated = found[0].replace(
        new RegExp(`^${indent}  expr: .*\\n(?:${indent}  for: .*\\n)?`, 'm'),
        `${indent}  expr: ${quoted(alertExpr(row, level))}\n${level.for ? `${indent}  for: ${level.for}\n` : ''}`,
      );
      if (Number.isFinite(old) && old !== level.value) {
        const [from, to] = [spoken(row, old), spoken(row, level.value)];
        from.forEach((phrase, i) => {
          if (to[i])
            updated = updated.replace(new RegExp(`(?<![\\d.])${phrase.replace('.', '\\.')}`, 'g'), to[i]!);
        });
      }
      text = text.slice(0, found.index) + updated + text.slice(found.index + found[0].length);
    }
  }
  return text;
}
