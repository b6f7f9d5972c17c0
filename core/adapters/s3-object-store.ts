import {
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import type {
  DeleteResult,
  ListRequest,
  ObjectContent,
  ObjectPage,
  ObjectStore,
  Versioning,
} from '../object-store.ts';

/**
 * ObjectStore over the AWS SDK v3 S3 client (in Lambda, or the moto server of the local stack).
 * `deletes` sends DeleteObjects: cleanup gives it a client that makes one attempt per call
 * (`singleAttempt`), because its batch loop (functions/cleanup/batch-delete.ts) is the one layer
 * that retries deletions; every other call keeps the SDK's own retries.
 */
export class S3ObjectStore implements ObjectStore {
  constructor(
    private readonly s3: S3Client,
    private readonly deletes: S3Client = s3,
  ) {}

  async listPage(request: ListRequest): Promise<ObjectPage> {
    const page = await this.s3.send(
      new ListObjectsV2Command({
        Bucket: request.bucket,
        Prefix: request.prefix || undefined,
        Delimiter: request.delimiter,
        StartAfter: request.continuationToken ? undefined : request.startAfter,
        ContinuationToken: request.continuationToken,
        MaxKeys: request.pageSize,
      }),
    );
    return {
      objects: (page.Contents ?? []).map((o) => ({
        key: o.Key ?? '',
        size: o.Size ?? 0,
        lastModified: o.LastModified ?? new Date(0),
      })),
      prefixes: (page.CommonPrefixes ?? []).map((p) => p.Prefix ?? '').filter(Boolean),
      ...(page.IsTruncated && page.NextContinuationToken ? { nextToken: page.NextContinuationToken } : {}),
    };
  }

  async deleteBatch(bucket: string, keys: readonly string[]): Promise<DeleteResult> {
    if (keys.length === 0) return { deleted: [], errors: [] };
    if (keys.length > 1000) throw new Error(`DeleteObjects takes at most 1,000 keys, got ${keys.length}`);
    const answer = await this.deletes.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: false },
      }),
    );
    return {
      deleted: (answer.Deleted ?? []).map((d) => d.Key ?? '').filter(Boolean),
      errors: (answer.Errors ?? []).map((e) => ({
        key: e.Key ?? '',
        code: e.Code ?? 'Unknown',
        message: e.Message ?? '',
      })),
    };
  }

  async getText(bucket: string, key: string): Promise<string | undefined> {
    try {
      const answer = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return (await answer.Body?.transformToString('utf8')) ?? '';
    } catch (error) {
      if (error instanceof NoSuchKey || (error as Error).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  async readObject(bucket: string, key: string): Promise<ObjectContent | undefined> {
    try {
      const answer = await this.s3.send(
        new GetObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }),
      );
      const sha = answer.ChecksumSHA256;
      // A composite checksum ("...-N", multipart) is not the digest of the whole object.
      const whole = sha && !sha.includes('-') && answer.ChecksumType !== 'COMPOSITE' ? sha : undefined;
      return {
        body: (answer.Body as Readable | undefined) ?? (async function* () {})(),
        ...(whole ? { checksumSha256: whole } : {}),
      };
    } catch (error) {
      if (error instanceof NoSuchKey || (error as Error).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  async putText(bucket: string, key: string, body: string, contentType = 'application/json'): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }),
    );
  }

  async versioning(bucket: string): Promise<Versioning> {
    const answer = await this.s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
    return answer.Status === 'Enabled' || answer.Status === 'Suspended' ? answer.Status : 'Disabled';
  }
}
