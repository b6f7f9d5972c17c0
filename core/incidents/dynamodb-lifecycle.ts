import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import {
  RELATED_LIMIT,
  type Incident,
  type IncidentStatus,
  type RelatedAlert,
  type TimelineEvent,
} from './incident.ts';
import type { IncidentSeverity } from './severity.ts';
import type { RepeatOutcome } from './store.ts';
import {
  DynamoDbIncidentBase,
  incidentKey,
  openKey,
  serviceKey,
  cancelled,
  toIncident,
  statusCondition,
} from './dynamodb-base.ts';

/** An incident's life in the table: created, joined, raised, escalated, acknowledged, resolved. */
export abstract class DynamoDbIncidentLifecycle extends DynamoDbIncidentBase {
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
}
