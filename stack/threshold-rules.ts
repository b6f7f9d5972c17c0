// The alert rules' thresholds from the one table (core/thresholds.ts): `npm run generate`
// rewrites, in rules/mcp-semantic.rules.yml, each table alert's `expr` (value against its level)
// and `for`, leaving labels, annotations, comments and the other rules as they are; then the
// PrometheusRule manifest follows. A test fails when the committed file differs from this.
import { join } from 'node:path';
import {
  alertExpr,
  BURN_RATE_ALERTS,
  burnAlertName,
  SLO_WINDOWS,
  sloRecord,
  SLOS,
  THRESHOLDS,
  type Threshold,
} from '../core/thresholds.ts';
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

export const SLO_BEGIN =
  '  # BEGIN the SLOs as error budgets: written by `npm run generate` from SLOS and BURN_RATE_ALERTS';
export const SLO_END = '  # END the SLOs as error budgets';

const percent = (value: number) => `${+(value * 100).toFixed(3)} %`;

/** The SLO groups, as YAML: each SLI's bad-event ratio per window, and its burn-rate alerts. */
export function sloRules(): string {
  const lines = [SLO_BEGIN, '  - name: mcp-semantic-slo-sli', '    rules:'];
  for (const slo of SLOS)
    for (const window of SLO_WINDOWS)
      lines.push(
        `      - record: ${sloRecord(slo, window)}`,
        `        expr: ${quoted(window === '5m' ? slo.errorRatio5m : `avg_over_time(${sloRecord(slo, '5m')}[${window}])`)}`,
      );
  lines.push('  - name: mcp-semantic-slo-burn', '    rules:');
  for (const slo of SLOS) {
    const budget = 1 - slo.objective;
    for (const alert of BURN_RATE_ALERTS) {
      const conditions = alert.windows.map(
        (w) =>
          `(${sloRecord(slo, w.long)} > ${+(w.factor * budget).toPrecision(6)} and ${sloRecord(slo, w.short)} > ${+(w.factor * budget).toPrecision(6)})`,
      );
      const said = alert.windows.map((w) => `${w.factor}× over ${w.long} and ${w.short}`).join(', or ');
      lines.push(
        `      - alert: ${burnAlertName(slo, alert)}`,
        `        expr: ${quoted(conditions.join(' or '))}`,
        '        labels:',
        '          service: mcp-semantic',
        `          severity: ${alert.severity}`,
        `          priority: ${alert.priority}`,
        `          runbook: ${slo.runbook}`,
        '        annotations:',
        `          summary: '${slo.title}: the error budget burns ${alert.name === 'FastBurn' ? 'fast (page)' : 'slowly (ticket)'}'`,
        `          description: "Burning the month's ${percent(budget)} budget at ${said}."`,
      );
    }
  }
  lines.push(SLO_END);
  return `${lines.join('\n')}\n`;
}

/** `rulesYaml` with its SLO groups (between the markers, at the end of its groups) as `sloRules` writes them. */
export function applySloRules(rulesYaml: string): string {
  const begin = rulesYaml.indexOf(SLO_BEGIN);
  const end = rulesYaml.indexOf(SLO_END);
  if (begin < 0 || end < 0) return `${rulesYaml.trimEnd()}\n${sloRules()}`;
  return rulesYaml.slice(0, begin) + sloRules() + rulesYaml.slice(rulesYaml.indexOf('\n', end) + 1);
}
