import { type EvidenceRecord, type Incident, type IncidentStatus, type TimelineEvent } from './incident.ts';

import type { IncidentStore } from './store.ts';
import { REVIEW_INDEX, PENDING, incidentKey, toIncident, statusCondition } from './dynamodb-base.ts';
import { DynamoDbIncidentLifecycle } from './dynamodb-lifecycle.ts';

/** IncidentStore on one DynamoDB table (pk), every write conditional: its schedule, records and send claims. */
export class DynamoDbIncidentStore extends DynamoDbIncidentLifecycle implements IncidentStore {
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

  async recordEvidence(
    id: string,
    which: 'evidence' | 'evidenceAfterQuarantine',
    record: EvidenceRecord,
    event: TimelineEvent,
  ): Promise<boolean> {
    const updated = await this.conditionalUpdate({
      TableName: this.table,
      Key: incidentKey(id),
      UpdateExpression: 'SET #which = :record, timeline = list_append(timeline, :e)',
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#which)',
      ExpressionAttributeNames: { '#which': which },
      ExpressionAttributeValues: { ':record': record, ':e': [event] },
    });
    return updated !== undefined;
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
}
