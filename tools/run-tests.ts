/**
 * `npm test`: the promtool rule tests, the unit tests and the integration tests at once, each in its
 * own process (the integration files share one local stack and run one at a time; the unit files
 * and promtool need none of it, so they run beside them instead of before them). The integration
 * output streams live; the others print when they finish. Fails when any of them fails. Extra
 * arguments go to both vitest runs.
 */
import { spawn } from 'node:child_process';

const extra = process.argv.slice(2);
/** Each run writes its own report file: `--outputFile.json=out/vitest.json` → `out/vitest.unit.json`. */
const forProject = (project: string) =>
  extra.map((a) => a.replace(/^(--outputFile(?:\.json)?=)(.*?)(\.json)?$/, `$1$2.${project}.json`));
const jobs = [
  { name: 'rules (promtool)', args: ['tsx', 'stack/cli.ts', 'test-rules'], live: false },
  { name: 'unit', args: ['vitest', 'run', '--project', 'unit', ...forProject('unit')], live: false },
  {
    name: 'integration',
    args: ['vitest', 'run', '--project', 'integration', ...forProject('integration')],
    live: true,
  },
];

const started = Date.now();
const results = await Promise.all(
  jobs.map(
    (job) =>
      new Promise<{ name: string; code: number; seconds: number }>((resolve) => {
        const child = spawn('npx', job.args, { stdio: job.live ? 'inherit' : ['ignore', 'pipe', 'pipe'] });
        const output: Buffer[] = [];
        child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
        child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
        child.on('close', (code) => {
          const seconds = (Date.now() - started) / 1000;
          if (!job.live) {
            process.stdout.write(`\n==== ${job.name} (${seconds.toFixed(0)} s) ====\n`);
            process.stdout.write(Buffer.concat(output));
          }
          resolve({ name: job.name, code: code ?? 1, seconds });
        });
      }),
  ),
);
console.log(
  `\n${results.map((r) => `${r.name}: ${r.code === 0 ? 'passed' : `FAILED (exit ${r.code})`} in ${r.seconds.toFixed(0)} s`).join('\n')}`,
);
process.exit(results.every((r) => r.code === 0) ? 0 : 1);
