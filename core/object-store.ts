/** The port over S3 that cleanup, backup verification and report archiving use. */

export interface StoredObject {
  readonly key: string;
  readonly size: number;
  readonly lastModified: Date;
}

export interface ListRequest {
  readonly bucket: string;
  readonly prefix: string;
  /** With "/", keys below a sub-folder come back as `prefixes` instead of objects. */
  readonly delimiter?: string;
  readonly startAfter?: string;
  readonly continuationToken?: string;
  readonly pageSize?: number;
}

export interface ObjectPage {
  readonly objects: StoredObject[];
  readonly prefixes: string[];
  readonly nextToken?: string;
}

export interface KeyError {
  readonly key: string;
  readonly code: string;
  readonly message: string;
}

export interface DeleteResult {
  readonly deleted: string[];
  /** Keys that S3 reported as not deleted inside a successful (200) DeleteObjects answer. */
  readonly errors: KeyError[];
}

/** An object read back whole, streamed, with the checksum S3 stored for it (if any). */
export interface ObjectContent {
  readonly body: AsyncIterable<Uint8Array>;
  /** Base64 SHA-256 of the whole object as S3 stored it; absent when uploaded without one or multipart. */
  readonly checksumSha256?: string;
}

export type Versioning = 'Enabled' | 'Suspended' | 'Disabled';

export interface ObjectStore {
  listPage(request: ListRequest): Promise<ObjectPage>;
  /** One DeleteObjects request of at most 1,000 keys; throws when the request itself fails. */
  deleteBatch(bucket: string, keys: readonly string[]): Promise<DeleteResult>;
  getText(bucket: string, key: string): Promise<string | undefined>;
  /** Undefined when the key does not exist. */
  readObject(bucket: string, key: string): Promise<ObjectContent | undefined>;
  putText(bucket: string, key: string, body: string, contentType?: string): Promise<void>;
  versioning(bucket: string): Promise<Versioning>;
}

/** Error names and codes S3 uses for "slow down and try again". */
const RETRYABLE = new Set([
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'RequestTimeout',
  'RequestTimeTooSkewed',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'OperationAborted',
]);

export function isRetryableS3Code(code: string): boolean {
  return RETRYABLE.has(code);
}

/** True for throttling, 5xx answers and dropped connections; false for everything a retry cannot fix. */
export function isRetryableS3Error(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const meta = (error as { $metadata?: { httpStatusCode?: number } }).$metadata;
  const status = meta?.httpStatusCode;
  if (isRetryableS3Code(error.name)) return true;
  if (status !== undefined && (status === 429 || status >= 500)) return true;
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ECONNRESET' || code === 'ETIMEDOUT' || code === 'EPIPE' || error.name === 'TimeoutError';
}
