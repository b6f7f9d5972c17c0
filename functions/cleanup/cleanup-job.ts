import type { OpsConfig } from '../../core/config.ts';
import type { ObjectStore } from '../../core/object-store.ts';
import {
  readListed,
  requestMarkerKey,
  RunJournal,
  type Checkpoint,
  type RunRequestRecord,
} from './run-journal.ts';
import {
  CleanupRequestError,
  decidePolicy,
  parseCleanupRequest,
  resumedPolicy,
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
  /**
   * The invocation's own request id (Lambda's, which a retried asynchronous invoke keeps): the
   * idempotency key of a request that names none.
   */
  readonly requestId?: string;
  /** Told the run's id and policy before it lists or deletes anything (a terminal prints it first). */
  readonly onStart?: (policy: RetentionPolicy) => void;
}

/**
 * Parses a request, decides the policy (on resume: reloads it and holds it to today's rules), and
 * runs the cleanup. A real run's request is recorded (cleanup/<run>/request.json, and a marker
 * under its idempotency key) before anything is deleted, so a retried invocation continues that
 * run, or answers its summary, instead of starting another: one request deletes at most its
 * maxDeletes.
 */
export async function cleanupJob(
  input: unknown,
  deps: CleanupJobDeps,
  options: Partial<CleanupOptions> = {},
): Promise<CleanupSummary> {
  const request = parseCleanupRequest(input);
  const ports = { store: deps.store, now: deps.now, stateBucket: deps.stateBucket };
  const run = (policy: RetentionPolicy) => {
    deps.onStart?.(policy);
    return runRetentionCleanup(ports, policy, { ...DEFAULT_CLEANUP_OPTIONS, ...options });
  };

  if (request.resumeRunId) {
    const journal = new RunJournal(deps.store, deps.stateBucket, request.resumeRunId);
    const checkpoint = await journal.loadCheckpoint();
    if (!checkpoint) {
      throw new CleanupRequestError(
        `resumeRunId: no run ${request.resumeRunId} in s3://${deps.stateBucket}/cleanup/`,
      );
    }
    return run(
      await policyToResume(journal, request.resumeRunId, checkpoint, deps, request.protectedPrefixes),
    );
  }

  const key = request.idempotencyKey ?? deps.requestId;
  const markerKey = !request.dryRun && key ? requestMarkerKey(key) : undefined;
  if (markerKey) {
    const text = await readListed(deps.store, deps.stateBucket, markerKey);
    if (text !== undefined) return continueRequest((JSON.parse(text) as { runId: string }).runId, deps, run);
  }
  const configMapRetentionDays =
    request.retentionDays === undefined ? await deps.configMapRetentionDays() : undefined;
  const now = deps.now();
  const policy = decidePolicy(request, deps.config, {
    now,
    stateBucket: deps.stateBucket,
    ...(configMapRetentionDays === undefined ? {} : { configMapRetentionDays }),
  });
  if (!policy.dryRun) {
    await new RunJournal(deps.store, deps.stateBucket, policy.runId).saveRequest({
      runId: policy.runId,
      requestedAt: now.toISOString(),
      ...(key ? { idempotencyKey: key } : {}),
      policy: storedPolicy(policy),
    });
    if (markerKey) {
      const marker = JSON.stringify({ runId: policy.runId, requestedAt: now.toISOString() });
      await deps.store.putText(deps.stateBucket, markerKey, marker, 'application/json');
    }
  }
  return run(policy);
}

function storedPolicy(policy: RetentionPolicy): Checkpoint['policy'] {
  const { runId: _runId, cutoff, ...rest } = policy;
  return { ...rest, cutoff: cutoff.toISOString() };
}

/** A request seen before: its run's summary when finished, else the run continued where it stands. */
async function continueRequest(
  runId: string,
  deps: CleanupJobDeps,
  run: (policy: RetentionPolicy) => Promise<CleanupSummary>,
): Promise<CleanupSummary> {
  const journal = new RunJournal(deps.store, deps.stateBucket, runId);
  const checkpoint = await journal.loadCheckpoint();
  if (checkpoint?.status === 'completed') {
    const summary = await journal.loadSummary<CleanupSummary>();
    if (summary) return summary;
  }
  return run(await policyToResume(journal, runId, checkpoint, deps, []));
}

/** Fields of a run's policy that no invocation after the first may change. */
const FIXED = ['bucket', 'prefix', 'retentionDays', 'cutoff', 'maxDeletes', 'versionedBucket'] as const;

/**
 * The stored policy of a run (its checkpoint's, or its request record's when it died before its
 * first checkpoint), held to the request record (fixed fields unchanged, no protected prefix
 * dropped) and to today's rules (resumedPolicy).
 */
async function policyToResume(
  journal: RunJournal,
  runId: string,
  checkpoint: Checkpoint | undefined,
  deps: CleanupJobDeps,
  protectedPrefixes: readonly string[],
): Promise<RetentionPolicy> {
  const record: RunRequestRecord | undefined = await journal.loadRequest();
  if (checkpoint && checkpoint.runId !== runId) {
    throw new CleanupRequestError(
      `run ${runId} cannot be resumed: checkpoint.runId: names another run (${String(checkpoint.runId)})`,
    );
  }
  const stored = checkpoint?.policy ?? record?.policy;
  if (!stored) {
    throw new CleanupRequestError(
      `run ${runId} cannot be resumed: it has neither a checkpoint nor a request record`,
    );
  }
  if (checkpoint && record) {
    const changed = FIXED.find((field) => checkpoint.policy[field] !== record.policy[field]);
    if (changed) {
      throw new CleanupRequestError(
        `run ${runId} cannot be resumed: checkpoint.policy.${changed}: ${JSON.stringify(checkpoint.policy[changed])} ` +
          `differs from the run's request (${JSON.stringify(record.policy[changed])} in ${journal.base}request.json)`,
      );
    }
    const dropped = record.policy.protectedPrefixes.filter(
      (p) => !checkpoint.policy.protectedPrefixes.includes(p),
    );
    if (dropped.length > 0) {
      throw new CleanupRequestError(
        `run ${runId} cannot be resumed: checkpoint.policy.protectedPrefixes: drops ${dropped.join(', ')} ` +
          `that the run's request protected`,
      );
    }
  }
  return resumedPolicy(runId, stored, deps.config, {
    now: deps.now(),
    stateBucket: deps.stateBucket,
    protectedPrefixes: [...protectedPrefixes, ...(record?.policy.protectedPrefixes ?? [])],
    source: checkpoint ? 'checkpoint.policy' : 'request.policy',
  });
}
