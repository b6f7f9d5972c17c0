// `mcp-ops maintenance next|pre|post`: the maintenance job from the command line. `next` says when
// the next window is and when each step runs; `pre` and `post` run the checks now (for the next
// window, and for the one in progress or just ended), exit 1 when one fails; with --send they also
// e-mail and page as the scheduled step does.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3ObjectStore } from '../core/adapters/s3-object-store.ts';
import { awsClientConfig, s3ClientConfig, type AwsTarget } from '../core/aws.ts';
import type { OpsConfig } from '../core/config.ts';
import {
  maintenanceSchedules,
  maintenanceWindowOf,
  nextMaintenanceWindow,
  stageTime,
  type WindowTimes,
} from '../core/maintenance-window.ts';
import { incidentsTableName } from '../functions/escalation/incidents-table.ts';
import {
  alertsTopicPager,
  maintenanceMailer,
  openIncidentsFrom,
} from '../functions/maintenance/adapters/aws-maintenance.ts';
import { postCheck, preCheck, type CheckResult } from '../functions/maintenance/checklist.ts';
import type { MaintenanceDeps } from '../functions/maintenance/maintenance-deps.ts';
import { runStage } from '../functions/maintenance/maintenance-job.ts';
import { checkMail, whenText } from '../functions/maintenance/messages.ts';
import { recordId } from '../functions/maintenance/window-record.ts';
import type { StackEndpoints } from '../stack/endpoints.ts';
import { terminalClusterReaders } from './terminal-cluster.ts';

export class MaintenanceCommandError extends Error {
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
  if (what === 'next') {
    const times = nextMaintenanceWindow(now, config.maintenanceWindow);
    const steps = maintenanceSchedules(config.maintenanceWindow).map((s) => ({
      stage: s.stage,
      at: (s.stage === 'watch' ? times.start : stageTime(s.stage, times)).toISOString(),
      schedule: s.expression,
    }));
    const next = {
      id: recordId(times),
      start: times.start.toISOString(),
      end: times.end.toISOString(),
      startLocal: whenText(times.start, zone).local,
      inProgress: now >= times.start,
      steps,
    };
    if (options.json) return { output: JSON.stringify(next, null, 2), failed: false };
    const start = whenText(times.start, zone);
    const end = whenText(times.end, zone);
    const width = Math.max(...steps.map((s) => s.stage.length));
    return {
      output: [
        `${next.id}${next.inProgress ? ' (in progress)' : ''}`,
        `  starts ${start.utc} (${start.local})`,
        `  ends   ${end.utc} (${end.local})`,
        '',
        ...steps.map((s) => `  ${s.stage.padEnd(width)}  ${s.at}  ${s.schedule} UTC`),
      ].join('\n'),
      failed: false,
    };
  }
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
  const stateBucket = options.stateBucket ?? endpoints?.buckets.reports ?? process.env.REPORTS_BUCKET;
  if (!stateBucket)
    throw new MaintenanceCommandError(
      'no place for the window’s baseline: pass --state-bucket (the stack’s reports bucket), set REPORTS_BUCKET or use --local',
    );
  const s3 = new S3Client(s3ClientConfig(target));
  const sns = new SNSClient(awsClientConfig(target));
  const reportsTopic = endpoints?.topics.reports ?? process.env.REPORTS_TOPIC_ARN;
  const alertsTopic = endpoints?.topics.alerts ?? process.env.ALERTS_TOPIC_ARN;
  if (options.send && (!reportsTopic || !alertsTopic))
    throw new MaintenanceCommandError('--send needs REPORTS_TOPIC_ARN and ALERTS_TOPIC_ARN (or --local)');
  const mail =
    endpoints?.mail ??
    (config.reports.email && {
      from: config.reports.email.from,
      configurationSet: process.env.REPORTS_MAIL_CONFIGURATION_SET,
    });
  const table =
    endpoints?.tables.incidents ?? process.env.INCIDENTS_TABLE ?? incidentsTableName(config.resourcePrefix);
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
