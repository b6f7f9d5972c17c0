/**
 * One mitigation, from a link's POST or `mcp-ops mitigate`: the incident must be open, the window
 * closed (or `force`), the target still what it was, the guard rails satisfied; then it is claimed
 * on the incident (once per action and target, one in flight per incident, a cap per hour), done,
 * watched, recorded on the timeline and told to the tiers paged and chat.
 */
import type { OnCallTier, OpsConfig } from '../../core/config.ts';
import type { Incident } from '../../core/incidents/incident.ts';
import { generationOf } from '../../core/incidents/incident.ts';
import {
  STALE_MITIGATION_MS,
  type MitigationLedger,
  type MitigationRecord,
} from '../../core/incidents/mitigation-ledger.ts';
import type { IncidentStore } from '../../core/incidents/store.ts';
import {
  CONTAINMENT,
  kubectlFor,
  mitigationKey,
  type MitigationTarget,
} from '../../core/mitigation/actions.ts';
import { tellTiersAndChat, tiersPaged, type Chat } from '../../core/outbox/notify.ts';
import type { Pager } from '../../core/outbox/pager.ts';
import { event } from '../../core/outbox/send-once.ts';
import { singleLine } from '../../core/text-safety.ts';
import type { MitigationCluster } from './cluster.ts';
import { maintenanceGuard } from './guards.ts';
import { prepare, type Prepared } from './plan.ts';

export interface MitigateDeps {
  readonly store: IncidentStore;
  readonly ledger: MitigationLedger;
  readonly cluster: () => Promise<MitigationCluster>;
  readonly config: OpsConfig;
  readonly now: () => Date;
  readonly tiers: readonly OnCallTier[];
  readonly pager: Pager;
  readonly chat?: Chat;
  readonly runbookBaseUrl?: string;
  /** Between two reads of the watch (default 2 s). */
  readonly pollMs?: number;
  readonly metrics?: {
    count(name: 'Mitigations' | 'MitigationsRefused' | 'IntegrationFailures', dimension?: string): void;
  };
}

export interface MitigationRequest {
  readonly incidentId: string;
  /** The generation a link was signed for; the CLI acts on the incident as it is. */
  readonly generation?: number;
  readonly target: MitigationTarget;
  readonly by: string;
  /** Act inside the maintenance window (the CLI's `--force`; links never carry it). */
  readonly force?: boolean;
}

export type MitigationResult =
  | {
      readonly kind: 'refused';
      readonly status: number;
      readonly message: string;
      readonly incident?: Incident;
    }
  | {
      readonly kind: 'preview';
      readonly incident: Incident;
      readonly prepared: Prepared;
      readonly dryRun: string[];
    }
  | {
      readonly kind: 'taken';
      readonly incident: Incident;
      readonly record: MitigationRecord;
      readonly message: string;
    }
  | {
      readonly kind: 'acted';
      readonly incident: Incident;
      readonly record: MitigationRecord;
      readonly message: string;
    };

const utc = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

function refusal(status: number, message: string, incident?: Incident): MitigationResult {
  return { kind: 'refused', status, message, ...(incident ? { incident } : {}) };
}

/** What a refused write said, in one line (the API server's message, never a stack). */
function apiMessage(error: unknown): string {
  const e = error as { code?: number; body?: unknown; message?: string };
  let text = e.message ?? String(error);
  try {
    const body = typeof e.body === 'string' ? JSON.parse(e.body) : e.body;
    if (body && typeof body === 'object' && 'message' in body)
      text = String((body as { message: unknown }).message);
  } catch {
    // the message as it is
  }
  return singleLine(`${e.code ? `${e.code}: ` : ''}${text}`, 300);
}

/** Who took a recorded action and when, said plainly. */
export function takenMessage(record: MitigationRecord): string {
  const when = utc(record.at);
  switch (record.state) {
    case 'acting':
      return `${record.description}: already started by ${record.by} at ${when}; its result is being watched.`;
    case 'failed':
      return `${record.description}: refused by the cluster when ${record.by} tried at ${when} (${record.outcome}).`;
    default:
      return `${record.description}: already done by ${record.by} at ${when}. Outcome: ${record.outcome}.`;
  }
}

/** Checks the incident, the window and the target; answers what a GET shows (with a dry run). */
export async function preview(deps: MitigateDeps, request: MitigationRequest): Promise<MitigationResult> {
  const checked = await check(deps, request);
  if ('kind' in checked) return checked;
  const { incident, prepared } = checked;
  try {
    return { kind: 'preview', incident, prepared, dryRun: await prepared.act(true) };
  } catch (error) {
    return refusal(
      409,
      `The API server's dry run refused it: ${apiMessage(error)}. Nothing was changed.`,
      incident,
    );
  }
}

async function check(
  deps: MitigateDeps,
  request: MitigationRequest,
): Promise<MitigationResult | { incident: Incident; prepared: Prepared }> {
  const incident = await deps.store.get(request.incidentId);
  if (!incident) return refusal(404, `There is no incident ${request.incidentId}. Nothing was changed.`);
  if (request.generation !== undefined && generationOf(incident) !== request.generation)
    return refusal(
      409,
      `This link was sent before ${incident.id} was opened again. Nothing was changed.`,
      incident,
    );
  const taken = incident.mitigations?.[mitigationKey(request.target)];
  if (taken && taken.state !== 'failed')
    return { kind: 'taken', incident, record: taken, message: takenMessage(taken) };
  if (incident.status === 'resolved')
    return refusal(
      409,
      `${incident.id} is resolved: mitigations act only on open incidents. Nothing was changed.`,
      incident,
    );
  const containment = CONTAINMENT.includes(request.target.action);
  const window = maintenanceGuard(
    deps.now(),
    deps.config.maintenanceWindow,
    request.force === true || containment,
  );
  if (window) return refusal(409, window, incident);
  const prepared = await prepare(
    { cluster: await deps.cluster(), config: deps.config, ...(deps.pollMs ? { pollMs: deps.pollMs } : {}) },
    request.target,
  );
  if (prepared.refusal) return refusal(409, prepared.refusal, incident);
  return { incident, prepared };
}

/** Acts once: claim, act, watch, record, tell. */
export async function mitigate(deps: MitigateDeps, request: MitigationRequest): Promise<MitigationResult> {
  const checked = await check(deps, request);
  if ('kind' in checked) {
    if (checked.kind === 'refused') deps.metrics?.count('MitigationsRefused', request.target.action);
    return checked;
  }
  const { incident, prepared } = checked;
  const started = deps.now();
  const key = mitigationKey(request.target);
  const record: MitigationRecord = {
    key,
    target: request.target,
    description: prepared.description,
    by: request.by,
    at: started.toISOString(),
    state: 'acting',
  };
  const claim = await deps.ledger.claim(
    incident.id,
    request.generation ?? generationOf(incident),
    record,
    new Date(started.getTime() - STALE_MITIGATION_MS),
  );
  if (!claim.claimed) {
    const now = (await deps.store.get(incident.id)) ?? incident;
    if (claim.reason === 'taken')
      return { kind: 'taken', incident: now, record: claim.record, message: takenMessage(claim.record) };
    if (claim.reason === 'in-flight')
      return refusal(
        409,
        `Another mitigation of ${incident.id} (${claim.key}) is in flight since ${utc(claim.since)}: one at a time. Nothing was changed.`,
        now,
      );
    return refusal(409, `${incident.id} was resolved meanwhile. Nothing was changed.`, now);
  }
  const finish = async (state: MitigationRecord['state'], outcome: string) => {
    const at = deps.now().toISOString();
    await deps.ledger.finish(
      incident.id,
      key,
      { state, outcome, finishedAt: at },
      event(
        deps.now(),
        'mitigated',
        `${prepared.description} by ${request.by}: ${state === 'done' ? 'done' : state === 'failed' ? 'refused' : 'not yet confirmed'}: ${outcome}`,
      ),
    );
    return { ...record, state, outcome, finishedAt: at };
  };
  const hour = started.toISOString().slice(0, 13).replace(/\D/g, '');
  if (
    !CONTAINMENT.includes(request.target.action) &&
    !(await deps.ledger.takeHourSlot(hour, deps.config.mitigation.perHour))
  ) {
    const done = await finish(
      'failed',
      `the cap of ${deps.config.mitigation.perHour} mitigations this hour is reached`,
    );
    deps.metrics?.count('MitigationsRefused', 'cap');
    return refusal(
      429,
      `${done.outcome}; nothing was changed. \`${kubectlFor(request.target, deps.config.cluster.deployment, deps.config.cluster.namespace)}\` at a terminal if it must happen now.`,
      incident,
    );
  }
  let acted: string[];
  try {
    acted = await prepared.act(false);
  } catch (error) {
    const done = await finish('failed', `the cluster refused it: ${apiMessage(error)}`);
    deps.metrics?.count('MitigationsRefused', request.target.action);
    return refusal(
      409,
      `${prepared.description}: ${done.outcome}. Nothing was changed.`,
      (await deps.store.get(incident.id)) ?? incident,
    );
  }
  deps.metrics?.count('Mitigations', request.target.action);
  const watched = await prepared.verify(new Date(Date.now() + deps.config.mitigation.verifySeconds * 1000));
  const outcome = `${acted.join('; ')}; ${watched.outcome}`;
  const done = await finish(watched.confirmed ? 'done' : 'unconfirmed', outcome);
  const phase = watched.confirmed ? 'monitoring' : 'identified';
  const updated =
    (await deps.store.recordUpdate(
      incident.id,
      phase,
      event(
        deps.now(),
        'updated',
        `status ${phase === 'monitoring' ? 'Monitoring' : 'Identified'} after ${request.target.action} (${request.by})`,
      ),
    )) ?? incident;
  const subject = `[${updated.severity}] ${incident.id} mitigation ${watched.confirmed ? 'done' : 'not yet confirmed'}: ${request.target.action}`;
  const lines = [
    `${prepared.description}, confirmed by ${request.by} at ${utc(record.at)}.`,
    `Outcome: ${watched.confirmed ? 'done' : 'NOT YET CONFIRMED'}: ${outcome}`,
    `Status: ${phase === 'monitoring' ? 'Monitoring (a fix is in, watching)' : 'Identified (the change is in; its result is not confirmed yet)'}.`,
  ];
  await tellTiersAndChat(
    { ...deps, now: deps.now },
    tiersPaged(deps.tiers, updated),
    updated,
    'updated',
    { subject: subject.slice(0, 99), lines },
    `mitigation:${key}`,
  );
  return {
    kind: 'acted',
    incident: (await deps.store.get(incident.id)) ?? updated,
    record: done,
    message: lines.join(' '),
  };
}
