import { DEFAULT_RETRY, type RetryOptions } from '../../core/retry.ts';

/** How a cleanup run lists and deletes: concurrency, page and batch sizes, retries, when to pause. */
export interface CleanupOptions {
  /** Top-level prefixes listed at once. */
  readonly listConcurrency: number;
  /** DeleteObjects requests in flight at once. */
  readonly deleteConcurrency: number;
  readonly pageSize: number;
  readonly batchSize: number;
  readonly retry: RetryOptions;
  /** Asked between pages and batches: true stops the run cleanly so a fresh invocation resumes it. */
  readonly shouldPause: () => boolean;
}

export const DEFAULT_CLEANUP_OPTIONS: CleanupOptions = {
  listConcurrency: 8,
  deleteConcurrency: 16,
  pageSize: 1000,
  batchSize: 1000,
  retry: DEFAULT_RETRY,
  shouldPause: () => false,
};
