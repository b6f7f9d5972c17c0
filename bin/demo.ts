// npm run demo: the local stack is up (run before this); run the morning report against it, the
// way the checks function does at 09:00: deliver it through SES (moto) and the local reports
// bucket, print the e-mail's text, and write its HTML, a Chromium screenshot of it and the archived
// report to out/.
import { mkdirSync, readFileSync } from 'node:fs';
import { reportCommand } from './report-command.ts';
import { configFromNamedOrDefault } from '../core/config-file.ts';
import { renderEmail } from '../stack/chromium.ts';
import { readEndpoints } from '../stack/endpoints.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const endpoints = readEndpoints();
mkdirSync('out', { recursive: true });
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
