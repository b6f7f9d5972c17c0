// How a function outside the cluster reaches Prometheus (config `prometheus.access`): through the
// API server's service proxy (default), Amazon Managed Service for Prometheus, or a direct URL.
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { OpsConfig } from '../config.ts';
import { Sha256 } from './eks.ts';
import type { KubernetesPort } from '../kubernetes.ts';
import { PrometheusUnreachable, type PrometheusTransport } from '../prometheus.ts';
import { directTransport, fetchPrometheus, PrometheusHttp } from './prometheus-http.ts';

/**
 * `/api/v1/namespaces/<ns>/services/<name>:<port>/proxy/...` with the checks' own cluster access.
 * The API server answers 502/503 when the service has no ready endpoint or the dial fails: that is
 * Prometheus unreachable, as is an API server that does not answer at all.
 */
export function serviceProxyTransport(
  kube: () => Promise<Pick<KubernetesPort, 'serviceProxyGet'>>,
  service: OpsConfig['prometheus']['service'],
): PrometheusTransport {
  const describe = `Prometheus via the service proxy (${service.namespace}/${service.name}:${service.port})`;
  return {
    describe,
    async get(pathAndQuery) {
      let answer: { status: number; body: string };
      try {
        answer = await (
          await kube()
        ).serviceProxyGet(service.namespace, service.name, service.port, pathAndQuery);
      } catch (error) {
        throw new PrometheusUnreachable(`${describe} unreachable: ${(error as Error).message}`);
      }
      // The API server's own refusal (no such Service, no ready endpoint) is a Status object.
      if (answer.status === 404 || answer.status === 503) {
        const status = apiServerStatus(answer.body);
        if (status) throw new PrometheusUnreachable(`${describe} unreachable: ${status}`);
      }
      return answer;
    },
  };
}

function apiServerStatus(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { kind?: string; message?: string };
    return parsed.kind === 'Status' ? (parsed.message ?? 'refused') : undefined;
  } catch {
    return undefined;
  }
}

/** Amazon Managed Service for Prometheus: the workspace's query API, SigV4-signed for `aps`. */
export function ampTransport(options: {
  workspaceId: string;
  region: string;
  credentials: AwsCredentialIdentityProvider;
  /** The workspaces endpoint; AWS's regional one unless given (tests). */
  endpoint?: string;
  timeoutMs?: number;
}): PrometheusTransport {
  const endpoint = new URL(options.endpoint ?? `https://aps-workspaces.${options.region}.amazonaws.com`);
  const signer = new SignatureV4({
    service: 'aps',
    region: options.region,
    credentials: options.credentials,
    sha256: Sha256,
  });
  const describe = `Amazon Managed Prometheus workspace ${options.workspaceId}`;
  return {
    describe,
    async get(pathAndQuery) {
      const url = new URL(`/workspaces/${options.workspaceId}${pathAndQuery}`, endpoint);
      const query: Record<string, string> = {};
      for (const [key, value] of url.searchParams) query[key] = value;
      const signed = await signer.sign({
        method: 'GET',
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: url.pathname,
        query,
        headers: { host: url.host },
      });
      return fetchPrometheus(url, describe, {
        headers: signed.headers,
        timeoutMs: options.timeoutMs ?? 10_000,
      });
    },
  };
}

/** The PrometheusPort the config asks for. */
export function prometheusFromConfig(
  prometheus: OpsConfig['prometheus'],
  context: {
    kube: () => Promise<Pick<KubernetesPort, 'serviceProxyGet'>>;
    region: string;
    credentials: AwsCredentialIdentityProvider;
  },
): PrometheusHttp {
  switch (prometheus.access) {
    case 'service-proxy':
      return new PrometheusHttp(serviceProxyTransport(context.kube, prometheus.service));
    case 'amp':
      return new PrometheusHttp(
        ampTransport({
          workspaceId: prometheus.ampWorkspaceId!,
          region: context.region,
          credentials: context.credentials,
        }),
      );
    case 'direct':
      return new PrometheusHttp(directTransport(prometheus.url));
  }
}
