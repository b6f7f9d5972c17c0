import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config.ts';
import {
  CleanupRequestError,
  decidePolicy,
  isExpired,
  parseCleanupRequest,
  resumedPolicy,
} from '../../functions/cleanup/retention-policy.ts';
import { positiveInteger as parseRetentionDays } from '../../core/service-config.ts';
import { mergeLifecycleRules, retentionLifecycleRules } from '../../functions/cleanup/lifecycle-rule.ts';
import { countObject, emptyReport, mergeReports } from '../../functions/cleanup/storage-report.ts';

const config = parseConfig({ retention: { protectedPrefixes: ['releases/'] } });
const now = new Date('2026-11-25T12:00:00Z');
const context = { now, stateBucket: 'mcp-ops-reports' };

describe('the cleanup request', () => {
  it('is a dry run unless dryRun:false is said explicitly', () => {
    expect(parseCleanupRequest({}).dryRun).toBe(true);
    expect(parseCleanupRequest(undefined).dryRun).toBe(true);
    expect(parseCleanupRequest({ dryRun: false }).dryRun).toBe(false);
  });

  it('refuses unknown keys and nonsense with a clear error', () => {
    expect(() => parseCleanupRequest({ retentionDays: -3 })).toThrow(
      /Invalid cleanup request: retentionDays: Too small/,
    );
    expect(() => parseCleanupRequest({ dryrun: false })).toThrow(/Unrecognized key: "dryrun"/);
    expect(() => parseCleanupRequest({ dryRun: 'no' })).toThrow(/dryRun: Invalid input: expected boolean/);
    expect(() => parseCleanupRequest({ maxDeletes: 0 })).toThrow(/maxDeletes/);
    expect(() => parseCleanupRequest({ resumeRunId: '../../etc' })).toThrow(/expected a run id/);
  });

  it('refuses, before any call, retentions no date can hold and resumes that are not plainly resumes', () => {
    expect(() => parseCleanupRequest({ retentionDays: Number.MAX_SAFE_INTEGER })).toThrow(
      /retentionDays: Too big: expected number to be <=36500/,
    );
    expect(() => parseCleanupRequest({ retentionDays: 36_501 })).toThrow(/retentionDays/);
    expect(parseCleanupRequest({ retentionDays: 36_500 }).retentionDays).toBe(36_500);
    expect(() => parseCleanupRequest({ retentionDays: 30.5 })).toThrow(
      /retentionDays: Invalid input: expected int/,
    );
    expect(() => parseCleanupRequest({ retentionDays: Number.NaN })).toThrow(/retentionDays/);
    const run = '20261125T101500Z-ab12cd';
    expect(() => parseCleanupRequest({ resumeRunId: run })).toThrow(
      /dryRun: resuming run .* never a dry run/,
    );
    expect(() => parseCleanupRequest({ resumeRunId: run, dryRun: true })).toThrow(/never a dry run/);
    expect(() => parseCleanupRequest({ resumeRunId: run, dryRun: false, retentionDays: 30 })).toThrow(
      /retentionDays: a resume continues run 20261125T101500Z-ab12cd with its own policy/,
    );
    expect(parseCleanupRequest({ resumeRunId: run, dryRun: false, protectedPrefixes: ['x/'] })).toMatchObject(
      {
        resumeRunId: run,
        dryRun: false,
      },
    );
  });

  it('holds a resumed run to today’s rules, naming the stored field it refuses', () => {
    const runId = '20261125T120000Z-ab12cd';
    const stored = {
      bucket: 'mcp-artifacts',
      prefix: '',
      retentionDays: 90,
      cutoff: '2026-08-27T12:00:00.000Z',
      dryRun: false,
      maxDeletes: 10,
      protectedPrefixes: [],
      versionedBucket: 'refuse',
    };
    const later = { now: new Date('2026-11-26T12:00:00Z'), stateBucket: 'mcp-ops-reports' };
    const policy = resumedPolicy(runId, stored, config, { ...later, protectedPrefixes: ['keep/'] });
    // Today's configured prefixes and the request's are merged in; the cutoff stays the run's.
    expect(policy.protectedPrefixes).toEqual(['releases/', 'keep/']);
    expect(policy.cutoff.toISOString()).toBe('2026-08-27T12:00:00.000Z');
    expect(policy.dryRun).toBe(false);
    const refused = (patch: object) => () => resumedPolicy(runId, { ...stored, ...patch }, config, later);
    expect(refused({ cutoff: '2026-11-27T00:00:00.000Z' })).toThrow(
      /cannot be resumed: checkpoint.policy.cutoff: 2026-11-27T00:00:00.000Z is later than the run's start/,
    );
    // A cutoff inside the floor, with a retention edited to match, is still refused by the floor.
    expect(refused({ cutoff: '2026-11-24T00:00:00.000Z', retentionDays: 1 })).toThrow(
      /checkpoint.policy.retentionDays: 1 is below the configured floor of 7 days/,
    );
    expect(refused({ bucket: 'mcp-artifacts-backup' })).toThrow(
      /checkpoint.policy.bucket: mcp-artifacts-backup is the backup bucket/,
    );
    expect(refused({ cutoff: 'tomorrow' })).toThrow(/checkpoint.policy.cutoff: Invalid ISO datetime/);
    expect(refused({ dryRun: true })).toThrow(/checkpoint.policy.dryRun: a stored run always deletes/);
    expect(refused({ maxDeletes: -1 })).toThrow(/checkpoint.policy.maxDeletes/);
    expect(refused({ retentionDays: 1e9 })).toThrow(
      /checkpoint.policy.retentionDays: expected a whole number/,
    );
    // A run paused for weeks: the floor is measured from today, the run's cutoff still holds.
    const weeksOn = { now: new Date('2027-01-01T00:00:00Z'), stateBucket: 'mcp-ops-reports' };
    expect(resumedPolicy(runId, stored, config, weeksOn).cutoff.toISOString()).toBe(stored.cutoff);
  });

  it('refuses a retention below the configured floor and the backup bucket', () => {
    expect(() => decidePolicy(parseCleanupRequest({ retentionDays: 3 }), config, context)).toThrow(
      /retentionDays: 3 is below the configured floor of 7 days/,
    );
    expect(() =>
      decidePolicy(parseCleanupRequest({ bucket: 'mcp-artifacts-backup' }), config, context),
    ).toThrow(CleanupRequestError);
  });

  it('takes retention from the request, else the ConfigMap, else configuration', () => {
    const fromRequest = decidePolicy(parseCleanupRequest({ retentionDays: 30 }), config, {
      ...context,
      configMapRetentionDays: 60,
    });
    expect(fromRequest.retentionDays).toBe(30);
    const fromMap = decidePolicy(parseCleanupRequest({}), config, { ...context, configMapRetentionDays: 60 });
    expect(fromMap.retentionDays).toBe(60);
    expect(fromMap.cutoff.toISOString()).toBe('2026-09-26T12:00:00.000Z');
    const fromConfig = decidePolicy(parseCleanupRequest({}), config, context);
    expect(fromConfig.retentionDays).toBe(90);
    expect(fromConfig.bucket).toBe('mcp-artifacts');
  });

  it('reads the ConfigMap value as the manual writes it', () => {
    expect(parseRetentionDays('90')).toBe(90);
    expect(parseRetentionDays(' 30 ')).toBe(30);
    expect(parseRetentionDays('ninety')).toBeUndefined();
    expect(parseRetentionDays('-1')).toBeUndefined();
    expect(parseRetentionDays(undefined)).toBeUndefined();
  });

  it('compares times, not strings, and never expires a protected key', () => {
    const policy = decidePolicy(parseCleanupRequest({ protectedPrefixes: ['golden/'] }), config, context);
    const justBefore = new Date(policy.cutoff.getTime() - 1);
    expect(isExpired({ key: 'a/x', lastModified: justBefore }, policy)).toBe(true);
    expect(isExpired({ key: 'a/x', lastModified: policy.cutoff }, policy)).toBe(false);
    expect(isExpired({ key: 'golden/x', lastModified: new Date(0) }, policy)).toBe(false);
    expect(isExpired({ key: 'releases/x', lastModified: new Date(0) }, policy)).toBe(false);
  });

  it('protects its own state when pointed at the reports bucket', () => {
    const policy = decidePolicy(parseCleanupRequest({ bucket: 'mcp-ops-reports' }), config, context);
    expect(isExpired({ key: 'cleanup/run/manifest/x.json', lastModified: new Date(0) }, policy)).toBe(false);
  });
});

describe('the storage report', () => {
  it('keeps the 20 largest objects, largest first, across partitions', () => {
    const a = emptyReport();
    const b = emptyReport();
    for (let i = 0; i < 50; i += 1) {
      countObject(i % 2 ? a : b, { key: `k${i}`, size: i * 10, lastModified: new Date(0) });
    }
    const merged = mergeReports([a, b]);
    expect(merged.objects).toBe(50);
    expect(merged.bytes).toBe(12_250);
    expect(merged.largest.map((o) => o.size)).toEqual(Array.from({ length: 20 }, (_, i) => (49 - i) * 10));
  });
});

describe('the equivalent lifecycle rules', () => {
  it('write one rule per unprotected top-level prefix and keep the bucket’s other rules', () => {
    const rules = retentionLifecycleRules({
      retentionDays: 90,
      topLevelPrefixes: ['builds/', 'releases/', 'tmp/'],
      protectedPrefixes: ['releases/'],
      noncurrentDays: 90,
    });
    expect(rules.map((r) => r.Filter?.Prefix)).toEqual(['builds/', 'tmp/']);
    expect(rules[0]).toMatchObject({
      ID: 'mcp-ops-retention-builds',
      Status: 'Enabled',
      Expiration: { Days: 90 },
      NoncurrentVersionExpiration: { NoncurrentDays: 90 },
    });
    const merged = mergeLifecycleRules(
      [
        { ID: 'logs-expiry', Status: 'Enabled' },
        { ID: 'mcp-ops-retention-old', Status: 'Enabled' },
      ],
      rules,
    );
    expect(merged.map((r) => r.ID)).toEqual([
      'logs-expiry',
      'mcp-ops-retention-builds',
      'mcp-ops-retention-tmp',
    ]);
  });
});
