// mcp-ops command line: the same job functions as the Lambda handlers, with ports built from a
// kubeconfig and the environment (or the local stack with --local).
import {
  GetBucketLifecycleConfigurationCommand,
  type LifecycleRule,
  PutBucketLifecycleConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { parseArgs } from 'node:util';
import { awsTargetFromEnv, s3ClientConfig, type AwsTarget } from '../core/aws.ts';
import { ConfigError, loadConfigFile, type OpsConfig } from '../core/config.ts';
import { S3ObjectStore } from '../core/s3-object-store.ts';
import { cleanupJob } from '../functions/cleanup/cleanup-job.ts';
import { positiveInteger, RETENTION_KEY } from '../core/service-config.ts';
import { mergeLifecycleRules, retentionLifecycleRules } from '../functions/cleanup/lifecycle-rule.ts';
import { CleanupRequestError } from '../functions/cleanup/retention-policy.ts';
import { BackupRequestError, backupVerifyJob } from '../functions/backup/backup-job.ts';
import { formatBackupVerdict } from '../functions/backup/verify-backup.ts';
import { formatCleanupSummary } from '../functions/cleanup/summary-text.ts';
import { readEndpoints } from '../stack/endpoints.ts';
import { EscalationCommandError, escalationCommand } from './escalation-commands.ts';
import { ReportCommandError, reportCommand } from './report-command.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const USAGE = `usage: mcp-ops <command> [options]

  config                         print the configuration in force (defaults: the operations manual)
  cleanup [options]              retention cleanup of old artifacts (dry run unless --apply)
      --retention-days N         days to keep (default: ConfigMap artifact.retention.days, else ${90})
      --bucket B --prefix P      what to clean (default: the artifacts bucket, all of it)
      --protect PREFIX           never touch keys under PREFIX (repeatable)
      --max-deletes N            safety cap (default 100000)
      --versioned-bucket add-delete-markers   required on a versioned bucket
      --apply                    really delete (dryRun: false)
      --resume RUN_ID            continue a stopped run
  cleanup lifecycle [--apply]    print (or apply) the equivalent S3 Lifecycle rules
  report morning|evening|security  the health reports (text; --format json|html; --out DIR writes HTML and JSON)
      --send                     also archive to the reports bucket and email through the reports topic
  backup verify [options]        verify the latest backup (pointer, metadata, age, counts, sizes, checksums)
      --bucket B                 backup bucket (default: configuration's buckets.backup)
      --sample N                 objects read back and checksummed (default ${20})
      --max-age-hours H          oldest acceptable backup (default ${26})
  incidents                      open incidents, oldest first (flags ones open longer than their ladder)
  incidents ladder               what each severity gets and when (pages, chat, tickets, reminders)
  incident INC-YYYYMMDD-NNN      one incident with its timeline
  ack INC-YYYYMMDD-NNN [--by N]  acknowledge: stops the "(no response)" steps of the ladder
  resolve INC-YYYYMMDD-NNN [--by N]  resolve: tells every tier already paged

common options:
  --local                        use the local stack (.stack/endpoints.json) instead of AWS
  --config FILE                  configuration file (default mcp-ops.config.json)
  --kubeconfig FILE              cluster access for ConfigMap reads (default $KUBECONFIG)
  --state-bucket B               where cleanup keeps its checkpoint and manifest ($MCP_OPS_STATE_BUCKET)
  --format text|json`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    local: { type: 'boolean', default: false },
    config: { type: 'string', default: process.env.MCP_OPS_CONFIG_FILE ?? 'mcp-ops.config.json' },
    kubeconfig: { type: 'string' },
    'state-bucket': { type: 'string' },
    format: { type: 'string', default: 'text' },
    'retention-days': { type: 'string' },
    bucket: { type: 'string' },
    prefix: { type: 'string' },
    protect: { type: 'string', multiple: true, default: [] },
    'max-deletes': { type: 'string' },
    'versioned-bucket': { type: 'string' },
    apply: { type: 'boolean', default: false },
    resume: { type: 'string' },
    by: { type: 'string' },
    sample: { type: 'string' },
    send: { type: 'boolean', default: false },
    out: { type: 'string' },
    'max-age-hours': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

interface Environment {
  config: OpsConfig;
  target: AwsTarget;
  stateBucket?: string;
}

function environment(): Environment {
  const config = loadConfigFile(values.config);
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
  const path = values.kubeconfig ?? process.env.KUBECONFIG;
  if (!path) return undefined;
  const kc = new KubeConfig();
  kc.loadFromFile(path);
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
  const request: Record<string, unknown> = {
    dryRun: !values.apply,
    prefix: values.prefix ?? '',
    protectedPrefixes: values.protect,
  };
  const retentionDays = integer('retention-days');
  const maxDeletes = integer('max-deletes');
  if (retentionDays !== undefined) request.retentionDays = retentionDays;
  if (maxDeletes !== undefined) request.maxDeletes = maxDeletes;
  if (values.bucket) request.bucket = values.bucket;
  if (values['versioned-bucket']) request.versionedBucket = values['versioned-bucket'];
  if (values.resume) request.resumeRunId = values.resume;
  const summary = await cleanupJob(request, {
    config: env.config,
    store: new S3ObjectStore(s3),
    now: () => new Date(),
    stateBucket: env.stateBucket ?? '',
    configMapRetentionDays: () => configMapRetentionDays(env.config),
  });
  console.log(values.format === 'json' ? JSON.stringify(summary, null, 2) : formatCleanupSummary(summary));
  if (summary.failed > 0) process.exitCode = 1;
}

async function lifecycle(env: Environment): Promise<void> {
  const s3 = new S3Client(s3ClientConfig(env.target));
  const store = new S3ObjectStore(s3);
  const bucket = values.bucket ?? env.config.buckets.artifacts;
  if (bucket === env.config.buckets.backup)
    throw new CleanupRequestError(`--bucket: ${bucket} is the backup bucket`);
  const retentionDays =
    integer('retention-days') ??
    (await configMapRetentionDays(env.config)) ??
    env.config.retention.defaultDays;
  if (retentionDays < env.config.retention.floorDays) {
    throw new CleanupRequestError(
      `--retention-days: ${retentionDays} is below the floor of ${env.config.retention.floorDays}`,
    );
  }
  const prefixes: string[] = [];
  let token: string | undefined;
  do {
    const page = await store.listPage({
      bucket,
      prefix: values.prefix ?? '',
      delimiter: '/',
      continuationToken: token,
    });
    prefixes.push(...page.prefixes);
    token = page.nextToken;
  } while (token);
  const rules = retentionLifecycleRules({
    retentionDays,
    topLevelPrefixes: prefixes,
    protectedPrefixes: [...env.config.retention.protectedPrefixes, ...(values.protect ?? [])],
    noncurrentDays: retentionDays,
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
    `applied ${rules.length} retention rule(s) to s3://${bucket} (${merged.length} rule(s) in all)`,
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
  console.log(values.format === 'json' ? JSON.stringify(verdict, null, 2) : formatBackupVerdict(verdict));
  if (!verdict.verified) process.exitCode = 1;
}

async function main(): Promise<void> {
  const [command, sub] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return;
  }
  const env = environment();
  if (command === 'config') console.log(JSON.stringify(env.config, null, 2));
  else if (command === 'cleanup' && sub === 'lifecycle') await lifecycle(env);
  else if (command === 'cleanup' && sub === undefined) await cleanup(env);
  else if (command === 'backup' && sub === 'verify') await backupVerify(env);
  else if (command === 'report') {
    const { report, output } = await reportCommand(sub, {
      config: env.config,
      target: env.target,
      ...(values.local ? { endpoints: readEndpoints() } : {}),
      ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}),
      format: values.format,
      send: values.send,
      ...(values.out ? { outDir: values.out } : {}),
    });
    console.log(output);
    if (report.status === 'CRITICAL') process.exitCode = 1;
  } else if (['incidents', 'incident', 'ack', 'resolve'].includes(command)) {
    console.log(
      await escalationCommand(command, positionals.slice(1), {
        config: env.config,
        target: env.target,
        ...(values.local ? { endpoints: readEndpoints() } : {}),
        ...(values.by ? { by: values.by } : {}),
        json: values.format === 'json',
      }),
    );
  } else {
    console.error(`unknown command: ${positionals.join(' ')}\n\n${USAGE}`);
    process.exitCode = 2;
  }
}

try {
  await main();
} catch (error) {
  if (
    error instanceof ConfigError ||
    error instanceof CleanupRequestError ||
    error instanceof BackupRequestError ||
    error instanceof ReportCommandError ||
    error instanceof EscalationCommandError
  ) {
    console.error(error.message);
    process.exitCode = 2;
  } else {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
}
