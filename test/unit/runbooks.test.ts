import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runbookLink } from '../../core/outbox/page-message.ts';

const root = join(import.meta.dirname, '..', '..');
const runbooks = join(root, 'docs', 'runbooks');

/** Every runbook an alert can name: the rules' `runbook` labels and the alarms' `runbook=`. */
function namedRunbooks(): string[] {
  const names = new Set<string>();
  const rules = readFileSync(join(root, 'rules', 'mcp-semantic.rules.yml'), 'utf8');
  for (const m of rules.matchAll(/^\s+runbook: ([a-z0-9-]+)$/gm)) names.add(m[1]!);
  for (const file of readdirSync(join(root, 'lib')).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(join(root, 'lib', file), 'utf8');
    for (const m of text.matchAll(/runbook=([a-z0-9-]+)/g)) names.add(m[1]!);
  }
  return [...names].sort();
}

describe('runbook links in pages', () => {
  it('open a file in docs/runbooks for every runbook a rule or alarm names, and for unlabelled alerts', () => {
    const names = namedRunbooks();
    expect(names.length).toBeGreaterThanOrEqual(12);
    for (const name of [...names, 'incident-response-playbook']) {
      const link = runbookLink(name);
      expect(link).toBe(`https://github.com/ninjatech-ai/mcp-ops/blob/main/docs/runbooks/${name}.md`);
      expect(existsSync(join(runbooks, `${name}.md`)), name).toBe(true);
    }
    expect(runbookLink(undefined)).toMatch(/incident-response-playbook\.md$/);
    expect(runbookLink('../../etc/passwd')).toMatch(/incident-response-playbook\.md$/);
    // The index lists every runbook file.
    const index = readFileSync(join(runbooks, 'README.md'), 'utf8');
    for (const file of readdirSync(runbooks).filter((f) => f !== 'README.md'))
      expect(index).toContain(`(${file})`);
  });
});
