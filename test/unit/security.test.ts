import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config.ts';
import type { KubernetesPort } from '../../core/kubernetes.ts';
import { followUpIncident, type FollowUpDeps } from '../../functions/diagnosis/follow-up.ts';
import { OnCallTierSchema } from '../../core/config.ts';
import type { SecurityApi, SecurityNotice } from '../../core/outbox/security-api.ts';
import { parseAlertMessage } from '../../functions/escalation/alerts.ts';
import { intakeMessage } from '../../functions/escalation/intake.ts';
import { announce } from '../../functions/escalation/notices.ts';
import { falcoPriority, guardDutyPriority } from '../../functions/escalation/security-alerts.ts';
import { incidentSeverity } from '../../core/incidents/severity.ts';
import { amMessage, escalationDeps, RecordingPager, TestClock } from '../support/escalation-harness.ts';
import { MemoryIncidentStore } from '../support/memory-incident-store.ts';
import { guardDutyEvent } from '../support/security-events.ts';
import { raiseCriticalFindings } from '../../functions/checks/security-alerts.ts';

class RecordingSecurityApi implements SecurityApi {
  readonly sent: SecurityNotice[] = [];
  failNext = 0;
  async notify(notice: SecurityNotice) {
    await Promise.resolve();
    if (this.failNext-- > 0) throw new Error('security API answered 503 (injected)');
    this.sent.push(notice);
  }
}

const team = OnCallTierSchema.parse({
  name: 'security',
  title: 'Security Team',
  contact: 'security@ninjatech.ai',
  respondWithinMinutes: 5,
  severities: ['P0', 'P1', 'P2', 'P3'],
});

describe('security signals', () => {
  it('maps GuardDuty, Falco and category=security alerts onto the security track', () => {
    const [gd] = parseAlertMessage(guardDutyEvent('f1'));
    expect(gd).toMatchObject({
      source: 'guardduty',
      category: 'security',
      priority: 'P0',
      pods: ['mcp-semantic-control-plane-7b869d3b91-abcde'],
      dedupKey: 'guardduty:f1',
    });
    expect([9.5, 7, 6.9, 4, 3.9].map(guardDutyPriority)).toEqual(['P0', 'P0', 'P1', 'P1', 'P2']);
    const [falco] = parseAlertMessage(
      JSON.stringify({
        output: '10:00:00 Critical A shell was spawned in a container (user=root pod=p1 ns=mcp-system)',
        priority: 'Critical',
        rule: 'Terminal shell in container',
        time: '2026-12-03T10:00:00.000000000Z',
        output_fields: { 'k8s.pod.name': 'p1', 'k8s.ns.name': 'mcp-system' },
        hostname: 'mcp-node-1',
      }),
    );
    expect(falco).toMatchObject({ source: 'falco', category: 'security', priority: 'P0', pods: ['p1'] });
    expect(['Emergency', 'Error', 'Warning', 'Notice'].map(falcoPriority)).toEqual(['P0', 'P1', 'P2', 'P3']);
    const [am] = parseAlertMessage(
      amMessage('SuspiciousEgress', { severity: 'warning' }).replace(
        '"severity":"warning"',
        '"severity":"warning","category":"security"',
      ),
    );
    expect(am).toMatchObject({ category: 'security' });
    expect(incidentSeverity(am!)).toBe('P0');
  });

  it('opens a P0 that pages the ladder and the Security Team and posts the manual’s JSON, once', async () => {
    const store = new MemoryIncidentStore();
    const clock = new TestClock(new Date('2026-12-03T10:00:30Z'));
    const pager = new RecordingPager();
    const api = new RecordingSecurityApi();
    const deps = { ...escalationDeps(store, clock, pager), security: { team, api, namespace: 'mcp-system' } };
    const [opened] = await intakeMessage(deps, { messageId: 'gd-1', message: guardDutyEvent('f2') });
    const incident = (await store.get(opened!.incidentId!))!;
    expect(incident.severity).toBe('P0');
    expect(pager.sent.map((p) => p.tier).sort()).toEqual(['primary', 'security']);
    expect(api.sent).toEqual([
      expect.objectContaining({
        severity: 'critical',
        type: 'security-breach',
        namespace: 'mcp-system',
        incidentId: incident.id,
        pods: ['mcp-semantic-control-plane-7b869d3b91-abcde'],
      }),
    ]);
    // The same delivery again, and the finding updated (same id): nothing more goes out.
    await intakeMessage(deps, { messageId: 'gd-1', message: guardDutyEvent('f2') });
    await intakeMessage(deps, { messageId: 'gd-1b', message: guardDutyEvent('f2') });
    expect(api.sent).toHaveLength(1);
    expect(pager.sent.filter((p) => p.tier === 'security')).toHaveLength(1);
  });

  it('a security API that fails is recorded and tried again; the pages are not held back', async () => {
    const store = new MemoryIncidentStore();
    const clock = new TestClock(new Date('2026-12-03T10:00:30Z'));
    const pager = new RecordingPager();
    const api = new RecordingSecurityApi();
    api.failNext = 1;
    const deps = { ...escalationDeps(store, clock, pager), security: { team, api, namespace: 'mcp-system' } };
    const [opened] = await intakeMessage(deps, { messageId: 'gd-2', message: guardDutyEvent('f3') });
    expect(pager.sent.map((p) => p.tier).sort()).toEqual(['primary', 'security']);
    expect(api.sent).toHaveLength(0);
    const failed = (await store.get(opened!.incidentId!))!;
    expect(failed.pages['security-api']).toMatchObject({ state: 'failed', failures: 1 });
    await announce(deps, failed); // the next tick's pass
    expect(api.sent).toHaveLength(1);
  });
});

describe('the daily security check’s CRITICAL findings', () => {
  it('each opens a P1 security incident; the next day’s same finding joins it instead of paging again', async () => {
    const sent: string[] = [];
    const sink = { publish: async (_subject: string, message: string) => void sent.push(message) };
    const findings = [
      {
        severity: 'CRITICAL' as const,
        area: 'pod' as const,
        object: 'pod/x container c',
        problem: 'runs privileged',
        fix: 'set privileged: false',
      },
      {
        severity: 'WARNING' as const,
        area: 'image' as const,
        object: 'img:1',
        problem: 'is not scanned',
        fix: 'scan it',
      },
    ];
    expect(await raiseCriticalFindings(sink, findings, new Date('2026-12-03T08:30:00Z'))).toBe(1);
    await raiseCriticalFindings(sink, findings, new Date('2026-12-04T08:30:00Z'));
    const [alert] = parseAlertMessage(sent[0]!);
    expect(alert).toMatchObject({ category: 'security', priority: 'P1', name: 'SecurityCheckCritical' });
    const store = new MemoryIncidentStore();
    const pager = new RecordingPager();
    const api = new RecordingSecurityApi();
    const deps = {
      ...escalationDeps(store, new TestClock(new Date('2026-12-03T08:31:00Z')), pager),
      security: { team, api, namespace: 'mcp-system' },
    };
    const [first] = await intakeMessage(deps, { messageId: 'check-1', message: sent[0]! });
    const [second] = await intakeMessage(deps, { messageId: 'check-2', message: sent[1]! });
    expect(first!.incidentId).toBe(second!.incidentId);
    expect((await store.get(first!.incidentId!))!.severity).toBe('P1');
    expect(api.sent).toHaveLength(1);
    expect(pager.sent.filter((p) => p.tier === 'security')).toHaveLength(1);
  });
});

describe('a security incident’s evidence', () => {
  it('a failing evidence store never holds the diagnosis back; the stream’s retry captures it', async () => {
    const store = new MemoryIncidentStore();
    const clock = new TestClock(new Date('2026-12-03T10:00:30Z'));
    const pager = new RecordingPager();
    const escalation = escalationDeps(store, clock, pager);
    const [opened] = await intakeMessage(escalation, { messageId: 'gd-ev', message: guardDutyEvent('f-ev') });
    const id = opened!.incidentId!;
    let refusals = 1;
    const written: string[] = [];
    const evidenceStore = {
      async put(key: string) {
        await Promise.resolve();
        if (refusals-- > 0) throw new Error('S3 answered 503 (injected)');
        written.push(key);
      },
      location: (key: string) => `s3://evidence/${key}`,
    };
    const source = {
      pod: async () => undefined,
      podLog: async () => '',
      events: async () => [],
      networkPolicies: async () => [],
    };
    const deps: FollowUpDeps = {
      diagnosis: {
        config: parseConfig({}),
        kube: source as unknown as KubernetesPort,
        prometheus: { query: async () => [], alerts: async () => [] },
        now: clock.now,
        partTimeoutMs: 200,
      },
      store,
      pager,
      tiers: escalation.tiers,
      policy: escalation.policy,
      security: {
        team,
        evidence: {
          source: async () => source,
          store: evidenceStore,
          namespace: 'mcp-system',
          retentionDays: 1,
        },
      },
      archive: async () => 's3://reports/diagnosis/x.txt',
    };
    await expect(followUpIncident(deps, id)).rejects.toThrow(
      /evidence of INC-\d{8}-\d+ not captured .*the stream retries it/,
    );
    const diagnosed = (await store.get(id))!;
    expect(diagnosed.diagnosis).toBe('s3://reports/diagnosis/x.txt');
    expect(diagnosed.evidence).toBeUndefined();
    const told = pager.sent.filter((p) => p.page.subject.includes('diagnosis'));
    expect(told.map((p) => p.tier).sort()).toEqual(['primary', 'security']);
    expect(told[0]!.page.body).toContain('Evidence: NOT captured yet (S3 answered 503 (injected))');
    // The retry: the evidence is captured and recorded; the diagnosis is not sent again.
    expect(await followUpIncident(deps, id)).toMatchObject({
      sent: false,
      reason: expect.stringMatching(/^already sent/),
    });
    expect((await store.get(id))!.evidence).toMatchObject({
      manifest: `s3://evidence/evidence/${id}/initial/manifest.json`,
    });
    expect(written).toContain(`evidence/${id}/initial/manifest.json`);
    expect(pager.sent.filter((p) => p.page.subject.includes('diagnosis'))).toHaveLength(2);
  });
});
