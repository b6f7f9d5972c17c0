import type { ChecksDeps } from './checks-deps.ts';
import { withSharedPodListings } from './shared-listings.ts';
import { OVERVIEW_PANELS, thresholdOf } from '../../core/thresholds.ts';
import {
  buildReport,
  type DashboardRef,
  type Report,
  type ReportKind,
  type SectionCheck,
  type SectionOutcome,
} from './report-model.ts';
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
  dashboard?: DashboardRef,
): SectionCheck => ({
  id,
  title,
  ...(dashboard ? { dashboard } : {}),
  run: () => run(deps),
});

/** The panel of the table's row `id` (core/thresholds.ts), where a section's figure is drawn. */
const panelOf = (id: string): DashboardRef => {
  const row = thresholdOf(id);
  return { uid: row.dashboard, panelId: row.panelId };
};

const OVERVIEW = OVERVIEW_PANELS;
const overview = (panelId: number): DashboardRef => ({ uid: 'mcp-overview', panelId });

/** Options of every report: its section timeout, and its links' time range (hours up to now). */
const reportOptions = (deps: ChecksDeps, options: ReportOptions, rangeHours: number) => ({
  now: deps.now,
  sectionTimeoutMs: options.sectionTimeoutMs ?? DEFAULT_SECTION_TIMEOUT_MS,
  // A mail client opens only what is outside the cluster: an in-cluster Grafana gets no links.
  ...(reachableFromMail(deps.config.grafana.baseUrl)
    ? { dashboards: { baseUrl: deps.config.grafana.baseUrl, rangeHours } }
    : {}),
});

/**
 * Whether a person's mail client can open `url`: not a cluster-internal name (`*.svc`,
 * `*.cluster.local`, a single-label host) nor loopback.
 */
export function reachableFromMail(url: string): boolean {
  const host = new URL(url).hostname;
  return !(/\.svc$|\.svc\.|\.cluster\.local$|^localhost$|^127\./.test(host) || !host.includes('.'));
}

/** The manual's Morning Checklist (09:00), items 1-6, plus the daily security check. */
export function morningReport(reportDeps: ChecksDeps, options: ReportOptions = {}): Promise<Report> {
  const deps = forOneReport(reportDeps);
  return buildReport(
    'morning',
    'MCP Level 3 morning health check',
    [
      section('pods', '1. Pods', podsSection, deps, overview(OVERVIEW.memory)),
      section('errors', '2. Errors (last hour)', errorsSection, deps, panelOf('request_error_rate')),
      section('metrics', '3. Key metrics', keyMetricsSection, deps, { uid: 'mcp-validation' }),
      section('backup-job', '4. Last backup Job', backupJobSection, deps),
      section('resources', '5. Resource usage', resourcesSection, deps, overview(OVERVIEW.cpu)),
      section('alerts', '6. Firing alerts', firingAlertsSection, deps, overview(OVERVIEW.alerts)),
      section('security', '7. Security', securitySection, deps),
    ],
    reportOptions(deps, options, 1),
  );
}

/** The manual's Evening Checklist (18:00), items 1-5, plus the SLO table. */
export function eveningReport(reportDeps: ChecksDeps, options: ReportOptions = {}): Promise<Report> {
  const deps = forOneReport(reportDeps);
  return buildReport(
    'evening',
    'MCP Level 3 evening review',
    [
      section('daily-metrics', '1. Daily metrics', dailyMetricsSection, deps, { uid: 'mcp-validation' }),
      section('events', '2. Warning events today', warningEventsSection, deps),
      section('backup', '3. Backup verification', backupVerificationSection, deps),
      section('capacity', '4. Capacity', capacitySection, deps),
      section('images', '5. Image versions', imageVersionsSection, deps),
      section('slos', '6. SLOs this month', slosSection, deps, overview(OVERVIEW.availabilityBudget)),
    ],
    reportOptions(deps, options, 24),
  );
}

/** The manual's daily Security Monitoring script. */
export function securityReport(deps: ChecksDeps, options: ReportOptions = {}): Promise<Report> {
  return buildReport(
    'security',
    'MCP Level 3 security check',
    [section('security', 'Security', securitySection, deps)],
    reportOptions(deps, options, 24),
  );
}

export const REPORTS: Record<ReportKind, (deps: ChecksDeps, options?: ReportOptions) => Promise<Report>> = {
  morning: morningReport,
  evening: eveningReport,
  security: securityReport,
};
