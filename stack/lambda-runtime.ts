// What runs the synthesized functions the way Lambda runs them (the deployed-shape test and
// `npm run bench -- coldstart`): AWS's Lambda Runtime Interface Emulator, built from the Go module
// proxy, the Node.js runtime interface client from npm, and Node.js of the template's runtime major
// from the npm registry's binary packages. Installed once into ~/.cache/mcp-ops, like the
// Kubernetes binaries.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The Lambda runtime the CDK app declares (`nodejs22.x`) and the Node.js release that plays it. */
export const LAMBDA_NODE_MAJOR = 22;
const NODE_VERSION = '22.23.3';
const RIC_VERSION = '4.0.2';
/** The emulator's tagged releases are not served by the module proxy; this pseudo-version is. */
const RIE_MODULE = 'github.com/aws/aws-lambda-runtime-interface-emulator';
const RIE_VERSION = 'v0.0.0-20261030222936-bef5c4ba774d';

export interface LambdaRuntime {
  /** aws-lambda-rie */
  readonly rie: string;
  /** Node.js of the Lambda runtime's major. */
  readonly node: string;
  /** The runtime interface client's entry (what Lambda's own image runs as the bootstrap). */
  readonly ric: string;
  /** Built by the client's install scripts; without it the runtime cannot start. */
  readonly nativeClient: string;
  readonly nodeVersion: string;
}

function cacheDir(): string {
  const base = process.env.MCP_OPS_CACHE ?? join(homedir(), '.cache', 'mcp-ops');
  return join(base, `lambda-runtime-node${NODE_VERSION}-ric${RIC_VERSION}-rie${RIE_VERSION.slice(-12)}`);
}

export function lambdaRuntimePaths(): LambdaRuntime {
  const dir = cacheDir();
  const arch = process.arch === 'arm64' ? 'arm64' : 'x64';
  return {
    rie: join(dir, 'bin', 'aws-lambda-rie'),
    node: join(dir, 'node_modules', `node-linux-${arch}`, 'bin', 'node'),
    ric: join(dir, 'node_modules', 'aws-lambda-ric', 'index.mjs'),
    nativeClient: join(dir, 'node_modules', 'aws-lambda-ric', 'rapid-client.node'),
    nodeVersion: NODE_VERSION,
  };
}

/** Installs what is missing; a second call finds everything and returns at once. */
export function ensureLambdaRuntime(log: (line: string) => void = console.log): LambdaRuntime {
  const paths = lambdaRuntimePaths();
  const dir = cacheDir();
  mkdirSync(dir, { recursive: true });
  if (!existsSync(paths.rie)) {
    const started = Date.now();
    log(`building the Lambda Runtime Interface Emulator (${RIE_VERSION}) with Go ...`);
    execFileSync('go', ['install', `${RIE_MODULE}/cmd/aws-lambda-rie@${RIE_VERSION}`], {
      stdio: 'inherit',
      env: { ...process.env, GOBIN: join(dir, 'bin'), CGO_ENABLED: '0' },
    });
    log(`aws-lambda-rie built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  if (!existsSync(paths.node) || !existsSync(paths.ric) || !existsSync(paths.nativeClient)) {
    const started = Date.now();
    log(`installing Node.js ${NODE_VERSION} and aws-lambda-ric ${RIC_VERSION} from npm ...`);
    writeFileSync(join(dir, 'package.json'), '{"private":true}\n');
    // A client installed without its native part is installed again, scripts and all.
    rmSync(join(dir, 'node_modules', 'aws-lambda-ric'), { recursive: true, force: true });
    const arch = process.arch === 'arm64' ? 'arm64' : 'x64';
    // The runtime interface client's install scripts build its native part (rapid-client.node,
    // from the aws-lambda-cpp and curl sources it ships) with node-gyp: about a minute, once.
    execFileSync(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--no-package-lock',
        `node-linux-${arch}@${NODE_VERSION}`,
        `aws-lambda-ric@${RIC_VERSION}`,
      ],
      { cwd: dir, stdio: 'inherit' },
    );
    log(`installed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  if (!existsSync(paths.nativeClient))
    throw new Error(
      `aws-lambda-ric built no ${paths.nativeClient}: its install scripts need a C/C++ toolchain (build-essential, cmake)`,
    );
  const version = execFileSync(paths.node, ['--version'], { encoding: 'utf8' }).trim();
  if (!version.startsWith(`v${LAMBDA_NODE_MAJOR}.`))
    throw new Error(`${paths.node} is ${version}, not Node.js ${LAMBDA_NODE_MAJOR}`);
  return paths;
}

if (import.meta.filename === process.argv[1]) {
  const runtime = ensureLambdaRuntime();
  console.log(JSON.stringify(runtime, null, 2));
}
