import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { OpsConfig } from '../core/config.ts';
import { Backup } from './backup-construct.ts';
import { Checks } from './checks-construct.ts';
import { Cleanup } from './cleanup-construct.ts';
import { Escalation } from './escalation-construct.ts';
import { Foundation } from './foundation.ts';
import { Maintenance } from './maintenance-construct.ts';
import { OperationsDashboard } from './operations-dashboard.ts';

export interface McpOpsStackProps extends StackProps {
  readonly config: OpsConfig;
}

/**
 * The whole of mcp-ops in one stack, composed from one configuration. Each job adds its own
 * construct here when its issue lands; a job that has not landed is absent, not stubbed.
 */
export class McpOpsStack extends Stack {
  readonly foundation: Foundation;
  readonly cleanup: Cleanup;
  readonly escalation: Escalation;
  readonly backup: Backup;
  readonly checks: Checks;
  readonly maintenance: Maintenance;
  readonly operations: OperationsDashboard;

  constructor(scope: Construct, id: string, props: McpOpsStackProps) {
    super(scope, id, props);
    this.foundation = new Foundation(this, 'Foundation', { config: props.config });
    this.cleanup = new Cleanup(this, 'Cleanup', { config: props.config, foundation: this.foundation });
    this.escalation = new Escalation(this, 'Escalation', {
      config: props.config,
      foundation: this.foundation,
    });
    this.backup = new Backup(this, 'Backup', { config: props.config, foundation: this.foundation });
    this.checks = new Checks(this, 'Checks', { config: props.config, foundation: this.foundation });
    this.maintenance = new Maintenance(this, 'Maintenance', {
      config: props.config,
      foundation: this.foundation,
      incidents: this.escalation.table,
      ...(this.checks.mail ? { mail: this.checks.mail } : {}),
    });
    this.operations = new OperationsDashboard(this, 'Operations', {
      dashboardName: `${props.config.resourcePrefix}-operations`,
      jobs: [
        { label: 'checks', job: this.checks.job },
        { label: 'backup', job: this.backup.job },
        { label: 'cleanup', job: this.cleanup.job },
        { label: 'maintenance', job: this.maintenance.job },
        { label: 'intake', job: this.escalation.intake },
        { label: 'tick', job: this.escalation.tick },
        { label: 'respond', job: this.escalation.respond },
        { label: 'diagnose', job: this.escalation.diagnose },
        { label: 'mitigate', job: this.escalation.mitigate },
      ],
    });
    this.outputs();
  }

  /** What a person needs after `cdk deploy`, printed by it and in the console's Outputs tab. */
  private outputs(): void {
    const output = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    output(
      'AlertsTopicArn',
      this.foundation.alertsTopic.topicArn,
      'Alertmanager sns_configs topic_arn (its sigv4 role must be in escalation.alertPublishers); CloudWatch alarms publish here',
    );
    output(
      'RespondUrl',
      this.escalation.respondUrl.url,
      'The acknowledge/resolve page the links in pages open (GET shows, the button POSTs)',
    );
    output(
      'MitigateUrl',
      this.escalation.mitigateUrl.url,
      'The mitigation page the diagnosis links to (GET shows and dry-runs, the button acts); needs rbac/mcp-ops-mitigator.yaml applied',
    );
    output(
      'ReportsBucket',
      this.foundation.reportsBucket.bucketName,
      'Archived reports, diagnoses, reviews and cleanup manifests; mcp-ops --state-bucket for cleanup --apply',
    );
    output(
      'IncidentsTable',
      this.escalation.table.tableName,
      'The incidents (who was paged, who acted, the timeline); mcp-ops incidents reads it',
    );
    output(
      'OperationsDashboard',
      `https://console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards/dashboard/${this.operations.dashboard.dashboardName}`,
      'mcp-ops watching itself: invocations, errors, durations, dead letters, pages sent, sends refused, reports delivered, cleanup progress',
    );
    output(
      'DashboardsConfigMap',
      'dashboards/mcp-ops-dashboards.configmap.yaml',
      'Grafana dashboards for the sidecar: kubectl apply -n <grafana namespace> -f this file (npm run dashboards)',
    );
  }
}
