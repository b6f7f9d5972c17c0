import { loadYaml } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config.ts';
import { THRESHOLDS, thresholdText } from '../../core/thresholds.ts';
import type { ChecksDeps } from '../../functions/checks/checks-deps.ts';
import { eveningReport, morningReport, reachableFromMail } from '../../functions/checks/checklists.ts';
import { judge, keyMetrics } from '../../functions/checks/service-metrics.ts';
import {
  buildDashboards,
  dashboardFiles,
  DASHBOARD_TITLES,
  DASHBOARDS_DIR,
  thresholdSteps,
} from '../../lib/dashboards.ts';
import { MANIFEST_FILE, prometheusRuleManifest } from '../../stack/prometheus-rule.ts';
import { applyThresholds, RULES_FILE } from '../../stack/threshold-rules.ts';

interface Rule {
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
}

const committedRules = readFileSync(RULES_FILE, 'utf8');
const rulesByName = new Map(
  loadYaml<{ groups: Array<{ rules: Rule[] }> }>(committedRules)
    .groups.flatMap((g) => g.rules)
    .map((r) => [r.alert, r]),
);

/** The table with one level moved: what a person editing core/thresholds.ts does. */
const moved = (id: string, alert: string, value: number) =>
  THRESHOLDS.map((row) =>
    row.id !== id
      ? row
      : { ...row, levels: row.levels.map((l) => (l.alert === alert ? { ...l, value } : l)) },
  );

describe('the reports link each section to its dashboard panel over the report’s time range', () => {
  it('names panels that exist, with the base URL from the configuration', async () => {
    const now = new Date('2026-11-27T17:00:00Z');
    // Ports that refuse everything: every section fails, and still carries its link.
    const refuse = new Proxy(
      {},
      {
        get: () => () => {
          throw new Error('refused');
        },
      },
    );
    const deps = {
      config: parseConfig({ grafana: { baseUrl: 'https://grafana.example.com/' } }),
      kube: refuse,
      prometheus: refuse,
      store: refuse,
      now: () => now,
    } as unknown as ChecksDeps;
    const dashboards = buildDashboards();
    const links: string[] = [];
    for (const [report, hours] of [
      [morningReport, 1],
      [eveningReport, 24],
    ] as const) {
      for (const section of (await report(deps, { sectionTimeoutMs: 1_000 })).sections) {
        if (!section.dashboardUrl) continue;
        const url = new URL(section.dashboardUrl);
        expect(url.origin).toBe('https://grafana.example.com');
        const uid = url.pathname.replace('/d/', '') as keyof typeof dashboards;
        expect(dashboards[uid], section.dashboardUrl).toBeDefined();
        const panel = url.searchParams.get('viewPanel');
        if (panel)
          expect(dashboards[uid].panels!.map((p) => String((p as { id?: number }).id))).toContain(panel);
        expect(Number(url.searchParams.get('to'))).toBe(now.getTime());
        expect(Number(url.searchParams.get('from'))).toBe(now.getTime() - hours * 3_600_000);
        links.push(`${section.id} ${uid}${panel ? `#${panel}` : ''}`);
      }
    }
    expect(links).toEqual([
      'pods mcp-overview#6',
      'errors mcp-overview#2',
      'metrics mcp-validation',
      'resources mcp-overview#5',
      'alerts mcp-overview#7',
      'daily-metrics mcp-validation',
      'slos mcp-overview#9',
    ]);
    // The default Grafana is in the cluster: no mail client could open it, so no link at all.
    const inCluster = { ...deps, config: parseConfig({}) } as ChecksDeps;
    const sections = (await morningReport(inCluster, { sectionTimeoutMs: 1_000 })).sections;
    expect(sections.filter((s) => s.dashboardUrl)).toEqual([]);
    expect(reachableFromMail('http://grafana-mcp.mcp-system.svc.cluster.local:3000')).toBe(false);
    expect(reachableFromMail('http://grafana:3000')).toBe(false);
    expect(reachableFromMail('http://127.0.0.1:3000')).toBe(false);
    expect(reachableFromMail('https://g-abc.grafana-workspace.eu-west-1.amazonaws.com')).toBe(true);
  });
});

describe('one table of thresholds behind rules, reports and dashboards', () => {
  it('is what the committed rules say: expression, duration, severity and priority of every level', () => {
    expect(applyThresholds(committedRules)).toBe(committedRules);
    expect(readFileSync(MANIFEST_FILE, 'utf8')).toBe(prometheusRuleManifest(committedRules));
    for (const row of THRESHOLDS)
      for (const level of row.levels) {
        const rule = rulesByName.get(level.alert);
        expect(rule, level.alert).toBeDefined();
        expect(rule!.expr.endsWith(` ${level.value}`), `${level.alert}: ${rule!.expr}`).toBe(true);
        expect(rule!.for).toBe(level.for);
        expect(rule!.labels?.severity).toBe(level.severity);
        expect(rule!.labels?.priority).toBe(level.priority);
      }
  });

  it('is what the committed dashboards draw, with the manual’s URLs and titles', () => {
    for (const [name, content] of Object.entries(dashboardFiles()))
      expect(readFileSync(join(DASHBOARDS_DIR, name), 'utf8'), `${name}: run npm run dashboards`).toBe(
        content,
      );
    const dashboards = buildDashboards();
    expect(Object.keys(dashboards).sort()).toEqual([
      'mcp-artifacts',
      'mcp-overview',
      'mcp-promotion',
      'mcp-validation',
    ]);
    for (const [uid, d] of Object.entries(dashboards)) {
      expect(d.uid).toBe(uid);
      expect(d.title).toBe(DASHBOARD_TITLES[uid as keyof typeof DASHBOARD_TITLES]);
      expect(d.templating?.list?.[0]).toMatchObject({
        type: 'datasource',
        name: 'datasource',
        query: 'prometheus',
      });
    }
    // The manual's key metrics, each on its dashboard.
    const queries = (uid: keyof typeof dashboards) =>
      JSON.stringify(dashboards[uid].panels?.map((p) => (p as { targets?: unknown }).targets));
    const manual: Record<keyof typeof dashboards, string[]> = {
      'mcp-validation': [
        'validation_total',
        'validation_errors_total',
        'validation_duration_seconds',
        'validation_cache_hit_rate',
      ],
      'mcp-promotion': [
        'promotion_total',
        'promotion_success_total',
        'promotion_failures_total',
        'promotion_rollbacks_total',
        'promotion_duration_seconds',
      ],
      'mcp-artifacts': [
        'artifact_uploads_total',
        'artifact_downloads_total',
        'artifact_storage_used_bytes',
        'artifact_lookup_duration_seconds',
      ],
      'mcp-overview': [
        'http_requests_total',
        'http_request_duration_seconds',
        'process_cpu_seconds_total',
        'process_resident_memory_bytes',
        'ALERTS',
      ],
    };
    for (const [uid, metrics] of Object.entries(manual))
      for (const metric of metrics) expect(queries(uid as keyof typeof dashboards), uid).toContain(metric);
  });

  it('moves the report’s judgement and the panel’s threshold line with the table', () => {
    const table = moved('validation_error_rate', 'ValidationErrorRateHigh', 0.03);
    const definition = (t: typeof THRESHOLDS) => keyMetrics(t).find((m) => m.id === 'validation_error_rate')!;
    expect(judge(definition(THRESHOLDS), 0.04).level).toBe('OK');
    expect(judge(definition(table), 0.04).level).toBe('WARNING');
    expect(definition(table).threshold).toBe('> 3% warning, > 10% critical');
    const panel = (t: typeof THRESHOLDS) =>
      buildDashboards(t)['mcp-validation'].panels!.find((p) => (p as { id?: number }).id === 2) as {
        fieldConfig: { defaults: { thresholds: { steps: Array<{ value: number | null; color: string }> } } };
      };
    expect(panel(table).fieldConfig.defaults.thresholds.steps).toEqual([
      { value: null, color: 'green' },
      { value: 0.03, color: 'orange' },
      { value: 0.1, color: 'red' },
    ]);
    expect(panel(THRESHOLDS).fieldConfig.defaults.thresholds.steps[1]).toEqual({
      value: 0.05,
      color: 'orange',
    });
  });

  it('draws a below-threshold (cache hit rate) as bad under the edge', () => {
    const row = THRESHOLDS.find((r) => r.id === 'cache_hit_rate')!;
    expect(thresholdText(row)).toBe('< 70% info');
    expect(thresholdSteps(row)).toEqual([
      { value: null, color: 'blue' },
      { value: 0.7, color: 'green' },
    ]);
  });

  it('gives every level of a panel its own step and colour, and the rollbacks panel is neutral at 0', () => {
    const dashboards = buildDashboards();
    type Panel = {
      id: number;
      type: string;
      title: string;
      description?: string;
      fieldConfig?: { defaults: { thresholds?: { steps: Array<{ value: number | null; color: string }> } } };
    };
    for (const [uid, d] of Object.entries(dashboards))
      for (const p of d.panels as Panel[]) {
        const steps = p.fieldConfig?.defaults.thresholds?.steps ?? [];
        expect(new Set(steps.map((x) => x.value)).size, `${uid} ${p.title} values`).toBe(steps.length);
        expect(new Set(steps.map((x) => x.color)).size, `${uid} ${p.title} colours`).toBe(steps.length);
        // Every panel's description links its runbook.
        expect(p.description, `${uid} ${p.title}`).toMatch(/https:\/\/\S+\/docs\/runbooks\/[a-z0-9-]+\.md/);
      }
    const steps = (row: string) => thresholdSteps(THRESHOLDS.find((r) => r.id === row)!);
    // The manual's P2 and P0 edges show: error rate orange, red, dark red; latency yellow, orange, red.
    expect(steps('request_error_rate').map((x) => x.color)).toEqual(['green', 'orange', 'red', 'dark-red']);
    expect(steps('request_p95').map((x) => x.color)).toEqual(['green', 'yellow', 'orange', 'red']);
    const rollbacks = steps('promotion_rollbacks');
    expect(rollbacks[0]).toEqual({ value: null, color: 'green' });
    expect(rollbacks[1]!.value).toBeGreaterThan(0);
    expect(rollbacks[1]!.value).toBeLessThan(0.01);
  });

  it('has stat panels for the SLOs and their budgets, namespace and pod variables, and annotations', () => {
    const overview = buildDashboards()['mcp-overview'] as unknown as {
      panels: Array<{ type: string; title: string; targets: Array<{ expr: string }> }>;
      templating: { list: Array<{ name: string; type: string }> };
      annotations: { list: Array<{ name: string; expr?: string }> };
    };
    const stats = overview.panels.filter((p) => p.type === 'stat');
    expect(stats.map((p) => p.title)).toEqual([
      'Availability (30 days; SLO 99.9 %)',
      'Availability error budget left (30 days)',
      'Requests within 100 ms (30 days; SLO 95 %)',
      'Latency error budget left (30 days)',
    ]);
    expect(stats.every((p) => p.targets[0]!.expr.includes('slo:'))).toBe(true);
    expect(overview.templating.list.map((v) => `${v.name}:${v.type}`)).toEqual([
      'datasource:datasource',
      'namespace:query',
      'pod:query',
    ]);
    expect(overview.annotations.list.map((a) => a.name)).toEqual(
      expect.arrayContaining([
        'Deployments (rollout revision changes)',
        'Maintenance window',
        'Incidents (paging alerts)',
      ]),
    );
  });
});
