import { z } from 'zod';
import type { OpsConfig } from '../../core/config.ts';
import type { ObjectStore } from '../../core/object-store.ts';
import { verifyBackup, type BackupVerdict } from '../../core/backup-verify.ts';
import { describeIssues } from '../../core/zod-issues.ts';
import { InvalidRequest } from '../../core/errors.ts';

/** What the schedule (or a person) may pass; everything defaults to configuration. */
export const BackupVerifyRequestSchema = z
  .object({
    bucket: z.string().min(3).optional(),
    maxAgeHours: z.number().positive().optional(),
    sampleSize: z.number().int().nonnegative().max(10_000).optional(),
  })
  .strict();

export class BackupRequestError extends InvalidRequest {
  override name = 'BackupRequestError';
}

export function parseBackupRequest(event: unknown): z.infer<typeof BackupVerifyRequestSchema> {
  const parsed = BackupVerifyRequestSchema.safeParse(event ?? {});
  if (parsed.success) return parsed.data;
  throw new BackupRequestError(
    `Invalid backup verification request: ${describeIssues(parsed.error.issues, { root: '(request)' })}`,
  );
}

export interface BackupJobDeps {
  readonly config: OpsConfig;
  readonly store: ObjectStore;
  readonly now: () => Date;
}

/** `mcp-ops backup verify` and the daily backup function: one verification with configured defaults. */
export async function backupVerifyJob(event: unknown, deps: BackupJobDeps): Promise<BackupVerdict> {
  const request = parseBackupRequest(event);
  return verifyBackup(deps.store, {
    bucket: request.bucket ?? deps.config.buckets.backup,
    maxAgeHours: request.maxAgeHours ?? deps.config.backup.maxAgeHours,
    sampleSize: request.sampleSize ?? deps.config.backup.sampleSize,
    now: deps.now,
  });
}
