#!/usr/bin/env node
// The CDK app: one stack, configured from a JSON or YAML file (context key `config`, which must
// exist; default ./mcp-ops.config.json or .yaml when present) over the manual's defaults, checked
// by cdk-nag.
import { App, Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from '../lib/nag.ts';
import { ConfigError } from '../core/config.ts';
import { configFromNamedOrDefault } from '../core/config-file.ts';
import { McpOpsStack } from '../lib/mcp-ops-stack.ts';

const app = new App();
const configPath = app.node.tryGetContext('config') as string | undefined;

try {
  const config = configFromNamedOrDefault(configPath);
  new McpOpsStack(app, 'McpOps', {
    config,
    description: 'mcp-ops: MCP Level 3 operations (reports, backup verification, cleanup, escalation)',
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
