import { DescribeImageScanFindingsCommand, type ECRClient } from '@aws-sdk/client-ecr';
import type { ImageScan, ImageScanPort } from '../image-scans.ts';

const ECR_IMAGE =
  /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)(?::([^@]+))?(?:@(sha256:[0-9a-f]{64}))?$/;

export function parseEcrImage(image: string) {
  const m = image.match(ECR_IMAGE);
  if (!m) return undefined;
  return {
    registryId: m[1]!,
    region: m[2]!,
    repository: m[3]!,
    ...(m[4] ? { tag: m[4] } : {}),
    ...(m[5] ? { digest: m[5] } : {}),
  };
}

/** ImageScanPort over ECR's DescribeImageScanFindings (basic or enhanced scanning). */
export class EcrImageScans implements ImageScanPort {
  constructor(private readonly ecr: ECRClient) {}

  async scanOf(image: string): Promise<ImageScan | undefined> {
    const ref = parseEcrImage(image);
    if (!ref) return undefined;
    try {
      const answer = await this.ecr.send(
        new DescribeImageScanFindingsCommand({
          registryId: ref.registryId,
          repositoryName: ref.repository,
          imageId: {
            ...(ref.tag ? { imageTag: ref.tag } : {}),
            ...(ref.digest ? { imageDigest: ref.digest } : {}),
          },
          maxResults: 1,
        }),
      );
      const counts = { ...(answer.imageScanFindings?.findingSeverityCounts ?? {}) } as Record<string, number>;
      const completed = answer.imageScanFindings?.imageScanCompletedAt;
      return { image, counts, ...(completed ? { completedAt: completed.toISOString() } : {}) };
    } catch (error) {
      const name = (error as Error).name;
      if (
        name === 'ScanNotFoundException' ||
        name === 'ImageNotFoundException' ||
        name === 'RepositoryNotFoundException'
      )
        return undefined;
      throw error;
    }
  }
}
