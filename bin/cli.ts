// mcp-ops command line, as kubectl and the AWS CLI behave: `mcp-ops <command> [options]`, each
// command with its own --help, `-o/--output`, `--region`, `--profile`, `--version`; a usage error is
// one line and exit 2, before anything is loaded or any AWS call is made. Only this file and
// node:util load for --help; a command's modules (AWS SDK, Kubernetes client) load when it runs.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { CommandModule } from './command-context.ts';
import packageJson from '../package.json' with { type: 'json' };

type Options = NonNullable<ParseArgsConfig['options']>;

interface CommandSpec {
  /** `cleanup`, `cleanup lifecycle`, `incident`… */
  readonly name: string;
  readonly summary: string;
  /** Arguments after the name, as shown in usage (e.g. `ID`). */
  readonly args?: string;
  /** How many arguments after the name: exactly, and what each must look like. */
  readonly argPattern?: RegExp;
  readonly argHint?: string;
  /** A free-text argument after the one `argPattern` checks (a status update's message). */
  readonly trailing?: string;
  readonly options: Options;
  /** One line per option: `--flag X  what it does`. */
  readonly help: readonly string[];
  readonly outputs?: readonly string[];
  /** The command's module, loaded only when it runs (its own chunk in the built CLI). */
  readonly load: (args: readonly string[]) => Promise<CommandModule>;
}

const INCIDENT_ID = /^INC-\d{8}-\d{3,}$/;
const DEFAULT_OUTPUTS = ['text', 'json', 'yaml'];

const GLOBAL: Options = {
  local: { type: 'boolean', default: false },
  config: { type: 'string' },
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  output: { type: 'string', short: 'o', default: 'text' },
  format: { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
};

const GLOBAL_HELP = [
  '-o, --output text|json|yaml      output format (--format is the same)',
  '--local                          the local stack (.stack/endpoints.json) instead of AWS',
  '--config FILE                    configuration, JSON or YAML (must exist; default mcp-ops.config.json|yaml if present)',
  '--kubeconfig FILE                cluster access (default $KUBECONFIG, else ~/.kube/config)',
  '--context NAME                   the kubeconfig context to use (default its current one)',
  '--region R, --profile P          AWS region and shared-config profile',
  '-h, --help                       this help',
];

const incidentCommand = (name: string, summary: string, by: boolean): CommandSpec => ({
  name,
  summary,
  args: 'INC-YYYYMMDD-NNN',
  argPattern: INCIDENT_ID,
  argHint: 'an incident id like INC-20261125-001',
  options: by ? { by: { type: 'string' } } : {},
  help: by ? ['--by NAME                        who (default $USER)'] : [],
  load: () => import('./escalation-commands.ts'),
});

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'config',
    load: () => import('./config-command.ts'),
    summary: 'print the configuration in force (defaults: the operations manual)',
    options: {},
    help: [],
  },
  {
    name: 'config validate',
    load: () => import('./config-command.ts'),
    summary: 'check a configuration file (JSON or YAML) without deploying; exit 1 names what is wrong',
    args: 'FILE',
    argPattern: /^.+$/,
    argHint: 'a configuration file (mcp-ops.config.json or .yaml)',
    options: {},
    help: [],
  },
  {
    name: 'cleanup',
    load: () => import('./cleanup-command.ts'),
    summary: 'retention cleanup of old artifacts (dry run unless --apply)',
    options: {
      'retention-days': { type: 'string' },
      bucket: { type: 'string' },
      prefix: { type: 'string' },
      protect: { type: 'string', multiple: true },
      'max-deletes': { type: 'string' },
      'versioned-bucket': { type: 'string' },
      apply: { type: 'boolean', default: false },
      resume: { type: 'string' },
      'state-bucket': { type: 'string' },
    },
    help: [
      '--retention-days N               days to keep (default: ConfigMap artifact.retention.days, else 90)',
      '--bucket B --prefix P            what to clean (default: the artifacts bucket, all of it)',
      '--protect PREFIX                 never touch keys under PREFIX (repeatable)',
      '--max-deletes N                  safety cap (default 100000)',
      '--versioned-bucket add-delete-markers   required on a versioned bucket',
      '--apply                          really delete',
      '--resume RUN_ID --apply          continue a stopped run (its own policy, checked again)',
      '--state-bucket B                 where the run keeps its checkpoint ($MCP_OPS_STATE_BUCKET)',
    ],
  },
  {
    name: 'cleanup lifecycle',
    load: () => import('./cleanup-command.ts'),
    summary: 'print (or --apply) the equivalent S3 Lifecycle rules',
    options: {
      'retention-days': { type: 'string' },
      bucket: { type: 'string' },
      prefix: { type: 'string' },
      protect: { type: 'string', multiple: true },
      apply: { type: 'boolean', default: false },
    },
    help: [
      '--retention-days N               days to keep',
      '--bucket B --prefix P            which bucket and top-level prefixes',
      '--protect PREFIX                 never expire keys under PREFIX (repeatable)',
      '--apply                          put the rules on the bucket (merged with its own)',
    ],
  },
  {
    name: 'report',
    load: () => import('./report-command.ts'),
    summary: 'a health report: morning, evening or security',
    args: 'morning|evening|security',
    argPattern: /^(morning|evening|security)$/,
    argHint: 'morning, evening or security',
    options: { send: { type: 'boolean', default: false }, out: { type: 'string' } },
    help: [
      '--send                           also archive it and e-mail it (SES, else the reports topic)',
      '--out DIR                        write the report HTML, the e-mail HTML and the JSON there',
    ],
    outputs: ['text', 'json', 'yaml', 'html'],
  },
  {
    name: 'diagnose',
    load: () => import('./diagnose-command.ts'),
    summary: 'the incident assessment and the runbook’s steps, read-only (what a page’s follow-up says)',
    options: { runbook: { type: 'string' }, incident: { type: 'string' } },
    help: [
      '--runbook N                      also run Runbook N’s steps (1 error rate, 2 latency, 3 crash loop, 4 storage)',
      '--incident ID                    diagnose that incident: its runbook and alert time',
    ],
  },
  {
    name: 'maintenance',
    load: (args) =>
      args[0] === 'next' ? import('./maintenance-next.ts') : import('./maintenance-command.ts'),
    summary: 'the maintenance window: next (when, each step), pre or post (run the checks now)',
    args: 'next|pre|post',
    argPattern: /^(next|pre|post)$/,
    argHint: 'next, pre or post',
    options: { send: { type: 'boolean', default: false }, 'state-bucket': { type: 'string' } },
    help: [
      'next                             the next window in UTC and the team’s zone, and when each step runs',
      'pre                              the pre-maintenance check for the next window (exit 1 if it fails)',
      'post                             the post-maintenance check of the window in progress or just ended',
      '--send                           also e-mail the result and page, as the scheduled step does',
      '--state-bucket B                 where the window’s baseline is kept ($REPORTS_BUCKET)',
    ],
  },
  {
    name: 'backup verify',
    load: () => import('./backup-command.ts'),
    summary: 'verify the latest backup (pointer, metadata, age, counts, sizes, checksums)',
    options: { bucket: { type: 'string' }, sample: { type: 'string' }, 'max-age-hours': { type: 'string' } },
    help: [
      '--bucket B                       backup bucket (default: buckets.backup)',
      '--sample N                       objects read back and checksummed (default 20)',
      '--max-age-hours H                oldest acceptable backup (default 26)',
    ],
  },
  {
    name: 'incidents',
    summary: 'open incidents, oldest first',
    options: {},
    help: [],
    load: () => import('./escalation-commands.ts'),
  },
  {
    name: 'incidents ladder',
    load: () => import('./ladder-command.ts'),
    summary: 'what each severity gets and when (pages, chat, tickets, reminders)',
    options: {},
    help: [],
  },
  {
    name: 'incidents reviews',
    load: () => import('./escalation-commands.ts'),
    summary: 'post-incident reviews not marked done, with when each is due',
    options: {},
    help: [],
  },
  incidentCommand('incident', 'one incident with its timeline', false),
  {
    ...incidentCommand('incident review', 'the post-incident review: where its draft is, or --done', true),
    options: { by: { type: 'string' }, done: { type: 'boolean', default: false } },
    help: [
      '--done                           mark the review done (stops its 48-hour reminder)',
      '--by NAME                        who (default $USER)',
    ],
  },
  {
    ...incidentCommand(
      'incident update',
      'post a status update (the communication template’s Updates)',
      true,
    ),
    args: 'INC-YYYYMMDD-NNN "message"',
    trailing: 'a quoted message',
    options: { by: { type: 'string' }, status: { type: 'string' } },
    help: [
      '--status S                       investigating, identified, monitoring or resolved',
      '--by NAME                        who (default $USER)',
    ],
  },
  {
    name: 'doctor',
    summary:
      'read-only checks of the deployed stack and its cluster, each problem with its fix (exit 1 if any)',
    options: { 'alertmanager-url': { type: 'string' } },
    help: [
      '--alertmanager-url URL           Alertmanager to check the route of (default: the local stack’s; else skipped)',
    ],
    load: () => import('./doctor-command.ts'),
  },
  {
    name: 'alert test',
    summary:
      'publish a synthetic alert to the alerts topic, follow its incident, resolve it, print the timings',
    options: {
      severity: { type: 'string' },
      timeout: { type: 'string' },
      'alerts-topic': { type: 'string' },
      by: { type: 'string' },
    },
    help: [
      '--severity P0|P1|P2|P3           the alert’s priority (default P3: chat only, no page)',
      '--timeout SECONDS                how long to wait for the incident (default 120)',
      '--alerts-topic ARN               the alerts topic (default $ALERTS_TOPIC_ARN, else <prefix>-alerts)',
      '--by NAME                        who resolves it (default $USER)',
    ],
    load: () => import('./alert-test-command.ts'),
  },
  incidentCommand('ack', 'acknowledge an incident (stops its "no response" steps)', true),
  incidentCommand('resolve', 'resolve an incident (tells every tier already paged)', true),
];

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

/** `mcp-ops completion bash|zsh`: completes command words and each command's options. */
export function completionScript(shell: string): string {
  const words = [...new Set([...COMMANDS.map((c) => c.name.split(' ')[0]!), 'help', 'completion'])];
  const subs = new Map<string, string[]>();
  for (const c of COMMANDS) {
    const [first, second] = c.name.split(' ');
    if (second) subs.set(first!, [...(subs.get(first!) ?? []), second]);
  }
  const optionsOf = (spec: CommandSpec) =>
    Object.keys({ ...GLOBAL, ...spec.options })
      .map((o) => `--${o}`)
      .join(' ');
  const cases = COMMANDS.map((c) => `    "${c.name}") opts="${optionsOf(c)}" ;;`).join('\n');
  const subCases = [...subs].map(([w, list]) => `    ${w}) subs="${list.join(' ')}" ;;`).join('\n');
  const body = `_mcp_ops() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" first="\${COMP_WORDS[1]}" second="\${COMP_WORDS[2]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${words.join(' ')}" -- "$cur") ); return
  fi
  local subs="" opts=""
  case "$first" in
${subCases}
  esac
  if [ "$COMP_CWORD" -eq 2 ] && [ -n "$subs" ] && [[ "$cur" != -* ]]; then
    COMPREPLY=( $(compgen -W "$subs" -- "$cur") ); return
  fi
  case "$first $second" in
${cases.replace(/^ {4}"([a-z]+)"\)/gm, '    "$1 "*)')}
  esac
  if [ -z "$opts" ]; then
    case "$first" in
${cases}
    esac
  fi
  COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
}`;
  if (shell === 'bash')
    return `# mcp-ops bash completion: source <(mcp-ops completion bash)\n${body}\ncomplete -F _mcp_ops mcp-ops`;
  // zsh runs bash completions through bashcompinit.
  return `# mcp-ops zsh completion: source <(mcp-ops completion zsh)\nautoload -U +X bashcompinit && bashcompinit\n${body}\ncomplete -F _mcp_ops mcp-ops`;
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
      if (args.length !== (spec.trailing ? 2 : 1) || !spec.argPattern.test(args[0]!))
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
