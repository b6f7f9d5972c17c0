import type middy from '@middy/core';

/**
 * Middy middleware for a handler's refusals: a request it refuses (bad input, `isRefusal`) answers
 * `{ error }` and is logged as a warning; any other error still fails the invocation (and retries).
 */
export function answerRefusals(
  isRefusal: (error: unknown) => error is Error,
  warn: (message: string, extra: object) => void,
  what: string,
): middy.MiddlewareObj {
  return {
    onError: async (request) => {
      if (!isRefusal(request.error)) return;
      warn(`${what} refused`, { reason: request.error.message });
      request.response = { error: request.error.message };
    },
  };
}
