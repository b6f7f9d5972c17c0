import type { OpsConfig } from '../../core/config.ts';
import type { KubernetesPort } from '../../core/kubernetes.ts';
import type { ObjectStore } from '../../core/object-store.ts';
import type { PrometheusPort } from '../../core/prometheus.ts';
import type { MailMessage } from '../../core/outbox/mail.ts';

/** An open incident, as the pre-check needs it. */
export interface OpenIncident {
  readonly id: string;
  readonly severity: string;
  readonly title: string;
  readonly status: string;
}

/** What pages: an alert for the alerts topic, which escalation turns into an incident. */
export interface MaintenancePage {
  readonly alertname: string;
  /** P1: pages the primary at once (the manual's partial outage). */
  readonly priority: 'P0' | 'P1';
  readonly summary: string;
  readonly description: string;
  /** The window's start, so a retry of the same stage joins the same incident. */
  readonly window: string;
}

/** Ports of the maintenance job, built by its handler, the command line or a test. */
export interface MaintenanceDeps {
  readonly config: OpsConfig;
  readonly kube: KubernetesPort;
  readonly prometheus: PrometheusPort;
  /** Reads the backup bucket; keeps the window's record, baseline and reports in `stateBucket`. */
  readonly store: ObjectStore;
  readonly stateBucket: string;
  /** Sends an e-mail (SES, or the reports topic when SES is not configured or refuses it). */
  mail(to: readonly string[], message: MailMessage): Promise<{ via: 'ses' | 'sns'; messageId: string }>;
  page(page: MaintenancePage): Promise<void>;
  openIncidents(): Promise<OpenIncident[]>;
  readonly now: () => Date;
  /** Each item's own limit on how long its sources may take. */
  readonly itemTimeoutMs?: number;
}
