import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';

/**
 * Writes a backup the way the service's backup Job does: objects under `<folder>/`, a
 * `metadata.json` declaring them, then `latest.txt` naming the folder. Used to seed the local
 * stack, by tests (which then break it on purpose) and by the backup benchmark.
 */
export interface BackupFixtureOptions {
  readonly bucket: string;
  readonly folder: string;
  readonly objects: number;
  /** When the backup finished; it started ten minutes earlier. */
  readonly completedAt: Date;
  /** Bytes of each object (default 64..575 varying). */
  readonly sizeOf?: (index: number) => number;
  /** Upload with an S3 SHA-256 checksum (x-amz-checksum-sha256) as well. */
  readonly s3Checksums?: boolean;
  /** Record each object's digest in metadata.json (default true). */
  readonly metadataDigests?: boolean;
  readonly concurrency?: number;
  readonly writePointer?: boolean;
}

export function fixtureObjectBody(folder: string, index: number, size: number): Buffer {
  const seed = `${folder}/${index}:`;
  return Buffer.from(seed.repeat(Math.ceil(size / seed.length)).slice(0, size));
}

export function fixtureObjectKey(index: number): string {
  return `artifacts/shard-${String(index % 100).padStart(2, '0')}/object-${String(index).padStart(6, '0')}.bin`;
}

export async function writeBackupFixture(s3: S3Client, options: BackupFixtureOptions) {
  const sizeOf = options.sizeOf ?? ((i: number) => 64 + ((i * 37) % 512));
  const entries: { key: string; size: number; sha256?: string }[] = new Array(options.objects);
  let next = 0;
  const worker = async () => {
    while (next < options.objects) {
      const index = next++;
      const key = fixtureObjectKey(index);
      const body = fixtureObjectBody(options.folder, index, sizeOf(index));
      const digest = createHash('sha256').update(body).digest();
      await s3.send(
        new PutObjectCommand({
          Bucket: options.bucket,
          Key: `${options.folder}/${key}`,
          Body: body,
          ...(options.s3Checksums
            ? { ChecksumAlgorithm: 'SHA256' as const, ChecksumSHA256: digest.toString('base64') }
            : {}),
        }),
      );
      entries[index] = {
        key,
        size: body.length,
        ...(options.metadataDigests === false ? {} : { sha256: digest.toString('hex') }),
      };
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 16 }, worker));
  const metadata = {
    backupId: options.folder,
    createdAt: new Date(options.completedAt.getTime() - 10 * 60_000).toISOString(),
    completedAt: options.completedAt.toISOString(),
    objectCount: entries.length,
    totalBytes: entries.reduce((sum, e) => sum + e.size, 0),
    objects: entries,
  };
  await s3.send(
    new PutObjectCommand({
      Bucket: options.bucket,
      Key: `${options.folder}/metadata.json`,
      Body: JSON.stringify(metadata),
      ContentType: 'application/json',
    }),
  );
  if (options.writePointer !== false) {
    await s3.send(
      new PutObjectCommand({ Bucket: options.bucket, Key: 'latest.txt', Body: `${options.folder}\n` }),
    );
  }
  return metadata;
}
