import { formatBytes } from '../../core/units.ts';
import type { CleanupSummary } from './retention-cleanup.ts';

/** The runbook's report and the run's outcome, for a person at a terminal. */
export function formatCleanupSummary(s: CleanupSummary): string {
  const lines: string[] = [];
  const mode = s.dryRun ? 'DRY RUN (nothing deleted; pass --apply to delete)' : 'DELETING';
  lines.push(`Retention cleanup ${s.runId}: ${mode}`);
  lines.push(`  bucket s3://${s.bucket}/${s.prefix}  retention ${s.retentionDays} days  cutoff ${s.cutoff}`);
  lines.push('');
  lines.push(`Storage: ${s.report.objects} objects, ${formatBytes(s.report.bytes)}`);
  lines.push('Largest objects:');
  for (const o of s.report.largest)
    lines.push(`  ${formatBytes(o.size).padStart(10)}  ${o.lastModified}  ${o.key}`);
  lines.push(s.dryRun ? 'Would remove, by prefix:' : 'Removed, by prefix:');
  const groups = Object.entries(s.report.expiring).sort((a, b) => b[1].bytes - a[1].bytes);
  if (groups.length === 0) lines.push('  nothing has expired');
  for (const [prefix, g] of groups)
    lines.push(`  ${String(g.objects).padStart(9)} objects ${formatBytes(g.bytes).padStart(10)}  ${prefix}`);
  lines.push('');
  lines.push(
    `Scanned ${s.scanned}, matched ${s.matched}, deleted ${s.deleted}, failed ${s.failed}, freed ${formatBytes(s.bytesFreed)} in ${(s.durationMs / 1000).toFixed(1)} s (${s.status})`,
  );
  const skipped = Object.entries(s.skipped ?? {}).filter(([, n]) => n > 0);
  if (skipped.length > 0)
    lines.push(
      `Judged again on resume and kept: ${skipped.map(([reason, n]) => `skipped: ${reason} ${n}`).join(', ')}`,
    );
  if (s.capped) lines.push('maxDeletes reached: more objects have expired than this run removed.');
  if (s.versioned)
    lines.push(
      'Versioned bucket: delete markers added; old versions keep their bytes until lifecycle expires them.',
    );
  for (const f of s.failures) lines.push(`  failed ${f.key}: ${f.code} ${f.message}`);
  if (s.manifest) lines.push(`Manifest of deleted keys: ${s.manifest}`);
  return lines.join('\n');
}
