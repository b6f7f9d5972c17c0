/**
 * One scheduled step of the maintenance job. EventBridge Scheduler sends
 * `{"stage": "...", "at": "<aws.scheduler.scheduled-time>"}`; the step finds the window that time
 * belongs to (a weekly schedule's other weeks belong to none, and the step does nothing), runs,
 * and keeps what it did under the window's key so a retried invocation sends nothing twice.
 */
import { z } from 'zod';
import {
  MAINTENANCE_STAGES,
  windowForStage,
  type MaintenanceStage,
  type WindowTimes,
} from '../../core/maintenance-window.ts';
import { describeIssues } from '../../core/zod-issues.ts';
import { ensureRecord, type CheckResult } from './checklist.ts';
import { postCheck, watchMode } from './post-check.ts';
import { preCheck } from './pre-check.ts';
import type { MaintenanceDeps } from './maintenance-deps.ts';
import { checkMail, completionMail, noticeMail } from './messages.ts';
import { recordId, WindowState, type ModeLog } from './window-record.ts';
import { InvalidRequest } from '../../core/errors.ts';

const STAGES = Object.keys(MAINTENANCE_STAGES) as [MaintenanceStage, ...MaintenanceStage[]];

export const MaintenanceEventSchema = z
  .object({
    stage: z.enum(STAGES),
    /** When the schedule fired (Scheduler's `<aws.scheduler.scheduled-time>`); absent: now. */
    at: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();

export class MaintenanceRequestError extends InvalidRequest {
  override name = 'MaintenanceRequestError';
}

export function parseMaintenanceEvent(event: unknown): z.infer<typeof MaintenanceEventSchema> {
  const parsed = MaintenanceEventSchema.safeParse(event);
  if (parsed.success) return parsed.data;
  throw new MaintenanceRequestError(
    `expected {"stage": ${STAGES.map((s) => `"${s}"`).join('|')}, "at"?: ISO time}: ${describeIssues(parsed.error.issues)}`,
  );
}

export type MaintenanceOutcome =
  | { stage: MaintenanceStage; due: false; at: string }
  | { stage: 'notice' | 'reminder'; due: true; window: string; sent: boolean; record: string }
  | { stage: 'pre-24h' | 'pre-1h' | 'post'; due: true; window: string; result: CheckResult; paged: boolean }
  | { stage: 'watch'; due: true; window: string; mode: ModeLog };

export async function runMaintenanceEvent(
  event: unknown,
  deps: MaintenanceDeps,
): Promise<MaintenanceOutcome> {
  const request = parseMaintenanceEvent(event);
  const at = request.at ? new Date(request.at) : deps.now();
  const times = windowForStage(request.stage, at, deps.config.maintenanceWindow);
  if (!times) return { stage: request.stage, due: false, at: at.toISOString() };
  return runStage(request.stage, times, deps);
}

/** Runs `stage` for the window `times` (the CLI runs the checks on demand this way). */
export async function runStage(
  stage: MaintenanceStage,
  times: WindowTimes,
  deps: MaintenanceDeps,
): Promise<MaintenanceOutcome> {
  const { config } = deps;
  const zone = config.schedules.timeZone;
  const users = config.maintenance.users ?? config.reports.recipients;
  const team = config.reports.recipients;
  const state = new WindowState(deps.store, deps.stateBucket, times);
  const window = times.start.toISOString();
  /**
   * Sends once per window: claim (the marker, `sending`), send, confirm (`sent`). A retry finds the
   * marker and sends nothing, unless the send was refused (`failed`: nothing went out). A try that
   * died between its claim and its confirmation is not sent again: at most once.
   */
  const once = async (marker: string, send: () => Promise<unknown>): Promise<boolean> => {
    const earlier = await state.read<{ state?: string }>(marker);
    if (earlier && earlier.state !== 'failed') return false;
    await state.write(marker, { state: 'sending', at: deps.now().toISOString() });
    let answer: unknown;
    try {
      answer = await send();
    } catch (error) {
      await state.write(marker, {
        state: 'failed',
        at: deps.now().toISOString(),
        error: (error as Error).message,
      });
      throw error;
    }
    await state.write(marker, { state: 'sent', at: deps.now().toISOString(), answer });
    return true;
  };
  switch (stage) {
    case 'notice':
    case 'reminder': {
      const record = await ensureRecord(deps, times);
      const sent = await once(`${stage}-sent`, () =>
        deps.mail(users, noticeMail(stage, times, record, zone)),
      );
      return { stage, due: true, window, sent, record: record.id };
    }
    case 'pre-24h':
    case 'pre-1h': {
      await ensureRecord(deps, times);
      const result = await preCheck(deps, times);
      await state.write(stage, result);
      let paged = false;
      if (!result.passed) {
        await once(`${stage}-failed-sent`, () => deps.mail(team, checkMail(result, zone)));
        if (stage === 'pre-1h') {
          const failed = result.items.filter((i) => i.status === 'FAIL');
          await deps.page({
            alertname: 'MCPMaintenancePreCheckFailed',
            priority: 'P1',
            summary: `Pre-maintenance check failed 1 h before ${recordId(times)}: ${failed.map((i) => i.name).join(', ')}`,
            description: failed.map((i) => `${i.name}: ${i.detail}`).join('\n'),
            window,
          });
          paged = true;
        }
      }
      return { stage, due: true, window, result, paged };
    }
    case 'watch':
      return { stage, due: true, window, mode: await watchMode(deps, times) };
    case 'post': {
      const result = await postCheck(deps, times);
      await state.write('post', result);
      await once('post-sent', () => deps.mail(team, checkMail(result, zone)));
      if (result.passed) await once('completion-sent', () => deps.mail(users, completionMail(result, zone)));
      const mode = result.items.find((i) => i.name === 'Maintenance mode off');
      let paged = false;
      if (mode?.status === 'FAIL') {
        await deps.page({
          alertname: 'MCPMaintenanceModeStillOn',
          priority: 'P1',
          summary: `Maintenance mode still on after the window ${recordId(times)} ended: users are getting 503s`,
          description: `${mode.detail}. Remove it: kubectl patch ingress ${config.maintenance.ingress} -n ${config.cluster.namespace} --type=json -p='[{"op": "remove", "path": "/metadata/annotations/nginx.ingress.kubernetes.io~1custom-http-errors"}]'`,
          window,
        });
        paged = true;
      }
      return { stage, due: true, window, result, paged };
    }
  }
}
