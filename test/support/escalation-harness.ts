import { parseConfig, type OnCallTier, type OpsConfigInput } from '../../core/config.ts';
import type { StackEndpoints } from '../../stack/endpoints.ts';
import {
  configuredResponse,
  type EscalationDeps,
  type EscalationMetrics,
} from '../../core/incidents/deps.ts';
import { type Pager } from '../../core/outbox/pager.ts';
import type { IncidentStore } from '../../core/incidents/store.ts';
import {
  channelName,
  type Chat,
  type ChatMessage,
  type IncidentChannels,
  type Tickets,
  type TicketRequest,
} from '../../core/outbox/notify.ts';
import type { Page } from '../../core/outbox/page-message.ts';

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
  /** Pages of the ladder for one incident, as `tier` or `resolved:tier` (update reminders apart). */
  forIncident(id: string): string[] {
    return this.sent
      .filter(
        (p) =>
          p.page.subject.includes(id) &&
          !p.page.subject.includes('status update due') &&
          !p.page.subject.includes('post-incident review'),
      )
      .map((p) => (p.page.subject.startsWith('RESOLVED') ? `resolved:${p.tier}` : p.tier));
  }
}

/** The status-update reminders paged for one incident, by tier. */
export function updateRemindersOf(pager: RecordingPager, id: string): string[] {
  return pager.sent
    .filter((p) => p.page.subject === `[${p.page.subject.slice(1, 3)}] ${id}: status update due`)
    .map((p) => p.tier);
}

/** The overdue-review reminders paged for one incident, by tier. */
export function reviewRemindersOf(pager: RecordingPager, id: string): string[] {
  return pager.sent
    .filter((p) => p.page.subject === `[${p.page.subject.slice(1, 3)}] ${id}: post-incident review overdue`)
    .map((p) => p.tier);
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
  notify: { chat?: Chat; tickets?: Tickets; channels?: IncidentChannels } = {},
): EscalationDeps {
  const parsed = parseConfig(config);
  return {
    store,
    pager,
    now: clock.now,
    ...configuredResponse(parsed),
    links: { baseUrl: 'https://respond.example/', secret: LINK_SECRET, ttlHours: 24 },
    metrics,
    ...notify,
  };
}

/** An Alertmanager JSON message with one alert. */
export function amMessage(
  alertname: string,
  options: {
    severity?: string;
    status?: 'firing' | 'resolved';
    fingerprint?: string;
    /** The `service` label: alerts of one service within the window join one incident. */
    service?: string;
    priority?: string;
    /** The `runbook` label: the diagnosis reads that runbook's steps. */
    runbook?: string;
    summary?: string;
    startsAt?: Date;
  } = {},
): string {
  const status = options.status ?? 'firing';
  return JSON.stringify({
    receiver: 'alerts-sns',
    status,
    alerts: [
      {
        status,
        labels: {
          alertname,
          severity: options.severity ?? 'warning',
          ...(options.service ? { service: options.service } : {}),
          ...(options.priority ? { priority: options.priority } : {}),
          ...(options.runbook ? { runbook: options.runbook } : {}),
        },
        annotations: { summary: options.summary ?? `${alertname} is happening` },
        startsAt: options.startsAt?.toISOString() ?? '2026-11-25T10:00:00Z',
        fingerprint: options.fingerprint ?? `fp-${alertname}`,
      },
    ],
  });
}

/** Chat posts kept in order, for assertions. */
export class RecordingChat implements Chat {
  readonly posted: ChatMessage[] = [];
  async post(message: ChatMessage): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    this.posted.push(message);
  }
  forIncident(id: string): string[] {
    return this.posted.filter((m) => m.incidentId === id).map((m) => m.event);
  }
}

/** Tickets opened and commented, for assertions; refs are `TICKET-<n>`. */
export class RecordingTickets implements Tickets {
  readonly opened: TicketRequest[] = [];
  readonly comments: Array<{ ref: string; text: string }> = [];
  async open(ticket: TicketRequest): Promise<string> {
    await new Promise((resolve) => setImmediate(resolve));
    this.opened.push(ticket);
    return `TICKET-${this.opened.length}`;
  }
  async comment(ref: string, text: string): Promise<void> {
    this.comments.push({ ref, text });
  }
}

/** Incident channels made, for assertions; `fail` makes the next creation throw. */
export class RecordingChannels implements IncidentChannels {
  readonly created: string[] = [];
  fail = false;
  async create(incident: { id: string }): Promise<string> {
    await new Promise((resolve) => setImmediate(resolve));
    if (this.fail) throw new Error('channel API down (injected)');
    const name = `#${channelName(incident.id)}`;
    this.created.push(name);
    return name;
  }
}

/**
 * The environment the CDK app gives the escalation functions, pointed at the local stack: what a
 * test sets before importing a handler module (handlers read it once, at import).
 */
export function localEscalationEnv(endpoints: StackEndpoints, linkBaseUrl: string): Record<string, string> {
  return {
    MCP_OPS_AWS_ENDPOINT: endpoints.aws.endpoint,
    AWS_REGION: endpoints.region,
    INCIDENTS_TABLE: endpoints.tables.incidents,
    DELIVERIES_TABLE: endpoints.tables.deliveries,
    TIER_TOPICS: JSON.stringify(endpoints.topics.tiers),
    LINK_SECRET_ARN: endpoints.secrets.linkSecret,
    LINK_BASE_URL: linkBaseUrl,
    CHAT_TOPIC_ARN: endpoints.topics.chat,
    POWERTOOLS_METRICS_NAMESPACE: 'McpOps/Escalation',
    POWERTOOLS_DEV: 'true',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  };
}
