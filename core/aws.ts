import type { S3ClientConfig } from '@aws-sdk/client-s3';

/**
 * Where the AWS SDK clients point. In Lambda this is the function's own region and role; against
 * the local stack it is the moto server on loopback with its dummy credentials.
 */
/** Wraps an AWS SDK client for tracing (core/tracing.ts in Lambda); the identity elsewhere. */
export type Instrument = <T>(client: T) => T;
export const uninstrumented: Instrument = (client) => client;

export interface AwsTarget {
  readonly region: string;
  /** Set only for an emulator such as the local stack's moto server. */
  readonly endpoint?: string;
  /**
   * With an endpoint: the credentials of the environment (the deployed-shape test's role sessions,
   * on a moto that enforces IAM) rather than moto's dummy ones. Set when AWS_ACCESS_KEY_ID is.
   */
  readonly environmentCredentials?: boolean;
}

const EMULATOR_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

export function awsTargetFromEnv(env: NodeJS.ProcessEnv = process.env): AwsTarget {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const endpoint = env.MCP_OPS_AWS_ENDPOINT;
  if (!endpoint) return { region };
  return env.AWS_ACCESS_KEY_ID ? { region, endpoint, environmentCredentials: true } : { region, endpoint };
}

/** Client configuration for any SDK v3 client; bounded retries with the SDK's jittered backoff. */
export function awsClientConfig(target: AwsTarget) {
  return {
    region: target.region,
    maxAttempts: 3,
    ...(target.endpoint
      ? {
          endpoint: target.endpoint,
          ...(target.environmentCredentials ? {} : { credentials: EMULATOR_CREDENTIALS }),
        }
      : {}),
  };
}

/** S3 needs path-style addressing against an emulator on loopback. */
/** An S3 client configuration that makes one attempt per call: for calls retried by our own loop. */
export function singleAttempt(config: S3ClientConfig): S3ClientConfig {
  return { ...config, maxAttempts: 1 };
}

export function s3ClientConfig(target: AwsTarget): S3ClientConfig {
  return { ...awsClientConfig(target), ...(target.endpoint ? { forcePathStyle: true } : {}) };
}
