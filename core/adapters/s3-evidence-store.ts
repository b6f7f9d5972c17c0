import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { EvidenceStore } from '../evidence.ts';

/** Evidence in a bucket with Object Lock: every object in compliance mode until its retention date. */
export class S3EvidenceStore implements EvidenceStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async put(key: string, body: string, contentType: string, retainUntil: Date): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: contentType,
        ObjectLockMode: 'COMPLIANCE',
        ObjectLockRetainUntilDate: retainUntil,
        // Object Lock needs an integrity checksum on every write.
        ChecksumAlgorithm: 'SHA256',
      }),
    );
  }

  location(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }
}
