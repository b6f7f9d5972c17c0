// The built `mcp-ops` command run as a person runs it: plain node, no TypeScript loader.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from '../../tools/build-cli.ts';

const DIST = join(import.meta.dirname, '..', '..', 'out', 'cli-test');

let bundle: string;
const run = (...args: string[]) => {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [bundle, ...args], {
    encoding: 'utf8',
    // An AWS endpoint that refuses every connection: a command that reached AWS would fail with 1.
    env: { ...process.env, MCP_OPS_AWS_ENDPOINT: 'http://127.0.0.1:9', AWS_REGION: 'eu-west-1' },
  });
  return { ...result, ms: Number(process.hrtime.bigint() - started) / 1e6 };
};

describe('the mcp-ops command', () => {
  beforeAll(async () => {
    bundle = await buildCli(DIST);
  });

  it('is plain JavaScript that needs only the package’s dependencies', () => {
    const files = [bundle, ...readdirSync(join(DIST, 'chunks')).map((f) => join(DIST, 'chunks', f))];
    const imported = new Set(
      files.flatMap((f) =>
        [...readFileSync(f, 'utf8').matchAll(/from\s+"([^".][^"]*)"/g)].map((m) =>
          m[1]!
            .split('/')
            .slice(0, m[1]!.startsWith('@') ? 2 : 1)
            .join('/'),
        ),
      ),
    );
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const outside = [...imported].filter((name) => !name.startsWith('node:') && !(name in pkg.dependencies));
    expect(outside).toEqual([]);
    expect(imported.has('tsx')).toBe(false);
  });

  it('refuses a configuration file that does not exist, and validates JSON and YAML files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-ops-config-'));
    const typo = run('config', '--config', join(dir, 'prod.jsn'));
    // A configuration that cannot be used is a usage error (2), as a wrong flag is.
    expect(typo.status).toBe(2);
    expect(typo.stderr).toMatch(/Configuration file .*prod\.jsn does not exist/);
    writeFileSync(
      join(dir, 'good.yaml'),
      'schedules:\n  timeZone: Europe/London\nretention:\n  protectedPrefixes: [releases/]\n',
    );
    const good = run('config', 'validate', join(dir, 'good.yaml'), '-o', 'json');
    expect(good.status).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ valid: true, timeZone: 'Europe/London' });
    writeFileSync(
      join(dir, 'bad.json'),
      JSON.stringify({ schedules: { timeZone: 'Mars/Base' }, retention: { floorDays: -1 } }),
    );
    const bad = run('config', 'validate', join(dir, 'bad.json'));
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('config.schedules.timeZone');
    expect(bad.stderr).toContain('config.retention.floorDays');
    expect(run('config', 'validate', join(dir, 'missing.yaml')).stderr).toMatch(/does not exist/);
    // The config command reads a named YAML file.
    const shown = run('config', '--config', join(dir, 'good.yaml'), '-o', 'json');
    expect(JSON.parse(shown.stdout)).toMatchObject({ schedules: { timeZone: 'Europe/London' } });
  });

  it('prints the ladder as JSON with -o json, and exits 3 when it cannot reach AWS', () => {
    const ladder = run('incidents', 'ladder', '-o', 'json');
    expect(ladder.status).toBe(0);
    const parsed = JSON.parse(ladder.stdout) as Record<string, { page: string; timeline: string[] }>;
    expect(Object.keys(parsed)).toEqual(['P0', 'P1', 'P2', 'P3']);
    expect(parsed.P1).toMatchObject({ page: 'at-once', ticket: true });
    expect(parsed.P1!.timeline.length).toBeGreaterThan(0);
    expect(run('incidents', 'ladder').stdout).toMatch(/^P0:/);
    // The endpoint refuses every connection (see `run`): the command could not run.
    const unreachable = run('backup', 'verify', '--bucket', 'mcp-artifacts-backup');
    expect(unreachable.status).toBe(3);
    expect(run('--help').stdout).toContain('3 could not run');
    // A cleanup says its run id before it lists anything (here the listing cannot reach S3).
    const cleanup = run('cleanup', '--retention-days', '30', '--bucket', 'some-artifacts');
    expect(cleanup.stderr).toMatch(
      /^cleanup run \d{8}T\d{6}Z-[a-z0-9]{6}: dry run in s3:\/\/some-artifacts\/, objects older than /,
    );
    expect(cleanup.status).toBe(3);
  });

  it('answers --version and --help quickly, and each command’s --help is its own', () => {
    expect(run('--version')).toMatchObject({ status: 0, stdout: 'mcp-ops 0.1.0\n' });
    const help = run('--help');
    console.log(`mcp-ops --help answered in ${help.ms.toFixed(0)} ms`);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: mcp-ops <command> \[options\]/);
    const cleanup = run('cleanup', '--help');
    expect(cleanup.stdout).toMatch(/^usage: mcp-ops cleanup \[options\]/);
    expect(cleanup.stdout).toContain('--retention-days N');
    expect(cleanup.stdout).not.toContain('backup verify');
    const backup = run('backup', 'verify', '-h');
    expect(backup.stdout).toMatch(/^usage: mcp-ops backup verify \[options\]/);
    expect(backup.stdout).toContain('--sample N');
    expect(run('report', '--help').stdout).toContain('-o, --output text|json|yaml|html');
    const incident = run('incident', '--help').stdout;
    expect(incident).toContain('mcp-ops incident review INC-YYYYMMDD-NNN');
    expect(incident).toContain('mcp-ops incident update INC-YYYYMMDD-NNN "message"');
  });

  it('refuses a bad command line in one line with exit 2, before any AWS call', () => {
    for (const [args, message] of [
      [['cleanup', '--bogus'], /^mcp-ops: cleanup: unknown option '--bogus' \(see mcp-ops cleanup --help\)$/],
      [['incident'], /^mcp-ops: incident: expected an incident id like INC-20261125-001, got nothing/],
      [['ack', 'INC-1'], /^mcp-ops: ack: expected an incident id like INC-20261125-001, got "INC-1"/],
      [['report', 'weekly'], /^mcp-ops: report: expected morning, evening or security, got "weekly"/],
      [
        ['report', 'morning', '-o', 'xml'],
        /^mcp-ops: report: -o\/--output: expected text, json, yaml, html for report, got "xml"/,
      ],
      [['frobnicate'], /^mcp-ops: unknown command "frobnicate" \(see mcp-ops --help\)$/],
      [['backup'], /^mcp-ops: unknown command "backup" \(see mcp-ops backup --help\)$/],
      [['clenaup'], /^mcp-ops: unknown command "clenaup"; did you mean "cleanup"\? \(see mcp-ops --help\)$/],
      [['doctr'], /^mcp-ops: unknown command "doctr"; did you mean "doctor"\?/],
      [
        ['cleanup', '--retention-day', '3'],
        /^mcp-ops: cleanup: unknown option '--retention-day'; did you mean --retention-days\?/,
      ],
      [['completion', 'fish'], /^mcp-ops: completion: expected bash or zsh$/],
    ] as const) {
      const result = run(...args);
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(result.stderr.trimEnd()).toMatch(message);
    }
  });

  it('says when the next maintenance window is and when each step runs, without reaching AWS', () => {
    const next = run('maintenance', 'next', '-o', 'json');
    expect(next.status).toBe(0);
    const window = JSON.parse(next.stdout) as {
      id: string;
      start: string;
      steps: Array<{ stage: string; schedule: string }>;
    };
    expect(window.id).toMatch(/^MAINT-\d{8}$/);
    expect(new Date(window.start).getUTCDay()).toBe(6);
    expect(new Date(window.start).getUTCDate()).toBeLessThanOrEqual(7);
    expect(window.steps.find((s) => s.stage === 'post')?.schedule).toBe('cron(0 6 ? * SAT#1 *)');
    const noMessage = run('incident', 'update', 'INC-20261128-001', '--status', 'identified');
    expect(noMessage.status).toBe(2);
    expect(noMessage.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(noMessage.stderr).toContain('a quoted message');
    const bad = run('maintenance', 'later');
    expect(bad.status).toBe(2);
    expect(bad.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(run('maintenance', '--help').stdout).toMatch(/^usage: mcp-ops maintenance next\|pre\|post/);
  });

  it('prints the configuration as JSON or YAML, wherever -o stands', () => {
    const json = run('-o', 'json', 'config', '--region', 'eu-central-1');
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ resourcePrefix: 'mcp-ops' });
    expect(JSON.parse(run('config', '--format', 'json').stdout)).toMatchObject({ resourcePrefix: 'mcp-ops' });
    const yaml = run('config', '--output', 'yaml');
    expect(yaml.status).toBe(0);
    expect(yaml.stdout).toMatch(/^resourcePrefix: mcp-ops\n/);
  });

  it('answers help COMMAND as COMMAND --help, and writes bash and zsh completion', () => {
    expect(run('help', 'cleanup', 'lifecycle').stdout).toBe(run('cleanup', 'lifecycle', '--help').stdout);
    expect(run('help').stdout).toBe(run('--help').stdout);
    const bash = run('completion', 'bash');
    expect(bash.status).toBe(0);
    expect(bash.stdout).toContain('complete -F _mcp_ops mcp-ops');
    expect(bash.stdout).toContain('--retention-days');
    // The script is one bash can read, and it completes what a person starts typing.
    const script = join(mkdtempSync(join(tmpdir(), 'mcp-ops-completion-')), 'mcp-ops.bash');
    writeFileSync(script, bash.stdout);
    const complete = (...words: string[]) =>
      spawnSync(
        'bash',
        [
          '-c',
          `source ${script}; COMP_WORDS=(${words.map((w) => `"${w}"`).join(' ')}); COMP_CWORD=${words.length - 1}; _mcp_ops; echo "\${COMPREPLY[*]}"`,
        ],
        { encoding: 'utf8' },
      ).stdout.trim();
    expect(complete('mcp-ops', 'cle')).toBe('cleanup');
    expect(complete('mcp-ops', 'cleanup', 'li')).toBe('lifecycle');
    expect(complete('mcp-ops', 'cleanup', '--retention-')).toBe('--retention-days');
    expect(complete('mcp-ops', 'alert', 'test', '--sev')).toBe('--severity');
    expect(run('completion', 'zsh').stdout).toContain('bashcompinit');
  });

  it('prints every offline command as text, JSON or YAML', async () => {
    const { parse } = await import('yaml');
    for (const args of [['config'], ['incidents', 'ladder'], ['maintenance', 'next']]) {
      const json = JSON.parse(run(...args, '-o', 'json').stdout) as unknown;
      expect(parse(run(...args, '-o', 'yaml').stdout), args.join(' ')).toEqual(json);
    }
  });

  it('loads neither the AWS SDK nor the Kubernetes client for an offline command, and answers within 400 ms', () => {
    // What each offline command's chunk pulls in, followed through the bundle's own imports.
    const chunks = join(DIST, 'chunks');
    const imports = (file: string): string[] =>
      [...readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*"([^"]+)"/g)].map((m) => m[1]!);
    const reach = (entry: string): Set<string> => {
      const seen = new Set<string>();
      const walk = (file: string) => {
        for (const spec of imports(file)) {
          if (spec.startsWith('./') || spec.startsWith('../')) {
            const next = join(file, '..', spec);
            if (!seen.has(next)) {
              seen.add(next);
              walk(next);
            }
          } else seen.add(spec);
        }
      };
      walk(entry);
      return seen;
    };
    for (const name of ['config-command', 'ladder-command', 'maintenance-next']) {
      const chunk = readdirSync(chunks).find((f) => f.startsWith(`${name}-`))!;
      const reached = [...reach(join(chunks, chunk))].filter((s) => !s.startsWith('/'));
      expect(
        reached.filter((s) => s.startsWith('@aws-sdk/') || s.startsWith('@kubernetes/')),
        name,
      ).toEqual([]);
    }
    // The issue's figure, as a person meets it: median of five runs of the built command.
    for (const args of [['config'], ['incidents', 'ladder'], ['maintenance', 'next']]) {
      const times = Array.from({ length: 5 }, () => run(...args).ms).sort((a, b) => a - b);
      console.log(
        `mcp-ops ${args.join(' ')}: median ${times[2]!.toFixed(0)} ms of ${times.map((t) => t.toFixed(0)).join(', ')}`,
      );
      expect(times[2], args.join(' ')).toBeLessThan(400);
    }
  });
});
