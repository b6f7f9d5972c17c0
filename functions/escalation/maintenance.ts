import type { OpsConfig } from '../../core/config.ts';

type Window = OpsConfig['maintenanceWindow'];

function minutesOf(time: string): number {
  const [h, m] = time.split(':').map(Number);
  return h! * 60 + m!;
}

/** The window's start and end on the month of `now` (UTC): the nth given weekday of the month. */
export function maintenanceWindowOf(now: Date, window: Window): { start: Date; end: Date } {
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const offset = (window.weekday - first.getUTCDay() + 7) % 7;
  let day = 1 + offset + (window.nthOfMonth - 1) * 7;
  // The 5th weekday exists in some months only: 5 means the last, never a day of the next month.
  const daysInMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 0)).getUTCDate();
  if (day > daysInMonth) day -= 7;
  const base = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), day);
  return {
    start: new Date(base + minutesOf(window.startUtc) * 60_000),
    end: new Date(base + minutesOf(window.endUtc) * 60_000),
  };
}

/** True inside the manual's maintenance window (default: first Saturday, 02:00-06:00 UTC). */
export function inMaintenanceWindow(now: Date, window: Window): { inside: boolean; end: Date } {
  const { start, end } = maintenanceWindowOf(now, window);
  return { inside: now >= start && now < end, end };
}
