// npm run demo: the local stack is up (run before this); once metrics-server has the pods' usage
// (a bounded wait), run the morning report against it, the
// way the checks function does at 09:00: deliver it through SES (moto) and the local reports
// bucket, print the e-mail's text, and write its HTML, a Chromium screenshot of it and the archived
// report to out/.
import { mkdirSync, readFileSync } from 'node:fs';
import { reportCommand } from './report-command.ts';
import { configFromNamedOrDefault } from '../core/config-file.ts';
import { renderEmail } from '../stack/chromium.ts';
import { readEndpoints } from '../stack/endpoints.ts';
import { adminClient } from '../stack/kube/cluster.ts';
import { waitForPodMetrics } from '../stack/kube/pod-metrics.ts';
import { currentScenario, seedScenario } from '../stack/kube/scenarios.ts';
import { STACK_DIR } from '../stack/endpoints.ts';
import { join } from 'node:path';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const endpoints = readEndpoints();
mkdirSync('out', { recursive: true });
// The healthy scenario, as a first day sees it: the service without injected faults, the cluster
// healthy, metrics-server's usage in (a bounded wait), and no warning or critical alert still firing
// from earlier tests. Each wait says why when it gives up; the report then shows what is left.
await fetch(`${endpoints.service.control}/reset`, { method: 'POST' });
if (endpoints.kubernetes) {
  const admin = adminClient(endpoints.kubernetes.kubeconfig);
  if ((await currentScenario(admin)) !== 'healthy')
    await seedScenario(admin, 'healthy', join(STACK_DIR, 'kube', 'logs'));
  const wait = await waitForPodMetrics(admin);
  if (wait.ready)
    console.log(`metrics-server reports usage for every pod (waited ${(wait.waitedMs / 1000).toFixed(0)} s)`);
  else
    console.log(
      `gave up waiting for metrics-server after ${(wait.waitedMs / 1000).toFixed(0)} s: ${wait.reason}; the report says "not measured" for CPU and memory`,
    );
}
const firing = async () => {
  const url = `${endpoints.prometheus}/api/v1/query?query=${encodeURIComponent('ALERTS{alertstate="firing",service="mcp-semantic",severity=~"critical|warning"}')}`;
  const answer = (await (await fetch(url)).json()) as {
    data: { result: Array<{ metric: { alertname: string } }> };
  };
  return answer.data.result.map((r) => r.metric.alertname);
};
const alertsDeadline = Date.now() + 150_000;
let still = await firing();
while (still.length > 0 && Date.now() < alertsDeadline) {
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  still = await firing();
}
if (still.length > 0)
  console.log(`still firing after 150 s (the report lists them): ${[...new Set(still)].join(', ')}`);
const { report, output, delivery } = await reportCommand('morning', {
  config: configFromNamedOrDefault(process.env.MCP_OPS_CONFIG_FILE),
  target: { region: endpoints.region, endpoint: endpoints.aws.endpoint },
  endpoints,
  format: 'text',
  send: true,
  outDir: 'out',
});
const view = await renderEmail(readFileSync('out/morning-email.html', 'utf8'), 'out/morning-email.png');
console.log(`Subject: ${delivery?.subject}\nVia: ${delivery?.via} (from ${endpoints.mail.from})\n`);
console.log(output);
console.log(
  [
    `Status ${report.status}. The e-mail as sent:`,
    `  HTML part  out/morning-email.html`,
    `  as seen    out/morning-email.png (Chromium, ${view.viewportWidth} px wide, page ${view.scrollWidth} px)`,
    `  archived   s3://${endpoints.buckets.reports}/${delivery?.htmlKey} (full report: out/morning-report.html, JSON beside it)`,
    '`npm run stack:down` stops the local stack.',
  ].join('\n'),
);
