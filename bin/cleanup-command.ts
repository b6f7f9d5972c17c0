// `mcp-ops cleanup` (dry run unless --apply; --resume RUN --apply) and `mcp-ops cleanup lifecycle`.
import {
  GetBucketLifecycleConfigurationCommand,
  type LifecycleRule,
  PutBucketLifecycleConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { json, type CommandContext, type CommandResult } from './command-context.ts';
import { loadKubeconfig } from './terminal-cluster.ts';
import { s3ClientConfig, singleAttempt } from '../core/aws.ts';
import type { OpsConfig } from '../core/config.ts';
import { S3ObjectStore } from '../core/adapters/s3-object-store.ts';
import { serviceSettings } from '../core/service-config.ts';
import { KubernetesClient } from '../core/adapters/kubernetes-client.ts';
import { cleanupJob } from '../functions/cleanup/cleanup-job.ts';
import { lifecyclePlan } from '../functions/cleanup/lifecycle-job.ts';
import { mergeLifecycleRules } from '../functions/cleanup/lifecycle-rule.ts';
import { CleanupRequestError } from '../functions/cleanup/retention-policy.ts';
import { formatCleanupSummary } from '../functions/cleanup/summary-text.ts';
import { ENV } from '../core/function-env.ts';

/** `kubectl get configmap mcp-semantic-config -o jsonpath='{.data.artifact\.retention\.days}'`, read as the function reads it. */
async function configMapRetentionDays(
  context: CommandContext,
  config: OpsConfig,
): Promise<number | undefined> {
  const kc = loadKubeconfig(
    {
      ...context.cluster,
      ...(context.endpoints?.kubernetes ? { local: context.endpoints.kubernetes.kubeconfigReadonly } : {}),
    },
    (message) => new CleanupRequestError(message),
  );
  if (!kc) return undefined;
  // The same reader as the cleanup function's (core/service-config.ts).
  return (await serviceSettings(new KubernetesClient(kc), config.cluster)).retentionDays;
}

function integer(context: CommandContext, flag: 'retention-days' | 'max-deletes'): number | undefined {
  const raw = context.values[flag];
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new CleanupRequestError(`--${flag}: expected a whole number, got "${raw}"`);
  return Number(raw);
}

function stateBucketOf(context: CommandContext): string | undefined {
  return context.values['state-bucket'] ?? context.endpoints?.buckets.reports ?? process.env[ENV.stateBucket];
}

async function cleanup(context: CommandContext): Promise<CommandResult> {
  const { values } = context;
  const stateBucket = stateBucketOf(context);
  if (!stateBucket && values.apply) {
    throw new CleanupRequestError(
      '--state-bucket (or MCP_OPS_STATE_BUCKET) is needed to keep the run’s manifest',
    );
  }
  const s3 = new S3Client(s3ClientConfig(context.target));
  const request: Record<string, unknown> = { dryRun: !values.apply };
  if (values.protect && values.protect.length > 0) request.protectedPrefixes = values.protect;
  if (values.resume) {
    // A resume carries its run id alone: the run keeps its policy, checked against today's rules.
    request.resumeRunId = values.resume;
  } else {
    request.prefix = values.prefix ?? '';
    const retentionDays = integer(context, 'retention-days');
    const maxDeletes = integer(context, 'max-deletes');
    if (retentionDays !== undefined) request.retentionDays = retentionDays;
    if (maxDeletes !== undefined) request.maxDeletes = maxDeletes;
    if (values.bucket) request.bucket = values.bucket;
    if (values['versioned-bucket']) request.versionedBucket = values['versioned-bucket'];
  }
  const config = context.config;
  const summary = await cleanupJob(request, {
    config,
    // Deletions are retried by cleanup's batch loop alone: their client tries once.
    store: new S3ObjectStore(s3, new S3Client(singleAttempt(s3ClientConfig(context.target)))),
    now: () => new Date(),
    stateBucket: stateBucket ?? '',
    configMapRetentionDays: () => configMapRetentionDays(context, config),
    // The run id first, on stderr (a terminal or not), so a long --apply can be followed and resumed by it.
    onStart: (policy) =>
      console.error(
        `cleanup run ${policy.runId}: ${policy.dryRun ? 'dry run' : 'DELETING'} in s3://${policy.bucket}/${policy.prefix}, objects older than ${policy.cutoff.toISOString()} (${policy.retentionDays} days)`,
      ),
  });
  return {
    output: context.structured ? json(summary) : formatCleanupSummary(summary),
    exit: summary.failed > 0 ? 1 : 0,
  };
}

async function lifecycle(context: CommandContext): Promise<CommandResult> {
  const { values } = context;
  const s3 = new S3Client(s3ClientConfig(context.target));
  const request: Record<string, unknown> = {
    prefix: values.prefix ?? '',
    protectedPrefixes: values.protect ?? [],
  };
  const retentionDays = integer(context, 'retention-days');
  if (retentionDays !== undefined) request.retentionDays = retentionDays;
  if (values.bucket) request.bucket = values.bucket;
  const config = context.config;
  const { bucket, rules } = await lifecyclePlan(request, {
    config,
    store: new S3ObjectStore(s3),
    now: () => new Date(),
    configMapRetentionDays: () => configMapRetentionDays(context, config),
  });
  // The rules are S3's own document: JSON for text too, ready for put-bucket-lifecycle-configuration.
  if (!values.apply) return { output: json({ Rules: rules }) };
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
  return {
    output: context.structured
      ? json({ bucket, applied: rules, Rules: merged })
      : `applied ${rules.length} retention rule(s) to s3://${bucket} (${merged.length} rule(s) in all)`,
  };
}

export function run(context: CommandContext): Promise<CommandResult> {
  return context.name === 'cleanup lifecycle' ? lifecycle(context) : cleanup(context);
}
