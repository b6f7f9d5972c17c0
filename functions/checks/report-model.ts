/** The shape of every report mcp-ops sends, and the pure decisions about it. */
import { tablesOf, type SectionTable } from './text-table.ts';

export type Status = 'OK' | 'WARNING' | 'CRITICAL';
export type SectionStatus = Status | 'FAILED';

export interface Finding {
  readonly status: Exclude<Status, 'OK'>;
  readonly text: string;
  /**
   * What makes this finding the same one in the next report when its numbers change (e.g.
   * "pod x restarts"). Default: the text with its numbers taken out (see delta.ts).
   */
  readonly key?: string;
}

/** A key figure compared with the previous report of the same kind ("error rate 0.4 % → 2.1 %"). */
export interface Figure {
  readonly id: string;
  readonly label: string;
  /** `null`: not measured this time. */
  readonly value: number | null;
  readonly unit: 'ratio' | 'seconds' | 'count' | 'hours';
}

/** What a section's check returns. */
export interface SectionOutcome {
  /** One line: what the section found. */
  readonly summary: string;
  /** Every reason the section is not OK, worst first. */
  readonly findings: readonly Finding[];
  /** The section's body as text lines (tables, log lines). */
  readonly lines: readonly string[];
  /** The tables among `lines` as columns (the HTML draws them); default: those `table()` made. */
  readonly tables?: readonly SectionTable[];
  /** The same facts for machines (`--format json`). */
  readonly data: unknown;
  /** The section's key figures, compared with the previous report's. */
  readonly figures?: readonly Figure[];
}

export interface Section extends SectionOutcome {
  readonly id: string;
  readonly title: string;
  /** The Grafana panel (or dashboard) showing this section's figures over the report's time range. */
  readonly dashboardUrl?: string;
  readonly status: SectionStatus;
  readonly durationMs: number;
  /** Why the section could not be gathered (FAILED only). */
  readonly error?: string;
}

export type ReportKind = 'morning' | 'evening' | 'security';

export interface Report {
  readonly kind: ReportKind;
  readonly title: string;
  readonly generatedAt: string;
  readonly status: Status;
  /** The reason for the status, in one line. */
  readonly reason: string;
  readonly sections: readonly Section[];
  readonly durationMs: number;
}

/** A dashboard of the manual (core/thresholds.ts) and optionally one of its panels. */
export interface DashboardRef {
  readonly uid: string;
  readonly panelId?: number;
}

/** The Grafana URL of `ref` from `from` to `to` (a panel opens on its own with `viewPanel`). */
export function dashboardUrl(baseUrl: string, ref: DashboardRef, from: Date, to: Date): string {
  const query = new URLSearchParams({ orgId: '1', from: String(from.getTime()), to: String(to.getTime()) });
  if (ref.panelId !== undefined) query.set('viewPanel', String(ref.panelId));
  return `${baseUrl}/d/${ref.uid}?${query.toString()}`;
}

export interface SectionCheck {
  readonly id: string;
  readonly title: string;
  readonly dashboard?: DashboardRef;
  /** Default: the report's section timeout. */
  readonly timeoutMs?: number;
  readonly run: (signal: AbortSignal) => Promise<SectionOutcome>;
}

const RANK: Record<SectionStatus, number> = { OK: 0, WARNING: 1, FAILED: 1, CRITICAL: 2 };

export function worstOf(findings: readonly Finding[]): Status {
  return findings.reduce<Status>((worst, f) => (RANK[f.status] > RANK[worst] ? f.status : worst), 'OK');
}

/**
 * The report's status: the worst section; a section that could not be gathered makes the report at
 * least WARNING (nobody can call it OK without looking). The reason names the worst thing found.
 */
export function overallStatus(sections: readonly Section[]): { status: Status; reason: string } {
  const critical = sections.flatMap((s) =>
    s.findings.filter((f) => f.status === 'CRITICAL').map((f) => ({ s, f })),
  );
  if (critical.length > 0) {
    const more = critical.length > 1 ? ` (+${critical.length - 1} more critical)` : '';
    return { status: 'CRITICAL', reason: `${critical[0]!.s.title}: ${critical[0]!.f.text}${more}` };
  }
  const failed = sections.filter((s) => s.status === 'FAILED');
  const warnings = sections.flatMap((s) =>
    s.findings.filter((f) => f.status === 'WARNING').map((f) => ({ s, f })),
  );
  if (failed.length > 0) {
    const rest = warnings.length > 0 ? `; ${warnings.length} warning(s)` : '';
    return {
      status: 'WARNING',
      reason: `${failed.map((s) => s.title).join(', ')} could not be checked (${failed[0]!.error})${rest}`,
    };
  }
  if (warnings.length > 0) {
    const more = warnings.length > 1 ? ` (+${warnings.length - 1} more warning(s))` : '';
    return { status: 'WARNING', reason: `${warnings[0]!.s.title}: ${warnings[0]!.f.text}${more}` };
  }
  return { status: 'OK', reason: `all ${sections.length} checks OK` };
}

class SectionTimeout extends Error {}

/**
 * Runs every section at once, each with its own timeout; a section that throws or times out is
 * FAILED with the reason and the others are unaffected.
 */
export async function gatherSections(
  checks: readonly SectionCheck[],
  defaultTimeoutMs: number,
  link: (ref: DashboardRef) => string | undefined = () => undefined,
): Promise<Section[]> {
  return Promise.all(
    checks.map(async (check): Promise<Section> => {
      const started = Date.now();
      const timeoutMs = check.timeoutMs ?? defaultTimeoutMs;
      const url = check.dashboard ? link(check.dashboard) : undefined;
      const dashboard = url ? { dashboardUrl: url } : {};
      const controller = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort();
          reject(new SectionTimeout(`timed out after ${(timeoutMs / 1000).toFixed(0)} s`));
        }, timeoutMs);
      });
      try {
        const outcome = await Promise.race([check.run(controller.signal), timeout]);
        return {
          id: check.id,
          title: check.title,
          ...dashboard,
          status: worstOf(outcome.findings),
          ...outcome,
          tables: outcome.tables ?? tablesOf(outcome.lines),
          durationMs: Date.now() - started,
        };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return {
          id: check.id,
          title: check.title,
          ...dashboard,
          status: 'FAILED',
          summary: `could not be checked: ${message}`,
          findings: [],
          lines: [],
          data: null,
          durationMs: Date.now() - started,
          error: message.split('\n')[0]!.slice(0, 300),
        };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
}

export async function buildReport(
  kind: ReportKind,
  title: string,
  checks: readonly SectionCheck[],
  options: {
    now: () => Date;
    sectionTimeoutMs: number;
    /** Grafana's base URL and the report's time range (its links show that span up to now). */
    dashboards?: { baseUrl: string; rangeHours: number };
  },
): Promise<Report> {
  const started = Date.now();
  const at = options.now();
  const generatedAt = at.toISOString();
  const { dashboards } = options;
  const link = dashboards
    ? (ref: DashboardRef) =>
        dashboardUrl(dashboards.baseUrl, ref, new Date(at.getTime() - dashboards.rangeHours * 3_600_000), at)
    : undefined;
  const sections = await gatherSections(checks, options.sectionTimeoutMs, link);
  const { status, reason } = overallStatus(sections);
  return { kind, title, generatedAt, status, reason, sections, durationMs: Date.now() - started };
}
