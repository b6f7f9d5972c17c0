import type middy from '@middy/core';
import { InvalidRequest } from './errors.ts';

/**
 * The one refusal middleware of every job's handler: a request it refuses (`InvalidRequest`: bad
 * input) answers `{ error }` and is logged as a warning; any other error still fails the
 * invocation (and Lambda retries it, or its alarm fires).
 */
export function answerRefusals(
  logger: { warn(message: string, extra: Record<string, unknown>): void },
  what: string,
): middy.MiddlewareObj {
  return {
    onError: async (request) => {
      if (!(request.error instanceof InvalidRequest)) return;
      logger.warn(`${what} refused`, { reason: request.error.message });
      request.response = { error: request.error.message };
    },
  };
}
