// `mcp-ops report morning|evening|security`: the checks job's reports from the command line.
import type { CommandContext, CommandResult } from './command-context.ts';
import { ECRClient } from '@aws-sdk/client-ecr';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { awsClientConfig, s3ClientConfig, type AwsTarget } from '../core/aws.ts';
import type { OpsConfig } from '../core/config.ts';
import { S3ObjectStore } from '../core/adapters/s3-object-store.ts';
import { awsReportChannels, type SesSettings } from '../functions/checks/adapters/report-channels.ts';
import { compareReports } from '../functions/checks/delta.ts';
import { deliverReport, type Delivery } from '../functions/checks/deliver.ts';
import { reportEmailHtml } from '../functions/checks/email.ts';
import { EcrImageScans } from '../functions/checks/adapters/ecr-image-scans.ts';
import { reportHtml, reportText } from '../functions/checks/render.ts';
import type { Report, ReportKind } from '../functions/checks/report-model.ts';
import { REPORTS } from '../functions/checks/checklists.ts';
import type { StackEndpoints } from '../stack/endpoints.ts';
import { terminalClusterReaders } from './terminal-cluster.ts';
import { RequestRefused } from '../core/errors.ts';
import { ENV } from '../core/function-env.ts';

export class ReportCommandError extends RequestRefused {
  override name = 'ReportCommandError';
}

export interface ReportCommandOptions {
  readonly config: OpsConfig;
  readonly target: AwsTarget;
  readonly endpoints?: StackEndpoints;
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly format: string;
  /** Also deliver it: archive to the reports bucket and publish to the reports topic. */
  readonly send: boolean;
  /** Write <kind>-report.html and .json here. */
  readonly outDir?: string;
}

export async function reportCommand(
  kind: string | undefined,
  options: ReportCommandOptions,
): Promise<{ report: Report; output: string; delivery?: Delivery }> {
  if (kind !== 'morning' && kind !== 'evening' && kind !== 'security')
    throw new ReportCommandError(`report: expected morning, evening or security, got ${kind ?? 'nothing'}`);
  if (!['text', 'json', 'html'].includes(options.format))
    throw new ReportCommandError(`--format: expected text, json or html, got ${options.format}`);
  const { config, endpoints } = options;
  const readers = terminalClusterReaders(options, (message) => new ReportCommandError(message));
  const s3 = new S3Client(s3ClientConfig(options.target));
  const sns = new SNSClient(awsClientConfig(options.target));
  const report = await REPORTS[kind as ReportKind]({
    ...readers,
    store: new S3ObjectStore(s3),
    imageScans: new EcrImageScans(new ECRClient(awsClientConfig(options.target))),
    now: () => new Date(),
  });
  const zone = config.schedules.timeZone;
  let delivery: Delivery | undefined;
  if (options.send) {
    const topic = endpoints?.topics.reports ?? process.env[ENV.reportsTopic];
    const bucket = endpoints?.buckets.reports ?? process.env[ENV.reportsBucket];
    if (!topic || !bucket)
      throw new ReportCommandError('--send needs REPORTS_TOPIC_ARN and REPORTS_BUCKET (or --local)');
    delivery = await deliverReport(
      report,
      awsReportChannels({ s3, sns }, topic, bucket, sesSettings(options)),
      zone,
    );
  }
  const context = {
    delta: delivery?.delta ?? compareReports(undefined, report),
    zone,
    ...(delivery?.archive ? { archive: delivery.archive } : {}),
  };
  if (options.outDir) {
    mkdirSync(options.outDir, { recursive: true });
    writeFileSync(join(options.outDir, `${kind}-report.html`), reportHtml(report, context));
    writeFileSync(join(options.outDir, `${kind}-email.html`), reportEmailHtml(report, context));
    writeFileSync(join(options.outDir, `${kind}-report.json`), `${JSON.stringify(report, null, 2)}\n`);
  }
  const output =
    options.format === 'json'
      ? JSON.stringify(report, null, 2)
      : options.format === 'html'
        ? reportHtml(report, context)
        : reportText(report, context);
  return { report, output, ...(delivery ? { delivery } : {}) };
}

/** SES as the function uses it: the local stack's sender, or the configured one. */
function sesSettings(options: ReportCommandOptions): SesSettings | undefined {
  const mail =
    options.endpoints?.mail ??
    (options.config.reports.email && {
      from: options.config.reports.email.from,
      to: options.config.reports.recipients,
      configurationSet: process.env[ENV.mailConfigurationSet],
    });
  if (!mail) return undefined;
  return {
    ses: new SESv2Client(awsClientConfig(options.target)),
    from: mail.from,
    to: mail.to,
    ...(mail.configurationSet ? { configurationSet: mail.configurationSet } : {}),
  };
}

/** `mcp-ops report KIND`: exit 1 when the report is CRITICAL. */
export async function run(context: CommandContext): Promise<CommandResult> {
  const { values } = context;
  const { report, output } = await reportCommand(context.args[0], {
    config: context.config,
    target: context.target,
    ...(context.endpoints ? { endpoints: context.endpoints } : {}),
    ...context.cluster,
    format: values.output === 'yaml' ? 'json' : values.output,
    send: values.send ?? false,
    ...(values.out ? { outDir: values.out } : {}),
  });
  return { output, exit: report.status === 'CRITICAL' ? 1 : 0 };
}
