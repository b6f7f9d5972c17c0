import { verifyBackup } from '../../../core/backup-verify.ts';
import type { SectionOutcome } from '../report-model.ts';
import type { ChecksDeps } from '../checks-deps.ts';

/** Evening item 3: latest.txt, the folder it names and its metadata.json, by the backup verifier. */
export async function backupVerificationSection(deps: ChecksDeps): Promise<SectionOutcome> {
  const verdict = await verifyBackup(deps.store, {
    bucket: deps.config.buckets.backup,
    maxAgeHours: deps.config.backup.maxAgeHours,
    sampleSize: deps.config.backup.sampleSize,
    now: deps.now,
  });
  const failed = verdict.checks.filter((c) => c.status === 'failed');
  return {
    summary: verdict.verified
      ? `${verdict.folder}: verified, ${verdict.ageHours?.toFixed(1)} h old, ${verdict.found?.objects} objects, ${verdict.sampled} checksums match`
      : `backup FAILED verification: ${verdict.failures.join(', ')}`,
    findings: failed.map((c) => ({ status: 'CRITICAL' as const, text: `${c.name}: ${c.detail}` })),
    lines: verdict.checks.map((c) => `${c.status.toUpperCase().padEnd(7)} ${c.name.padEnd(12)} ${c.detail}`),
    figures: [{ id: 'backup_age', label: 'backup age', value: verdict.ageHours ?? null, unit: 'hours' }],
    data: verdict,
  };
}
