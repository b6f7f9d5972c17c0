import type { OpsConfig } from '../../core/config.ts';
import type { ObjectStore } from '../../core/object-store.ts';
import { RunJournal } from './run-journal.ts';
import {
  CleanupRequestError,
  decidePolicy,
  parseCleanupRequest,
  type RetentionPolicy,
} from './retention-policy.ts';
import {
  DEFAULT_CLEANUP_OPTIONS,
  runRetentionCleanup,
  type CleanupOptions,
  type CleanupSummary,
} from './retention-cleanup.ts';

export interface CleanupJobDeps {
  readonly config: OpsConfig;
  readonly store: ObjectStore;
  readonly now: () => Date;
  readonly stateBucket: string;
  /** The `artifact.retention.days` key of the service's ConfigMap, when it can be read. */
  readonly configMapRetentionDays: () => Promise<number | undefined>;
}

/** Parses a request, decides (or, on resume, reloads) the policy, and runs the cleanup. */
export async function cleanupJob(
  input: unknown,
  deps: CleanupJobDeps,
  options: Partial<CleanupOptions> = {},
): Promise<CleanupSummary> {
  const request = parseCleanupRequest(input);
  let policy: RetentionPolicy;
  if (request.resumeRunId) {
    const checkpoint = await new RunJournal(
      deps.store,
      deps.stateBucket,
      request.resumeRunId,
    ).loadCheckpoint();
    if (!checkpoint) {
      throw new CleanupRequestError(
        `resumeRunId: no run ${request.resumeRunId} in s3://${deps.stateBucket}/cleanup/`,
      );
    }
    // The resumed run keeps its first invocation's cutoff and limits: nothing is recomputed.
    policy = { ...checkpoint.policy, runId: checkpoint.runId, cutoff: new Date(checkpoint.policy.cutoff) };
  } else {
    const configMapRetentionDays =
      request.retentionDays === undefined ? await deps.configMapRetentionDays() : undefined;
    policy = decidePolicy(request, deps.config, {
      now: deps.now(),
      stateBucket: deps.stateBucket,
      ...(configMapRetentionDays === undefined ? {} : { configMapRetentionDays }),
    });
  }
  return runRetentionCleanup({ store: deps.store, now: deps.now, stateBucket: deps.stateBucket }, policy, {
    ...DEFAULT_CLEANUP_OPTIONS,
    ...options,
  });
}
