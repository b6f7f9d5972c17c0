import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import {
  RELATED_LIMIT,
  type Incident,
  type IncidentStatus,
  type RelatedAlert,
  type TimelineEvent,
} from '../incident.ts';
import type { IncidentSeverity } from '../severity.ts';
import type { IncidentStore, RepeatOutcome } from '../incident-store.ts';
import { DELIVERIES_TABLE, INCIDENTS_TABLE } from '../../../core/incidents-table.ts';

/** GSI over open incidents (sparse: `openFlag` is removed on resolve). */
export const OPEN_INDEX = INCIDENTS_TABLE.openIndex.name;
/** GSI over reviews not yet done (sparse: `reviewPending` is removed when marked done). */
const REVIEW_INDEX = INCIDENTS_TABLE.reviewIndex;
const PENDING = 'PENDING';

const incidentKey = (id: string) => ({ pk: `INC#${id}` });
const openKey = (dedupKey: string) => ({ pk: `OPEN#${dedupKey}` });
const serviceKey = (service: string) => ({ pk: `SERVICE#${service}` });
const deliveryRecordKey = (deliveryKey: string) => ({ pk: `DELIVERY#${deliveryKey}` });

/** How long a delivery is remembered: far longer than SNS and Lambda retry one (hours). */
const DELIVERY_RECORD_TTL_S = 14 * 24 * 3600;
const OPEN_CACHE_SIZE = 10_000;

function cancelled(error: unknown): boolean {
  return (
    error instanceof TransactionCanceledException || (error as Error).name === 'TransactionCanceledException'
  );
}

function lostCondition(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as Error).name === 'ConditionalCheckFailedException'
  );
}

function toIncident(item: Record<string, unknown> | undefined): Incident | undefined {
  if (!item) return undefined;
  const { pk: _pk, openFlag: _open, reviewPending: _pending, ...incident } = item;
  return incident as unknown as Incident;
}

function statusCondition(statuses: IncidentStatus[], values: Record<string, unknown>): string {
  const names = statuses.map((s, i) => {
    values[`:st${i}`] = s;
    return `:st${i}`;
  });
  return `#status IN (${names.join(', ')})`;
}

/** IncidentStore on one DynamoDB table (pk), every write conditional. */
export class DynamoDbIncidentStore implements IncidentStore {
  /**
   * @param table the incidents table (incidents, open pointers, day counters)
   * @param deliveries the deliveries table (one short-lived record per SNS delivery taken in); a
   *   table of its own so the incidents table stays small and its transactions stay cheap
   */
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly deliveries: string,
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
  private readonly openCache = new Map<string, string>();

  private remember(dedupKey: string, id: string): void {
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

  async create(incident: Incident, related?: { service: string; since: Date }): Promise<boolean> {
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            // The service's newest incident, which its related alerts join within the window.
            ...(related
              ? [
                  {
                    Put: {
                      TableName: this.table,
                      Item: {
                        ...serviceKey(related.service),
                        incidentId: incident.id,
                        openedAt: incident.createdAt,
                      },
                      ConditionExpression: 'attribute_not_exists(pk) OR openedAt < :since',
                      ExpressionAttributeValues: { ':since': related.since.toISOString() },
                    },
                  },
                ]
              : []),
            {
              Put: {
                TableName: this.table,
                Item: { ...openKey(incident.dedupKey), incidentId: incident.id },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Put: {
                TableName: this.table,
                Item: { ...incidentKey(incident.id), ...incident, openFlag: 'OPEN' },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      );
      this.remember(incident.dedupKey, incident.id);
      return true;
    } catch (error) {
      if (!cancelled(error)) throw error;
      return false;
    }
  }

  async relatedIncidentFor(service: string, since: Date): Promise<string | undefined> {
    const answer = await this.db.send(
      new GetCommand({ TableName: this.table, Key: serviceKey(service), ConsistentRead: true }),
    );
    const item = answer.Item as { incidentId?: string; openedAt?: string } | undefined;
    return item?.incidentId && item.openedAt && item.openedAt >= since.toISOString()
      ? item.incidentId
      : undefined;
  }

  async joinRelated(
    id: string,
    dedupKey: string,
    deliveryKey: string,
    related: RelatedAlert,
    event: TimelineEvent,
  ): Promise<RepeatOutcome> {
    // Past RELATED_LIMIT a related alert is counted, not listed (two joining at once may both
    // list: the bound is approximate, the item stays small).
    const full = ((await this.get(id))?.related?.length ?? 0) >= RELATED_LIMIT;
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table,
                Item: { ...openKey(dedupKey), incidentId: id },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Update: {
                TableName: this.table,
                Key: incidentKey(id),
                UpdateExpression: full
                  ? 'SET firing.#k = :name ADD relatedOmitted :one'
                  : 'SET #related = list_append(if_not_exists(#related, :none), :r), firing.#k = :name, timeline = list_append(timeline, :e)',
                ConditionExpression:
                  'attribute_exists(pk) AND #status <> :resolved AND attribute_exists(firing)',
                ExpressionAttributeNames: {
                  ...(full ? {} : { '#related': 'related' }),
                  '#k': dedupKey,
                  '#status': 'status',
                },
                ExpressionAttributeValues: {
                  ...(full ? { ':one': 1 } : { ':none': [], ':r': [related], ':e': [event] }),
                  ':name': related.name,
                  ':resolved': 'resolved',
                },
              },
            },
          ],
        }),
      );
    } catch (error) {
      if (!cancelled(error)) throw error;
      return { outcome: 'closed' };
    }
    this.remember(dedupKey, id);
    const delivery = await this.recordDelivery(deliveryKey, id, new Date(related.at));
    if (!delivery.recorded) return { outcome: 'duplicate', incidentId: delivery.incidentId };
    const incident = await this.get(id);
    return incident ? { outcome: 'joined', incident } : { outcome: 'closed' };
  }

  async raiseSeverity(
    id: string,
    severity: IncidentSeverity,
    restartFrom: readonly IncidentSeverity[],
    at: Date,
    event: TimelineEvent,
  ): Promise<Incident | undefined> {
    // "P0" < "P1" < "P2" < "P3": a raise is a write to a smaller string, conditional on it. A
    // restart also releases an incident held by maintenance (one that pages at once is never held).
    const raise = (mode: 'release' | 'restart' | 'raise') => {
      const values: Record<string, unknown> = { ':sev': severity, ':e': [event], ':resolved': 'resolved' };
      const set = ['severity = :sev', 'timeline = list_append(timeline, :e)'];
      const conditions = ['severity > :sev', '#status <> :resolved'];
      if (mode !== 'raise') {
        const from = restartFrom.map((s, i) => {
          values[`:from${i}`] = s;
          return `:from${i}`;
        });
        values[':start'] = at.toISOString();
        set.push('ladderStartedAt = :start', 'nextEscalationAt = :start');
        conditions.push(`severity IN (${from.join(', ')})`);
      }
      if (mode === 'release') {
        values[':held'] = 'held';
        values[':triggered'] = 'triggered';
        set.push('#status = :triggered');
        conditions.push('#status = :held');
      }
      return this.conditionalUpdate({
        TableName: this.table,
        Key: incidentKey(id),
        UpdateExpression: `SET ${set.join(', ')}`,
        ConditionExpression: conditions.join(' AND '),
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: values,
      });
    };
    const written =
      (restartFrom.length > 0 ? ((await raise('release')) ?? (await raise('restart'))) : undefined) ??
      (await raise('raise'));
    return toIncident(written);
  }

  async clearFiring(id: string, dedupKey: string): Promise<number> {
    await this.freeOpenKey(dedupKey, id);
    const updated = await this.conditionalUpdate({
      TableName: this.table,
      Key: incidentKey(id),
      UpdateExpression: 'REMOVE firing.#k',
      ConditionExpression: 'attribute_exists(firing)',
      ExpressionAttributeNames: { '#k': dedupKey },
    });
    const firing = (updated as { firing?: Record<string, string> } | undefined)?.firing;
    return firing ? Object.keys(firing).length : 0;
  }

  async schedule(id: string, nextAt: Date | undefined, statuses: IncidentStatus[]): Promise<void> {
    const values: Record<string, unknown> = nextAt ? { ':next': nextAt.toISOString() } : {};
    await this.conditionalUpdate({
      TableName: this.table,
      Key: incidentKey(id),
      UpdateExpression: nextAt ? 'SET nextEscalationAt = :next' : 'REMOVE nextEscalationAt',
      ConditionExpression: statusCondition(statuses, values),
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: values,
    });
  }

  async setReference(id: string, kind: 'ticketRef' | 'channel', ref: string): Promise<void> {
    await this.conditionalUpdate({
      TableName: this.table,
      Key: incidentKey(id),
      UpdateExpression: 'SET #kind = :ref',
      ExpressionAttributeNames: { '#kind': kind },
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':ref': ref },
    });
  }

  async recordDiagnosis(id: string, ref: string, event: TimelineEvent): Promise<boolean> {
    const updated = await this.conditionalUpdate({
      TableName: this.table,
      Key: incidentKey(id),
      UpdateExpression: 'SET diagnosis = :ref, timeline = list_append(timeline, :e)',
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(diagnosis)',
      ExpressionAttributeValues: { ':ref': ref, ':e': [event] },
    });
    return updated !== undefined;
  }

  async recordUpdate(
    id: string,
    phase: 'identified' | 'monitoring' | undefined,
    event: TimelineEvent,
  ): Promise<Incident | undefined> {
    const updated = await this.conditionalUpdate({
      TableName: this.table,
      Key: incidentKey(id),
      UpdateExpression: `SET lastUpdateAt = :at, timeline = list_append(timeline, :e)${phase ? ', phase = :phase' : ' REMOVE phase'}`,
      ConditionExpression: 'attribute_exists(pk) AND #status <> :resolved',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':at': event.at,
        ':e': [event],
        ':resolved': 'resolved',
        ...(phase ? { ':phase': phase } : {}),
      },
    });
    return updated ? toIncident(updated) : undefined;
  }

  async recordReview(id: string, ref: string, event: TimelineEvent, dueAt: Date): Promise<boolean> {
    const updated = await this.conditionalUpdate({
      TableName: this.table,
      Key: incidentKey(id),
      UpdateExpression:
        'SET review = :ref, #pending = :pending, #due = :due, timeline = list_append(timeline, :e)',
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(review)',
      ExpressionAttributeNames: { '#pending': REVIEW_INDEX.partitionKey, '#due': REVIEW_INDEX.sortKey },
      ExpressionAttributeValues: {
        ':ref': ref,
        ':e': [event],
        ':pending': PENDING,
        ':due': dueAt.toISOString(),
      },
    });
    return updated !== undefined;
  }

  async reviewsDue(at: Date): Promise<Incident[]> {
    return this.queryIndex({
      IndexName: REVIEW_INDEX.name,
      KeyConditionExpression: '#pending = :pending AND #due <= :at',
      ExpressionAttributeNames: { '#pending': REVIEW_INDEX.partitionKey, '#due': REVIEW_INDEX.sortKey },
      ExpressionAttributeValues: { ':pending': PENDING, ':at': at.toISOString() },
    });
  }

  async markReviewDone(id: string, event: TimelineEvent): Promise<boolean> {
    const updated = await this.conditionalUpdate({
      TableName: this.table,
      Key: incidentKey(id),
      UpdateExpression: 'SET reviewDoneAt = :at, timeline = list_append(timeline, :e) REMOVE #pending',
      ConditionExpression: 'attribute_exists(review) AND attribute_not_exists(reviewDoneAt)',
      ExpressionAttributeNames: { '#pending': REVIEW_INDEX.partitionKey },
      ExpressionAttributeValues: { ':at': event.at, ':e': [event] },
    });
    return updated !== undefined;
  }

  async recordRepeat(id: string, dedupKey: string, deliveryKey: string, at: Date): Promise<RepeatOutcome> {
    const updated = await this.conditionalUpdate({
      TableName: this.table,
      Key: incidentKey(id),
      UpdateExpression: 'SET repeats = repeats + :one, lastRepeatAt = :at',
      ConditionExpression: 'attribute_exists(pk) AND #status <> :resolved',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':one': 1, ':at': at.toISOString(), ':resolved': 'resolved' },
    });
    const incident = toIncident(updated);
    if (!incident) {
      // Resolved (a resolve that died before freeing the pointer leaves it behind): free it.
      await this.freeOpenKey(dedupKey, id);
      return { outcome: 'closed' };
    }
    const delivery = await this.recordDelivery(deliveryKey, id, at);
    if (!delivery.recorded) return { outcome: 'duplicate', incidentId: delivery.incidentId };
    return { outcome: 'joined', incident };
  }

  private async freeOpenKey(dedupKey: string, id: string): Promise<void> {
    if (this.openCache.get(dedupKey) === id) this.openCache.delete(dedupKey);
    await this.freePointer(openKey(dedupKey), id);
  }

  private async freeServiceKey(service: string, id: string): Promise<void> {
    await this.freePointer(serviceKey(service), id);
  }

  /** Deletes a pointer item, only while it still names incident `id`. */
  private async freePointer(key: { pk: string }, id: string): Promise<void> {
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

  private async conditionalUpdate(
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

  async claimPage(
    id: string,
    key: string,
    token: string,
    at: Date,
    staleBefore: Date,
    statuses: IncidentStatus[],
  ): Promise<boolean> {
    const values: Record<string, unknown> = {
      ':rec': { state: 'claimed', at: at.toISOString(), token },
      ':claimed': 'claimed',
      ':failed': 'failed',
      ':stale': staleBefore.toISOString(),
    };
    const done = await this.conditionalUpdate({
      TableName: this.table,
      Key: incidentKey(id),
      UpdateExpression: 'SET pages.#k = :rec',
      ConditionExpression: `(attribute_not_exists(pages.#k) OR (pages.#k.#state = :claimed AND pages.#k.#at < :stale) OR pages.#k.#state = :failed) AND ${statusCondition(statuses, values)}`,
      ExpressionAttributeNames: { '#k': key, '#state': 'state', '#at': 'at', '#status': 'status' },
      ExpressionAttributeValues: values,
    });
    return done !== undefined;
  }

  async markPageSent(id: string, key: string, token: string, event: TimelineEvent): Promise<void> {
    await this.conditionalUpdate({
      TableName: this.table,
      Key: incidentKey(id),
      UpdateExpression: 'SET pages.#k.#state = :sent, timeline = list_append(timeline, :e)',
      ConditionExpression: 'pages.#k.#token = :token',
      ExpressionAttributeNames: { '#k': key, '#state': 'state', '#token': 'token' },
      ExpressionAttributeValues: { ':sent': 'sent', ':token': token, ':e': [event] },
    });
  }

  async markSendFailed(
    id: string,
    key: string,
    token: string,
    failure: { failures: number; error: string; at: Date },
    event?: TimelineEvent,
  ): Promise<void> {
    await this.conditionalUpdate({
      TableName: this.table,
      Key: incidentKey(id),
      UpdateExpression: `SET pages.#k = :rec${event ? ', timeline = list_append(timeline, :e)' : ''}`,
      ConditionExpression: 'pages.#k.#token = :token',
      ExpressionAttributeNames: { '#k': key, '#token': 'token' },
      ExpressionAttributeValues: {
        ':rec': {
          state: 'failed',
          at: failure.at.toISOString(),
          token,
          failures: failure.failures,
          error: failure.error,
        },
        ':token': token,
        ...(event ? { ':e': [event] } : {}),
      },
    });
  }

  async escalate(
    id: string,
    from: number,
    to: number,
    nextAt: Date | undefined,
    event: TimelineEvent | undefined,
    statuses: IncidentStatus[],
  ): Promise<boolean> {
    const values: Record<string, unknown> = {
      ':to': to,
      ':from': from,
      ...(event ? { ':e': [event] } : {}),
      ...(nextAt ? { ':next': nextAt.toISOString() } : {}),
    };
    const set = ['tierReached = :to', ...(nextAt ? ['nextEscalationAt = :next'] : [])];
    if (event) set.push('timeline = list_append(timeline, :e)');
    const done = await this.conditionalUpdate({
      TableName: this.table,
      Key: incidentKey(id),
      UpdateExpression: `SET ${set.join(', ')}${nextAt ? '' : ' REMOVE nextEscalationAt'}`,
      ConditionExpression: `${statusCondition(statuses, values)} AND tierReached = :from`,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: values,
    });
    return done !== undefined;
  }

  async release(
    id: string,
    startedAt: Date,
    nextAt: Date | undefined,
    event: TimelineEvent,
  ): Promise<boolean> {
    const done = await this.conditionalUpdate({
      TableName: this.table,
      Key: incidentKey(id),
      UpdateExpression: nextAt
        ? 'SET #status = :triggered, ladderStartedAt = :start, nextEscalationAt = :next, timeline = list_append(timeline, :e)'
        : 'SET #status = :triggered, ladderStartedAt = :start, timeline = list_append(timeline, :e) REMOVE nextEscalationAt',
      ConditionExpression: '#status = :held',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':triggered': 'triggered',
        ':held': 'held',
        ':start': startedAt.toISOString(),
        ':e': [event],
        ...(nextAt ? { ':next': nextAt.toISOString() } : {}),
      },
    });
    return done !== undefined;
  }

  async acknowledge(id: string, by: string, event: TimelineEvent): Promise<Incident | undefined> {
    const values: Record<string, unknown> = { ':ack': 'acknowledged', ':by': by, ':e': [event] };
    return toIncident(
      await this.conditionalUpdate({
        TableName: this.table,
        Key: incidentKey(id),
        UpdateExpression: 'SET #status = :ack, ackedBy = :by, timeline = list_append(timeline, :e)',
        ConditionExpression: statusCondition(['triggered', 'held'], values),
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: values,
      }),
    );
  }

  async resolve(id: string, event: TimelineEvent): Promise<Incident | undefined> {
    const values: Record<string, unknown> = { ':resolved': 'resolved', ':at': event.at, ':e': [event] };
    const incident = toIncident(
      await this.conditionalUpdate({
        TableName: this.table,
        Key: incidentKey(id),
        UpdateExpression:
          'SET #status = :resolved, resolvedAt = :at, timeline = list_append(timeline, :e) REMOVE nextEscalationAt, openFlag',
        ConditionExpression: statusCondition(['triggered', 'held', 'acknowledged'], values),
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: values,
      }),
    );
    if (incident) {
      for (const key of new Set([incident.dedupKey, ...Object.keys(incident.firing ?? {})]))
        await this.freeOpenKey(key, id);
      if (incident.service) await this.freeServiceKey(incident.service, id);
    }
    return incident;
  }

  async openIncidents(): Promise<Incident[]> {
    return this.queryIndex({
      IndexName: OPEN_INDEX,
      KeyConditionExpression: 'openFlag = :open',
      ExpressionAttributeValues: { ':open': 'OPEN' },
    });
  }

  /** Every incident a query of one of the sparse indexes finds, page by page. */
  private async queryIndex(
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
