import { DescribeClusterCommand, type EKSClient } from '@aws-sdk/client-eks';
import { KubeConfig } from '@kubernetes/client-node';
import { KubernetesClient } from './kubernetes-client.ts';
import { SignatureV4 } from '@smithy/signature-v4';
import type {
  AwsCredentialIdentity,
  AwsCredentialIdentityProvider,
  Checksum,
  SourceData,
} from '@smithy/types';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';

/** SHA-256 for the signer from node:crypto (HMAC when given a secret). */
export class Sha256 implements Checksum {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(this.secret));
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

function toBuffer(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/**
 * The bearer token `aws eks get-token` makes: a pre-signed STS GetCallerIdentity URL naming the
 * cluster in the signed `x-k8s-aws-id` header, base64url without padding, prefixed `k8s-aws-v1.`.
 * EKS accepts it for 15 minutes; the URL itself says 60 seconds, as the CLI's does.
 */
export async function eksToken(
  clusterName: string,
  region: string,
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider,
  now = new Date(),
): Promise<string> {
  const signer = new SignatureV4({ service: 'sts', region, credentials, sha256: Sha256 });
  const hostname = `sts.${region}.amazonaws.com`;
  const signed = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: hostname, 'x-k8s-aws-id': clusterName },
    },
    { expiresIn: 60, signingDate: now },
  );
  const query = Object.entries(signed.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  const url = `https://${hostname}/?${query}`;
  return `k8s-aws-v1.${Buffer.from(url).toString('base64url')}`;
}

export interface EksCluster {
  readonly endpoint: string;
  readonly certificateAuthority: string;
}

/** The cluster's API endpoint and CA from DescribeCluster (cached by the caller per container). */
export async function describeEksCluster(eks: EKSClient, name: string): Promise<EksCluster> {
  const { cluster } = await eks.send(new DescribeClusterCommand({ name }));
  if (!cluster?.endpoint || !cluster.certificateAuthority?.data)
    throw new Error(`EKS cluster ${name} has no endpoint or certificate authority yet`);
  return { endpoint: cluster.endpoint, certificateAuthority: cluster.certificateAuthority.data };
}

/** A kubeconfig for the Lambda's own IAM role: no static credentials anywhere. */
export function eksKubeConfig(clusterName: string, cluster: EksCluster, token: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: clusterName,
        server: cluster.endpoint,
        caData: cluster.certificateAuthority,
        skipTLSVerify: false,
      },
    ],
    users: [{ name: 'mcp-ops', token }],
    contexts: [{ name: 'mcp-ops', cluster: clusterName, user: 'mcp-ops' }],
    currentContext: 'mcp-ops',
  });
  return kc;
}

/**
 * Kubeconfigs as the function's own IAM role: DescribeCluster once per container, a fresh token per
 * call (tokens live 15 minutes, a container much longer).
 */
export function eksKubeConfigs(options: {
  eks: EKSClient;
  clusterName: string;
  region: string;
  credentials: AwsCredentialIdentityProvider;
}): () => Promise<KubeConfig> {
  let cluster: Promise<EksCluster> | undefined;
  return async () => {
    cluster ??= describeEksCluster(options.eks, options.clusterName).catch((error: unknown) => {
      cluster = undefined;
      throw error;
    });
    const found = await cluster;
    const token = await eksToken(options.clusterName, options.region, options.credentials);
    return eksKubeConfig(options.clusterName, found, token);
  };
}

/** The read-only KubernetesPort as the function's own IAM role, a fresh token per call. */
export function eksKubernetes(options: {
  eks: EKSClient;
  clusterName: string;
  region: string;
  credentials: AwsCredentialIdentityProvider;
}): () => Promise<KubernetesClient> {
  const configs = eksKubeConfigs(options);
  return async () => new KubernetesClient(await configs());
}
