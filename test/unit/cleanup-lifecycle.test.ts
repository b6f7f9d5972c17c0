import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config.ts';
import { lifecyclePlan } from '../../functions/cleanup/lifecycle-job.ts';
import { MemoryObjectStore } from '../support/memory-object-store.ts';

const config = parseConfig({ retention: { protectedPrefixes: ['releases/'] } });
const store = new MemoryObjectStore();
store.add('mcp-artifacts', [
  { key: 'builds/a.tar', size: 1, lastModified: new Date('2026-01-01') },
  { key: 'releases/v1.tar', size: 1, lastModified: new Date('2026-01-01') },
  { key: 'scratch/b', size: 1, lastModified: new Date('2026-01-01') },
]);
const deps = (configMap?: number) => ({
  config,
  store,
  now: () => new Date('2026-11-27T00:00:00Z'),
  configMapRetentionDays: async () => configMap,
});

describe('cleanup lifecycle decides as cleanup does', () => {
  it('expires each unprotected top-level prefix after the ConfigMap’s retention', async () => {
    const plan = await lifecyclePlan({}, deps(30));
    expect(plan).toMatchObject({ bucket: 'mcp-artifacts', retentionDays: 30, retentionSource: 'configmap' });
    const prefixes = plan.rules.map((r) => r.Filter?.Prefix);
    expect(prefixes).toContain('builds/');
    expect(prefixes).toContain('scratch/');
    expect(prefixes).not.toContain('releases/');
    expect(plan.rules.every((r) => r.Expiration?.Days === 30)).toBe(true);
  });

  it('refuses the backup bucket and a retention below the floor, as cleanup does', async () => {
    await expect(lifecyclePlan({ bucket: 'mcp-artifacts-backup' }, deps())).rejects.toThrow(
      /is the backup bucket/,
    );
    await expect(lifecyclePlan({ retentionDays: 3 }, deps())).rejects.toThrow(
      /below the configured floor of 7 days/,
    );
  });
});
