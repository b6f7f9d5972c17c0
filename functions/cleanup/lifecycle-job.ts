/**
 * `mcp-ops cleanup lifecycle`: the S3 Lifecycle rules equivalent to a retention cleanup, decided by
 * the same policy (decidePolicy: never the backup bucket, never below the floor, the configured and
 * requested protected prefixes) and listed through the same port.
 */
import type { LifecycleRule } from '@aws-sdk/client-s3';
import type { OpsConfig } from '../../core/config.ts';
import type { ObjectStore } from '../../core/object-store.ts';
import { retentionLifecycleRules } from './lifecycle-rule.ts';
import { decidePolicy, parseCleanupRequest, type RetentionPolicy } from './retention-policy.ts';

export interface LifecyclePlan {
  readonly bucket: string;
  readonly retentionDays: number;
  readonly retentionSource: RetentionPolicy['retentionSource'];
  readonly rules: LifecycleRule[];
}

export async function lifecyclePlan(
  request: unknown,
  deps: {
    config: OpsConfig;
    store: ObjectStore;
    now: () => Date;
    configMapRetentionDays: () => Promise<number | undefined>;
  },
): Promise<LifecyclePlan> {
  const parsed = parseCleanupRequest(request);
  const policy = decidePolicy(parsed, deps.config, {
    now: deps.now(),
    stateBucket: '',
    ...(parsed.retentionDays === undefined
      ? { configMapRetentionDays: await deps.configMapRetentionDays() }
      : {}),
  });
  const prefixes: string[] = [];
  let token: string | undefined;
  do {
    const page = await deps.store.listPage({
      bucket: policy.bucket,
      prefix: policy.prefix,
      delimiter: '/',
      continuationToken: token,
    });
    prefixes.push(...page.prefixes);
    token = page.nextToken;
  } while (token);
  return {
    bucket: policy.bucket,
    retentionDays: policy.retentionDays,
    retentionSource: policy.retentionSource,
    rules: retentionLifecycleRules({
      retentionDays: policy.retentionDays,
      topLevelPrefixes: prefixes,
      protectedPrefixes: policy.protectedPrefixes,
      noncurrentDays: policy.retentionDays,
    }),
  };
}
