import { parseConfig, type OnCallTier, type OpsConfigInput } from '../../core/config.ts';
import type { EscalationDeps, EscalationMetrics, Pager } from '../../functions/escalation/escalation.ts';
import type { IncidentStore } from '../../functions/escalation/incident-store.ts';
import type { Page } from '../../functions/escalation/page-message.ts';

/** A clock a test moves by hand. */
export class TestClock {
  constructor(private current: Date) {}
  now = (): Date => new Date(this.current);
  advanceMinutes(minutes: number): void {
    this.current = new Date(this.current.getTime() + minutes * 60_000);
  }
  set(at: Date): void {
    this.current = new Date(at);
  }
}

/** Pages kept in order, for assertions; `failNext` makes the next publish throw (an SNS outage). */
export class RecordingPager implements Pager {
  readonly sent: Array<{ tier: string; page: Page }> = [];
  failNext = 0;
  async page(tier: OnCallTier, page: Page): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('SNS publish failed (injected)');
    }
    this.sent.push({ tier: tier.name, page });
  }
  /** Pages for one incident, as `tier` or `resolved:tier`. */
  forIncident(id: string): string[] {
    return this.sent
      .filter((p) => p.page.subject.includes(id))
      .map((p) => (p.page.subject.startsWith('RESOLVED') ? `resolved:${p.tier}` : p.tier));
  }
}

export class CountingMetrics implements EscalationMetrics {
  readonly counts = new Map<string, number>();
  readonly acks: number[] = [];
  count(name: string, dimension?: string): void {
    const key = dimension ? `${name}:${dimension}` : name;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
  timeToAcknowledge(seconds: number): void {
    this.acks.push(seconds);
  }
}

export const LINK_SECRET = 'unit-test-link-secret-please-rotate';

export function escalationDeps(
  store: IncidentStore,
  clock: TestClock,
  pager: Pager = new RecordingPager(),
  config: OpsConfigInput = {},
  metrics: EscalationMetrics = new CountingMetrics(),
): EscalationDeps {
  const parsed = parseConfig(config);
  return {
    store,
    pager,
    now: clock.now,
    tiers: parsed.onCall.tiers,
    maintenanceWindow: parsed.maintenanceWindow,
    links: { baseUrl: 'https://respond.example/', secret: LINK_SECRET, ttlHours: 24 },
    metrics,
  };
}

/** An Alertmanager JSON message with one alert. */
export function amMessage(
  alertname: string,
  options: { severity?: string; status?: 'firing' | 'resolved'; fingerprint?: string } = {},
): string {
  const status = options.status ?? 'firing';
  return JSON.stringify({
    receiver: 'alerts-sns',
    status,
    alerts: [
      {
        status,
        labels: { alertname, severity: options.severity ?? 'warning', app: 'mcp-semantic' },
        annotations: { summary: `${alertname} is happening` },
        startsAt: '2026-11-25T10:00:00Z',
        fingerprint: options.fingerprint ?? `fp-${alertname}`,
      },
    ],
  });
}
