#!/usr/bin/env node
// The `mcp-ops` command (built to dist/mcp-ops.mjs by `npm run build:cli`; `npm run mcp-ops` runs the sources).
import { cli } from './cli.ts';

process.exitCode = await cli(process.argv.slice(2));
