import type { KeyError, ObjectStore, StoredObject } from '../../core/object-store.ts';
import { isRetryableS3Code, isRetryableS3Error } from '../../core/object-store.ts';
import { pause, type RetryOptions } from '../../core/retry.ts';

export interface BatchOutcome {
  /** Keys S3 confirmed deleted. */
  deletedKeys: string[];
  deleted: number;
  bytes: number;
  /** Keys given up on: a permanent per-key error, or still failing after every retry. */
  failed: KeyError[];
}

/**
 * One DeleteObjects batch to completion: throttling (503 SlowDown) and other retryable request
 * failures are retried with jittered backoff, and so are the keys a 200 answer reports as not
 * deleted with a retryable code. Throws only when the request itself keeps failing.
 *
 * This loop is the one layer that retries deletions (`retry.attempts` requests per batch at most):
 * the store's DeleteObjects client makes a single attempt per call (core/aws.ts `singleAttempt`),
 * so the SDK's own retries do not multiply these.
 */
export async function deleteWithRetry(
  store: ObjectStore,
  bucket: string,
  objects: readonly StoredObject[],
  retry: RetryOptions,
): Promise<BatchOutcome> {
  const sizes = new Map(objects.map((o) => [o.key, o.size]));
  let remaining = objects.map((o) => o.key);
  const deletedKeys: string[] = [];
  const failed: KeyError[] = [];
  for (let attempt = 0; remaining.length > 0; attempt += 1) {
    const last = attempt + 1 >= retry.attempts;
    let answer;
    try {
      answer = await store.deleteBatch(bucket, remaining);
    } catch (error) {
      if (last || !isRetryableS3Error(error)) throw error;
      await pause(attempt, retry);
      continue;
    }
    const answered = new Set<string>();
    for (const key of answer.deleted) {
      if (sizes.has(key) && !answered.has(key)) deletedKeys.push(key);
      answered.add(key);
    }
    const again: string[] = [];
    for (const error of answer.errors) {
      answered.add(error.key);
      if (isRetryableS3Code(error.code) && !last) again.push(error.key);
      else failed.push(error);
    }
    // A key S3 did not mention at all is retried too: silence is not a deletion.
    for (const key of remaining) {
      if (answered.has(key)) continue;
      if (last) failed.push({ key, code: 'NoAnswer', message: 'DeleteObjects did not report this key' });
      else again.push(key);
    }
    remaining = again;
    if (remaining.length > 0) await pause(attempt, retry);
  }
  const bytes = deletedKeys.reduce((sum, key) => sum + (sizes.get(key) ?? 0), 0);
  return { deletedKeys, deleted: deletedKeys.length, bytes, failed };
}
