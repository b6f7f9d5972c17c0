import type { Diagnosis } from './model.ts';
import { RUNBOOK_TITLES } from './model.ts';

/** The short follow-up: what is wrong, the top 3 findings, what changed, what could not be read. */
export function diagnosisSummary(d: Diagnosis, link?: string): string {
  return [
    `${d.incidentId ? `Diagnosis for ${d.incidentId}` : 'Diagnosis'}${d.runbook ? ` (${RUNBOOK_TITLES[d.runbook]})` : ''}: ${d.headline}`,
    ...d.findings.slice(0, 3).map((f, i) => `${i + 1}. ${f}`),
    ...(d.changes.length
      ? ['Changed recently:', ...d.changes.slice(0, 3).map((c) => `- ${c}`)]
      : ['Changed recently: nothing found']),
    ...(d.failedParts.length ? [`Not read: ${d.failedParts.join('; ')}`] : []),
    ...(link ? [`Full diagnosis: ${link}`] : []),
  ].join('\n');
}

/** The full diagnosis as text (archived and appended to the incident). */
export function diagnosisText(d: Diagnosis): string {
  return [
    diagnosisSummary(d),
    '',
    ...d.parts.flatMap((p) => [
      `== ${p.title}: ${p.status === 'failed' ? 'FAILED, ' : ''}${p.summary}`,
      ...p.lines.map((l) => `  ${l}`),
      '',
    ]),
    `generated ${d.generatedAt} in ${d.durationMs} ms`,
  ].join('\n');
}
