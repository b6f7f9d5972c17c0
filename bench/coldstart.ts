// Cold init of each function as Lambda starts it: the bundle `cdk synth` builds, in AWS's Runtime
// Interface Emulator on the template's Node.js major, with the template's handler and environment
// (NODE_OPTIONS included). The emulator's own `INIT REPORT(durationMs)` is the figure: runtime
// start, module load and top-level code, up to the first handler call. Side by side with a bundle
// that does nothing (the runtime's floor) and the target for the escalation intake, which stands
// between an alert and a page.
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureLambdaRuntime } from '../stack/lambda-runtime.ts';
import {
  functionsOf,
  placeholderResources,
  runFunction,
  synthesize,
  type FunctionSpec,
} from '../test/support/deployed-stack.ts';
import type { BenchResult } from './bench-result.ts';

const RUNS = Number(process.env.BENCH_COLDSTART_RUNS ?? 5);
const INTAKE_TARGET_MS = 300;
const OUT = join(import.meta.dirname, '..', 'out', 'coldstart');

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

async function coldInits(
  spec: FunctionSpec,
  runtime: ReturnType<typeof ensureLambdaRuntime>,
): Promise<number[]> {
  const inits: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    // A fresh emulator each time: every run is a cold start. The event is one the handler refuses
    // at its edge, so nothing but init is measured and no AWS call is made.
    const fn = await runFunction(spec, runtime, {
      AWS_ACCESS_KEY_ID: 'AKIAPLACEHOLDER',
      AWS_SECRET_ACCESS_KEY: 'placeholder',
      MCP_OPS_AWS_ENDPOINT: 'http://127.0.0.1:9',
    });
    try {
      await fn.invoke({ coldStartProbe: true });
      const init = fn.initMs();
      if (init === undefined) throw new Error(`${spec.name}: no INIT REPORT\n${fn.output().slice(-2000)}`);
      inits.push(init);
    } finally {
      await fn.stop();
    }
  }
  return inits;
}

export async function run(): Promise<BenchResult> {
  const runtime = ensureLambdaRuntime();
  const cdkOut = join(OUT, 'cdk.out');
  const resolver = synthesize(cdkOut);
  placeholderResources(resolver);
  const specs = functionsOf(resolver, cdkOut);

  // The floor: a handler that does nothing, on the same runtime with the same NODE_OPTIONS.
  const floorDir = join(OUT, 'floor');
  mkdirSync(floorDir, { recursive: true });
  writeFileSync(join(floorDir, 'index.mjs'), 'export const handler = async () => ({});\n');
  const floorSpec: FunctionSpec = {
    ...specs[0]!,
    name: 'empty-handler',
    assetDir: floorDir,
    environment: { NODE_OPTIONS: specs[0]!.environment.NODE_OPTIONS ?? '' },
  };
  const floor = median(await coldInits(floorSpec, runtime));

  const rows: BenchResult['rows'] = [
    { name: 'empty handler (floor)', figures: { init_ms: floor, over_floor_ms: 0, bundle_kb: 0 } },
  ];
  const byName: Record<string, number> = {};
  for (const spec of specs.sort((a, b) => a.name.localeCompare(b.name))) {
    const init = median(await coldInits(spec, runtime));
    byName[spec.name] = init;
    rows.push({
      name: spec.name,
      figures: {
        init_ms: init,
        over_floor_ms: init - floor,
        bundle_kb: Math.round(statSync(join(spec.assetDir, 'index.mjs')).size / 1024),
        memory_mb: spec.memorySize,
      },
    });
  }
  const intake = byName['mcp-ops-escalation-intake']!;
  rows.push({ name: 'target: escalation intake', figures: { init_ms: INTAKE_TARGET_MS } });
  return {
    title: `Cold init on the Lambda Runtime Interface Emulator, Node.js ${runtime.nodeVersion}, median of ${RUNS} cold starts each`,
    rows,
    ratios: {
      intake_init_ms: intake,
      intake_vs_target: intake / INTAKE_TARGET_MS,
      intake_vs_floor: intake / floor,
    },
    extra: { initMs: byName, floorMs: floor, runs: RUNS },
  };
}
