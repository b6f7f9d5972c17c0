// npm run demo: the local stack is up (run before this); run the morning report against it, the
// way the checks function does at 09:00: print the email text, write the HTML and JSON to out/,
// and deliver it through the local reports topic and bucket.
import { mkdirSync } from 'node:fs';
import { reportCommand } from '../bin/report-command.ts';
import { loadConfigFile } from '../core/config.ts';
import { readEndpoints } from './endpoints.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const endpoints = readEndpoints();
mkdirSync('out', { recursive: true });
const { report, output, delivery } = await reportCommand('morning', {
  config: loadConfigFile(process.env.MCP_OPS_CONFIG_FILE ?? 'mcp-ops.config.json'),
  target: { region: endpoints.region, endpoint: endpoints.aws.endpoint },
  endpoints,
  format: 'text',
  send: true,
  outDir: 'out',
});
console.log(`Subject: ${delivery?.subject}\n`);
console.log(output);
console.log(
  `(HTML and JSON written to out/morning-report.html and out/morning-report.json; archived as ` +
    `s3://${endpoints.buckets.reports}/${delivery?.htmlKey}; status ${report.status}. ` +
    '`npm run stack:down` stops the local stack.)',
);
