// One incident's diagnosis follow-up in its own process, as the diagnose function runs it: an alert
// opens an incident (DynamoDB on moto, the page to the primary's topic), then the follow-up reads
// the cluster and Prometheus, archives the diagnosis, sends it and records it. Prints the time from
// the incident's opening to the follow-up delivered and the process's peak resident memory.
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { KubeConfig } from '@kubernetes/client-node';
import { KubernetesClient } from '../core/adapters/kubernetes-client.ts';
import { PrometheusHttp } from '../core/adapters/prometheus-http.ts';
import { s3ClientConfig } from '../core/aws.ts';
import { parseConfig } from '../core/config.ts';
import { followUpIncident } from '../functions/diagnosis/follow-up.ts';
import { intakeMessage } from '../functions/escalation/intake.ts';
import { resolveIncident } from '../functions/escalation/actions.ts';
import { escalationPorts, settingsFromEnv } from '../core/incidents/wiring.ts';
import { readEndpoints } from '../stack/endpoints.ts';
import { amMessage, localEscalationEnv } from '../test/support/escalation-harness.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const endpoints = readEndpoints();
const target = { region: endpoints.region, endpoint: endpoints.aws.endpoint };
const ports = escalationPorts(
  target,
  settingsFromEnv(localEscalationEnv(endpoints, 'https://respond.example/')),
);
const deps = await ports.deps(() => new Date());
const kc = new KubeConfig();
kc.loadFromFile(endpoints.kubernetes!.kubeconfigReadonly);
const s3 = new S3Client(s3ClientConfig(target));
const name = `BenchCrashLoop${Date.now()}`;
const message = amMessage(name, {
  severity: 'critical',
  runbook: 'runbook-3-pod-crash-loop',
  summary: 'pods crash-looping (benchmark)',
  startsAt: new Date(),
});
const opened = performance.now();
const [outcome] = await intakeMessage(deps, { messageId: `bench-${name}`, message });
const paged = performance.now();
const id = outcome!.incidentId!;
const followUp = await followUpIncident(
  {
    diagnosis: {
      config: parseConfig({}),
      kube: new KubernetesClient(kc),
      prometheus: new PrometheusHttp(endpoints.prometheus),
      now: () => new Date(),
      partTimeoutMs: 120_000,
    },
    store: deps.store,
    pager: deps.pager,
    tiers: deps.tiers,
    policy: deps.policy,
    ...(deps.chat ? { chat: deps.chat } : {}),
    async archive(incidentId, text, json) {
      const key = `reports/diagnosis/${incidentId}`;
      await s3.send(
        new PutObjectCommand({ Bucket: endpoints.buckets.reports, Key: `${key}.json`, Body: json }),
      );
      await s3.send(
        new PutObjectCommand({ Bucket: endpoints.buckets.reports, Key: `${key}.txt`, Body: text }),
      );
      return `s3://${endpoints.buckets.reports}/${key}.txt`;
    },
  },
  id,
);
const delivered = performance.now();
await resolveIncident(deps, id, 'benchmark');
if (!followUp.sent) throw new Error(`no follow-up: ${followUp.reason}`);
console.log(
  JSON.stringify({
    page_ms: paged - opened,
    ms: delivered - opened,
    diagnosis_ms: followUp.diagnosis.durationMs,
    peak_mb: process.resourceUsage().maxRSS / 1024,
    headline: followUp.diagnosis.headline,
    failed_parts: followUp.diagnosis.failedParts,
    parts: followUp.diagnosis.parts.map((p) => ({ id: p.id, status: p.status, summary: p.summary })),
  }),
);
