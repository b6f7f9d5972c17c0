import { raiseCriticalFindings, type SecurityAlertSink } from './security-alerts.ts';
import type { SecurityFinding } from './sections/security.ts';
import { z } from 'zod';
import type { OpsConfig } from '../../core/config.ts';
import { configFromEnv, ENV, optionalEnv, requiredEnv } from '../../core/function-env.ts';
import type { KubernetesPort } from '../../core/kubernetes.ts';
import type { ObjectStore } from '../../core/object-store.ts';
import type { PrometheusPort } from '../../core/prometheus.ts';
import { deliverReport, reportDay, wasDelivered, type Delivery, type ReportChannels } from './deliver.ts';
import { createHash } from 'node:crypto';
import type { ImageScanPort } from './image-scans.ts';
import type { Report, ReportKind } from './report-model.ts';
import { REPORTS } from './checklists.ts';
import { InvalidRequest } from '../../core/errors.ts';

export const ChecksEventSchema = z.union([
  z.object({ report: z.enum(['morning', 'evening', 'security']) }).strict(),
  z.object({ watchdog: z.enum(['morning', 'evening', 'security']) }).strict(),
]);
export type ChecksEvent = z.infer<typeof ChecksEventSchema>;

export class ChecksRequestError extends InvalidRequest {
  override name = 'ChecksRequestError';
}

export function parseChecksEvent(event: unknown): ChecksEvent {
  const parsed = ChecksEventSchema.safeParse(event);
  if (parsed.success) return parsed.data;
  throw new ChecksRequestError(
    `expected {"report":"morning"|"evening"|"security"} or {"watchdog":"morning"|"evening"|"security"}, got ${JSON.stringify(event)?.slice(0, 200)}`,
  );
}

/** The checks function's environment, as the stack sets it (core/function-env.ts). */
export function checksEnvironment(env: NodeJS.ProcessEnv) {
  return {
    config: configFromEnv(env),
    reportsTopicArn: requiredEnv(ENV.reportsTopic, env),
    reportsBucket: requiredEnv(ENV.reportsBucket, env),
    mailConfigurationSet: optionalEnv(ENV.mailConfigurationSet, env),
    alertsTopic: optionalEnv(ENV.alertsTopic, env),
  };
}

export interface ChecksRuntime {
  /**
   * The invocation's id, kept by Lambda across its retries of one asynchronous invoke. With it, a
   * report is sent at most once per invocation: a retry after a crash between the e-mail and its
   * record sends nothing (the watchdog pages if the report never arrived).
   */
  readonly invocationId?: string;
  readonly config: OpsConfig;
  readonly kube: () => Promise<KubernetesPort>;
  readonly prometheus: PrometheusPort;
  readonly imageScans?: ImageScanPort;
  readonly store: ObjectStore;
  readonly channels: ReportChannels;
  readonly now: () => Date;
  readonly logger: {
    info(message: string, extra?: object): void;
    error(message: string, extra?: object): void;
  };
  readonly metric: (name: string, value: number, unit: 'count' | 'seconds', report: ReportKind) => void;
  /** Where the security check's CRITICAL findings go as security alerts (the alerts topic). */
  readonly securityAlerts?: SecurityAlertSink;
}

const STATUS_VALUE = { OK: 0, WARNING: 1, CRITICAL: 2 } as const;

export type ChecksResult =
  | {
      report: ReportKind;
      status: Report['status'];
      reason: string;
      delivery: Delivery;
      failedSections: string[];
    }
  | { watchdog: ReportKind; delivered: boolean }
  | { report: ReportKind; repeated: string };

/**
 * One scheduled invocation: build the report, deliver it and record its metrics; or, as the
 * watchdog, say whether today's report was delivered (ReportOnTime 0 pages through the alarm).
 */
export async function runChecksEvent(event: unknown, runtime: ChecksRuntime): Promise<ChecksResult> {
  const request = parseChecksEvent(event);
  const zone = runtime.config.schedules.timeZone;
  if ('watchdog' in request) {
    const delivered = await wasDelivered(request.watchdog, runtime.channels, runtime.now(), zone);
    runtime.metric('ReportOnTime', delivered ? 1 : 0, 'count', request.watchdog);
    if (!delivered)
      runtime.logger.error('report not delivered by its deadline', { report: request.watchdog });
    return { watchdog: request.watchdog, delivered };
  }
  const kind = request.report;
  const report = await REPORTS[kind]({
    config: runtime.config,
    kube: await runtime.kube(),
    prometheus: runtime.prometheus,
    store: runtime.store,
    ...(runtime.imageScans ? { imageScans: runtime.imageScans } : {}),
    now: runtime.now,
  });
  // Claim, send, confirm: the claim is this invocation's, written just before the report is sent.
  let claim: string | undefined;
  if (runtime.invocationId) {
    const day = reportDay(runtime.now(), zone);
    claim = `reports/${kind}/${day}/invocations/${createHash('sha256').update(runtime.invocationId).digest('hex').slice(0, 32)}.json`;
    const earlier = await runtime.store.getText(runtime.channels.bucket, claim);
    // `failed`: the first try's send was refused (nothing went out); anything else: it may have.
    if (earlier !== undefined && (JSON.parse(earlier) as { state?: string }).state !== 'failed') {
      runtime.logger.error(
        'a retried invocation: this report was claimed by its first try and is not sent again',
        {
          report: kind,
          claim: earlier,
        },
      );
      return { report: kind, repeated: earlier };
    }
    await runtime.store.putText(
      runtime.channels.bucket,
      claim,
      JSON.stringify({ state: 'sending', at: runtime.now().toISOString() }),
      'application/json',
    );
  }
  let delivery: Delivery;
  try {
    delivery = await deliverReport(report, runtime.channels, zone, runtime.now);
  } catch (error) {
    if (claim)
      await runtime.store.putText(
        runtime.channels.bucket,
        claim,
        JSON.stringify({ state: 'failed', at: runtime.now().toISOString(), error: (error as Error).message }),
        'application/json',
      );
    throw error;
  }
  if (claim)
    await runtime.store.putText(
      runtime.channels.bucket,
      claim,
      JSON.stringify({ state: 'sent', at: runtime.now().toISOString(), messageId: delivery.messageId }),
      'application/json',
    );
  if (kind === 'security' && runtime.securityAlerts) {
    // Each CRITICAL finding opens a security incident; a failure here never holds the report back.
    const findings =
      ((report.sections.find((s) => s.id === 'security')?.data ?? {}) as { findings?: SecurityFinding[] })
        .findings ?? [];
    try {
      const raised = await raiseCriticalFindings(runtime.securityAlerts, findings, runtime.now());
      runtime.metric('SecurityAlertsRaised', raised, 'count', kind);
    } catch (error) {
      runtime.logger.error('critical security findings not raised as alerts', {
        error: (error as Error).message,
      });
    }
  }
  const failedSections = report.sections.filter((s) => s.status === 'FAILED').map((s) => s.id);
  runtime.metric('ReportDelivered', 1, 'count', kind);
  runtime.metric('ReportStatus', STATUS_VALUE[report.status], 'count', kind);
  runtime.metric('ReportDuration', report.durationMs / 1000, 'seconds', kind);
  runtime.metric('SectionsFailed', failedSections.length, 'count', kind);
  runtime.metric('ReportMailFallback', delivery.mailError ? 1 : 0, 'count', kind);
  if (delivery.mailError)
    runtime.logger.error('SES refused the report; sent through the reports topic', {
      report: kind,
      mailError: delivery.mailError,
    });
  runtime.logger.info('report delivered', {
    report: kind,
    status: report.status,
    reason: report.reason,
    via: delivery.via,
    failedSections,
    bytes: delivery.bytes,
  });
  return { report: kind, status: report.status, reason: report.reason, delivery, failedSections };
}
