// The commands behind bin/cli.ts: the same job functions as the Lambda handlers, with ports built
// from a kubeconfig and the environment (or the local stack with --local). Loaded only to run one.
import {
  GetBucketLifecycleConfigurationCommand,
  type LifecycleRule,
  PutBucketLifecycleConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CoreV1Api } from '@kubernetes/client-node';
import { loadKubeconfig } from './terminal-cluster.ts';
import { awsTargetFromEnv, s3ClientConfig, singleAttempt, type AwsTarget } from '../core/aws.ts';
import { ConfigError, type OpsConfig } from '../core/config.ts';
import { configFromNamedOrDefault, loadConfigFile } from '../core/config-file.ts';
import { S3ObjectStore } from '../core/adapters/s3-object-store.ts';
import { cleanupJob } from '../functions/cleanup/cleanup-job.ts';
import { positiveInteger, RETENTION_KEY } from '../core/service-config.ts';
import { lifecyclePlan } from '../functions/cleanup/lifecycle-job.ts';
import { mergeLifecycleRules } from '../functions/cleanup/lifecycle-rule.ts';
import { CleanupRequestError } from '../functions/cleanup/retention-policy.ts';
import { BackupRequestError, backupVerifyJob } from '../functions/backup/backup-job.ts';
import { formatBackupVerdict } from '../functions/backup/verify-backup.ts';
import { formatCleanupSummary } from '../functions/cleanup/summary-text.ts';
import { readEndpoints } from '../stack/endpoints.ts';
import { EscalationCommandError, escalationCommand } from './escalation-commands.ts';
import { DiagnoseCommandError, diagnoseCommand } from './diagnose-command.ts';
import { MaintenanceCommandError, maintenanceCommand } from './maintenance-command.ts';
import { ReportCommandError, reportCommand } from './report-command.ts';

/** The parsed command line (bin/cli.ts has checked it). */
export interface CommandLine {
  readonly command: string;
  readonly sub?: string;
  readonly args: string[];
  readonly values: Values;
}

export interface Values {
  local: boolean;
  config: string;
  kubeconfig?: string;
  context?: string;
  output: string;
  'state-bucket'?: string;
  'retention-days'?: string;
  bucket?: string;
  prefix?: string;
  protect?: string[];
  'max-deletes'?: string;
  'versioned-bucket'?: string;
  apply?: boolean;
  resume?: string;
  by?: string;
  sample?: string;
  send?: boolean;
  out?: string;
  'max-age-hours'?: string;
  runbook?: string;
  incident?: string;
  done?: boolean;
  status?: string;
}

let values: Values;

interface Environment {
  config: OpsConfig;
  target: AwsTarget;
  stateBucket?: string;
}

function environment(): Environment {
  const config = configFromNamedOrDefault(values.config ?? process.env.MCP_OPS_CONFIG_FILE);
  if (values.local) {
    const endpoints = readEndpoints();
    return {
      config,
      target: { region: endpoints.region, endpoint: endpoints.aws.endpoint },
      stateBucket: values['state-bucket'] ?? endpoints.buckets.reports,
    };
  }
  const stateBucket = values['state-bucket'] ?? process.env.MCP_OPS_STATE_BUCKET;
  return { config, target: awsTargetFromEnv(), ...(stateBucket ? { stateBucket } : {}) };
}

/** `kubectl get configmap mcp-semantic-config -o jsonpath='{.data.artifact\.retention\.days}'`. */
async function configMapRetentionDays(config: OpsConfig): Promise<number | undefined> {
  const kc = loadKubeconfig(
    {
      ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}),
      ...(values.context ? { context: values.context } : {}),
    },
    (message) => new CleanupRequestError(message),
  );
  if (!kc) return undefined;
  const core = kc.makeApiClient(CoreV1Api);
  const map = await core.readNamespacedConfigMap({
    name: config.cluster.configMap,
    namespace: config.cluster.namespace,
  });
  return positiveInteger(map.data?.[RETENTION_KEY]);
}

function integer(flag: string): number | undefined {
  const raw = values[flag as keyof typeof values] as string | undefined;
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new CleanupRequestError(`--${flag}: expected a whole number, got "${raw}"`);
  return Number(raw);
}

async function cleanup(env: Environment): Promise<void> {
  if (!env.stateBucket && values.apply) {
    throw new CleanupRequestError(
      '--state-bucket (or MCP_OPS_STATE_BUCKET) is needed to keep the run’s manifest',
    );
  }
  const s3 = new S3Client(s3ClientConfig(env.target));
  const request: Record<string, unknown> = { dryRun: !values.apply };
  if (values.protect && values.protect.length > 0) request.protectedPrefixes = values.protect;
  if (values.resume) {
    // A resume carries its run id alone: the run keeps its policy, checked against today's rules.
    request.resumeRunId = values.resume;
  } else {
    request.prefix = values.prefix ?? '';
    const retentionDays = integer('retention-days');
    const maxDeletes = integer('max-deletes');
    if (retentionDays !== undefined) request.retentionDays = retentionDays;
    if (maxDeletes !== undefined) request.maxDeletes = maxDeletes;
    if (values.bucket) request.bucket = values.bucket;
    if (values['versioned-bucket']) request.versionedBucket = values['versioned-bucket'];
  }
  const summary = await cleanupJob(request, {
    config: env.config,
    // Deletions are retried by cleanup's batch loop alone: their client tries once.
    store: new S3ObjectStore(s3, new S3Client(singleAttempt(s3ClientConfig(env.target)))),
    now: () => new Date(),
    stateBucket: env.stateBucket ?? '',
    configMapRetentionDays: () => configMapRetentionDays(env.config),
    // The run id first, on stderr, so a long --apply can be followed and resumed by it.
    onStart: (policy) =>
      console.error(
        `cleanup run ${policy.runId}: ${policy.dryRun ? 'dry run' : 'DELETING'} in s3://${policy.bucket}/${policy.prefix}, objects older than ${policy.cutoff.toISOString()} (${policy.retentionDays} days)`,
      ),
  });
  console.log(values.output === 'json' ? JSON.stringify(summary, null, 2) : formatCleanupSummary(summary));
  if (summary.failed > 0) process.exitCode = 1;
}

async function lifecycle(env: Environment): Promise<void> {
  const s3 = new S3Client(s3ClientConfig(env.target));
  const request: Record<string, unknown> = {
    prefix: values.prefix ?? '',
    protectedPrefixes: values.protect ?? [],
  };
  const retentionDays = integer('retention-days');
  if (retentionDays !== undefined) request.retentionDays = retentionDays;
  if (values.bucket) request.bucket = values.bucket;
  const { bucket, rules } = await lifecyclePlan(request, {
    config: env.config,
    store: new S3ObjectStore(s3),
    now: () => new Date(),
    configMapRetentionDays: () => configMapRetentionDays(env.config),
  });
  if (!values.apply) {
    console.log(JSON.stringify({ Rules: rules }, null, 2));
    return;
  }
  let existing: LifecycleRule[] = [];
  try {
    existing = (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules ?? [];
  } catch (error) {
    if ((error as Error).name !== 'NoSuchLifecycleConfiguration') throw error;
  }
  const merged = mergeLifecycleRules(existing, rules);
  await s3.send(
    new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules: merged } }),
  );
  console.log(
    values.output === 'json'
      ? JSON.stringify({ bucket, applied: rules, Rules: merged }, null, 2)
      : `applied ${rules.length} retention rule(s) to s3://${bucket} (${merged.length} rule(s) in all)`,
  );
}

async function backupVerify(env: Environment): Promise<void> {
  const request: Record<string, unknown> = {};
  const bucket = values.bucket ?? (values.local ? readEndpoints().buckets.backup : undefined);
  if (bucket) request.bucket = bucket;
  const sample = values.sample;
  if (sample !== undefined) {
    if (!/^\d+$/.test(sample))
      throw new BackupRequestError(`--sample: expected a whole number, got "${sample}"`);
    request.sampleSize = Number(sample);
  }
  const maxAge = values['max-age-hours'];
  if (maxAge !== undefined) {
    if (!(Number(maxAge) > 0))
      throw new BackupRequestError(`--max-age-hours: expected a positive number, got "${maxAge}"`);
    request.maxAgeHours = Number(maxAge);
  }
  const verdict = await backupVerifyJob(request, {
    config: env.config,
    store: new S3ObjectStore(new S3Client(s3ClientConfig(env.target))),
    now: () => new Date(),
  });
  console.log(values.output === 'json' ? JSON.stringify(verdict, null, 2) : formatBackupVerdict(verdict));
  if (!verdict.verified) process.exitCode = 1;
}

/** `mcp-ops config validate FILE`: 0 with the keys it sets, or 1 naming every wrong key. */
function validateConfig(path: string): number {
  try {
    const config = loadConfigFile(path, { named: true });
    const summary = {
      file: path,
      valid: true,
      resourcePrefix: config.resourcePrefix,
      cluster: config.cluster.name,
      timeZone: config.schedules.timeZone,
      tiers: config.onCall.tiers.map((t) => `${t.name} <${t.contact}>`),
    };
    console.log(
      values.output === 'json'
        ? JSON.stringify(summary, null, 2)
        : `${path}: valid (prefix ${summary.resourcePrefix}, cluster ${summary.cluster}, zone ${summary.timeZone}, ${summary.tiers.length} on-call tiers)`,
    );
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    if (values.output === 'json')
      console.log(
        JSON.stringify(
          { file: path, valid: false, issues: error.issues.length ? error.issues : [error.message] },
          null,
          2,
        ),
      );
    else console.error(`mcp-ops: ${error.message}`);
    return 1;
  }
}

/** Runs one checked command line; answers the exit code (0 fine, 1 found a problem or failed, 2 refused). */
export async function runCommand(line: CommandLine): Promise<number> {
  values = line.values;
  const { command, sub } = line;
  try {
    if (command === 'config' && sub === 'validate') return validateConfig(line.args[0]!);
    const env = environment();
    if (command === 'config') {
      if (values.output === 'yaml') {
        const { dumpYaml } = await import('@kubernetes/client-node');
        console.log(dumpYaml(env.config).trimEnd());
      } else console.log(JSON.stringify(env.config, null, 2));
    } else if (command === 'cleanup' && sub === 'lifecycle') await lifecycle(env);
    else if (command === 'cleanup') await cleanup(env);
    else if (command === 'backup') await backupVerify(env);
    else if (command === 'report') {
      const { report, output } = await reportCommand(line.args[0], {
        config: env.config,
        target: env.target,
        ...(values.local ? { endpoints: readEndpoints() } : {}),
        ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}),
        ...(values.context ? { context: values.context } : {}),
        format: values.output,
        send: values.send ?? false,
        ...(values.out ? { outDir: values.out } : {}),
      });
      console.log(output);
      if (report.status === 'CRITICAL') process.exitCode = 1;
    } else if (command === 'diagnose') {
      const { output, failedParts } = await diagnoseCommand({
        config: env.config,
        target: env.target,
        ...(values.local ? { endpoints: readEndpoints() } : {}),
        ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}),
        ...(values.context ? { context: values.context } : {}),
        ...(values.runbook ? { runbook: values.runbook } : {}),
        ...(values.incident ? { incident: values.incident } : {}),
        json: values.output === 'json',
      });
      console.log(output);
      if (failedParts > 0) process.exitCode = 1;
    } else if (command === 'maintenance') {
      const { output, failed } = await maintenanceCommand(line.args[0], {
        config: env.config,
        target: env.target,
        ...(values.local ? { endpoints: readEndpoints() } : {}),
        ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}),
        ...(values.context ? { context: values.context } : {}),
        ...(values['state-bucket'] ? { stateBucket: values['state-bucket'] } : {}),
        json: values.output === 'json',
        send: values.send ?? false,
      });
      console.log(output);
      if (failed) process.exitCode = 1;
    } else {
      console.log(
        await escalationCommand(command, [...(sub ? [sub] : []), ...line.args], {
          config: env.config,
          target: env.target,
          ...(values.local ? { endpoints: readEndpoints() } : {}),
          ...(values.by ? { by: values.by } : {}),
          ...(values.done ? { done: true } : {}),
          ...(values.status ? { status: values.status } : {}),
          json: values.output === 'json',
        }),
      );
    }
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    const refused =
      error instanceof ConfigError ||
      error instanceof CleanupRequestError ||
      error instanceof BackupRequestError ||
      error instanceof ReportCommandError ||
      error instanceof MaintenanceCommandError ||
      error instanceof DiagnoseCommandError ||
      error instanceof EscalationCommandError;
    console.error(`mcp-ops ${command}: ${error instanceof Error ? error.message : String(error)}`);
    // 2: the request was refused (usage, configuration); 3: it could not run (credentials, an
    // endpoint unreachable, AWS or the cluster refusing); 1 is kept for "the check found a problem".
    return refused ? 2 : 3;
  }
}
