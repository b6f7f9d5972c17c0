import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createServiceMetrics, FaultSchema, simulateRequest } from '../../stack/simulated-service.ts';

async function value(registry: Registry, name: string): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}

describe('the simulated mcp-semantic service', () => {
  it('fails the requested share of requests', async () => {
    const registry = new Registry();
    const metrics = createServiceMetrics(registry);
    let seed = 1;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const fault = FaultSchema.parse({ errorRate: 0.3 });
    for (let i = 0; i < 20_000; i += 1) simulateRequest(metrics, fault, random, () => {});
    const total = await value(registry, 'validation_total');
    const errors = await value(registry, 'validation_errors_total');
    expect(total).toBeGreaterThan(4_000);
    expect(errors / total).toBeGreaterThan(0.27);
    expect(errors / total).toBeLessThan(0.33);
    expect(await value(registry, 'promotion_total')).toBe(
      (await value(registry, 'promotion_success_total')) +
        (await value(registry, 'promotion_failures_total')),
    );
  });

  it('refuses a fault outside its range', () => {
    expect(FaultSchema.partial().safeParse({ errorRate: 2 }).success).toBe(false);
    expect(FaultSchema.partial().safeParse({ nonsense: true }).success).toBe(false);
  });
});
