// npm run stack:up | stack:down | stack:status | test:rules
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { configFromNamedOrDefault } from '../core/config-file.ts';
import { ENDPOINTS_FILE, readEndpoints, STACK_DIR } from './endpoints.ts';
import { join } from 'node:path';
import { adminClient } from './kube/cluster.ts';
import { SCENARIOS, seedScenario, type Scenario } from './kube/scenarios.ts';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { RULES_DIR } from './prometheus.ts';
import { ensureDebianPackages, stackDown, stackStatus, stackUp } from './stack.ts';

const command = process.argv[2];
try {
  if (command === 'up') {
    const result = await stackUp(
      configFromNamedOrDefault(process.env.MCP_OPS_CONFIG ?? process.env.MCP_OPS_CONFIG_FILE),
    );
    if (result.started.length) console.log(`started: ${result.started.join(', ')}`);
    if (result.alreadyRunning.length) console.log(`already running: ${result.alreadyRunning.join(', ')}`);
    console.log(`local stack up in ${result.seconds.toFixed(1)} s; endpoints in ${ENDPOINTS_FILE}`);
  } else if (command === 'down') {
    const stopped = await stackDown();
    console.log(stopped.length ? `stopped: ${stopped.join(', ')}` : 'nothing was running');
  } else if (command === 'test-rules') {
    ensureDebianPackages(console.log);
    const files = readdirSync(RULES_DIR).filter((f) => f.endsWith('.test.yml'));
    const run = spawnSync('promtool', ['test', 'rules', ...files], { cwd: RULES_DIR, stdio: 'inherit' });
    process.exitCode = run.status ?? 1;
  } else if (command === 'scenario') {
    const name = process.argv[3] as Scenario;
    if (!SCENARIOS.includes(name)) throw new Error(`usage: npm run stack:scenario -- ${SCENARIOS.join('|')}`);
    const started = Date.now();
    await seedScenario(
      adminClient(readEndpoints().kubernetes?.kubeconfig ?? ''),
      name,
      join(STACK_DIR, 'kube', 'logs'),
    );
    console.log(`cluster in scenario ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } else if (command === 'status') {
    for (const [name, state] of Object.entries(stackStatus())) console.log(`${name.padEnd(20)} ${state}`);
  } else {
    console.error('usage: tsx stack/cli.ts up|down|status|test-rules|scenario <name>');
    process.exit(2);
  }
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
