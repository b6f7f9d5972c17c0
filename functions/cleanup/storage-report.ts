import type { StoredObject } from '../../core/object-store.ts';
import type { StorageReport } from '../../core/cleanup-record.ts';
export type { StorageReport } from '../../core/cleanup-record.ts';

/** The runbook's "Storage Full" report, gathered in the same listing pass as the cleanup. */

export const LARGEST_KEPT = 20;

export function emptyReport(): StorageReport {
  return { objects: 0, bytes: 0, largest: [], expiring: {} };
}

export function topLevelPrefix(key: string, under: string): string {
  const rest = key.slice(under.length);
  const slash = rest.indexOf('/');
  return slash === -1 ? '(root)' : under + rest.slice(0, slash + 1);
}

export function countObject(report: StorageReport, object: StoredObject): void {
  report.objects += 1;
  report.bytes += object.size;
  const smallest = report.largest.at(-1);
  if (report.largest.length < LARGEST_KEPT || (smallest && object.size > smallest.size)) {
    const entry = { key: object.key, size: object.size, lastModified: object.lastModified.toISOString() };
    const at = report.largest.findIndex((o) => o.size < object.size);
    report.largest.splice(at === -1 ? report.largest.length : at, 0, entry);
    if (report.largest.length > LARGEST_KEPT) report.largest.pop();
  }
}

export function countExpiring(report: StorageReport, object: StoredObject, under: string): void {
  const group = topLevelPrefix(object.key, under);
  const entry = (report.expiring[group] ??= { objects: 0, bytes: 0 });
  entry.objects += 1;
  entry.bytes += object.size;
}

export function mergeReports(reports: readonly StorageReport[]): StorageReport {
  const merged = emptyReport();
  for (const report of reports) {
    merged.objects += report.objects;
    merged.bytes += report.bytes;
    merged.largest.push(...report.largest);
    for (const [group, entry] of Object.entries(report.expiring)) {
      const into = (merged.expiring[group] ??= { objects: 0, bytes: 0 });
      into.objects += entry.objects;
      into.bytes += entry.bytes;
    }
  }
  merged.largest.sort((a, b) => b.size - a.size || a.key.localeCompare(b.key));
  merged.largest.length = Math.min(merged.largest.length, LARGEST_KEPT);
  return merged;
}
