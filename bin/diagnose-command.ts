// `mcp-ops diagnose [--runbook N] [--incident ID]`: the manual's quick assessment and the runbook's
// steps, read-only, from a terminal (the same code the diagnosis follow-up runs).
import type { CommandContext, CommandResult } from './command-context.ts';
import { S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../core/adapters/s3-object-store.ts';
import { s3ClientConfig, type AwsTarget } from '../core/aws.ts';
import type { OpsConfig } from '../core/config.ts';
import { diagnose } from '../functions/diagnosis/diagnose.ts';
import { diagnosisText } from '../functions/diagnosis/summary.ts';
import { runbookOf, type RunbookNumber } from '../functions/diagnosis/model.ts';
import { escalationPorts } from '../core/incidents/wiring.ts';
import type { StackEndpoints } from '../stack/endpoints.ts';
import { escalationSettings } from './escalation-commands.ts';
import { terminalClusterReaders } from './terminal-cluster.ts';
import { RequestRefused } from '../core/errors.ts';
import { ENV } from '../core/function-env.ts';

export class DiagnoseCommandError extends RequestRefused {
  override name = 'DiagnoseCommandError';
}

export async function diagnoseCommand(options: {
  config: OpsConfig;
  target: AwsTarget;
  endpoints?: StackEndpoints;
  kubeconfig?: string;
  context?: string;
  runbook?: string;
  incident?: string;
  json: boolean;
}): Promise<{ output: string; failedParts: number }> {
  const { config, endpoints } = options;
  let runbook: RunbookNumber | undefined;
  if (options.runbook !== undefined) {
    if (!/^[1-4]$/.test(options.runbook))
      throw new DiagnoseCommandError(`--runbook: expected 1, 2, 3 or 4, got "${options.runbook}"`);
    runbook = Number(options.runbook) as RunbookNumber;
  }
  let alertAt: Date | undefined;
  if (options.incident) {
    if (!/^INC-\d{8}-\d{3,}$/.test(options.incident))
      throw new DiagnoseCommandError(
        `--incident: expected an id like INC-20261125-001, got "${options.incident}"`,
      );
    const ports = escalationPorts(
      options.target,
      await escalationSettings(config, options.target, endpoints),
    );
    const incident = await ports.store.get(options.incident);
    if (!incident) throw new DiagnoseCommandError(`No incident ${options.incident}.`);
    runbook ??= runbookOf(incident.alert.runbook);
    alertAt = new Date(incident.alert.startedAt ?? incident.createdAt);
  }
  const readers = terminalClusterReaders(options, (message) => new DiagnoseCommandError(message));
  // Runbook 4's storage report: the cleanup job's runs in the reports bucket, when it is known.
  const reportsBucket = endpoints?.buckets.reports ?? process.env[ENV.reportsBucket];
  const diagnosis = await diagnose(
    {
      ...readers,
      ...(reportsBucket
        ? {
            cleanupRuns: {
              store: new S3ObjectStore(new S3Client(s3ClientConfig(options.target))),
              bucket: reportsBucket,
            },
          }
        : {}),
      now: () => new Date(),
    },
    {
      ...(runbook ? { runbook } : {}),
      ...(options.incident ? { incidentId: options.incident } : {}),
      ...(alertAt ? { alertAt } : {}),
    },
  );
  return {
    output: options.json ? JSON.stringify(diagnosis, null, 2) : diagnosisText(diagnosis),
    failedParts: diagnosis.failedParts.length,
  };
}

/** `mcp-ops diagnose`: exit 1 when a part of the assessment could not be read. */
export async function run(context: CommandContext): Promise<CommandResult> {
  const { values } = context;
  const { output, failedParts } = await diagnoseCommand({
    config: context.config,
    target: context.target,
    ...(context.endpoints ? { endpoints: context.endpoints } : {}),
    ...context.cluster,
    ...(values.runbook ? { runbook: values.runbook } : {}),
    ...(values.incident ? { incident: values.incident } : {}),
    json: context.structured,
  });
  return { output, exit: failedParts > 0 ? 1 : 0 };
}
