// "Cleanup never deletes what it must keep", on the resume road too: random pauses and crashes,
// re-uploads between invocations, dry-run resumes, hostile checkpoints and retried invocations,
// all through the job's real entry (cleanupJob) over the port-level S3 fake.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config.ts';
import type { DeleteResult } from '../../core/object-store.ts';
import { cleanupJob } from '../../functions/cleanup/cleanup-job.ts';
import type { CleanupSummary } from '../../functions/cleanup/retention-cleanup.ts';
import { MemoryObjectStore } from '../support/memory-object-store.ts';

const DAY_MS = 86_400_000;
const START = new Date('2026-11-25T00:00:00Z');
const STATE = 'state';
const NO_WAIT = { attempts: 3, baseDelayMs: 1, maxDelayMs: 1, sleep: async () => {} };

const objectArb = fc.record({
  folder: fc.constantFrom('', 'builds/', 'releases/', 'models/', 'tmp/'),
  name: fc.stringMatching(/^[a-z0-9]{1,5}$/),
  // Age in seconds: around the floor (7 d), around common retentions, and anywhere up to 400 days.
  age: fc.oneof(
    fc.constantFrom(7 * 86_400 - 1, 7 * 86_400 + 1, 30 * 86_400 + 1, 90 * 86_400 - 1, 90 * 86_400 + 1),
    fc.integer({ min: 0, max: 400 * 86_400 }),
  ),
});

const betweenArb = fc.oneof(
  fc.record({ kind: fc.constant('reupload' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('dry-resume' as const) }),
  fc.record({ kind: fc.constant('retry' as const) }),
  fc.record({
    kind: fc.constant('hostile' as const),
    edit: fc.constantFrom('future-cutoff', 'no-protect', 'backup-bucket', 'tiny-retention', 'later-cutoff'),
    // The request record edited to match, so only today's rules stand in the way.
    everywhere: fc.boolean(),
  }),
);

const scenarioArb = fc.record({
  objects: fc.uniqueArray(objectArb, { maxLength: 40, selector: (o) => o.folder + o.name }),
  retentionDays: fc.option(fc.constantFrom(7, 8, 30, 90, 120), { nil: undefined }),
  configProtect: fc.subarray(['releases/']),
  requestProtect: fc.subarray(['models/', 'tmp/']),
  maxDeletes: fc.option(fc.integer({ min: 1, max: 45 }), { nil: undefined }),
  pauseAfterChecks: fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }),
  crashAtCall: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
  crashAfterDelete: fc.boolean(),
  between: fc.array(betweenArb, { maxLength: 6 }),
});

describe('retention cleanup resumed, over random buckets, pauses, edits and retries', () => {
  it('never deletes anything protected, inside the floor or re-uploaded after the cutoff, and each expired object once', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (s) => {
        const config = parseConfig({ retention: { protectedPrefixes: s.configProtect } });
        const bucket = config.buckets.artifacts;
        let clock = START.getTime();
        const now = () => new Date(clock);
        const store = new MemoryObjectStore();
        store.add(
          bucket,
          s.objects.map((o) => ({
            key: o.folder + o.name,
            size: 1,
            lastModified: new Date(START.getTime() - o.age * 1000),
          })),
        );
        // Every deletion, with what the object was at that moment.
        const deletions: Array<{ key: string; lastModified: Date; at: number }> = [];
        let crashed = false;
        const deleteBatch = store.deleteBatch.bind(store);
        store.deleteBatch = async (b, keys): Promise<DeleteResult> => {
          const call = store.deleteCalls;
          if (!crashed && call === s.crashAtCall && !s.crashAfterDelete) {
            crashed = true;
            store.deleteCalls += 1;
            throw Object.assign(new Error('the process died'), { name: 'Crash' });
          }
          for (const key of keys) {
            const held = store.bucket(b).get(key);
            if (held) deletions.push({ key, lastModified: held.lastModified, at: clock });
          }
          const answer = await deleteBatch(b, keys);
          if (!crashed && call === s.crashAtCall && s.crashAfterDelete) {
            crashed = true;
            throw Object.assign(new Error('the process died after deleting'), { name: 'Crash' });
          }
          return answer;
        };
        let checks = 0;
        let pausesLeft = 3;
        const options = {
          pageSize: 4,
          batchSize: 3,
          listConcurrency: 2,
          deleteConcurrency: 2,
          retry: NO_WAIT,
          // A few pauses, as near a time limit; then the run gets to finish.
          shouldPause: () =>
            s.pauseAfterChecks !== undefined &&
            pausesLeft > 0 &&
            ++checks % s.pauseAfterChecks === 0 &&
            pausesLeft-- > 0,
        };
        const deps = {
          config,
          store,
          now,
          stateBucket: STATE,
          configMapRetentionDays: async () => 90,
          requestId: 'lambda-request-1',
        };
        const request = {
          dryRun: false,
          ...(s.retentionDays ? { retentionDays: s.retentionDays } : {}),
          ...(s.maxDeletes ? { maxDeletes: s.maxDeletes } : {}),
          protectedPrefixes: s.requestProtect,
        };
        const retentionDays = s.retentionDays ?? 90;
        const cutoff = START.getTime() - retentionDays * DAY_MS;
        const maxDeletes = s.maxDeletes ?? 100_000;
        // Prefixes the request protected stay protected unless both of the run's records were
        // rewritten to drop them (whoever can write both has rewritten the request); the configured
        // ones always do.
        let requestProtect = s.requestProtect;
        // What the run's request record protects (the configured prefixes were merged into it).
        let recordProtect = [...s.configProtect, ...s.requestProtect];
        const isKept = (key: string) =>
          [...s.configProtect, ...requestProtect].some((p) => key.startsWith(p));

        const invoke = async (input: object) => {
          try {
            return await cleanupJob(input, deps, options);
          } catch (error) {
            expect(String(error)).toMatch(/Resume it with resumeRunId|the process died/);
            return undefined;
          }
        };
        let runId: string | undefined;
        let summary: CleanupSummary | undefined = await invoke(request);
        runId = summary?.runId;
        const checkpointKey = () => `cleanup/${runId}/checkpoint.json`;
        const findRunId = () =>
          runId ??
          [...store.bucket(STATE).keys()]
            .map((k) => /^cleanup\/(\d{8}T\d{6}Z-[a-z0-9]{6})\//.exec(k)?.[1])
            .find(Boolean);

        for (const step of s.between) {
          clock += 60_000;
          runId = findRunId();
          if (summary?.status === 'completed' || !runId) break;
          if (step.kind === 'reupload') {
            const keys = store.keys(bucket);
            if (keys.length > 0)
              store.add(bucket, [{ key: keys[step.pick % keys.length]!, size: 2, lastModified: now() }]);
          } else if (step.kind === 'dry-resume') {
            const before = deletions.length;
            await expect(cleanupJob({ resumeRunId: runId, dryRun: true }, deps, options)).rejects.toThrow(
              /never a dry run/,
            );
            expect(deletions.length).toBe(before);
          } else if (step.kind === 'retry') {
            const again = await invoke(request);
            if (again) {
              expect(again.runId).toBe(runId);
              summary = again;
            }
          } else {
            const original = store.bucket(STATE).get(checkpointKey())?.body;
            if (!original) continue;
            const checkpoint = JSON.parse(original) as { policy: Record<string, unknown> };
            const edits: Record<string, [object, RegExp]> = {
              'future-cutoff': [{ cutoff: new Date(clock + DAY_MS).toISOString() }, /policy.cutoff/],
              'later-cutoff': [{ cutoff: new Date(clock - 2 * DAY_MS).toISOString() }, /policy.cutoff/],
              'no-protect': [{ protectedPrefixes: [] }, /protectedPrefixes|policy.cutoff/],
              'backup-bucket': [{ bucket: config.buckets.backup }, /policy.bucket/],
              'tiny-retention': [{ retentionDays: 1 }, /policy.retentionDays/],
            };
            const [patch, named] = edits[step.edit]!;
            checkpoint.policy = { ...checkpoint.policy, ...patch };
            await store.putText(STATE, checkpointKey(), JSON.stringify(checkpoint));
            const recordKey = `cleanup/${runId}/request.json`;
            const record = store.bucket(STATE).get(recordKey)?.body;
            if (step.everywhere && record) {
              const edited = JSON.parse(record) as { policy: object };
              edited.policy = { ...edited.policy, ...patch };
              await store.putText(STATE, recordKey, JSON.stringify(edited));
            }
            const before = deletions.length;
            const resumed = cleanupJob({ resumeRunId: runId, dryRun: false }, deps, options);
            // Refused when it drops a prefix the run's request record still holds.
            const nothingDropped = recordProtect.length === 0;
            if (step.edit === 'no-protect' && (nothingDropped || step.everywhere)) {
              // Both records rewritten: the request's own prefixes are gone with them; today's
              // configured ones come back all the same.
              if (step.everywhere) {
                requestProtect = [];
                recordProtect = [];
              }
              summary = await resumed.catch(() => undefined);
            } else {
              await expect(resumed).rejects.toThrow(named);
              expect(deletions.length).toBe(before);
              await store.putText(STATE, checkpointKey(), original);
              if (record) await store.putText(STATE, recordKey, record);
            }
          }
        }
        for (let i = 0; i < 30 && summary?.status !== 'completed'; i += 1) {
          clock += 60_000;
          runId = findRunId();
          summary = await invoke(runId ? { resumeRunId: runId, dryRun: false } : request);
          if (summary) runId = summary.runId;
        }
        expect(summary?.status).toBe('completed');

        const seen = new Set<string>();
        for (const d of deletions) {
          expect(isKept(d.key), `${d.key} is protected`).toBe(false);
          expect(d.lastModified.getTime(), `${d.key} was newer than the cutoff`).toBeLessThan(cutoff);
          expect(d.at - d.lastModified.getTime()).toBeGreaterThan(7 * DAY_MS);
          expect(seen.has(d.key), `${d.key} deleted twice`).toBe(false);
          seen.add(d.key);
        }
        expect(deletions.length).toBeLessThanOrEqual(maxDeletes);
        expect(summary!.deleted).toBe(deletions.length);
        // Every object that is still expired and unprotected is gone, unless the cap stopped it.
        const stillExpired = [...store.bucket(bucket)].filter(
          ([key, o]) =>
            ![...s.configProtect, ...s.requestProtect].some((p) => key.startsWith(p)) &&
            o.lastModified.getTime() < cutoff,
        );
        // (A key skipped on resume had taken its place in the budget: the run is capped then.)
        const skipped = Object.values(summary!.skipped).reduce((a, b) => a + (b ?? 0), 0);
        if (deletions.length + skipped < maxDeletes) expect(stillExpired.map(([k]) => k)).toEqual([]);
        // The one request made one run: every retry and resume answered with it.
        const runs = new Set(
          [...store.bucket(STATE).keys()].flatMap(
            (k) => /^cleanup\/(\d{8}T\d{6}Z-[a-z0-9]{6})\//.exec(k)?.[1] ?? [],
          ),
        );
        expect(runs.size).toBe(1);
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 300) },
    );
  });
});
