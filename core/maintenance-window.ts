/**
 * The manual's routine maintenance window (config `maintenanceWindow`; default the first Saturday
 * of each month, 02:00-06:00 UTC): when it is, and the EventBridge Scheduler cron expressions of
 * what runs around it. Escalation holds non-critical pages inside it; the maintenance job runs the
 * checklist around it.
 */
import type { OpsConfig } from './config.ts';

export type MaintenanceWindowConfig = OpsConfig['maintenanceWindow'];

export interface WindowTimes {
  readonly start: Date;
  readonly end: Date;
}

function minutesOf(time: string): number {
  const [h, m] = time.split(':').map(Number);
  return h! * 60 + m!;
}

/** The window's start and end on the month of `now` (UTC): the nth given weekday of the month. */
export function maintenanceWindowOf(now: Date, window: MaintenanceWindowConfig): WindowTimes {
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const offset = (window.weekday - first.getUTCDay() + 7) % 7;
  let day = 1 + offset + (window.nthOfMonth - 1) * 7;
  // The 5th weekday exists in some months only: 5 means the last, never a day of the next month.
  const daysInMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 0)).getUTCDate();
  if (day > daysInMonth) day -= 7;
  const base = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), day);
  let endMinutes = minutesOf(window.endUtc);
  // A window that ends at or before its start time ends the next day (22:00-02:00).
  if (endMinutes <= minutesOf(window.startUtc)) endMinutes += 24 * 60;
  return {
    start: new Date(base + minutesOf(window.startUtc) * 60_000),
    end: new Date(base + endMinutes * 60_000),
  };
}

/** True inside the manual's maintenance window (default: first Saturday, 02:00-06:00 UTC). */
export function inMaintenanceWindow(
  now: Date,
  window: MaintenanceWindowConfig,
): { inside: boolean; end: Date } {
  const { start, end } = maintenanceWindowOf(now, window);
  return { inside: now >= start && now < end, end };
}

/** The window in progress at `now`, or else the next one to start. */
export function nextMaintenanceWindow(now: Date, window: MaintenanceWindowConfig): WindowTimes {
  const thisMonth = maintenanceWindowOf(now, window);
  if (now < thisMonth.end) return thisMonth;
  return maintenanceWindowOf(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)), window);
}

/** The maintenance job's steps and when each runs, relative to the window. */
export const MAINTENANCE_STAGES = {
  /** "Notify users 7 days in advance" and the maintenance ticket. */
  notice: { from: 'start', minutes: -7 * 24 * 60 },
  /** The users' reminder, 24 hours ahead. */
  reminder: { from: 'start', minutes: -24 * 60 },
  /** Pre-maintenance check, 24 hours ahead (e-mail on failure). */
  'pre-24h': { from: 'start', minutes: -24 * 60 },
  /** Pre-maintenance check, 1 hour ahead (e-mail and page the primary on failure). */
  'pre-1h': { from: 'start', minutes: -60 },
  /** Records maintenance mode on and off, every 5 minutes through the window. */
  watch: { from: 'start', minutes: 0 },
  /** Post-maintenance verification at the window's end. */
  post: { from: 'end', minutes: 0 },
} as const;
export type MaintenanceStage = keyof typeof MAINTENANCE_STAGES;

/** Where `stage` of the window `times` falls. */
export function stageTime(stage: MaintenanceStage, times: WindowTimes): Date {
  const { from, minutes } = MAINTENANCE_STAGES[stage];
  return new Date((from === 'start' ? times.start : times.end).getTime() + minutes * 60_000);
}

/**
 * The window a run of `stage` scheduled at `at` belongs to, or undefined when `at` is not that
 * stage's time for any window (a weekly schedule's other weeks; `toleranceMinutes` absorbs the
 * scheduler's delay). `watch` belongs to the window it falls inside.
 */
export function windowForStage(
  stage: MaintenanceStage,
  at: Date,
  window: MaintenanceWindowConfig,
  toleranceMinutes = 15,
): WindowTimes | undefined {
  const tolerance = toleranceMinutes * 60_000;
  // The stage's time lies at most 7 days before the window: look at this month's and the next.
  const candidates = [0, 1, -1].map((months) =>
    maintenanceWindowOf(new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + months, 1)), window),
  );
  if (stage === 'watch')
    return candidates.find((w) => at.getTime() >= w.start.getTime() - tolerance && at < w.end);
  return candidates.find((w) => Math.abs(at.getTime() - stageTime(stage, w).getTime()) <= tolerance);
}

const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;

export interface StageSchedule {
  readonly stage: MaintenanceStage;
  /** An EventBridge Scheduler cron expression, evaluated in UTC. */
  readonly expression: string;
  /**
   * True when the expression fires only at the stage's times; false when it is the weekly
   * expression that contains them (the stage's day is not a fixed occurrence of a weekday in the
   * month, such as "the day before the first Saturday") and the job skips the other weeks.
   */
  readonly exact: boolean;
}

/**
 * The UTC cron expressions of each stage for the configured window. With the manual's window
 * (first Saturday 02:00-06:00): notice `cron(0 2 ? * 7L *)` (the last Saturday of the month before
 * is exactly 7 days earlier), reminder and 24 h check Fridays 02:00 (weekly: the Friday before the
 * first Saturday may be in the month before), 1 h check `cron(0 1 ? * SAT#1 *)`, watch every 5
 * minutes 02:00-05:55 on `SAT#1`, post-check `cron(0 6 ? * SAT#1 *)`.
 */
export function maintenanceSchedules(window: MaintenanceWindowConfig): StageSchedule[] {
  const start = minutesOf(window.startUtc);
  let end = minutesOf(window.endUtc);
  if (end <= start) end += 24 * 60;
  const weekday = window.weekday;
  const nth = window.nthOfMonth;
  const occurrence = (day: number, n: number) => (n === 5 ? `${day + 1}L` : `${DAY_NAMES[day]}#${n}`);
  const at = (stage: MaintenanceStage): StageSchedule => {
    const { from, minutes } = MAINTENANCE_STAGES[stage];
    const total = (from === 'start' ? start : end) + minutes;
    const dayShift = Math.floor(total / (24 * 60));
    const ofDay = total - dayShift * 24 * 60;
    const clock = `${ofDay % 60} ${Math.floor(ofDay / 60)}`;
    const day = (((weekday + dayShift) % 7) + 7) % 7;
    if (dayShift === 0)
      return { stage, expression: `cron(${clock} ? * ${occurrence(weekday, nth)} *)`, exact: true };
    if (dayShift === -7 && nth === 1)
      // The last such weekday of a month is exactly a week before the first of the next.
      return { stage, expression: `cron(${clock} ? * ${day + 1}L *)`, exact: true };
    if (dayShift === -7 && nth > 1 && nth < 5)
      return { stage, expression: `cron(${clock} ? * ${DAY_NAMES[day]}#${nth - 1} *)`, exact: true };
    return { stage, expression: `cron(${clock} ? * ${DAY_NAMES[day]} *)`, exact: false };
  };
  const watchEndHour = Math.floor((end - 1) / 60);
  const watch: StageSchedule =
    end - 1 < 24 * 60
      ? {
          stage: 'watch',
          expression: `cron(0/5 ${Math.floor(start / 60)}-${watchEndHour} ? * ${occurrence(weekday, nth)} *)`,
          exact: start % 60 === 0,
        }
      : // A window past midnight: every 5 minutes on both days, the job keeping the window's minutes.
        {
          stage: 'watch',
          expression: `cron(0/5 * ? * ${DAY_NAMES[weekday]},${DAY_NAMES[(weekday + 1) % 7]} *)`,
          exact: false,
        };
  return [at('notice'), at('reminder'), at('pre-24h'), at('pre-1h'), watch, at('post')];
}

/** The Ingress annotation that is the manual's maintenance mode (value `503`: every request answered 503). */
export const MAINTENANCE_ANNOTATION = 'nginx.ingress.kubernetes.io/custom-http-errors';

/** True when the annotation's value names 503. */
export function maintenanceModeOn(annotations: Record<string, string> | undefined): boolean {
  return (annotations?.[MAINTENANCE_ANNOTATION] ?? '')
    .split(',')
    .map((v) => v.trim())
    .includes('503');
}
