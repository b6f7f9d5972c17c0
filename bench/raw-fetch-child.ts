// The physical limit of the morning report: the same reads (pods paged, events paged, each pod's
// log of the last hour at the report's concurrency, metrics.k8s.io, nodes, jobs, the security
// section's objects, every Prometheus query of the key metrics and the firing alerts) fetched at
// once with bare HTTPS (keep-alive, JSON.parse, nothing rendered or judged). Prints its wall time
// and peak memory, like report-child.ts, so the benchmark can say how close ours comes to it.
import { KubeConfig } from '@kubernetes/client-node';
import { mapBounded } from '../core/bounded.ts';
import { keyMetrics } from '../functions/checks/service-metrics.ts';
import { LOG_CONCURRENCY } from '../functions/checks/sections/errors.ts';
import { readEndpoints } from '../stack/endpoints.ts';
import { rawKube } from '../stack/kube/raw-https.ts';

const NAMESPACE = 'mcp-system';
const endpoints = readEndpoints();
const kc = new KubeConfig();
kc.loadFromFile(endpoints.kubernetes!.kubeconfigReadonly);
const kube = await rawKube(kc);
const get = (path: string) => kube.request('GET', path);

interface Item {
  metadata: { name: string };
  status?: { phase?: string };
  spec?: { containers?: Array<{ name: string }> };
}

async function paged(path: string): Promise<Item[]> {
  const items: Item[] = [];
  let token = '';
  do {
    const page = JSON.parse(
      await get(
        `${path}${path.includes('?') ? '&' : '?'}limit=500${token ? `&continue=${encodeURIComponent(token)}` : ''}`,
      ),
    ) as { items: Item[]; metadata?: { continue?: string } };
    items.push(...page.items);
    token = page.metadata?.continue ?? '';
  } while (token);
  return items;
}

async function prometheus(expr: string): Promise<unknown> {
  const answer = await fetch(`${endpoints.prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`);
  return answer.json();
}

const started = performance.now();
const podsAndLogs = (async () => {
  const pods = await paged(`/api/v1/namespaces/${NAMESPACE}/pods`);
  const targets = pods.filter((p) => p.status?.phase !== 'Pending' && p.spec?.containers?.[0]?.name);
  let bytes = 0;
  await mapBounded(targets, LOG_CONCURRENCY, async (pod) => {
    const log = await get(
      `/api/v1/namespaces/${NAMESPACE}/pods/${pod.metadata.name}/log?container=${pod.spec!.containers![0]!.name}&sinceSeconds=3600`,
    ).catch(() => '');
    bytes += log.length;
  });
  return { pods: pods.length, logBytes: bytes };
})();
const [listed, events] = await Promise.all([
  podsAndLogs,
  paged(`/api/v1/namespaces/${NAMESPACE}/events`),
  get(`/apis/metrics.k8s.io/v1beta1/namespaces/${NAMESPACE}/pods`),
  get('/api/v1/nodes'),
  get(`/apis/batch/v1/namespaces/${NAMESPACE}/jobs`),
  get(`/apis/networking.k8s.io/v1/namespaces/${NAMESPACE}/networkpolicies`),
  get('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings'),
  get(`/apis/rbac.authorization.k8s.io/v1/namespaces/${NAMESPACE}/rolebindings`),
  ...keyMetrics().map((m) => prometheus(m.promql)),
  prometheus('ALERTS{alertstate="firing"}'),
]);
const ms = performance.now() - started;
kube.close();
console.log(
  JSON.stringify({
    ms,
    peak_mb: process.resourceUsage().maxRSS / 1024,
    pods: listed.pods,
    events: (events as unknown[]).length,
    log_bytes: listed.logBytes,
  }),
);
