import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { type Incident, type IncidentStatus } from './incident.ts';
import { DELIVERIES_TABLE, INCIDENTS_TABLE } from './table.ts';

/** GSI over open incidents (sparse: `openFlag` is removed on resolve). */
export const OPEN_INDEX = INCIDENTS_TABLE.openIndex.name;
/** GSI over reviews not yet done (sparse: `reviewPending` is removed when marked done). */
export const REVIEW_INDEX = INCIDENTS_TABLE.reviewIndex;
export const PENDING = 'PENDING';

export const incidentKey = (id: string) => ({ pk: `INC#${id}` });
export const openKey = (dedupKey: string) => ({ pk: `OPEN#${dedupKey}` });
export const serviceKey = (service: string) => ({ pk: `SERVICE#${service}` });
export const deliveryRecordKey = (deliveryKey: string) => ({ pk: `DELIVERY#${deliveryKey}` });

/** How long a delivery is remembered: far longer than SNS and Lambda retry one (hours). */
export const DELIVERY_RECORD_TTL_S = 14 * 24 * 3600;
export const OPEN_CACHE_SIZE = 10_000;

export function cancelled(error: unknown): boolean {
  return (
    error instanceof TransactionCanceledException || (error as Error).name === 'TransactionCanceledException'
  );
}

export function lostCondition(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as Error).name === 'ConditionalCheckFailedException'
  );
}

export function toIncident(item: Record<string, unknown> | undefined): Incident | undefined {
  if (!item) return undefined;
  const { pk: _pk, openFlag: _open, reviewPending: _pending, ...incident } = item;
  return incident as unknown as Incident;
}

export function statusCondition(statuses: IncidentStatus[], values: Record<string, unknown>): string {
  const names = statuses.map((s, i) => {
    values[`:st${i}`] = s;
    return `:st${i}`;
  });
  return `#status IN (${names.join(', ')})`;
}

/** The incidents table's keys, reads and conditional writes, which the store's parts share. */
export abstract class DynamoDbIncidentBase {
  /**
   * @param table the incidents table (incidents, open pointers, day counters)
   * @param deliveries the deliveries table (one short-lived record per SNS delivery taken in); a
   *   table of its own so the incidents table stays small and its transactions stay cheap
   */
  constructor(
    protected readonly db: DynamoDBDocumentClient,
    protected readonly table: string,
    protected readonly deliveries: string,
  ) {}

  async nextIncidentNumber(day: string): Promise<number> {
    const answer = await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: `COUNTER#${day}` },
        UpdateExpression: 'ADD n :one',
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(answer.Attributes?.n);
  }

  async get(id: string): Promise<Incident | undefined> {
    const answer = await this.db.send(
      new GetCommand({ TableName: this.table, Key: incidentKey(id), ConsistentRead: true }),
    );
    return toIncident(answer.Item);
  }

  /**
   * Open incidents by dedup key, as this process last saw them. Safe to be stale: every write that
   * follows is conditional on the incident still being open, and a closed one evicts its entry.
   * It saves a read per repeat in an alert storm (warm Lambda containers keep it).
   */
  protected readonly openCache = new Map<string, string>();

  protected remember(dedupKey: string, id: string): void {
    this.openCache.delete(dedupKey);
    this.openCache.set(dedupKey, id);
    if (this.openCache.size > OPEN_CACHE_SIZE) this.openCache.delete(this.openCache.keys().next().value!);
  }

  async openIncidentIdFor(dedupKey: string): Promise<string | undefined> {
    const cached = this.openCache.get(dedupKey);
    if (cached) return cached;
    const pointer = await this.db.send(
      new GetCommand({ TableName: this.table, Key: openKey(dedupKey), ConsistentRead: true }),
    );
    const id = pointer.Item?.incidentId as string | undefined;
    if (id) this.remember(dedupKey, id);
    return id;
  }

  async openIncidentFor(dedupKey: string): Promise<Incident | undefined> {
    const id = await this.openIncidentIdFor(dedupKey);
    if (!id) return undefined;
    const incident = await this.get(id);
    if (incident && incident.status !== 'resolved') return incident;
    // A resolve that died before freeing the key: free it now (only if it still names that incident).
    await this.freeOpenKey(dedupKey, id);
    return undefined;
  }

  async incidentForDelivery(deliveryKey: string): Promise<string | undefined> {
    const answer = await this.db.send(
      new GetCommand({
        TableName: this.deliveries,
        Key: deliveryRecordKey(deliveryKey),
        ConsistentRead: true,
      }),
    );
    return answer.Item?.incidentId as string | undefined;
  }

  async recordDelivery(
    deliveryKey: string,
    id: string,
    at: Date,
  ): Promise<{ recorded: true } | { recorded: false; incidentId: string }> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.deliveries,
          Item: {
            ...deliveryRecordKey(deliveryKey),
            incidentId: id,
            [DELIVERIES_TABLE.ttlAttribute]: Math.floor(at.getTime() / 1000) + DELIVERY_RECORD_TTL_S,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { recorded: true };
    } catch (error) {
      if (!lostCondition(error)) throw error;
      return { recorded: false, incidentId: (await this.incidentForDelivery(deliveryKey)) ?? id };
    }
  }

  async reviewsDue(at: Date): Promise<Incident[]> {
    return this.queryIndex({
      IndexName: REVIEW_INDEX.name,
      KeyConditionExpression: '#pending = :pending AND #due <= :at',
      ExpressionAttributeNames: { '#pending': REVIEW_INDEX.partitionKey, '#due': REVIEW_INDEX.sortKey },
      ExpressionAttributeValues: { ':pending': PENDING, ':at': at.toISOString() },
    });
  }

  protected async freeOpenKey(dedupKey: string, id: string): Promise<void> {
    if (this.openCache.get(dedupKey) === id) this.openCache.delete(dedupKey);
    await this.freePointer(openKey(dedupKey), id);
  }

  protected async freeServiceKey(service: string, id: string): Promise<void> {
    await this.freePointer(serviceKey(service), id);
  }

  /** Deletes a pointer item, only while it still names incident `id`. */
  protected async freePointer(key: { pk: string }, id: string): Promise<void> {
    await this.db
      .send(
        new DeleteCommand({
          TableName: this.table,
          Key: key,
          ConditionExpression: 'incidentId = :id',
          ExpressionAttributeValues: { ':id': id },
        }),
      )
      .catch((error: unknown) => {
        if (!lostCondition(error)) throw error;
      });
  }

  protected async conditionalUpdate(
    input: ConstructorParameters<typeof UpdateCommand>[0],
  ): Promise<Record<string, unknown> | undefined> {
    try {
      const answer = await this.db.send(new UpdateCommand({ ReturnValues: 'ALL_NEW', ...input }));
      return answer.Attributes ?? {};
    } catch (error) {
      if (lostCondition(error)) return undefined;
      throw error;
    }
  }

  async openIncidents(): Promise<Incident[]> {
    return this.queryIndex({
      IndexName: OPEN_INDEX,
      KeyConditionExpression: 'openFlag = :open',
      ExpressionAttributeValues: { ':open': 'OPEN' },
    });
  }

  /** Every incident a query of one of the sparse indexes finds, page by page. */
  protected async queryIndex(
    query: Omit<ConstructorParameters<typeof QueryCommand>[0], 'TableName' | 'ExclusiveStartKey'>,
  ): Promise<Incident[]> {
    const found: Incident[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({ ...query, TableName: this.table, ExclusiveStartKey: start }),
      );
      for (const item of page.Items ?? []) found.push(toIncident(item)!);
      start = page.LastEvaluatedKey;
    } while (start);
    return found;
  }
}
