import { join } from 'node:path';

/**
 * A benchmark's child program bundled by esbuild as the Lambda functions are, to run with plain node
 * (no TypeScript loader in its memory or CPU figures). Returns the bundle's path.
 */
export async function bundleChild(name: string): Promise<string> {
  const { build } = await import('esbuild');
  const outfile = join(import.meta.dirname, 'out', `${name}.mjs`);
  await build({
    entryPoints: [join(import.meta.dirname, `${name}.ts`)],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    outfile,
    logLevel: 'error',
    banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
  });
  return outfile;
}
