import { describe, expect, it } from 'vitest';
import { loadYaml } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compressRuleDurations, RULES_DIR } from '../../stack/prometheus.ts';
import { MANIFEST_FILE, prometheusRuleManifest } from '../../stack/prometheus-rule.ts';

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

describe('the PrometheusRule manifest', () => {
  it('is the rules file, rendered, and kept in step with it', () => {
    const rules = readFileSync(join(RULES_DIR, 'mcp-semantic.rules.yml'), 'utf8');
    const rendered = prometheusRuleManifest(rules);
    expect(readFileSync(MANIFEST_FILE, 'utf8')).toBe(rendered);
    const manifest = loadYaml<{
      kind: string;
      spec: {
        groups: Array<{ rules: Array<{ alert?: string; record?: string; labels: Record<string, string> }> }>;
      };
    }>(rendered.split('\n').slice(1).join('\n'));
    expect(manifest.kind).toBe('PrometheusRule');
    const entries = manifest.spec.groups.flatMap((g) => g.rules);
    // The SLOs' recording rules (each SLI's bad-event ratio per window) travel with the alerts.
    expect(entries.filter((r) => r.record?.startsWith('slo:'))).toHaveLength(14);
    const alerts = entries.filter((r) => r.alert);
    expect(alerts.length).toBeGreaterThanOrEqual(16);
    // Every alert says how severe it is and which runbook section answers it.
    for (const alert of alerts) {
      expect(['critical', 'warning', 'info'], alert.alert!).toContain(alert.labels.severity);
      expect(alert.labels.runbook, alert.alert!).toMatch(/^[a-z0-9-]+$/);
    }
  });
});
