import { describe, expect, it } from 'vitest';
import { compressRuleDurations } from '../../stack/prometheus.ts';

describe('the local stack’s rule time compression', () => {
  it('divides `for:` and range selectors by 60 and leaves thresholds alone', () => {
    const rules = [
      '      - alert: X',
      '        expr: sum(rate(a_total[5m])) / sum(rate(b_total[1h])) > 0.05',
      '        for: 5m',
      '      - alert: Y',
      '        expr: up == 0',
      '        for: 30s',
    ].join('\n');
    expect(compressRuleDurations(rules)).toBe(
      [
        '      - alert: X',
        '        expr: sum(rate(a_total[5s])) / sum(rate(b_total[60s])) > 0.05',
        '        for: 5s',
        '      - alert: Y',
        '        expr: up == 0',
        '        for: 1s',
      ].join('\n'),
    );
  });

  it('keeps range windows wide enough for a rate over 1 s scrapes', () => {
    expect(compressRuleDurations('rate(x[1m])')).toBe('rate(x[3s])');
  });
});
