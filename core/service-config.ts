// The service's own settings in its ConfigMap (`mcp-semantic-config`), which the manual makes the
// source of truth: `artifact.retention.days` (Runbook 4's cleanup) and `validation.cache.size`
// (the cache check and Runbook 2).
import type { OpsConfig } from './config.ts';
import type { KubernetesPort } from './kubernetes.ts';

export const RETENTION_KEY = 'artifact.retention.days';
export const CACHE_SIZE_KEY = 'validation.cache.size';

/** A positive whole number as the manual writes them ("90", "50000"), or undefined. */
export function positiveInteger(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value.trim());
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

export interface ServiceSettings {
  readonly retentionDays?: number;
  readonly cacheSize?: number;
  /** Why a setting is missing (no ConfigMap, no key, not a number), by its key, for the report or the run. */
  readonly missing: Partial<Record<typeof RETENTION_KEY | typeof CACHE_SIZE_KEY, string>>;
}

export async function serviceSettings(
  kube: Pick<KubernetesPort, 'configMapData'>,
  cluster: OpsConfig['cluster'],
): Promise<ServiceSettings> {
  const where = `ConfigMap ${cluster.namespace}/${cluster.configMap}`;
  const data = await kube.configMapData(cluster.namespace, cluster.configMap);
  const missing: ServiceSettings['missing'] = {};
  const read = (key: typeof RETENTION_KEY | typeof CACHE_SIZE_KEY) => {
    const raw = data?.[key];
    const value = positiveInteger(raw);
    if (!data) missing[key] = `${where} not found`;
    else if (raw === undefined) missing[key] = `${where} has no ${key}`;
    else if (value === undefined) missing[key] = `${where}: ${key} is "${raw}", not a positive whole number`;
    return value;
  };
  const retentionDays = read(RETENTION_KEY);
  const cacheSize = read(CACHE_SIZE_KEY);
  return {
    ...(retentionDays === undefined ? {} : { retentionDays }),
    ...(cacheSize === undefined ? {} : { cacheSize }),
    missing,
  };
}
