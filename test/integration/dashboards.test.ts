// The dashboards against the real Prometheus and API server, and one threshold moved in the table
// reaching the alert rule as promtool evaluates it.
import { dumpYaml } from '@kubernetes/client-node';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { PrometheusHttp } from '../../core/adapters/prometheus-http.ts';
import { THRESHOLDS, thresholdOf } from '../../core/thresholds.ts';
import { DASHBOARDS_CONFIGMAP, dashboardPanels, type PanelSpec } from '../../lib/dashboards.ts';
import { DASHBOARD_ANNOTATIONS, maintenanceWindowExpr } from '../../lib/dashboard-annotations.ts';
import { applyThresholds, RULES_FILE } from '../../stack/threshold-rules.ts';
import { setServiceFault } from '../support/checks.ts';
import { clusterInScenario } from '../support/cluster.ts';
import { eventually } from '../support/eventually.ts';

const endpoints = inject('endpoints');
const prometheus = new PrometheusHttp(endpoints.prometheus);
const panels: Array<PanelSpec & { dashboard: string }> = Object.entries(dashboardPanels()).flatMap(
  ([dashboard, list]) => list.map((p) => ({ ...p, dashboard })),
);

/** promtool's verdict on `rules` for a validation error rate of 4 % held for 20 minutes. */
function promtoolAt4Percent(rules: string, expectFiring: boolean): { ok: boolean; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-ops-thresholds-'));
  writeFileSync(join(dir, 'rules.yml'), rules);
  const summary = /- alert: ValidationErrorRateHigh\n[\s\S]*?summary: (.*)\n\s*description: '(.*)'/.exec(
    rules,
  )!;
  const test = {
    rule_files: ['rules.yml'],
    evaluation_interval: '1m',
    tests: [
      {
        interval: '1m',
        input_series: [
          { series: 'validation_total', values: '0+100x20' },
          { series: 'validation_errors_total{error_type="schema"}', values: '0+4x20' },
        ],
        alert_rule_test: [
          {
            eval_time: '15m',
            alertname: 'ValidationErrorRateHigh',
            exp_alerts: expectFiring
              ? [
                  {
                    exp_labels: {
                      service: 'mcp-semantic',
                      severity: 'warning',
                      runbook: 'runbook-1-high-error-rate',
                    },
                    exp_annotations: {
                      summary: summary[1],
                      description: summary[2]!.replace('{{ $value | humanizePercentage }}', '4%'),
                    },
                  },
                ]
              : [],
          },
        ],
      },
    ],
  };
  writeFileSync(join(dir, 'test.yml'), dumpYaml(test));
  const run = spawnSync('promtool', ['test', 'rules', 'test.yml'], { cwd: dir, encoding: 'utf8' });
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}` };
}

describe('the dashboards on the local stack', () => {
  afterAll(async () => {
    await setServiceFault('reset');
  });

  it('moves the alert rule with the table: promtool fires at 4 % once the warning edge is 3 %', () => {
    const committed = readFileSync(RULES_FILE, 'utf8');
    const quiet = promtoolAt4Percent(committed, false);
    expect(quiet.ok, quiet.output).toBe(true);
    const table = THRESHOLDS.map((row) =>
      row.id !== 'validation_error_rate'
        ? row
        : {
            ...row,
            levels: row.levels.map((l) =>
              l.alert === 'ValidationErrorRateHigh' ? { ...l, value: 0.03 } : l,
            ),
          },
    );
    const moved = applyThresholds(committed, table);
    expect(moved).toContain('summary: Validation error rate above 3 %');
    const firing = promtoolAt4Percent(moved, true);
    expect(firing.ok, firing.output).toBe(true);
  });

  it('answers every panel’s every query with data while the service runs', async () => {
    await setServiceFault('reset');
    const empty: string[] = [];
    await eventually(
      async () => {
        empty.length = 0;
        for (const panel of panels)
          for (const q of panel.queries)
            // A guard (`or vector(0)`) must not hide a typo: its left side must answer too. Only
            // ALERTS is empty while nothing fires.
            for (const expr of [
              q.expr,
              ...(q.expr.includes('ALERTS') ? [] : [q.expr.replace(/ or vector\(0\)$/, '')]),
            ])
              if ((await prometheus.query(expr)).length === 0)
                empty.push(`${panel.dashboard} "${panel.title}": ${expr}`);
        return empty.length === 0 ? true : undefined;
      },
      60_000,
      'every panel query to return data',
    ).catch(() => {
      throw new Error(`panels without data:\n${empty.join('\n')}`);
    });
  });

  it('asks Prometheus valid questions for its annotations, and marks the maintenance window when it is', async () => {
    for (const a of DASHBOARD_ANNOTATIONS) {
      const expr = a.expr.replaceAll('$namespace', 'mcp-system');
      // Valid PromQL (an invalid one throws); empty is fine when nothing happened just now.
      await prometheus.query(expr);
    }
    // The window's expression answers exactly when the clock is inside it.
    const now = new Date();
    const here = {
      weekday: now.getUTCDay(),
      nthOfMonth: Math.ceil(now.getUTCDate() / 7) as 1 | 2 | 3 | 4 | 5,
      startUtc: `${String(now.getUTCHours()).padStart(2, '0')}:00`,
      endUtc: `${String(now.getUTCHours() + 1).padStart(2, '0')}:00`,
    };
    if (here.nthOfMonth < 5 && now.getUTCHours() < 23) {
      expect(await prometheus.query(maintenanceWindowExpr(here))).toHaveLength(1);
      expect(
        await prometheus.query(maintenanceWindowExpr({ ...here, weekday: (here.weekday + 1) % 7 })),
      ).toHaveLength(0);
    }
  });

  it('shows an injected fault crossing the threshold line of the panel that watches it', async () => {
    await setServiceFault({ errorRate: 0.5, latencyMs: 400, storageUsedRatio: 0.95, cacheHitRate: 0.5 });
    const crossing = [
      'request_error_rate',
      'validation_error_rate',
      'promotion_failure_rate',
      'upload_failure_rate',
      'request_p95',
      'validation_p95',
      'storage_used',
      'cache_hit_rate',
    ];
    const values = new Map<string, number | undefined>();
    await eventually(
      async () => {
        for (const id of crossing) {
          const row = thresholdOf(id);
          const panel = panels.find((p) => p.threshold === id)!;
          const [sample] = await prometheus.query(panel.queries[0]!.expr);
          values.set(id, sample?.value);
          const edge = Math.min(...row.levels.map((l) => l.value));
          const crossed =
            sample !== undefined && (row.direction === 'above' ? sample.value > edge : sample.value < edge);
          if (!crossed) return undefined;
        }
        return true;
      },
      120_000,
      'each faulted panel to cross its first threshold line',
    ).catch((error: Error) => {
      throw new Error(`${error.message}: ${JSON.stringify(Object.fromEntries(values))}`);
    });
  }, 180_000);

  it('is a ConfigMap the API server accepts, labelled for the Grafana sidecar', async () => {
    await clusterInScenario('healthy');
    const out = execFileSync(
      'kubectl',
      [
        'apply',
        '--dry-run=server',
        '-f',
        DASHBOARDS_CONFIGMAP,
        '--kubeconfig',
        endpoints.kubernetes!.kubeconfig,
      ],
      { encoding: 'utf8' },
    );
    expect(out.trim()).toBe('configmap/mcp-ops-dashboards created (server dry run)');
    const manifest = readFileSync(DASHBOARDS_CONFIGMAP, 'utf8');
    expect(manifest).toMatch(/grafana_dashboard: "1"|grafana_dashboard: '1'/);
    for (const uid of ['mcp-overview', 'mcp-validation', 'mcp-promotion', 'mcp-artifacts'])
      expect(manifest).toContain(`${uid}.json:`);
  });
});
