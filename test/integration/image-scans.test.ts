import {
  CreateRepositoryCommand,
  ECRClient,
  PutImageCommand,
  StartImageScanCommand,
} from '@aws-sdk/client-ecr';
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { awsClientConfig } from '../../core/aws.ts';
import { parseConfig } from '../../core/config.ts';
import { EcrImageScans, parseEcrImage } from '../../functions/checks/adapters/ecr-image-scans.ts';
import { securityFindings } from '../../functions/checks/sections/security.ts';
import type { KubernetesPort } from '../../core/kubernetes.ts';
import { localTarget } from '../support/aws.ts';

const endpoints = inject('endpoints');

describe('ECR scan findings through the local AWS server', () => {
  const ecr = new ECRClient(awsClientConfig(localTarget()));
  const scans = new EcrImageScans(ecr);

  async function scannedImage(): Promise<string> {
    const repositoryName = `mcp/semantic-${randomUUID().slice(0, 6)}`;
    await ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: {
        mediaType: 'application/vnd.docker.container.image.v1+json',
        size: 1,
        digest: `sha256:${'a'.repeat(64)}`,
      },
      layers: [],
    });
    await ecr.send(new PutImageCommand({ repositoryName, imageManifest: manifest, imageTag: 'v3.0.0' }));
    await ecr.send(new StartImageScanCommand({ repositoryName, imageId: { imageTag: 'v3.0.0' } }));
    return `${endpoints.aws.accountId}.dkr.ecr.${endpoints.region}.amazonaws.com/${repositoryName}:v3.0.0`;
  }

  it('reads the severity counts of an image in ECR, and nothing for images elsewhere or never pushed', async () => {
    const image = await scannedImage();
    expect(parseEcrImage(image)).toMatchObject({ tag: 'v3.0.0', region: endpoints.region });
    const scan = await scans.scanOf(image);
    expect(scan?.image).toBe(image);
    expect(Object.values(scan!.counts).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(await scans.scanOf('mcp/semantic-control-plane:v3.0.0')).toBeUndefined();
    expect(await scans.scanOf(image.replace(':v3.0.0', ':never-pushed'))).toBeUndefined();
  });

  it('turns high and critical findings into security findings of the pod’s image', async () => {
    const image = await scannedImage();
    const kube = {
      async *pods() {
        yield [
          {
            metadata: { name: 'p' },
            // One image in ECR (scanned), the manual's own image on Docker Hub (nothing scans it).
            spec: {
              containers: [
                { name: 'c', image },
                { name: 'sidecar', image: 'mcp/semantic-control-plane:v3.0.0' },
              ],
            },
            status: { phase: 'Running' },
          },
        ];
      },
      networkPolicies: async () => [],
      roles: async () => [],
      roleBindings: async () => [],
      clusterRoles: async () => [],
      clusterRoleBindings: async () => [],
      secretsMetadata: async () => [],
    } as unknown as KubernetesPort;
    const { findings } = await securityFindings({
      config: parseConfig({}),
      kube,
      prometheus: null as never,
      store: null as never,
      imageScans: scans,
      now: () => new Date(),
    });
    const imageFinding = findings.find((f) => f.area === 'image');
    expect(imageFinding).toMatchObject({
      object: image,
      fix: 'rebuild on a patched base image and roll out',
    });
    expect(imageFinding?.problem).toMatch(/\d+ critical and \d+ high vulnerabilities \(ECR scan\)/);
    // The image outside ECR is named as not scanned, never passed over.
    expect(findings.filter((f) => f.area === 'image' && f.object !== image)).toEqual([
      {
        severity: 'WARNING',
        area: 'image',
        object: 'mcp/semantic-control-plane:v3.0.0',
        problem: 'is not scanned for vulnerabilities: not in ECR, the only scanner configured',
        fix: 'push them to ECR with scan on push (or an ECR pull-through cache), or scan them with trivy image before they run',
      },
    ]);
  });
});
