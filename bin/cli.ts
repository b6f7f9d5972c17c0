// mcp-ops command line, as kubectl and the AWS CLI behave: `mcp-ops <command> [options]`, each
// command with its own --help, `-o/--output`, `--region`, `--profile`, `--version`; a usage error is
// one line and exit 2, before anything is loaded or any AWS call is made. Only this file and
// node:util load for --help; a command's modules (AWS SDK, Kubernetes client) load when it runs.
import { parseArgs } from 'node:util';
import {
  COMMANDS,
  DEFAULT_OUTPUTS,
  GLOBAL,
  GLOBAL_HELP,
  type CommandSpec,
  type Options,
} from './command-table.ts';
import { completionScript } from './completion.ts';
import packageJson from '../package.json' with { type: 'json' };

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => `${c.name} ${c.args ?? ''}`.length));
  return [
    'usage: mcp-ops <command> [options]',
    '',
    ...COMMANDS.map((c) => `  ${`${c.name} ${c.args ?? ''}`.padEnd(width)}  ${c.summary}`),
    '',
    'options of every command:',
    ...GLOBAL_HELP.map((l) => `  ${l}`),
    '',
    "'mcp-ops <command> --help' describes one command; 'mcp-ops --version' prints the version.",
    'exit status: 0 fine, 1 a check found a problem, 2 usage or configuration refused, 3 could not run',
    '(credentials, an endpoint unreachable, AWS or the cluster refusing).',
  ].join('\n');
}

/** The other commands of the same word (`incident` → `incident review`, `incident update`). */
function related(spec: CommandSpec): string[] {
  const word = spec.name.split(' ')[0]!;
  const others = COMMANDS.filter((c) => c !== spec && c.name.split(' ')[0] === word);
  if (others.length === 0) return [];
  const width = Math.max(...others.map((c) => `${c.name} ${c.args ?? ''}`.length));
  return [
    'related commands:',
    ...others.map((c) => `  mcp-ops ${`${c.name} ${c.args ?? ''}`.padEnd(width)}  ${c.summary}`),
    '',
  ];
}

function commandHelp(spec: CommandSpec): string {
  const outputs = spec.outputs ?? DEFAULT_OUTPUTS;
  return [
    `usage: mcp-ops ${spec.name}${spec.args ? ` ${spec.args}` : ''} [options]`,
    '',
    spec.summary,
    '',
    ...(spec.help.length ? ['options:', ...spec.help.map((l) => `  ${l}`), ''] : []),
    ...related(spec),
    'options of every command:',
    ...GLOBAL_HELP.map((l) => `  ${l.replace('text|json|yaml     ', outputs.join('|').padEnd(19))}`),
  ].join('\n');
}

class UsageError extends Error {}

/** The command a command line names: the longest name its first words spell. */
function findCommand(words: readonly string[]): CommandSpec | undefined {
  return [...COMMANDS]
    .sort((a, b) => b.name.split(' ').length - a.name.split(' ').length)
    .find((c) => c.name.split(' ').every((w, i) => words[i] === w));
}

export type CliOutcome =
  | { kind: 'print'; text: string }
  | { kind: 'usage-error'; message: string }
  | { kind: 'run'; spec: CommandSpec; args: string[]; values: Record<string, unknown> };

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    previous = current;
  }
  return previous[b.length]!;
}

/** The command names closest to what was typed (at most a third of its letters wrong). */
export function suggestions(typed: string): string[] {
  const names = [...new Set([...COMMANDS.map((c) => c.name), 'help', 'completion'])];
  const scored = names
    .map((name) => ({
      name,
      score: Math.min(distance(typed, name), distance(typed, name.split(' ')[0]!)),
    }))
    .filter((s) => s.score <= Math.max(1, Math.floor(typed.length / 3)));
  const best = Math.min(...scored.map((s) => s.score));
  return scored
    .filter((s) => s.score === best)
    .map((s) => s.name.split(' ')[0]!)
    .filter((n, i, all) => all.indexOf(n) === i);
}

/** Reads a command line without running anything. */
export function readCommandLine(argv: readonly string[]): CliOutcome {
  if (argv.includes('--version')) return { kind: 'print', text: `mcp-ops ${packageJson.version}` };
  // Every option any command knows, so that option values are not taken for command words.
  const known = Object.assign({}, GLOBAL, ...COMMANDS.map((c) => c.options)) as Options;
  const words = parseArgs({
    args: [...argv],
    options: known,
    allowPositionals: true,
    strict: false,
  }).positionals;
  if (words[0] === 'help') {
    if (words.length === 1) return { kind: 'print', text: usage() };
    const named = findCommand(words.slice(1));
    if (named) return { kind: 'print', text: commandHelp(named) };
    return { kind: 'usage-error', message: unknownCommand(words.slice(1)) };
  }
  if (words[0] === 'completion') {
    if (words[1] === 'bash' || words[1] === 'zsh') return { kind: 'print', text: completionScript(words[1]) };
    return { kind: 'usage-error', message: 'completion: expected bash or zsh' };
  }
  const spec = findCommand(words);
  if (!spec) {
    if (words.length === 0) return { kind: 'print', text: usage() };
    return { kind: 'usage-error', message: unknownCommand(words) };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...GLOBAL, ...spec.options },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    const message = (error as Error).message.split('. ')[0]!.replace(/^Unknown option/, 'unknown option');
    const option = /'(--?[\w-]+)'/.exec(message)?.[1];
    const close = option
      ? Object.keys({ ...GLOBAL, ...spec.options }).filter((o) => distance(option.replace(/^-+/, ''), o) <= 2)
      : [];
    const hint = close.length ? `; did you mean ${close.map((o) => `--${o}`).join(' or ')}?` : '';
    return {
      kind: 'usage-error',
      message: `${spec.name}: ${message}${hint} (see mcp-ops ${spec.name} --help)`,
    };
  }
  const values = parsed.values as Record<string, unknown>;
  if (values.help) return { kind: 'print', text: commandHelp(spec) };
  try {
    const output = (values.format as string | undefined) ?? (values.output as string);
    const outputs = spec.outputs ?? DEFAULT_OUTPUTS;
    if (!outputs.includes(output))
      throw new UsageError(`-o/--output: expected ${outputs.join(', ')} for ${spec.name}, got "${output}"`);
    values.output = output;
    const args = parsed.positionals.slice(spec.name.split(' ').length);
    if (spec.argPattern) {
      if (spec.trailing && args.length !== 2)
        throw new UsageError(`expected ${spec.argHint} and ${spec.trailing}`);
      const most = 1 + (spec.more?.max ?? 0);
      const least = 1 + (spec.more?.min ?? 0);
      if (spec.more && args.length >= least && args.length <= most && spec.argPattern.test(args[0]!)) {
        // the command checks the rest itself
      } else if (args.length !== (spec.trailing ? 2 : 1) || !spec.argPattern.test(args[0]!))
        throw new UsageError(
          `expected ${spec.argHint}, got ${args.length ? `"${args.join(' ')}"` : 'nothing'}`,
        );
    } else if (args.length > 0) throw new UsageError(`unexpected argument "${args[0]}"`);
    return { kind: 'run', spec, args, values };
  } catch (error) {
    return {
      kind: 'usage-error',
      message: `${spec.name}: ${(error as Error).message} (see mcp-ops ${spec.name} --help)`,
    };
  }
}

function unknownCommand(words: readonly string[]): string {
  const first = words[0]!;
  const typed = words.slice(0, 2).join(' ');
  if (COMMANDS.some((c) => c.name.startsWith(`${first} `)))
    return `unknown command "${typed}" (see mcp-ops ${first} --help)`;
  const close = suggestions(first);
  const hint = close.length ? `; did you mean ${close.map((c) => `"${c}"`).join(' or ')}?` : '';
  return `unknown command "${typed}"${hint} (see mcp-ops --help)`;
}

/** Runs `argv`; answers the exit code. */
export async function cli(argv: readonly string[]): Promise<number> {
  const line = readCommandLine(argv);
  if (line.kind === 'print') {
    console.log(line.text);
    return 0;
  }
  if (line.kind === 'usage-error') {
    console.error(`mcp-ops: ${line.message}`);
    return 2;
  }
  const { runLine } = await import('./cli-run.ts');
  return runLine({
    name: line.spec.name,
    args: line.args,
    values: line.values as never,
    load: line.spec.load,
  });
}
