// The incidents table's shape and names, shared by the CDK app, the local stack, escalation (which
// owns the table) and maintenance (which reads its open incidents), so they cannot drift.

/** The incidents table's keys and indexes. */
export const INCIDENTS_TABLE = {
  partitionKey: 'pk',
  openIndex: { name: 'open-incidents', partitionKey: 'openFlag', sortKey: 'createdAt' },
  /**
   * Drafted post-incident reviews not yet marked done, by when they are due (sparse: `reviewPending`
   * is set with the draft and removed when a person marks it done).
   */
  reviewIndex: { name: 'pending-reviews', partitionKey: 'reviewPending', sortKey: 'reviewDueAt' },
} as const;

/** Delivery records: one per SNS delivery taken in, expiring (DynamoDB TTL) after 14 days. */
export const DELIVERIES_TABLE = { partitionKey: 'pk', ttlAttribute: 'expiresAt' } as const;

export function deliveriesTableName(prefix: string): string {
  return `${prefix}-alert-deliveries`;
}

export function incidentsTableName(prefix: string): string {
  return `${prefix}-incidents`;
}

export function linkSecretName(prefix: string): string {
  return `${prefix}/escalation-link-secret`;
}
