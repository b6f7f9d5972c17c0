// `mcp-ops maintenance next`: when the next window is, in UTC and the team's zone, and when each
// of its steps runs. Offline: the configuration alone, so it loads no AWS or Kubernetes client.
import type { CommandContext, CommandResult } from './command-context.ts';
import type { OpsConfig } from '../core/config.ts';
import { maintenanceSchedules, nextMaintenanceWindow, stageTime } from '../core/maintenance-window.ts';
import { whenText } from '../functions/maintenance/messages.ts';
import { recordId } from '../functions/maintenance/window-record.ts';

export function nextWindow(config: OpsConfig, now: Date, json: boolean): { output: string; failed: boolean } {
  const zone = config.schedules.timeZone;
  const times = nextMaintenanceWindow(now, config.maintenanceWindow);
  const steps = maintenanceSchedules(config.maintenanceWindow).map((s) => ({
    stage: s.stage,
    at: (s.stage === 'watch' ? times.start : stageTime(s.stage, times)).toISOString(),
    schedule: s.expression,
  }));
  const next = {
    id: recordId(times),
    start: times.start.toISOString(),
    end: times.end.toISOString(),
    startLocal: whenText(times.start, zone).local,
    inProgress: now >= times.start,
    steps,
  };
  if (json) return { output: JSON.stringify(next, null, 2), failed: false };
  const start = whenText(times.start, zone);
  const end = whenText(times.end, zone);
  const width = Math.max(...steps.map((s) => s.stage.length));
  return {
    output: [
      `${next.id}${next.inProgress ? ' (in progress)' : ''}`,
      `  starts ${start.utc} (${start.local})`,
      `  ends   ${end.utc} (${end.local})`,
      '',
      ...steps.map((s) => `  ${s.stage.padEnd(width)}  ${s.at}  ${s.schedule} UTC`),
    ].join('\n'),
    failed: false,
  };
}

export function run(context: CommandContext): Promise<CommandResult> {
  const { output } = nextWindow(context.config, new Date(), context.structured);
  return Promise.resolve({ output });
}
