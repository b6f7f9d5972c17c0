import type { MitigationOffer } from '../../core/mitigation/actions.ts';
import type { DiagnosisDeps } from './diagnosis-deps.ts';

export type RunbookNumber = 1 | 2 | 3 | 4;

export const RUNBOOK_TITLES: Record<RunbookNumber, string> = {
  1: 'Runbook 1: High Error Rate',
  2: 'Runbook 2: High Latency',
  3: 'Runbook 3: Pod Crash Loop',
  4: 'Runbook 4: Storage Full',
};

/** The runbook an alert names (its `runbook` label); a complete outage is diagnosed as a crash loop. */
export function runbookOf(runbook: string | undefined): RunbookNumber | undefined {
  const match = /^runbook-([1-4])-/.exec(runbook ?? '');
  if (match) return Number(match[1]) as RunbookNumber;
  if (runbook === 'p0-complete-outage') return 3;
  return undefined;
}

export interface DiagnosisPart {
  readonly id: string;
  readonly title: string;
  readonly status: 'ok' | 'failed';
  readonly summary: string;
  readonly lines: string[];
  /** What is wrong, most important first. */
  readonly findings: string[];
  /** What changed recently (rollouts, configuration). */
  readonly changes?: string[];
  /** The playbook's mitigations this part's evidence supports, each for its exact target. */
  readonly offers?: MitigationOffer[];
}

export interface Diagnosis {
  readonly generatedAt: string;
  readonly runbook?: RunbookNumber;
  readonly incidentId?: string;
  /** One line: what is wrong. */
  readonly headline: string;
  readonly findings: string[];
  readonly changes: string[];
  readonly failedParts: string[];
  /** Every part's offers, the cause's first, one per action and target. */
  readonly offers: MitigationOffer[];
  readonly parts: DiagnosisPart[];
  readonly durationMs: number;
}

export type PartResult = Omit<DiagnosisPart, 'id' | 'title' | 'status'>;

/** Runs `read` under the part's limit; a throw or a timeout is the part failing with the reason. */
export async function part(
  deps: DiagnosisDeps,
  id: string,
  title: string,
  read: () => Promise<PartResult>,
): Promise<DiagnosisPart> {
  const limit = deps.partTimeoutMs ?? 20_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<DiagnosisPart>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          id,
          title,
          status: 'failed',
          summary: `could not be read within ${limit / 1000} s`,
          lines: [],
          findings: [],
        }),
      limit,
    );
  });
  try {
    const result = await Promise.race([
      read().then((r) => ({ id, title, status: 'ok' as const, ...r })),
      timeout,
    ]);
    return result;
  } catch (error) {
    const message = (error as Error).message.split('\n')[0]!.slice(0, 200);
    return { id, title, status: 'failed', summary: `could not be read: ${message}`, lines: [], findings: [] };
  } finally {
    clearTimeout(timer);
  }
}
