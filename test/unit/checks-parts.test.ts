import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { eksToken } from '../../core/adapters/eks.ts';
import type { KubernetesPort } from '../../core/kubernetes.ts';
import { equalityMatcher, withSharedPodListings } from '../../functions/checks/shared-listings.ts';
import { parseExposition } from '../../core/prometheus.ts';
import { gatherSections, overallStatus, type Section } from '../../functions/checks/report-model.ts';
import { reportSubject, reportText } from '../../functions/checks/render.ts';
import { errorSignature } from '../../core/pod-logs.ts';
import { podState } from '../../functions/checks/sections/pods.ts';
import { isDefaultDeny, podSecurityFindings } from '../../functions/checks/sections/security.ts';
import { errorBudgetLeft, monthToDateSeconds } from '../../functions/checks/sections/slos.ts';
import { quantileFromBuckets } from '../../functions/checks/service-metrics.ts';

const section = (over: Partial<Section>): Section => ({
  id: 's',
  title: 'S',
  status: 'OK',
  summary: '',
  findings: [],
  lines: [],
  data: null,
  durationMs: 1,
  ...over,
});

describe('report status', () => {
  it('is the worst finding, and names it in one line', () => {
    const result = overallStatus([
      section({
        title: 'Pods',
        status: 'WARNING',
        findings: [{ status: 'WARNING', text: '1 pod OOMKilled' }],
      }),
      section({
        title: 'Alerts',
        status: 'CRITICAL',
        findings: [{ status: 'CRITICAL', text: 'MCPSemanticDown firing' }],
      }),
    ]);
    expect(result).toEqual({ status: 'CRITICAL', reason: 'Alerts: MCPSemanticDown firing' });
  });

  it('is never OK when a section could not be gathered', () => {
    const result = overallStatus([
      section({}),
      section({ title: 'Pods', status: 'FAILED', error: 'timed out after 5 s' }),
    ]);
    expect(result.status).toBe('WARNING');
    expect(result.reason).toMatch(/Pods could not be checked \(timed out after 5 s\)/);
  });

  it('fails one section that throws or hangs and keeps the others', async () => {
    const sections = await gatherSections(
      [
        { id: 'ok', title: 'fine', run: async () => ({ summary: 'fine', findings: [], lines: [], data: 1 }) },
        { id: 'boom', title: 'throws', run: async () => Promise.reject(new Error('connect ECONNREFUSED')) },
        { id: 'hang', title: 'hangs', timeoutMs: 50, run: () => new Promise(() => {}) },
      ],
      1_000,
    );
    expect(sections.map((s) => [s.id, s.status, s.error ?? ''])).toEqual([
      ['ok', 'OK', ''],
      ['boom', 'FAILED', 'connect ECONNREFUSED'],
      ['hang', 'FAILED', 'timed out after 0 s'],
    ]);
  });
});

describe('report text for email', () => {
  const big = {
    kind: 'morning' as const,
    title: 'MCP Level 3 morning health check',
    generatedAt: '2026-11-25T17:00:00.000Z',
    status: 'WARNING' as const,
    reason: 'Errors: many',
    durationMs: 1200,
    sections: [
      section({
        title: 'Errors',
        lines: Array.from({ length: 20_000 }, (_, i) => `line ${i} ${'x'.repeat(40)}`),
        findings: [{ status: 'WARNING', text: 'keep me' }],
      }),
      section({ title: 'Pods', lines: ['pod-a Running'] }),
    ],
  };

  it('fits an SNS message, keeps every finding and says what was cut', () => {
    const text = reportText(big, { budget: 100_000 });
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(100_000);
    expect(text).toMatch(/keep me/);
    expect(text).toMatch(/pod-a Running/);
    expect(text).toMatch(/… \d+ more line\(s\) cut to fit the email/);
  });

  it('puts the status first in a subject SNS accepts', () => {
    const subject = reportSubject({ ...big, reason: 'x'.repeat(300) }, 'America/Los_Angeles');
    expect(subject.startsWith('[WARNING] MCP Level 3 morning health check 2026-11-25')).toBe(true);
    expect(subject.length).toBeLessThanOrEqual(100);
  });
});

describe('error grouping', () => {
  it('groups the same error whatever its ids, numbers and quoted values', () => {
    const a = errorSignature(
      '2026-11-25T10:00:00.123Z ERROR upload art-1a2b3c4d failed after 31 ms: "disk full"',
    );
    const b = errorSignature('2026-11-25T10:05:00Z ERROR upload art-99887766 failed after 7 ms: "quota"');
    expect(a).toBe(b);
    expect(a).toBe('ERROR upload art-<id> failed after <n> ms: "…"');
    expect(errorSignature('ERROR timeout on 550e8400-e29b-41d4-a716-446655440000')).toBe(
      'ERROR timeout on <uuid>',
    );
  });
});

describe('pod state', () => {
  it('reads CrashLoopBackOff and the last OOMKilled termination with its exit code', () => {
    const pod: V1Pod = {
      metadata: { name: 'p' },
      spec: { nodeName: 'n', containers: [{ name: 'c' }] },
      status: {
        phase: 'Running',
        containerStatuses: [
          {
            name: 'c',
            image: 'i',
            imageID: '',
            ready: false,
            restartCount: 7,
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } },
          },
        ],
      },
    };
    const state = podState(pod, new Date());
    expect(state).toMatchObject({
      ready: '0/1',
      restarts: 7,
      crashLooping: true,
      oomKilled: true,
      healthy: false,
    });
    expect(state.reason).toBe('CrashLoopBackOff, OOMKilled (exit 137)');
  });
});

describe('security findings', () => {
  it('finds privileged, root, hostPath and host network, each with a fix; none on a hardened pod', () => {
    const bad: V1Pod = {
      metadata: { name: 'bad' },
      spec: {
        hostNetwork: true,
        volumes: [{ name: 'root', hostPath: { path: '/' } }],
        containers: [
          {
            name: 'c',
            securityContext: { privileged: true, runAsUser: 0, capabilities: { add: ['SYS_ADMIN'] } },
          },
        ],
      },
    };
    const problems = podSecurityFindings(bad).map((f) => `${f.severity} ${f.problem}`);
    expect(problems).toEqual(
      expect.arrayContaining([
        'CRITICAL uses the host network',
        'CRITICAL mounts hostPath / (volume root)',
        'CRITICAL runs privileged',
        'CRITICAL runs as root (runAsUser: 0)',
        'CRITICAL adds capabilities SYS_ADMIN',
        'WARNING allows privilege escalation',
        'WARNING has a writable root filesystem',
      ]),
    );
    for (const f of podSecurityFindings(bad)) expect(f.fix.length).toBeGreaterThan(10);
    const good: V1Pod = {
      metadata: { name: 'good' },
      spec: {
        containers: [
          {
            name: 'c',
            securityContext: {
              runAsNonRoot: true,
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              capabilities: { drop: ['ALL'] },
            },
          },
        ],
      },
    };
    expect(podSecurityFindings(good)).toEqual([]);
  });

  it('knows a default deny from a policy that allows traffic', () => {
    expect(isDefaultDeny({ spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } })).toBe(true);
    expect(isDefaultDeny({ spec: { podSelector: {}, ingress: [{}] } })).toBe(false);
    expect(
      isDefaultDeny({ spec: { podSelector: { matchLabels: { app: 'x' } }, policyTypes: ['Ingress'] } }),
    ).toBe(false);
  });
});

describe('metrics arithmetic', () => {
  it('estimates p95 from cumulative buckets as histogram_quantile does', () => {
    const scrape = parseExposition(
      [
        '# TYPE d histogram',
        'd_bucket{le="0.05",pod="a"} 50',
        'd_bucket{le="0.1",pod="a"} 90',
        'd_bucket{le="0.2",pod="a"} 100',
        'd_bucket{le="+Inf",pod="a"} 100',
      ].join('\n'),
    );
    expect(quantileFromBuckets(scrape, 'd', 0.95)).toBeCloseTo(0.15, 5);
  });

  it('counts the error budget from the month so far', () => {
    expect(errorBudgetLeft(0.0005)).toBeCloseTo(0.5);
    expect(errorBudgetLeft(0.002)).toBeCloseTo(-1);
    expect(monthToDateSeconds(new Date('2026-11-02T00:00:00Z'))).toBe(86_400);
    // 43 minutes with every pod down in a 30-day month (43 wholly bad minutes, as the rules count
    // them: rules/mcp-semantic.slo.test.yml) spend the whole 0.1 % budget; 44 overspend it.
    const month = 30 * 24 * 60;
    expect(1 - errorBudgetLeft(43 / month)).toBeGreaterThan(0.99);
    expect(errorBudgetLeft(44 / month)).toBeLessThan(0);
    // Latency's budget is 5 % of requests slower than 100 ms.
    expect(errorBudgetLeft(0.025, 0.05)).toBeCloseTo(0.5);
  });
});

describe('EKS token', () => {
  it('is a pre-signed STS GetCallerIdentity URL naming the cluster, as `aws eks get-token` makes', async () => {
    const token = await eksToken(
      'mcp-cluster',
      'eu-west-1',
      { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      new Date('2026-11-25T09:00:00Z'),
    );
    expect(token.startsWith('k8s-aws-v1.')).toBe(true);
    expect(token).not.toMatch(/=+$/);
    const url = new URL(Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString());
    expect(url.host).toBe('sts.eu-west-1.amazonaws.com');
    expect(url.searchParams.get('Action')).toBe('GetCallerIdentity');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
    expect(url.searchParams.get('X-Amz-Credential')).toBe('AKIDEXAMPLE/20261125/eu-west-1/sts/aws4_request');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('shared pod listings', () => {
  it('lists the namespace once for all sections of a report and applies each selector', async () => {
    let listings = 0;
    const pod = (name: string, app: string): V1Pod => ({ metadata: { name, labels: { app } } });
    const kube = {
      async *pods() {
        listings += 1;
        yield [pod('a', 'mcp-semantic'), pod('b', 'mcp-backup')];
        yield [pod('c', 'mcp-semantic')];
      },
    } as unknown as KubernetesPort;
    const shared = withSharedPodListings(kube);
    const names = async (selector?: string) => {
      const out: string[] = [];
      for await (const page of shared.pods('mcp-system', selector))
        out.push(...page.map((p) => p.metadata!.name!));
      return out;
    };
    const [app, all, notApp] = await Promise.all([
      names('app=mcp-semantic'),
      names(),
      names('app!=mcp-semantic'),
    ]);
    expect(app).toEqual(['a', 'c']);
    expect(all).toEqual(['a', 'b', 'c']);
    expect(notApp).toEqual(['b']);
    expect(listings).toBe(1);
    expect(equalityMatcher('app==x, tier!=canary')({ app: 'x', tier: 'stable' })).toBe(true);
    expect(() => equalityMatcher('app in (x)')).toThrow(/unsupported label selector term/);
  });
});
