import { CoreV1Api } from '@kubernetes/client-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, inject, it } from 'vitest';
import { parseConfig } from '../../core/config.ts';
import { Sha256 } from '../../core/adapters/eks.ts';
import { KubernetesClient } from '../../core/adapters/kubernetes-client.ts';
import {
  ampTransport,
  prometheusFromConfig,
  serviceProxyTransport,
} from '../../core/adapters/prometheus-access.ts';
import { PrometheusHttp } from '../../core/adapters/prometheus-http.ts';
import { PrometheusUnreachable } from '../../core/prometheus.ts';
import { clusterInScenario } from '../support/cluster.ts';
import { httpReceiver } from '../support/http-receiver.ts';

const endpoints = inject('endpoints');
const credentials = async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret/example' });

describe('Prometheus from outside the cluster', () => {
  it('answers queries and alerts through the API server’s service proxy as the read-only identity', async () => {
    const cluster = await clusterInScenario('healthy');
    const kube = new KubernetesClient(cluster.client('readonly'));
    const prometheus = prometheusFromConfig(parseConfig({}).prometheus, {
      kube: async () => kube,
      region: endpoints.region,
      credentials,
    });
    expect(prometheus.source).toBe('Prometheus via the service proxy (mcp-system/prometheus-mcp:9090)');
    // The same series the local Prometheus holds (it scrapes the simulated service).
    const up = await prometheus.query('up{job="mcp-semantic"}');
    expect(up.length).toBeGreaterThan(0);
    expect(up[0]!.labels.namespace).toBe('mcp-system');
    expect(Array.isArray(await prometheus.alerts())).toBe(true);
  });

  it('is unreachable, not wrong, when the Service has no endpoint; refused by RBAC for any other Service or port', async () => {
    const cluster = await clusterInScenario('healthy');
    const readonly = new KubernetesClient(cluster.client('readonly'));
    const admin = new KubernetesClient(cluster.client('admin'));
    // The admin may proxy anywhere: a Service that does not exist, or has no endpoint, is
    // Prometheus unreachable (the reports then fall back to the pods' own /metrics).
    const core = cluster.client('admin').makeApiClient(CoreV1Api);
    await core
      .createNamespacedService({
        namespace: 'mcp-system',
        body: { metadata: { name: 'prometheus-empty' }, spec: { ports: [{ port: 9090 }] } },
      })
      .catch((error: { code?: number }) => {
        if (error.code !== 409) throw error;
      });
    for (const [name, reason] of [
      ['nowhere', /services "nowhere" not found/],
      // With no controller manager here it has no Endpoints object at all (answered as not found).
      ['prometheus-empty', /prometheus-empty.*(not found|no endpoints available)/],
    ] as const) {
      const unreachable = new PrometheusHttp(
        serviceProxyTransport(async () => admin, { namespace: 'mcp-system', name, port: 9090 }),
      );
      const error = await unreachable.query('up').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PrometheusUnreachable);
      expect(String(error)).toMatch(reason);
    }
    // The checks' identity may proxy to that one Service and port only.
    for (const service of [
      { namespace: 'mcp-system', name: 'prometheus-mcp', port: 'web' },
      { namespace: 'kube-system', name: 'metrics-server', port: 443 },
    ]) {
      const denied = new PrometheusHttp(serviceProxyTransport(async () => readonly, service));
      await expect(denied.query('up')).rejects.toThrow(/answered HTTP 403/);
    }
  });

  it('signs Amazon Managed Prometheus queries with SigV4 for the aps service', async () => {
    const receiver = await httpReceiver(() => ({
      body: { status: 'success', data: { resultType: 'vector', result: [] } },
    }));
    try {
      const prometheus = new PrometheusHttp(
        ampTransport({ workspaceId: 'ws-1234', region: 'eu-west-1', credentials, endpoint: receiver.url }),
      );
      expect(await prometheus.query('sum(rate(validation_total[5m]))')).toEqual([]);
      const request = receiver.requests[0]!;
      expect(request.path).toBe(
        `/workspaces/ws-1234/api/v1/query?query=${encodeURIComponent('sum(rate(validation_total[5m]))')}`,
      );
      const authorization = String(request.headers.authorization);
      expect(authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/aps\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
      );
      // Signing the received request again with the same key and time gives the same signature.
      const url = new URL(request.path, receiver.url);
      const again = await new SignatureV4({
        service: 'aps',
        region: 'eu-west-1',
        credentials,
        sha256: Sha256,
      }).sign(
        {
          method: 'GET',
          protocol: 'http:',
          hostname: url.hostname,
          port: Number(url.port),
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          headers: { host: url.host },
        },
        { signingDate: parseAmzDate(String(request.headers['x-amz-date'])) },
      );
      expect(again.headers.authorization).toBe(authorization);
    } finally {
      await receiver.close();
    }
  });

  it('refuses `amp` without a workspace, with the key named', () => {
    expect(() => parseConfig({ prometheus: { access: 'amp' } })).toThrow(/ampWorkspaceId/);
  });
});

function parseAmzDate(value: string): Date {
  const m = value.match(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/)!;
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}
