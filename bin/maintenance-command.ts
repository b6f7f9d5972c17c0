// `mcp-ops maintenance next|pre|post`: the maintenance job from the command line. `next` says when
// the next window is and when each step runs; `pre` and `post` run the checks now (for the next
// window, and for the one in progress or just ended), exit 1 when one fails; with --send they also
// e-mail and page as the scheduled step does. (`next` alone is bin/maintenance-next.ts: no AWS.)
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3ObjectStore } from '../core/adapters/s3-object-store.ts';
import { awsClientConfig, s3ClientConfig, type AwsTarget } from '../core/aws.ts';
import type { OpsConfig } from '../core/config.ts';
import { maintenanceWindowOf, nextMaintenanceWindow, type WindowTimes } from '../core/maintenance-window.ts';
import { incidentsTableName } from '../core/incidents/table.ts';
import {
  alertsTopicPager,
  maintenanceMailer,
  openIncidentsFrom,
} from '../functions/maintenance/adapters/aws-maintenance.ts';
import { postCheck } from '../functions/maintenance/post-check.ts';
import { preCheck } from '../functions/maintenance/pre-check.ts';
import { type CheckResult } from '../functions/maintenance/checklist.ts';
import type { MaintenanceDeps } from '../functions/maintenance/maintenance-deps.ts';
import { runStage } from '../functions/maintenance/maintenance-job.ts';
import { checkMail } from '../functions/maintenance/messages.ts';
import { nextWindow } from './maintenance-next.ts';
import type { CommandContext, CommandResult } from './command-context.ts';
import type { StackEndpoints } from '../stack/endpoints.ts';
import { terminalClusterReaders } from './terminal-cluster.ts';
import { RequestRefused } from '../core/errors.ts';
import { ENV } from '../core/function-env.ts';

export class MaintenanceCommandError extends RequestRefused {
  override name = 'MaintenanceCommandError';
}

export interface MaintenanceCommandOptions {
  readonly config: OpsConfig;
  readonly target: AwsTarget;
  readonly endpoints?: StackEndpoints;
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly stateBucket?: string;
  readonly json: boolean;
  readonly send: boolean;
  readonly now?: Date;
}

/** The window in progress, or the last one (the post-check's window). */
function currentOrLastWindow(now: Date, config: OpsConfig): WindowTimes {
  const thisMonth = maintenanceWindowOf(now, config.maintenanceWindow);
  if (now >= thisMonth.start) return thisMonth;
  return maintenanceWindowOf(
    new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)),
    config.maintenanceWindow,
  );
}

export async function maintenanceCommand(
  what: string | undefined,
  options: MaintenanceCommandOptions,
): Promise<{ output: string; failed: boolean }> {
  const { config } = options;
  const now = options.now ?? new Date();
  const zone = config.schedules.timeZone;
  if (what === 'next') return nextWindow(config, now, options.json);
  if (what !== 'pre' && what !== 'post')
    throw new MaintenanceCommandError(`maintenance: expected next, pre or post, got ${what ?? 'nothing'}`);
  const deps = maintenanceDeps(options, now);
  const times =
    what === 'pre' ? nextMaintenanceWindow(now, config.maintenanceWindow) : currentOrLastWindow(now, config);
  let result: CheckResult;
  if (options.send) {
    const outcome = await runStage(what === 'pre' ? 'pre-1h' : 'post', times, deps);
    if (!('result' in outcome)) throw new Error('the check gave no result');
    result = outcome.result;
  } else result = what === 'pre' ? await preCheck(deps, times) : await postCheck(deps, times);
  return {
    output: options.json ? JSON.stringify(result, null, 2) : checkMail(result, zone).text.trimEnd(),
    failed: !result.passed,
  };
}

function maintenanceDeps(options: MaintenanceCommandOptions, now: Date): MaintenanceDeps {
  const { config, endpoints, target } = options;
  const readers = terminalClusterReaders(options, (message) => new MaintenanceCommandError(message));
  const stateBucket = options.stateBucket ?? endpoints?.buckets.reports ?? process.env[ENV.reportsBucket];
  if (!stateBucket)
    throw new MaintenanceCommandError(
      'no place for the window’s baseline: pass --state-bucket (the stack’s reports bucket), set REPORTS_BUCKET or use --local',
    );
  const s3 = new S3Client(s3ClientConfig(target));
  const sns = new SNSClient(awsClientConfig(target));
  const reportsTopic = endpoints?.topics.reports ?? process.env[ENV.reportsTopic];
  const alertsTopic = endpoints?.topics.alerts ?? process.env[ENV.alertsTopic];
  if (options.send && (!reportsTopic || !alertsTopic))
    throw new MaintenanceCommandError('--send needs REPORTS_TOPIC_ARN and ALERTS_TOPIC_ARN (or --local)');
  const mail =
    endpoints?.mail ??
    (config.reports.email && {
      from: config.reports.email.from,
      configurationSet: process.env[ENV.mailConfigurationSet],
    });
  const table =
    endpoints?.tables.incidents ??
    process.env[ENV.incidentsTable] ??
    incidentsTableName(config.resourcePrefix);
  return {
    ...readers,
    store: new S3ObjectStore(s3),
    stateBucket,
    mail: maintenanceMailer({
      sns,
      reportsTopicArn: reportsTopic ?? '',
      ...(mail
        ? {
            ses: {
              client: new SESv2Client(awsClientConfig(target)),
              from: mail.from,
              ...(mail.configurationSet ? { configurationSet: mail.configurationSet } : {}),
            },
          }
        : {}),
    }),
    page: alertsTopicPager(sns, alertsTopic ?? ''),
    openIncidents: openIncidentsFrom(
      DynamoDBDocumentClient.from(new DynamoDBClient(awsClientConfig(target))),
      table,
    ),
    now: () => now,
  };
}

/** `mcp-ops maintenance pre|post`: exit 1 when a check fails. */
export async function run(context: CommandContext): Promise<CommandResult> {
  const { values } = context;
  const { output, failed } = await maintenanceCommand(context.args[0], {
    config: context.config,
    target: context.target,
    ...(context.endpoints ? { endpoints: context.endpoints } : {}),
    ...context.cluster,
    ...(values['state-bucket'] ? { stateBucket: values['state-bucket'] } : {}),
    json: context.structured,
    send: values.send ?? false,
  });
  return { output, exit: failed ? 1 : 0 };
}
