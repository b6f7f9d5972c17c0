// Where the command line finds AWS and the cluster, as the aws CLI and kubectl users expect.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { profileRegion } from '../../bin/aws-profile.ts';
import { loadKubeconfig } from '../../bin/terminal-cluster.ts';

const usage = (message: string) => new Error(message);

function kubeconfig(dir: string, name: string): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: prod',
      '  cluster: { server: "https://127.0.0.1:6443" }',
      '- name: staging',
      '  cluster: { server: "https://127.0.0.1:7443" }',
      'users:',
      '- name: me',
      '  user: { token: x }',
      'contexts:',
      '- name: prod',
      '  context: { cluster: prod, user: me }',
      '- name: staging',
      '  context: { cluster: staging, user: me }',
      'current-context: prod',
      '',
    ].join('\n'),
  );
  return path;
}

describe('the command line’s AWS profile and kubeconfig', () => {
  it('takes the region from the named profile of the shared config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aws-'));
    const file = join(dir, 'config');
    writeFileSync(
      file,
      '[default]\nregion = us-east-1\n\n[profile eu]\noutput = json\nregion = eu-west-1 # Ireland\n[profile none]\n',
    );
    const env = { AWS_CONFIG_FILE: file };
    expect(profileRegion('eu', env)).toBe('eu-west-1');
    expect(profileRegion('default', env)).toBe('us-east-1');
    expect(profileRegion('none', env)).toBeUndefined();
    expect(profileRegion('eu', { AWS_CONFIG_FILE: join(dir, 'missing') })).toBeUndefined();
  });

  it('finds the kubeconfig as kubectl does and switches to --context', () => {
    const home = mkdtempSync(join(tmpdir(), 'home-'));
    expect(loadKubeconfig({}, usage, { HOME: home })).toBeUndefined();
    mkdirSync(join(home, '.kube'));
    kubeconfig(join(home, '.kube'), 'config');
    expect(loadKubeconfig({}, usage, { HOME: home })!.getCurrentContext()).toBe('prod');
    expect(loadKubeconfig({ context: 'staging' }, usage, { HOME: home })!.getCurrentCluster()!.server).toBe(
      'https://127.0.0.1:7443',
    );
    expect(() => loadKubeconfig({ context: 'nope' }, usage, { HOME: home })).toThrow(
      /--context nope: no such context in .*config \(it has prod, staging\)/,
    );
    // KUBECONFIG (its first file) before ~/.kube/config; --kubeconfig before both.
    const other = mkdtempSync(join(tmpdir(), 'kc-'));
    const first = kubeconfig(other, 'a.yaml');
    const env = { HOME: home, KUBECONFIG: `${first}:${join(other, 'b.yaml')}` };
    expect(loadKubeconfig({ context: 'staging' }, usage, env)!.getCurrentContext()).toBe('staging');
    expect(() => loadKubeconfig({ kubeconfig: join(other, 'typo.yaml') }, usage, env)).toThrow(
      /does not exist/,
    );
  });
});
