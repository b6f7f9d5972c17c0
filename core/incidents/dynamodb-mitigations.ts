import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TimelineEvent } from './incident.ts';
import { incidentKey, lostCondition, toIncident } from './dynamodb-base.ts';
import type { MitigationClaim, MitigationLedger, MitigationRecord } from './mitigation-ledger.ts';

/** Mitigation records on the incident's item in the incidents table; the hourly cap beside them. */
export class DynamoDbMitigationLedger implements MitigationLedger {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async claim(
    id: string,
    generation: number,
    record: MitigationRecord,
    staleBefore: Date,
  ): Promise<MitigationClaim> {
    // The map must exist before a key inside it can be set (DynamoDB does not create parents).
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: incidentKey(id),
          UpdateExpression: 'SET mitigations = :empty',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(mitigations)',
          ExpressionAttributeValues: { ':empty': {} },
        }),
      );
    } catch (error) {
      if (!lostCondition(error)) throw error;
    }
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: incidentKey(id),
          UpdateExpression: 'SET mitigations.#key = :record, mitigating = :slot',
          ConditionExpression: [
            'attribute_exists(pk)',
            '#status <> :resolved',
            '(generation = :g OR (attribute_not_exists(generation) AND :g = :one))',
            '(attribute_not_exists(mitigations.#key) OR mitigations.#key.#state = :failed)',
            '(attribute_not_exists(mitigating) OR mitigating.#at < :stale)',
          ].join(' AND '),
          ExpressionAttributeNames: {
            '#key': record.key,
            '#status': 'status',
            '#state': 'state',
            '#at': 'at',
          },
          ExpressionAttributeValues: {
            ':record': record,
            ':slot': { key: record.key, at: record.at },
            ':resolved': 'resolved',
            ':g': generation,
            ':one': 1,
            ':failed': 'failed',
            ':stale': staleBefore.toISOString(),
          },
        }),
      );
      return { claimed: true };
    } catch (error) {
      if (!lostCondition(error)) throw error;
    }
    const answer = await this.db.send(
      new GetCommand({ TableName: this.table, Key: incidentKey(id), ConsistentRead: true }),
    );
    const incident = toIncident(answer.Item);
    if (!incident || incident.status === 'resolved' || (incident.generation ?? 1) !== generation)
      return { claimed: false, reason: 'closed' };
    const taken = incident.mitigations?.[record.key];
    if (taken && taken.state !== 'failed') return { claimed: false, reason: 'taken', record: taken };
    if (incident.mitigating)
      return {
        claimed: false,
        reason: 'in-flight',
        key: incident.mitigating.key,
        since: incident.mitigating.at,
      };
    // The conditions moved between the write and the read (a finish in between): say so plainly.
    return {
      claimed: false,
      reason: 'in-flight',
      key: record.key,
      since: record.at,
    };
  }

  async finish(
    id: string,
    key: string,
    result: Pick<MitigationRecord, 'state' | 'outcome' | 'finishedAt'>,
    event: TimelineEvent,
  ): Promise<void> {
    // A quarantine in place marks the incident: the stream then takes the second evidence capture.
    const quarantined = result.state === 'done' && key.startsWith('quarantine:');
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: incidentKey(id),
        UpdateExpression: `SET mitigations.#key.#state = :state, mitigations.#key.outcome = :outcome, mitigations.#key.finishedAt = :at, timeline = list_append(timeline, :e)${quarantined ? ', quarantinedAt = :at' : ''} REMOVE mitigating`,
        ConditionExpression: 'attribute_exists(mitigations.#key)',
        ExpressionAttributeNames: { '#key': key, '#state': 'state' },
        ExpressionAttributeValues: {
          ':state': result.state,
          ':outcome': result.outcome ?? '',
          ':at': result.finishedAt ?? event.at,
          ':e': [event],
        },
      }),
    );
  }

  async takeHourSlot(hour: string, cap: number): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `MITIGATIONS#${hour}` },
          UpdateExpression: 'ADD n :one',
          ConditionExpression: 'attribute_not_exists(n) OR n < :cap',
          ExpressionAttributeValues: { ':one': 1, ':cap': cap },
        }),
      );
      return true;
    } catch (error) {
      if (lostCondition(error)) return false;
      throw error;
    }
  }
}
