// `npm run build:cli` (also `npm run generate`, and `npm ci` through `prepare`): the `mcp-ops` command as plain
// JavaScript in dist/, so running it needs Node.js and the package's dependencies, not tsx. Each
// command's modules are a separate chunk, loaded only when that command runs (`--help` loads none).
import { build } from 'esbuild';
import { chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const DIST = join(import.meta.dirname, '..', 'dist');
export const CLI_BUNDLE = join(DIST, 'mcp-ops.mjs');

/** Builds into `outdir` (inside the repository, so the bundle finds node_modules); answers the entry. */
export async function buildCli(outdir = DIST): Promise<string> {
  rmSync(outdir, { recursive: true, force: true });
  await build({
    entryPoints: { 'mcp-ops': join(import.meta.dirname, '..', 'bin', 'mcp-ops-cli.ts') },
    bundle: true,
    splitting: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    outdir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    // Dependencies stay in node_modules (they are the package's dependencies); our code is bundled.
    packages: 'external',
    logLevel: 'error',
  });
  const entry = join(outdir, 'mcp-ops.mjs');
  chmodSync(entry, 0o755);
  return entry;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(`built ${await buildCli()}`);
