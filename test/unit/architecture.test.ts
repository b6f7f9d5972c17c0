// The house's rules, read from the sources: a job (functions/<job>/) never imports another job;
// what two jobs need lives in core/; no source file grows past 400 lines; no import cycles.
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

describe('the house', () => {
  it('has no job importing another job', () => {
    const crossing = [
      ...new Set(
        imports('functions')
          .filter(([from, to]) => jobOf(to) !== undefined && jobOf(from) !== jobOf(to))
          .map(([from, to]) => `${from} -> ${to}`),
      ),
    ].sort();
    expect(crossing).toEqual([]);
  });

  it('keeps core/ at the bottom: it imports no job, construct, command or stack code', () => {
    const upward = imports('core').filter(
      ([, to]) => !to.startsWith('core/') && !to.startsWith('package.json'),
    );
    expect(upward).toEqual([]);
  });

  it('keeps every source file in functions/, core/, lib/ and bin/ at 400 lines or fewer', () => {
    const long = ['functions', 'core', 'lib', 'bin']
      .flatMap((dir) => sources(join(root, dir)))
      .map((file) => ({
        file: relative(root, file),
        lines: readFileSync(file, 'utf8').split('\n').length - 1,
      }))
      .filter(({ lines }) => lines > 400);
    expect(long).toEqual([]);
  });

  it('has no import cycles', () => {
    const edges = new Map<string, string[]>();
    for (const dir of ['functions', 'core', 'lib', 'bin', 'stack'])
      for (const [from, to] of imports(dir)) edges.set(from, [...(edges.get(from) ?? []), to]);
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
        return;
      }
      state.set(file, 'open');
      for (const next of edges.get(file) ?? []) visit(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of edges.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });
});
