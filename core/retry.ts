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
