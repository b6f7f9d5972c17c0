// The backup verification the manual asks for (pointer, metadata, age, counts, sizes, checksums),
// in core/ because three jobs run it: backup (daily), checks (the morning report's section) and
// maintenance (the pre-check).
import { createHash } from 'node:crypto';
import { mapBounded } from './bounded.ts';
import type { ObjectStore, StoredObject } from './object-store.ts';
import { readBackupMetadata, readBackupPointer, type BackupMetadata } from './backup-metadata.ts';

/** Every way a backup can fail verification, named as the verdict reports it. */
export type BackupFailure =
  | 'pointer-missing'
  | 'pointer-invalid'
  | 'folder-missing'
  | 'metadata-missing'
  | 'metadata-unparsable'
  | 'metadata-incomplete'
  | 'stale'
  | 'count-mismatch'
  | 'size-mismatch'
  | 'checksum-mismatch'
  | 'checksum-missing';

export type CheckName = 'pointer' | 'folder' | 'metadata' | 'freshness' | 'completeness' | 'checksums';

export interface BackupCheck {
  readonly name: CheckName;
  readonly status: 'passed' | 'failed' | 'skipped';
  readonly detail: string;
}

export interface BackupVerdict {
  readonly verified: boolean;
  readonly bucket: string;
  readonly folder?: string;
  readonly backupTime?: string;
  readonly ageHours?: number;
  readonly found?: { readonly objects: number; readonly bytes: number };
  readonly declared?: { readonly objects: number; readonly bytes: number };
  readonly sampled: number;
  readonly checks: BackupCheck[];
  readonly failures: BackupFailure[];
  readonly checkedAt: string;
  readonly durationMs: number;
}

export interface BackupVerifyOptions {
  readonly bucket: string;
  readonly maxAgeHours: number;
  /** Objects read back whole and checksummed, chosen at random. */
  readonly sampleSize: number;
  readonly now: () => Date;
  readonly random?: () => number;
  /** Objects read at the same time while checksumming. */
  readonly readConcurrency?: number;
}

const POINTER_KEY = 'latest.txt';
const METADATA_NAME = 'metadata.json';
/** How many differing keys a verdict names before saying "and N more". */
const EXAMPLES = 5;

interface FolderScan {
  objects: number;
  bytes: number;
  sample: StoredObject[];
  /** Keys the metadata lists that were not found, and found keys it does not list or sizes differently. */
  missing: string[];
  unexpected: string[];
  wrongSize: string[];
  hasMetadataFile: boolean;
}

/**
 * One pass over the folder: counts and bytes, a reservoir sample (memory bounded by the sample
 * size, not the backup), and a key-by-key comparison when the metadata lists its objects.
 */
async function scanFolder(
  store: ObjectStore,
  bucket: string,
  folder: string,
  listed: Map<string, { size: number }> | undefined,
  sampleSize: number,
  random: () => number,
): Promise<FolderScan> {
  const prefix = `${folder}/`;
  const scan: FolderScan = {
    objects: 0,
    bytes: 0,
    sample: [],
    missing: [],
    unexpected: [],
    wrongSize: [],
    hasMetadataFile: false,
  };
  const unseen = listed ? new Set(listed.keys()) : undefined;
  let token: string | undefined;
  do {
    const page = await store.listPage({
      bucket,
      prefix,
      pageSize: 1000,
      ...(token ? { continuationToken: token } : {}),
    });
    for (const object of page.objects) {
      const relative = object.key.slice(prefix.length);
      if (relative === METADATA_NAME) {
        scan.hasMetadataFile = true;
        continue;
      }
      scan.objects += 1;
      scan.bytes += object.size;
      if (scan.sample.length < sampleSize) scan.sample.push(object);
      else {
        const slot = Math.floor(random() * scan.objects);
        if (slot < sampleSize) scan.sample[slot] = object;
      }
      if (listed && unseen) {
        const entry = listed.get(relative);
        if (!entry) scan.unexpected.push(relative);
        else {
          unseen.delete(relative);
          if (entry.size !== object.size) scan.wrongSize.push(relative);
        }
      }
    }
    token = page.nextToken;
  } while (token);
  if (unseen) scan.missing = [...unseen];
  return scan;
}

function examples(keys: readonly string[]): string {
  const shown = keys.slice(0, EXAMPLES).join(', ');
  return keys.length > EXAMPLES ? `${shown} and ${keys.length - EXAMPLES} more` : shown;
}

async function sha256Of(body: AsyncIterable<Uint8Array>): Promise<{ digest: Buffer; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of body) {
    hash.update(chunk);
    bytes += chunk.byteLength;
  }
  return { digest: hash.digest(), bytes };
}

type SampleOutcome =
  | { key: string; result: 'match' }
  | { key: string; result: 'mismatch'; detail: string }
  | { key: string; result: 'no-checksum' };

async function checkSample(
  store: ObjectStore,
  bucket: string,
  object: StoredObject,
  prefix: string,
  listed: Map<string, { size: number; sha256?: string }> | undefined,
): Promise<SampleOutcome> {
  const key = object.key;
  const content = await store.readObject(bucket, key);
  if (!content) return { key, result: 'mismatch', detail: `${key} vanished while verifying` };
  const { digest, bytes } = await sha256Of(content.body);
  if (bytes !== object.size)
    return { key, result: 'mismatch', detail: `${key}: read ${bytes} bytes, listed as ${object.size}` };
  const recorded = listed?.get(key.slice(prefix.length))?.sha256;
  const references: { source: string; expected: string; actual: string }[] = [];
  if (content.checksumSha256)
    references.push({ source: 'S3', expected: content.checksumSha256, actual: digest.toString('base64') });
  if (recorded) references.push({ source: 'metadata', expected: recorded, actual: digest.toString('hex') });
  if (references.length === 0) return { key, result: 'no-checksum' };
  const wrong = references.find((r) => r.expected !== r.actual);
  return wrong
    ? {
        key,
        result: 'mismatch',
        detail: `${key}: sha256 ${wrong.actual} but ${wrong.source} says ${wrong.expected}`,
      }
    : { key, result: 'match' };
}

/**
 * The manual's evening "Backup verification", done properly: the pointer, the folder it names, its
 * metadata, freshness, completeness against the metadata, and sampled checksums. Every failed check
 * is named in the verdict; a check that cannot run because an earlier one failed is "skipped".
 */
export async function verifyBackup(store: ObjectStore, options: BackupVerifyOptions): Promise<BackupVerdict> {
  const started = Date.now();
  const { bucket } = options;
  const random = options.random ?? Math.random;
  const checks: BackupCheck[] = [];
  const failures: BackupFailure[] = [];
  const fail = (name: CheckName, failure: BackupFailure, detail: string) => {
    checks.push({ name, status: 'failed', detail });
    if (!failures.includes(failure)) failures.push(failure);
  };
  const skip = (names: CheckName[], detail: string) => {
    for (const name of names) checks.push({ name, status: 'skipped', detail });
  };
  const verdict = (extra: Partial<BackupVerdict>): BackupVerdict => ({
    verified: failures.length === 0,
    bucket,
    sampled: 0,
    ...extra,
    checks,
    failures,
    checkedAt: options.now().toISOString(),
    durationMs: Date.now() - started,
  });

  const pointerText = await store.getText(bucket, POINTER_KEY);
  if (pointerText === undefined) {
    fail('pointer', 'pointer-missing', `s3://${bucket}/${POINTER_KEY} does not exist`);
    skip(['folder', 'metadata', 'freshness', 'completeness', 'checksums'], 'no backup named');
    return verdict({});
  }
  const pointer = readBackupPointer(pointerText, bucket);
  if ('error' in pointer) {
    fail('pointer', 'pointer-invalid', pointer.error);
    skip(['folder', 'metadata', 'freshness', 'completeness', 'checksums'], 'no backup named');
    return verdict({});
  }
  const { folder } = pointer;
  const prefix = `${folder}/`;
  checks.push({ name: 'pointer', status: 'passed', detail: `latest.txt names ${folder}` });

  const metadataText = await store.getText(bucket, `${prefix}${METADATA_NAME}`);
  const reading = metadataText === undefined ? undefined : readBackupMetadata(metadataText);
  const metadata: BackupMetadata | undefined = reading?.ok ? reading.metadata : undefined;
  const listed = metadata?.objects
    ? new Map(
        metadata.objects.map((o) => [o.key, { size: o.size, ...(o.sha256 ? { sha256: o.sha256 } : {}) }]),
      )
    : undefined;

  const scan = await scanFolder(store, bucket, folder, listed, options.sampleSize, random);
  if (scan.objects === 0 && !scan.hasMetadataFile) {
    fail(
      'folder',
      'folder-missing',
      `latest.txt names ${folder}, but s3://${bucket}/${prefix} holds nothing`,
    );
    skip(['metadata', 'freshness', 'completeness', 'checksums'], 'the folder is missing');
    return verdict({ folder });
  }
  checks.push({
    name: 'folder',
    status: 'passed',
    detail: `${scan.objects.toLocaleString('en-US')} objects, ${scan.bytes.toLocaleString('en-US')} bytes`,
  });
  const found = { objects: scan.objects, bytes: scan.bytes };

  if (!reading) fail('metadata', 'metadata-missing', `${prefix}${METADATA_NAME} does not exist`);
  else if (!reading.ok) fail('metadata', reading.failure, `${prefix}${METADATA_NAME}: ${reading.detail}`);
  else checks.push({ name: 'metadata', status: 'passed', detail: 'valid' });

  let backupTime: string | undefined;
  let ageHours: number | undefined;
  if (!metadata) skip(['freshness'], 'no valid metadata to date the backup');
  else {
    backupTime = metadata.completedAt ?? metadata.createdAt;
    ageHours = (options.now().getTime() - Date.parse(backupTime)) / 3_600_000;
    const age = `${ageHours.toFixed(1)} h old (at most ${options.maxAgeHours} h)`;
    if (ageHours > options.maxAgeHours) fail('freshness', 'stale', `backup is ${age}`);
    else checks.push({ name: 'freshness', status: 'passed', detail: age });
  }

  const declared = metadata ? { objects: metadata.objectCount, bytes: metadata.totalBytes } : undefined;
  if (!metadata) skip(['completeness'], 'no valid metadata to compare with');
  else {
    const problems: string[] = [];
    if (metadata.objectCount !== scan.objects) {
      problems.push(`found ${scan.objects} objects, metadata declares ${metadata.objectCount}`);
      fail('completeness', 'count-mismatch', problems.at(-1)!);
    }
    if (scan.missing.length > 0) {
      problems.push(`missing: ${examples(scan.missing)}`);
      fail('completeness', 'count-mismatch', problems.at(-1)!);
    }
    if (scan.unexpected.length > 0) {
      problems.push(`not in metadata: ${examples(scan.unexpected)}`);
      fail('completeness', 'count-mismatch', problems.at(-1)!);
    }
    if (metadata.totalBytes !== scan.bytes) {
      problems.push(`found ${scan.bytes} bytes, metadata declares ${metadata.totalBytes}`);
      fail('completeness', 'size-mismatch', problems.at(-1)!);
    }
    if (scan.wrongSize.length > 0) {
      problems.push(`sizes differ from metadata: ${examples(scan.wrongSize)}`);
      fail('completeness', 'size-mismatch', problems.at(-1)!);
    }
    if (problems.length === 0)
      checks.push({ name: 'completeness', status: 'passed', detail: 'counts and sizes match the metadata' });
  }

  const outcomes = await mapBounded(scan.sample, options.readConcurrency ?? 4, (object) =>
    checkSample(store, bucket, object, prefix, listed),
  );
  const mismatches = outcomes.filter((o) => o.result === 'mismatch');
  const unchecked = outcomes.filter((o) => o.result === 'no-checksum');
  if (outcomes.length === 0) skip(['checksums'], 'no objects to sample');
  else if (mismatches.length > 0)
    fail(
      'checksums',
      'checksum-mismatch',
      `${mismatches.length} of ${outcomes.length} sampled objects differ: ${mismatches
        .slice(0, EXAMPLES)
        .map((m) => (m.result === 'mismatch' ? m.detail : ''))
        .join('; ')}`,
    );
  else if (unchecked.length > 0 && !metadata)
    skip(['checksums'], 'no S3 checksums, and no valid metadata holding digests');
  else if (unchecked.length > 0)
    fail(
      'checksums',
      'checksum-missing',
      `${unchecked.length} of ${outcomes.length} sampled objects have no checksum in S3 or the metadata: ${examples(unchecked.map((u) => u.key))}`,
    );
  else
    checks.push({
      name: 'checksums',
      status: 'passed',
      detail: `${outcomes.length} sampled objects read back, checksums match`,
    });

  return verdict({
    folder,
    found,
    sampled: outcomes.length,
    ...(declared ? { declared } : {}),
    ...(backupTime ? { backupTime } : {}),
    ...(ageHours !== undefined ? { ageHours: Math.round(ageHours * 100) / 100 } : {}),
  });
}

/** The verdict as the lines of a report section or the command line. */
export function formatBackupVerdict(verdict: BackupVerdict): string {
  const head = verdict.verified
    ? `Backup OK: ${verdict.folder} (${verdict.ageHours?.toFixed(1)} h old)`
    : `Backup FAILED (${verdict.failures.join(', ')})${verdict.folder ? `: ${verdict.folder}` : ''}`;
  const lines = verdict.checks.map(
    (c) => `  ${c.status.toUpperCase().padEnd(7)} ${c.name.padEnd(12)} ${c.detail}`,
  );
  return [head, ...lines].join('\n');
}
