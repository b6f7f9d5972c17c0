#!/usr/bin/env node
// The `mcp-ops` command: loads the TypeScript sources through tsx (a dev tool, like the CDK app).
import { register } from 'tsx/esm/api';

register();
await import('./cli.ts');
