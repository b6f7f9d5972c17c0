import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryOptions {
  /** Tries in all, the first included. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly sleep?: (ms: number) => Promise<unknown>;
  readonly random?: () => number;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 8, baseDelayMs: 100, maxDelayMs: 5_000 };

/** "Full jitter" backoff: a random wait up to base * 2^attempt, capped. */
export function backoffDelay(
  attempt: number,
  options: RetryOptions,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

export async function pause(attempt: number, options: RetryOptions): Promise<void> {
  await (options.sleep ?? sleep)(backoffDelay(attempt, options, options.random));
}

/** Retries `call` while `isRetryable` says so, with jittered backoff; the last error is thrown. */
export async function withRetry<T>(
  call: (attempt: number) => Promise<T>,
  isRetryable: (error: unknown) => boolean,
  options: RetryOptions = DEFAULT_RETRY,
): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await call(attempt);
    } catch (error) {
      if (attempt + 1 >= options.attempts || !isRetryable(error)) throw error;
      await pause(attempt, options);
    }
  }
}
