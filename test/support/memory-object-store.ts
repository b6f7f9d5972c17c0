import type {
  DeleteResult,
  ListRequest,
  ObjectContent,
  ObjectPage,
  ObjectStore,
  StoredObject,
  Versioning,
} from '../../core/object-store.ts';

export interface InjectedFaults {
  /** Called before each DeleteObjects; may throw (a throttled or crashed request). */
  beforeDelete?: (keys: readonly string[], call: number) => void;
  /** Keys this call reports as failed inside a 200 answer (and does not delete). */
  keyErrors?: (keys: readonly string[], call: number) => Map<string, string>;
}

/**
 * A port-level fake of S3 for unit and property tests of pure cleanup logic: ListObjectsV2
 * semantics (lexicographic order, prefix, delimiter, StartAfter, continuation), DeleteObjects with
 * injectable failures, and a record of every deletion. The real adapter is tested against moto.
 */
export class MemoryObjectStore implements ObjectStore {
  readonly buckets = new Map<string, Map<string, { size: number; lastModified: Date; body?: string }>>();
  readonly deletions: string[] = [];
  deleteCalls = 0;
  constructor(
    public faults: InjectedFaults = {},
    public versioningState: Versioning = 'Disabled',
  ) {}

  bucket(name: string) {
    let b = this.buckets.get(name);
    if (!b) this.buckets.set(name, (b = new Map()));
    return b;
  }

  add(bucket: string, objects: readonly StoredObject[]): void {
    for (const o of objects) this.bucket(bucket).set(o.key, { size: o.size, lastModified: o.lastModified });
  }

  keys(bucket: string): string[] {
    return [...this.bucket(bucket).keys()].sort();
  }

  async listPage(request: ListRequest): Promise<ObjectPage> {
    const pageSize = request.pageSize ?? 1000;
    const after = request.continuationToken ?? request.startAfter ?? '';
    const objects: StoredObject[] = [];
    const prefixes: string[] = [];
    let last = '';
    for (const key of this.keys(request.bucket)) {
      if (!key.startsWith(request.prefix) || key <= after) continue;
      if (objects.length + prefixes.length >= pageSize) {
        return { objects, prefixes, nextToken: last };
      }
      if (request.delimiter) {
        const rest = key.slice(request.prefix.length);
        const at = rest.indexOf(request.delimiter);
        if (at !== -1) {
          const common = request.prefix + rest.slice(0, at + 1);
          if (prefixes.at(-1) !== common) prefixes.push(common);
          last = common + '\uffff';
          continue;
        }
      }
      const entry = this.bucket(request.bucket).get(key)!;
      objects.push({ key, size: entry.size, lastModified: entry.lastModified });
      last = key;
    }
    return { objects, prefixes };
  }

  async deleteBatch(bucket: string, keys: readonly string[]): Promise<DeleteResult> {
    const call = this.deleteCalls++;
    this.faults.beforeDelete?.(keys, call);
    const failing = this.faults.keyErrors?.(keys, call) ?? new Map<string, string>();
    const deleted: string[] = [];
    const errors = [];
    for (const key of keys) {
      const code = failing.get(key);
      if (code) {
        errors.push({ key, code, message: 'injected' });
        continue;
      }
      if (this.bucket(bucket).delete(key)) this.deletions.push(key);
      deleted.push(key);
    }
    return { deleted, errors };
  }

  async getText(bucket: string, key: string): Promise<string | undefined> {
    return this.bucket(bucket).get(key)?.body;
  }

  async readObject(bucket: string, key: string): Promise<ObjectContent | undefined> {
    const stored = this.bucket(bucket).get(key);
    if (!stored) return undefined;
    const bytes = Buffer.from(stored.body ?? '');
    return {
      body: (async function* () {
        yield bytes;
      })(),
    };
  }

  async putText(bucket: string, key: string, body: string): Promise<void> {
    this.bucket(bucket).set(key, { size: body.length, lastModified: new Date(), body });
  }

  async versioning(): Promise<Versioning> {
    return this.versioningState;
  }
}

export function throttled(): Error {
  return Object.assign(new Error('Please reduce your request rate.'), {
    name: 'SlowDown',
    $metadata: { httpStatusCode: 503 },
  });
}
