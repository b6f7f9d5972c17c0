// One morning report in its own process, as the checks function runs it: prints its wall time and
// the process's peak resident memory, so the benchmark measures our process and nothing else.
import { KubeConfig } from '@kubernetes/client-node';
import { S3Client } from '@aws-sdk/client-s3';
import { s3ClientConfig } from '../core/aws.ts';
import { parseConfig } from '../core/config.ts';
import { KubernetesClient } from '../core/adapters/kubernetes-client.ts';
import { PrometheusHttp } from '../core/adapters/prometheus-http.ts';
import { S3ObjectStore } from '../core/adapters/s3-object-store.ts';
import { morningReport } from '../functions/checks/checklists.ts';
import { reportText } from '../functions/checks/render.ts';
import { readEndpoints } from '../stack/endpoints.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const endpoints = readEndpoints();
const kc = new KubeConfig();
kc.loadFromFile(endpoints.kubernetes!.kubeconfigReadonly);
const started = performance.now();
const report = await morningReport(
  {
    config: parseConfig({ buckets: { backup: endpoints.buckets.backup } }),
    kube: new KubernetesClient(kc),
    prometheus: new PrometheusHttp(endpoints.prometheus),
    store: new S3ObjectStore(
      new S3Client(s3ClientConfig({ region: endpoints.region, endpoint: endpoints.aws.endpoint })),
    ),
    now: () => new Date(),
  },
  { sectionTimeoutMs: 300_000 },
);
const text = reportText(report);
const ms = performance.now() - started;
console.log(
  JSON.stringify({
    ms,
    peak_mb: process.resourceUsage().maxRSS / 1024,
    status: report.status,
    bytes: Buffer.byteLength(text),
    sections: report.sections.map((s) => ({
      id: s.id,
      status: s.status,
      ms: s.durationMs,
      summary: s.summary,
      findings: s.findings.slice(0, 3).map((f) => f.text),
    })),
  }),
);
