import type { OnCallTier, OpsConfig } from '../config.ts';
import type { Chat, IncidentChannels, Tickets } from '../outbox/notify.ts';
import type { Pager } from '../outbox/pager.ts';
import type { SecurityApi } from '../outbox/security-api.ts';
import { responsePolicy, type ResponsePolicy } from './policy.ts';
import type { IncidentStore } from './store.ts';

/** What the incident jobs (escalation, diagnosis, review) work with: the store, the outbox, the policy. */
export interface EscalationMetrics {
  count(
    name:
      | 'PagesSent'
      | 'Escalations'
      | 'Acknowledgements'
      | 'ParseFailures'
      | 'Held'
      /** A send refused by an integration (dimension: pager, chat, tickets); retried next tick. */
      | 'IntegrationFailures'
      /** An incident the tick could not handle (its own reads or writes failing); the rest went on. */
      | 'IncidentFailures',
    dimension?: string,
  ): void;
  timeToAcknowledge(seconds: number): void;
}

export interface EscalationDeps {
  readonly store: IncidentStore;
  readonly pager: Pager;
  readonly now: () => Date;
  readonly tiers: readonly OnCallTier[];
  /** What each severity gets, and when: the manual's severity levels and ladder. */
  readonly policy: ResponsePolicy;
  readonly maintenanceWindow: OpsConfig['maintenanceWindow'];
  readonly links: {
    readonly baseUrl: string;
    readonly secret: string;
    /**
     * The key before the last rotation: links it signed still open (they expire within ttlHours).
     * Read only when a link is checked (the respond page), never on the paging path.
     */
    readonly previousSecrets?: () => Promise<readonly string[]>;
    readonly ttlHours: number;
    /** The mitigation page (functions/mitigate): where the diagnosis's offered actions link to. */
    readonly mitigateBaseUrl?: string;
  };
  readonly runbookBaseUrl?: string;
  /** Related alerts of one service within this many minutes join one incident (0: never). */
  readonly relatedWindowMinutes?: number;
  readonly chat?: Chat;
  readonly tickets?: Tickets;
  /** Creates the manual's `#incident-YYYYMMDD-NNN` channel for a P0 (a Slack bot, when configured). */
  readonly channels?: IncidentChannels;
  readonly metrics?: EscalationMetrics;
  /**
   * Security incidents: the Security Team as a page destination (its own topic, beside the ladder),
   * the security API, and the namespace the manual's payload names.
   */
  readonly security?: {
    readonly team: OnCallTier;
    readonly api?: SecurityApi;
    readonly namespace: string;
  };
}

/** The parts of the escalation dependencies that come from configuration alone. */
export function configuredResponse(config: OpsConfig) {
  return {
    tiers: config.onCall.tiers,
    policy: responsePolicy(config),
    maintenanceWindow: config.maintenanceWindow,
    relatedWindowMinutes: config.escalation.relatedAlertWindowMinutes,
    runbookBaseUrl: config.escalation.runbookBaseUrl,
  };
}
