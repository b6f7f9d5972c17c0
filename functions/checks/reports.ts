import type { ChecksDeps } from './checks-deps.ts';
import { withSharedPodListings } from './shared-listings.ts';
import {
  buildReport,
  type Report,
  type ReportKind,
  type SectionCheck,
  type SectionOutcome,
} from './report.ts';
import { firingAlertsSection } from './sections/alerts.ts';
import { backupJobSection } from './sections/backup-job.ts';
import { backupVerificationSection } from './sections/backup-verification.ts';
import { capacitySection } from './sections/capacity.ts';
import { dailyMetricsSection } from './sections/daily-metrics.ts';
import { errorsSection } from './sections/errors.ts';
import { warningEventsSection } from './sections/events.ts';
import { imageVersionsSection } from './sections/images.ts';
import { keyMetricsSection } from './sections/key-metrics.ts';
import { podsSection } from './sections/pods.ts';
import { resourcesSection } from './sections/resources.ts';
import { securitySection } from './sections/security.ts';
import { slosSection } from './sections/slos.ts';

export interface ReportOptions {
  /** Each section's own limit; a slow section is marked failed, the rest still go out. */
  readonly sectionTimeoutMs?: number;
}

const DEFAULT_SECTION_TIMEOUT_MS = 45_000;

/** The sections of one report share its pod listings (see shared-listings.ts). */
const forOneReport = (deps: ChecksDeps): ChecksDeps => ({ ...deps, kube: withSharedPodListings(deps.kube) });

const section = (
  id: string,
  title: string,
  run: (deps: ChecksDeps) => Promise<SectionOutcome>,
  deps: ChecksDeps,
): SectionCheck => ({
  id,
  title,
  run: () => run(deps),
});

/** The manual's Morning Checklist (09:00), items 1-6, plus the daily security check. */
export function morningReport(reportDeps: ChecksDeps, options: ReportOptions = {}): Promise<Report> {
  const deps = forOneReport(reportDeps);
  return buildReport(
    'morning',
    'MCP Level 3 morning health check',
    [
      section('pods', '1. Pods', podsSection, deps),
      section('errors', '2. Errors (last hour)', errorsSection, deps),
      section('metrics', '3. Key metrics', keyMetricsSection, deps),
      section('backup-job', '4. Last backup Job', backupJobSection, deps),
      section('resources', '5. Resource usage', resourcesSection, deps),
      section('alerts', '6. Firing alerts', firingAlertsSection, deps),
      section('security', '7. Security', securitySection, deps),
    ],
    { now: deps.now, sectionTimeoutMs: options.sectionTimeoutMs ?? DEFAULT_SECTION_TIMEOUT_MS },
  );
}

/** The manual's Evening Checklist (18:00), items 1-5, plus the SLO table. */
export function eveningReport(reportDeps: ChecksDeps, options: ReportOptions = {}): Promise<Report> {
  const deps = forOneReport(reportDeps);
  return buildReport(
    'evening',
    'MCP Level 3 evening review',
    [
      section('daily-metrics', '1. Daily metrics', dailyMetricsSection, deps),
      section('events', '2. Warning events today', warningEventsSection, deps),
      section('backup', '3. Backup verification', backupVerificationSection, deps),
      section('capacity', '4. Capacity', capacitySection, deps),
      section('images', '5. Image versions', imageVersionsSection, deps),
      section('slos', '6. SLOs this month', slosSection, deps),
    ],
    { now: deps.now, sectionTimeoutMs: options.sectionTimeoutMs ?? DEFAULT_SECTION_TIMEOUT_MS },
  );
}

/** The manual's daily Security Monitoring script. */
export function securityReport(deps: ChecksDeps, options: ReportOptions = {}): Promise<Report> {
  return buildReport(
    'security',
    'MCP Level 3 security check',
    [section('security', 'Security', securitySection, deps)],
    {
      now: deps.now,
      sectionTimeoutMs: options.sectionTimeoutMs ?? DEFAULT_SECTION_TIMEOUT_MS,
    },
  );
}

export const REPORTS: Record<ReportKind, (deps: ChecksDeps, options?: ReportOptions) => Promise<Report>> = {
  morning: morningReport,
  evening: eveningReport,
  security: securityReport,
};
