/**
 * What changed since the previous report of the same kind: findings that are new, cleared or still
 * there (with since when), and the key figures before and after. Pure: the archive is read by
 * deliver.ts.
 */
import type { Figure, Finding, Report, ReportKind, Section } from './report-model.ts';

export interface DeltaFinding {
  readonly key: string;
  readonly section: string;
  readonly status: Finding['status'];
  readonly text: string;
}

export interface PersistingFinding extends DeltaFinding {
  /** When this finding was first reported (carried from report to report). */
  readonly since: string;
}

export interface FigureChange {
  readonly id: string;
  readonly label: string;
  readonly unit: Figure['unit'];
  readonly before: number | null;
  readonly after: number | null;
}

export interface ReportDelta {
  /** When the report compared with was generated; absent on the first report of its kind. */
  readonly previousAt?: string;
  readonly added: readonly DeltaFinding[];
  readonly cleared: readonly DeltaFinding[];
  readonly persisting: readonly PersistingFinding[];
  readonly figures: readonly FigureChange[];
  /** Since when each current finding has been reported, keyed like `DeltaFinding.key`. */
  readonly since: Readonly<Record<string, string>>;
}

/** A report as archived: the report and its delta (the next report reads `since` from it). */
export interface ArchivedReport extends Report {
  readonly delta?: ReportDelta;
}

/**
 * A finding's identity across reports: its section and its `key`, or its text with the standalone
 * numbers taken out ("restarted 3 times" and "restarted 5 times" are the same finding; digits
 * inside a name such as a pod's are kept).
 */
export function findingKey(sectionId: string, finding: Pick<Finding, 'key' | 'text'>): string {
  return `${sectionId}|${finding.key ?? finding.text.replace(/(?<![\w.-])\d[\d.,]*/g, '#')}`;
}

/** Every finding of the report, a section that could not be checked counting as one. */
export function reportFindings(report: Pick<Report, 'sections'>): DeltaFinding[] {
  return report.sections.flatMap((s: Section): DeltaFinding[] => {
    const own = s.findings.map((f) => ({
      key: findingKey(s.id, f),
      section: s.title,
      status: f.status,
      text: f.text,
    }));
    return s.status === 'FAILED'
      ? [
          {
            key: `${s.id}|not checked`,
            section: s.title,
            status: 'WARNING',
            text: `could not be checked: ${s.error ?? 'unknown error'}`,
          },
          ...own,
        ]
      : own;
  });
}

const figuresOf = (report: Pick<Report, 'sections'>): Figure[] =>
  report.sections.flatMap((s) => s.figures ?? []);

/** Compares `current` with `previous` (the last delivered report of the same kind, if any). */
export function compareReports(previous: ArchivedReport | undefined, current: Report): ReportDelta {
  const now = reportFindings(current);
  const before = previous ? reportFindings(previous) : [];
  const beforeKeys = new Set(before.map((f) => f.key));
  const nowKeys = new Set(now.map((f) => f.key));
  const since: Record<string, string> = {};
  const added: DeltaFinding[] = [];
  const persisting: PersistingFinding[] = [];
  for (const finding of now) {
    if (since[finding.key]) continue;
    if (previous && beforeKeys.has(finding.key)) {
      const first = previous.delta?.since[finding.key] ?? previous.generatedAt;
      since[finding.key] = first;
      persisting.push({ ...finding, since: first });
    } else {
      since[finding.key] = current.generatedAt;
      added.push(finding);
    }
  }
  const cleared = before.filter(
    (f, i) => !nowKeys.has(f.key) && before.findIndex((g) => g.key === f.key) === i,
  );
  const previousFigures = new Map(previous ? figuresOf(previous).map((f) => [f.id, f]) : []);
  const figures = figuresOf(current).map((f) => ({
    id: f.id,
    label: f.label,
    unit: f.unit,
    before: previousFigures.get(f.id)?.value ?? null,
    after: f.value,
  }));
  return {
    ...(previous ? { previousAt: previous.generatedAt } : {}),
    added,
    cleared,
    persisting,
    figures,
    since,
  };
}

export function formatFigure(unit: Figure['unit'], value: number | null): string {
  if (value === null || !Number.isFinite(value)) return 'n/a';
  switch (unit) {
    case 'ratio':
      return `${(value * 100).toFixed(value < 0.1 ? 2 : 1)}%`;
    case 'seconds':
      return value < 1 ? `${Math.round(value * 1000)} ms` : `${value.toFixed(2)} s`;
    case 'hours':
      return `${value.toFixed(1)} h`;
    case 'count':
      return Math.round(value).toLocaleString('en-US');
  }
}

/** "error rate 0.40% → 2.10%", or "restarts 0 (same)". */
export function figureChange(change: FigureChange, compared: boolean): string {
  const after = formatFigure(change.unit, change.after);
  if (!compared) return `${change.label} ${after}`;
  const before = formatFigure(change.unit, change.before);
  return before === after ? `${change.label} ${after} (same)` : `${change.label} ${before} → ${after}`;
}

/** "2026-11-26 09:00 Europe/Berlin" */
export function localTime(iso: string, zone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(iso));
  return `${parts.replace(',', '')} ${zone}`;
}

/** The delta's headline: "Since the last morning report (…): 1 new, 1 cleared, 2 still open." */
export function deltaHeadline(delta: ReportDelta, kind: ReportKind, zone: string): string {
  if (!delta.previousAt) return `No earlier ${kind} report to compare with: this is the first one archived.`;
  const parts = [
    `${delta.added.length} new`,
    `${delta.cleared.length} cleared`,
    `${delta.persisting.length} still open`,
  ];
  return `Since the last ${kind} report (${localTime(delta.previousAt, zone)}): ${parts.join(', ')}.`;
}

/** The delta as the first lines of the plain-text e-mail. */
export function deltaLines(delta: ReportDelta, kind: ReportKind, zone: string): string[] {
  const lines = [deltaHeadline(delta, kind, zone)];
  if (delta.figures.length > 0)
    lines.push(
      `Figures: ${delta.figures.map((f) => figureChange(f, delta.previousAt !== undefined)).join('; ')}`,
    );
  for (const f of delta.added) lines.push(`  NEW      ${f.status}  ${f.section}: ${f.text}`);
  for (const f of delta.cleared) lines.push(`  CLEARED  ${f.status}  ${f.section}: ${f.text}`);
  for (const f of delta.persisting)
    lines.push(`  STILL    ${f.status}  ${f.section}: ${f.text} (since ${localTime(f.since, zone)})`);
  return lines;
}
