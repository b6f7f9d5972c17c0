import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RetryOptions } from '../../core/retry.ts';
import { deleteWithRetry } from '../../functions/cleanup/batch-delete.ts';
import { runRetentionCleanup, type CleanupOptions } from '../../functions/cleanup/retention-cleanup.ts';
import { isExpired, type RetentionPolicy } from '../../functions/cleanup/retention-policy.ts';
import { RunJournal } from '../../functions/cleanup/run-journal.ts';
import { MemoryObjectStore, throttled } from '../support/memory-object-store.ts';

const NO_WAIT: RetryOptions = { attempts: 6, baseDelayMs: 1, maxDelayMs: 1, sleep: async () => {} };
const CUTOFF = new Date('2026-08-27T00:00:00Z');
const BUCKET = 'artifacts';
const STATE = 'state';

function policy(overrides: Partial<RetentionPolicy> = {}): RetentionPolicy {
  return {
    runId: '20261125T000000Z-abcdef',
    bucket: BUCKET,
    prefix: '',
    retentionDays: 90,
    cutoff: CUTOFF,
    dryRun: false,
    maxDeletes: 1_000_000,
    protectedPrefixes: [],
    versionedBucket: 'refuse',
    ...overrides,
  };
}

function options(overrides: Partial<CleanupOptions> = {}): CleanupOptions {
  return {
    listConcurrency: 2,
    deleteConcurrency: 2,
    pageSize: 5,
    batchSize: 3,
    retry: NO_WAIT,
    shouldPause: () => false,
    ...overrides,
  };
}

const ports = (store: MemoryObjectStore) => ({
  store,
  now: () => new Date('2026-11-25T00:00:00Z'),
  stateBucket: STATE,
});

describe('one DeleteObjects batch', () => {
  it('retries throttling and per-key errors to completion', async () => {
    const store = new MemoryObjectStore({
      beforeDelete: (_keys, call) => {
        if (call < 2) throw throttled();
      },
      keyErrors: (keys, call) => new Map(call === 2 ? [[keys[0]!, 'InternalError']] : []),
    });
    const objects = ['a', 'b', 'c'].map((key) => ({ key, size: 10, lastModified: new Date(0) }));
    store.add(BUCKET, objects);
    const outcome = await deleteWithRetry(store, BUCKET, objects, NO_WAIT);
    expect(outcome).toMatchObject({ deleted: 3, bytes: 30, failed: [] });
    expect(store.keys(BUCKET)).toEqual([]);
    expect(store.deleteCalls).toBe(4);
  });

  it('gives up on a permanent per-key error and reports it', async () => {
    const store = new MemoryObjectStore({ keyErrors: (keys) => new Map([[keys[0]!, 'AccessDenied']]) });
    const objects = ['a', 'b'].map((key) => ({ key, size: 1, lastModified: new Date(0) }));
    store.add(BUCKET, objects);
    const outcome = await deleteWithRetry(store, BUCKET, objects, NO_WAIT);
    expect(outcome.deletedKeys).toEqual(['b']);
    expect(outcome.failed).toEqual([{ key: 'a', code: 'AccessDenied', message: 'injected' }]);
  });

  it('throws when the request keeps failing, so the run stops and can resume', async () => {
    const store = new MemoryObjectStore({
      beforeDelete: () => {
        throw throttled();
      },
    });
    const objects = [{ key: 'a', size: 1, lastModified: new Date(0) }];
    await expect(deleteWithRetry(store, BUCKET, objects, NO_WAIT)).rejects.toThrow(
      /reduce your request rate/,
    );
    expect(store.deleteCalls).toBe(NO_WAIT.attempts);
  });
});

const objectArb = fc.record({
  folder: fc.constantFrom('', 'builds/', 'builds/nightly/', 'models/', 'releases/', 'tmp/'),
  name: fc.stringMatching(/^[a-z0-9]{1,6}$/),
  // Seconds from the cutoff: a second either side is the edge that matters.
  offset: fc.oneof(fc.constantFrom(-1, 0, 1), fc.integer({ min: -400 * 86_400, max: 90 * 86_400 })),
  size: fc.integer({ min: 0, max: 10_000 }),
});

const scenarioArb = fc.record({
  objects: fc.uniqueArray(objectArb, { maxLength: 60, selector: (o) => o.folder + o.name }),
  maxDeletes: fc.option(fc.integer({ min: 1, max: 70 }), { nil: undefined }),
  protect: fc.subarray(['releases/', 'builds/nightly/']),
  pageSize: fc.integer({ min: 1, max: 8 }),
  batchSize: fc.integer({ min: 1, max: 6 }),
  deleteConcurrency: fc.integer({ min: 1, max: 4 }),
  listConcurrency: fc.integer({ min: 1, max: 3 }),
  throttleEvery: fc.option(fc.integer({ min: 2, max: 5 }), { nil: undefined }),
  retryableKeyErrorEvery: fc.option(fc.integer({ min: 2, max: 7 }), { nil: undefined }),
  permanentKeyError: fc.option(fc.stringMatching(/^[a-z0-9]{1}$/), { nil: undefined }),
  crashAtCall: fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }),
  failManifestAt: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
  pauseAfterChecks: fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
});

describe('retention cleanup, over random buckets and failures', () => {
  it('never deletes what it must keep, and deletes every expired object exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (s) => {
        const objects = s.objects.map((o) => ({
          key: o.folder + o.name,
          size: o.size,
          lastModified: new Date(CUTOFF.getTime() + o.offset * 1000),
        }));
        let crashed = false;
        let manifestWrites = 0;
        const store = new MemoryObjectStore({
          beforeDelete: (_keys, call) => {
            if (s.crashAtCall !== undefined && call === s.crashAtCall && !crashed) {
              crashed = true;
              throw Object.assign(new Error('the process died'), { name: 'Crash' });
            }
            // Transient, like real throttling: only the early calls are refused.
            if (s.throttleEvery && call < 15 && call % s.throttleEvery === 1) throw throttled();
          },
          keyErrors: (keys, call) => {
            const errors = new Map<string, string>();
            for (const key of keys) {
              if (s.permanentKeyError && key.endsWith(s.permanentKeyError)) errors.set(key, 'AccessDenied');
              else if (s.retryableKeyErrorEvery && call < 15 && call % s.retryableKeyErrorEvery === 0) {
                errors.set(key, 'InternalError');
              }
            }
            return errors;
          },
        });
        const putText = store.putText.bind(store);
        store.putText = async (bucket, key, body) => {
          if (
            key.includes('/manifest/') &&
            s.failManifestAt !== undefined &&
            manifestWrites++ === s.failManifestAt
          ) {
            throw new Error('the process died before writing the manifest');
          }
          return putText(bucket, key, body);
        };
        store.add(BUCKET, objects);
        const p = policy({ protectedPrefixes: s.protect, maxDeletes: s.maxDeletes ?? 1_000_000 });
        const eligible = new Set(objects.filter((o) => isExpired(o, p)).map((o) => o.key));

        const dry = await runRetentionCleanup(ports(store), { ...p, dryRun: true }, options());
        expect(store.deletions).toEqual([]);
        expect(dry.matched).toBe(Math.min(eligible.size, p.maxDeletes));

        let checks = 0;
        const opts = options({
          pageSize: s.pageSize,
          batchSize: s.batchSize,
          deleteConcurrency: s.deleteConcurrency,
          listConcurrency: s.listConcurrency,
          shouldPause: () => s.pauseAfterChecks !== undefined && ++checks === s.pauseAfterChecks,
        });
        let summary;
        for (let invocation = 0; invocation < 10; invocation += 1) {
          try {
            summary = await runRetentionCleanup(ports(store), p, opts);
            if (summary.status === 'completed') break;
          } catch (error) {
            expect(String(error)).toMatch(/Resume it with resumeRunId/);
          }
        }
        expect(summary?.status).toBe('completed');

        const deleted = store.deletions;
        // Nothing newer than the cutoff, nothing protected, nothing beyond the cap.
        for (const key of deleted) expect(eligible.has(key)).toBe(true);
        expect(deleted.length).toBeLessThanOrEqual(p.maxDeletes);
        // Each object deleted once, and the manifest says so exactly once.
        expect(new Set(deleted).size).toBe(deleted.length);
        const manifest = await new RunJournal(store, STATE, p.runId).readManifest();
        expect([...manifest.deleted].sort()).toEqual([...deleted].sort());
        expect(summary!.deleted).toBe(deleted.length);
        // Every eligible object is gone, unless the manifest names it as failed or the cap stopped it.
        const left = [...eligible].filter((key) => store.bucket(BUCKET).has(key));
        expect(summary!.failed).toBe(manifest.failed.length);
        if (eligible.size <= p.maxDeletes) {
          expect(left.sort()).toEqual([...manifest.failed].sort());
          expect(deleted.length + manifest.failed.length).toBe(dry.matched);
        } else {
          expect(deleted.length + summary!.failed).toBe(p.maxDeletes);
        }
      }),
      { numRuns: 300 },
    );
  });
});
