// The house's rules, read from the sources: a job (functions/<job>/) never imports another job;
// what two jobs need lives in core/. The imports still crossing are listed by name, each to be
// moved (issue 29); the list may only shrink: a new crossing fails here.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Every relative import of every file under `dir`, as [importer, imported] paths from the root. */
function imports(dir: string): Array<[string, string]> {
  return sources(join(root, dir)).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map(
      (m): [string, string] => [relative(root, file), relative(root, normalize(join(dirname(file), m[1]!)))],
    ),
  );
}

const jobOf = (path: string) => /^functions\/([^/]+)\//.exec(path)?.[1];

/** Crossings still to move (issue 29): escalation's follow-up runs the diagnosis (its handler and
 * follow-up belong in functions/diagnosis/, once the incident store's port is in core/). */
const STILL_CROSSING = [
  'functions/escalation/diagnosis-follow-up.ts -> functions/diagnosis/diagnose.ts',
  'functions/escalation/diagnosis-follow-up.ts -> functions/diagnosis/diagnosis-deps.ts',
];

describe('the house', () => {
  it('has no job importing another job beyond the crossings listed to move', () => {
    const crossing = [
      ...new Set(
        imports('functions')
          .filter(([from, to]) => jobOf(to) !== undefined && jobOf(from) !== jobOf(to))
          .map(([from, to]) => `${from} -> ${to}`),
      ),
    ].sort();
    expect(crossing).toEqual([...STILL_CROSSING].sort());
  });

  it('keeps core/ at the bottom: it imports no job, construct, command or stack code', () => {
    const upward = imports('core').filter(
      ([, to]) => !to.startsWith('core/') && !to.startsWith('package.json'),
    );
    expect(upward).toEqual([]);
  });
});
