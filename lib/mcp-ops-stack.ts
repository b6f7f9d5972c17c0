import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { OpsConfig } from '../core/config.ts';
import { Backup } from './backup-construct.ts';
import { Checks } from './checks-construct.ts';
import { Cleanup } from './cleanup-construct.ts';
import { Escalation } from './escalation-construct.ts';
import { Foundation } from './foundation.ts';
import { Maintenance } from './maintenance-construct.ts';

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
  }
}
