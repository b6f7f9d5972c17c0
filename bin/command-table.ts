// The command line's table: every command, its arguments, options and help, and the module that
// runs it (loaded only then). bin/cli.ts reads command lines against it; nothing else is needed to
// add a command.
import type { ParseArgsConfig } from 'node:util';
import type { CommandModule } from './command-context.ts';

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface CommandSpec {
  /** `cleanup`, `cleanup lifecycle`, `incident`… */
  readonly name: string;
  readonly summary: string;
  /** Arguments after the name, as shown in usage (e.g. `ID`). */
  readonly args?: string;
  /** How many arguments after the name: exactly, and what each must look like. */
  readonly argPattern?: RegExp;
  readonly argHint?: string;
  /** More arguments after the one `argPattern` checks, which the command reads itself (`mitigate ID ACTION [TARGET]`). */
  readonly more?: { readonly min: number; readonly max: number };
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
export const DEFAULT_OUTPUTS = ['text', 'json', 'yaml'];

export const GLOBAL: Options = {
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

export const GLOBAL_HELP = [
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
    name: 'mitigate',
    load: () => import('./mitigate-command.ts'),
    summary: 'the playbook’s step 3 on an open incident, with the page’s guard rails (dry run first)',
    args: 'INC-YYYYMMDD-NNN ACTION [TARGET]',
    argPattern: INCIDENT_ID,
    more: { min: 1, max: 2 },
    argHint:
      'an incident id, an action (undo, restart, scale, drain, image, memory, maintenance-off) and its target',
    options: {
      'dry-run': { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      by: { type: 'string' },
    },
    help: [
      'undo [REVISION]                  roll back to REVISION (default: the one before the current)',
      'restart POD                      delete the pod; its ReplicaSet starts a new one',
      'scale [N]                        scale up to N (default and most: mitigation.maxReplicas)',
      'drain NODE                       cordon NODE and evict its pods (not the last node, not past a PDB)',
      'image [IMAGE]                    the emergency rollback; only mitigation.knownGoodImage',
      'memory LIMIT                     raise the memory limit (up to mitigation.maxMemoryLimit)',
      'maintenance-off [INGRESS]        remove the maintenance-mode annotation',
      'quarantine POD[,POD]             label quarantine=true and apply the manual’s deny-all NetworkPolicy',
      'release POD[,POD]                the quarantine’s undo (deny-all goes when no pod is quarantined)',
      '--dry-run                        the API server’s dry run only; nothing changes',
      '--force                          act inside the maintenance window too',
      '--by NAME                        who (default $USER)',
    ],
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
