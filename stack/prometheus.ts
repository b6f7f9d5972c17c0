import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { httpOk, writeIfChanged, type ServiceSpec } from './processes.ts';

export const RULES_DIR = join(import.meta.dirname, '..', 'rules');

/**
 * The local stack runs on a clock 60 times faster for alerting: every `for:` and every range
 * selector of the repository's rules is divided by 60 (5m becomes 5s), so a fault injected into the
 * simulated service fires its rule in seconds. Expressions, labels and thresholds stay as written;
 * `promtool test rules` checks the real durations.
 */
export function compressRuleDurations(rulesYaml: string, factor = 60): string {
  const toSeconds = (amount: string, unit: string) =>
    Number(amount) * ({ ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400 } as Record<string, number>)[unit]!;
  return rulesYaml
    .replace(/^(\s*for:\s*)(\d+)(ms|s|m|h|d)\s*$/gm, (_all, head: string, amount: string, unit: string) => {
      return `${head}${Math.max(1, Math.round(toSeconds(amount, unit) / factor))}s`;
    })
    .replace(/\[(\d+)(ms|s|m|h|d)\]/g, (_all, amount: string, unit: string) => {
      return `[${Math.max(3, Math.round(toSeconds(amount, unit) / factor))}s]`;
    });
}

/**
 * Prometheus' configuration and the rules, written only when they differ (the caller reloads a
 * running Prometheus only then: a reload while an alert resolves can lose the resolve, and
 * Alertmanager then holds the alert until it expires and sends nothing for its next firing).
 */
export function writePrometheusConfig(
  dir: string,
  ports: { service: number; alertmanager: number; kubeStateMetrics?: number },
): { configFile: string; changed: boolean } {
  const rulesOut = join(dir, 'rules');
  mkdirSync(rulesOut, { recursive: true });
  let changed = false;
  for (const file of readdirSync(RULES_DIR).filter((f) => f.endsWith('.rules.yml'))) {
    const rules = compressRuleDurations(readFileSync(join(RULES_DIR, file), 'utf8'));
    changed = writeIfChanged(join(rulesOut, file), rules) || changed;
  }
  const configFile = join(dir, 'prometheus.yml');
  changed =
    writeIfChanged(
      configFile,
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'rule_files:',
        `  - ${join(rulesOut, '*.rules.yml')}`,
        'alerting:',
        '  alertmanagers:',
        '    - static_configs:',
        `        - targets: ['127.0.0.1:${ports.alertmanager}']`,
        'scrape_configs:',
        '  - job_name: mcp-semantic',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${ports.service}']`,
        '        labels: { namespace: mcp-system, app: mcp-semantic }',
        // The pods' states (CrashLoopBackOff, restarts), labelled by kube-state-metrics itself.
        ...(ports.kubeStateMetrics
          ? [
              '  - job_name: kube-state-metrics',
              '    honor_labels: true',
              '    static_configs:',
              `      - targets: ['127.0.0.1:${ports.kubeStateMetrics}']`,
            ]
          : []),
        '',
      ].join('\n'),
    ) || changed;
  execFileSync('promtool', ['check', 'config', configFile], { stdio: 'pipe' });
  return { configFile, changed };
}

export function prometheusService(dir: string, configFile: string, port: number): ServiceSpec {
  return {
    name: 'prometheus',
    command: 'prometheus',
    args: [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-lifecycle',
      '--storage.tsdb.retention.time=2d',
    ],
    ready: () => httpOk(`http://127.0.0.1:${port}/-/ready`),
  };
}

export interface AlertmanagerSnsTarget {
  awsEndpoint: string;
  region: string;
  alertsTopicArn: string;
}

/**
 * The SNS subject Alertmanager sends: SNS refuses a subject of 100 characters or more (and the
 * notification is lost), while the default subject lists every group and common label. This one
 * is `[FIRING:2] AlertName`, the name cut to 80 characters.
 */
export const ALERTMANAGER_SNS_SUBJECT =
  '[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] {{ reReplaceAll "^(.{0,80}).*$" "$1" .CommonLabels.alertname }}';

/** Alertmanager sends every alert to the alerts SNS topic, as deployed; locally, moto's. */
export function writeAlertmanagerConfig(
  dir: string,
  sns: AlertmanagerSnsTarget,
): { configFile: string; changed: boolean } {
  mkdirSync(dir, { recursive: true });
  const configFile = join(dir, 'alertmanager.yml');
  const changed = writeIfChanged(
    configFile,
    [
      'route:',
      '  receiver: alerts-sns',
      "  group_by: ['alertname']",
      '  group_wait: 1s',
      '  group_interval: 5s',
      '  repeat_interval: 1h',
      'receivers:',
      '  - name: alerts-sns',
      '    sns_configs:',
      `      - api_url: ${sns.awsEndpoint}`,
      `        topic_arn: ${sns.alertsTopicArn}`,
      `        subject: '${ALERTMANAGER_SNS_SUBJECT.replace(/'/g, "''")}'`,
      '        sigv4:',
      `          region: ${sns.region}`,
      '          access_key: test',
      '          secret_key: test',
      '        send_resolved: true',
      '',
    ].join('\n'),
  );
  return { configFile, changed };
}

export function alertmanagerService(dir: string, configFile: string, port: number): ServiceSpec {
  return {
    name: 'alertmanager',
    command: 'prometheus-alertmanager',
    args: [
      `--config.file=${configFile}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // No gossip cluster: it would listen on every interface.
      '--cluster.listen-address=',
    ],
    ready: () => httpOk(`http://127.0.0.1:${port}/-/ready`),
  };
}
