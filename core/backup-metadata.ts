import { z } from 'zod';
import { describeIssues } from './zod-issues.ts';

/**
 * `metadata.json` as the backup job writes it next to the objects of one backup folder. Keys of
 * `objects` are relative to the folder. Unknown keys are kept: the backup tool may add its own.
 */
export const BackupObjectSchema = z.object({
  key: z.string().min(1),
  size: z.number().int().nonnegative(),
  /** Hex SHA-256 of the object's bytes, used when S3 holds no checksum of its own. */
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, { message: 'expected 64 lower-case hex digits' })
    .optional(),
});

export const BackupMetadataSchema = z
  .looseObject({
    backupId: z.string().min(1).optional(),
    /** When the backup started (ISO 8601 with offset). */
    createdAt: z.iso.datetime({ offset: true }),
    /** When the last object was written; freshness is judged from it when present. */
    completedAt: z.iso.datetime({ offset: true }).optional(),
    objectCount: z.number().int().nonnegative(),
    totalBytes: z.number().int().nonnegative(),
    objects: z.array(BackupObjectSchema).optional(),
  })
  .refine((m) => m.objects === undefined || m.objects.length === m.objectCount, {
    message: 'objects lists a different number of entries than objectCount',
    path: ['objects'],
  });

export type BackupMetadata = z.infer<typeof BackupMetadataSchema>;

export type MetadataReading =
  | { ok: true; metadata: BackupMetadata }
  | { ok: false; failure: 'metadata-unparsable' | 'metadata-incomplete'; detail: string };

/** Parses metadata.json text; the detail names each missing or wrong field with what came. */
export function readBackupMetadata(text: string): MetadataReading {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, failure: 'metadata-unparsable', detail: `not JSON: ${(error as Error).message}` };
  }
  const parsed = BackupMetadataSchema.safeParse(raw);
  if (parsed.success) return { ok: true, metadata: parsed.data };
  return {
    ok: false,
    failure: 'metadata-incomplete',
    detail: describeIssues(parsed.error.issues, { root: '(root)', limit: 5 }),
  };
}

/** `latest.txt` holds the name of the newest backup folder ("2026-11-25T0300Z", maybe with slashes). */
export function readBackupPointer(text: string, bucket: string): { folder: string } | { error: string } {
  let value = text.trim();
  const uri = `s3://${bucket}/`;
  if (value.startsWith(uri)) value = value.slice(uri.length);
  value = value.replace(/^\/+|\/+$/g, '');
  if (!value) return { error: 'latest.txt is empty' };
  if (/[\r\n]/.test(value)) return { error: 'latest.txt holds more than one line' };
  if (value.split('/').some((part) => part === '..' || part === '.'))
    return { error: `latest.txt names "${value}", which is not a folder of the bucket` };
  return { folder: value };
}
