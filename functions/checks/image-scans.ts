/** The image-scan port of the security check; its ECR adapter is in aws/ecr-image-scans.ts. */
export interface ImageScan {
  readonly image: string;
  /** Findings by severity (CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL, UNDEFINED). */
  readonly counts: Record<string, number>;
  readonly completedAt?: string;
}

/** Vulnerability findings of images, where a registry scans them (Amazon ECR). */
export interface ImageScanPort {
  /** Undefined when the image is not in a registry this port knows, or was never scanned. */
  scanOf(image: string): Promise<ImageScan | undefined>;
}
