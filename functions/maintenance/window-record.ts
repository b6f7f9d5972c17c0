// What the maintenance job keeps of one window, in the reports bucket under
// reports/maintenance/<window start>/: the record (the maintenance ticket), the health baseline
// and rollback target, maintenance mode's switches, and each stage's sent marker.
import type { ObjectStore } from '../../core/object-store.ts';
import type { WindowTimes } from '../../core/maintenance-window.ts';

export interface MaintenanceRecord {
  /** The ticket's id: `MAINT-<yyyymmdd>`. */
  readonly id: string;
  readonly start: string;
  readonly end: string;
  readonly createdAt: string;
}

export interface HealthBaseline {
  readonly takenAt: string;
  readonly errorRate?: number;
  readonly p95Seconds?: number;
  readonly readyPods: number;
  readonly pods: number;
  readonly restarts: number;
  /** image → pods running it */
  readonly images: Record<string, number>;
  readonly rollback?: { readonly revision: string; readonly image: string; readonly command: string };
}

export interface ModeLog {
  /** Whether maintenance mode was on at the last look. */
  readonly on: boolean;
  readonly lastSeen: string;
  readonly changes: ReadonlyArray<{ readonly at: string; readonly on: boolean }>;
}

export function windowKey(times: WindowTimes): string {
  return `reports/maintenance/${times.start.toISOString().slice(0, 16).replace(':', '')}Z`;
}

export function recordId(times: WindowTimes): string {
  return `MAINT-${times.start.toISOString().slice(0, 10).replace(/-/g, '')}`;
}

/** One JSON document of a window; undefined when not written yet. */
export class WindowState {
  constructor(
    private readonly store: ObjectStore,
    private readonly bucket: string,
    readonly times: WindowTimes,
  ) {}

  async read<T>(name: string): Promise<T | undefined> {
    const text = await this.store.getText(this.bucket, `${windowKey(this.times)}/${name}.json`);
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }

  async write(name: string, value: unknown): Promise<void> {
    await this.store.putText(
      this.bucket,
      `${windowKey(this.times)}/${name}.json`,
      JSON.stringify(value, null, 2),
      'application/json',
    );
  }

  uri(name: string): string {
    return `s3://${this.bucket}/${windowKey(this.times)}/${name}.json`;
  }
}
