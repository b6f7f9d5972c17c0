// Certificates and tokens for the local control plane, made once with openssl under .stack/kube/pki.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Pki {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly apiserverCert: string;
  readonly apiserverKey: string;
  readonly serviceAccountKey: string;
  readonly serviceAccountPub: string;
  readonly frontProxyCaCert: string;
  readonly frontProxyClientCert: string;
  readonly frontProxyClientKey: string;
  /** Serving certificate for kwok's kubelet endpoint and for metrics-server (127.0.0.1, localhost). */
  readonly localServingCert: string;
  readonly localServingKey: string;
  readonly tokenFile: string;
  readonly tokens: { readonly admin: string; readonly readonly: string; readonly mitigator: string };
}

/** The identities the token file defines. */
export const IDENTITIES = {
  admin: { user: 'mcp-admin', groups: ['system:masters'] },
  /** The identity mcp-ops itself uses: read-only RBAC, bound by the seeder. */
  readonly: { user: 'mcp-ops-readonly', groups: ['mcp-ops:readers'] },
  /** The mitigation function's group (core/cluster-access.ts MITIGATOR_GROUP): the one that writes. */
  mitigator: { user: 'mcp-ops-mitigator', groups: ['mcp-ops:mitigator', 'mcp-ops:quarantine'] },
} as const;

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function keyPair(key: string): void {
  openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', key]);
}

function ca(dir: string, name: string, cn: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  keyPair(key);
  openssl(['req', '-x509', '-new', '-key', key, '-subj', `/CN=${cn}`, '-days', '3650', '-out', cert]);
  return { cert, key };
}

function signed(
  dir: string,
  name: string,
  issuer: { cert: string; key: string },
  subject: string,
  extensions: string,
): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  keyPair(key);
  openssl(['req', '-new', '-key', key, '-subj', subject, '-out', csr]);
  writeFileSync(ext, extensions);
  openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    issuer.cert,
    '-CAkey',
    issuer.key,
    '-CAcreateserial',
    '-days',
    '3650',
    '-extfile',
    ext,
    '-out',
    cert,
  ]);
  return { cert, key };
}

const SERVER_EXT = (names: string) =>
  `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${names}\n`;
const CLIENT_EXT =
  'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n';

/** Makes the PKI and token file unless they exist (they survive stack:down, like etcd's data). */
export function ensurePki(kubeDir: string): Pki {
  const dir = join(kubeDir, 'pki');
  const tokenFile = join(dir, 'tokens.csv');
  const paths = {
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    apiserverCert: join(dir, 'apiserver.crt'),
    apiserverKey: join(dir, 'apiserver.key'),
    serviceAccountKey: join(dir, 'sa.key'),
    serviceAccountPub: join(dir, 'sa.pub'),
    frontProxyCaCert: join(dir, 'front-proxy-ca.crt'),
    frontProxyClientCert: join(dir, 'front-proxy-client.crt'),
    frontProxyClientKey: join(dir, 'front-proxy-client.key'),
    localServingCert: join(dir, 'local-serving.crt'),
    localServingKey: join(dir, 'local-serving.key'),
  };
  if (!existsSync(tokenFile)) {
    mkdirSync(dir, { recursive: true });
    const root = ca(dir, 'ca', 'mcp-ops-local-ca');
    signed(
      dir,
      'apiserver',
      root,
      '/CN=kube-apiserver',
      SERVER_EXT(
        'IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc',
      ),
    );
    signed(dir, 'local-serving', root, '/CN=localhost', SERVER_EXT('IP:127.0.0.1,DNS:localhost'));
    keyPair(paths.serviceAccountKey);
    openssl(['pkey', '-in', paths.serviceAccountKey, '-pubout', '-out', paths.serviceAccountPub]);
    const frontProxy = ca(dir, 'front-proxy-ca', 'front-proxy-ca');
    signed(dir, 'front-proxy-client', frontProxy, '/CN=front-proxy-client', CLIENT_EXT);
    const admin = randomBytes(24).toString('hex');
    const reader = randomBytes(24).toString('hex');
    writeFileSync(
      tokenFile,
      [
        `${admin},${IDENTITIES.admin.user},uid-admin,"${IDENTITIES.admin.groups.join(',')}"`,
        `${reader},${IDENTITIES.readonly.user},uid-readonly,"${IDENTITIES.readonly.groups.join(',')}"`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
  }
  // A token file made before the mitigator identity existed gets its line (read at the API server's start).
  // (and its groups as they are now: the line is rewritten, its token kept, when they changed).
  const mitigatorLine = (token: string) =>
    `${token},${IDENTITIES.mitigator.user},uid-mitigator,"${IDENTITIES.mitigator.groups.join(',')}"`;
  const lines = readFileSync(tokenFile, 'utf8').trimEnd().split('\n');
  const at = lines.findIndex((line) => line.includes(`,${IDENTITIES.mitigator.user},`));
  if (at < 0) appendFileSync(tokenFile, `${mitigatorLine(randomBytes(24).toString('hex'))}\n`);
  else if (lines[at] !== mitigatorLine(lines[at]!.split(',')[0]!)) {
    lines[at] = mitigatorLine(lines[at]!.split(',')[0]!);
    writeFileSync(tokenFile, `${lines.join('\n')}\n`, { mode: 0o600 });
  }
  const [admin, reader, mitigator] = readFileSync(tokenFile, 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split(',')[0]!);
  return {
    dir,
    ...paths,
    tokenFile,
    tokens: { admin: admin!, readonly: reader!, mitigator: mitigator! },
  };
}

/** A kubeconfig for one token identity against the local API server, CA-verified. */
export function kubeconfigYaml(server: string, caCert: string, user: string, token: string): string {
  const ca = readFileSync(caCert).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: mcp-local',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${ca}`,
    'users:',
    `- name: ${user}`,
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: mcp-local',
    '  context:',
    '    cluster: mcp-local',
    `    user: ${user}`,
    '    namespace: mcp-system',
    'current-context: mcp-local',
    '',
  ].join('\n');
}
