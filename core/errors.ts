// One vocabulary for what goes wrong at the edges. Every refusal of a request (bad input, a
// configuration that cannot be, a command line that asks the impossible) is a `RequestRefused`;
// every failure of something we depend on (an endpoint unreachable, an error status) is a
// `DependencyFailed` that says whether trying again can help. Handlers answer a refusal without a
// retry; the command line maps both to its exit codes in one place (bin/cli-run.ts).

export type ErrorKind = 'refused' | 'dependency';

export abstract class OpsError extends Error {
  abstract readonly kind: ErrorKind;
  /** Whether the same call, made again later, may succeed. */
  abstract readonly retryable: boolean;
  /** The command line's exit status: 2 refused (usage, configuration), 3 could not run. */
  abstract readonly exitCode: 2 | 3;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The request itself is wrong: trying again unchanged gives the same answer. */
export class RequestRefused extends OpsError {
  readonly kind = 'refused';
  readonly retryable = false;
  readonly exitCode = 2;
}

/** Something we depend on failed; `retryable` says whether a later try may succeed. */
export class DependencyFailed extends OpsError {
  readonly kind = 'dependency';
  readonly exitCode = 3;
  readonly retryable: boolean;
  constructor(message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options);
    this.retryable = options?.retryable ?? true;
  }
}

/**
 * The event a function was invoked with is wrong (an unknown report, a bad cleanup request): the
 * handler answers `{ error }` and nothing retries it. A `ConfigError` or `EnvironmentError` is a
 * refusal too, but it fails the invocation: the deployment itself is wrong, and that must alarm.
 */
export class InvalidRequest extends RequestRefused {}

export const isRefusal = (error: unknown): error is RequestRefused => error instanceof RequestRefused;

/** 5xx, 429 and 408 may pass; other statuses will not by themselves. */
export const retryableStatus = (status: number): boolean => status >= 500 || status === 429 || status === 408;
