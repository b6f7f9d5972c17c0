/** The incidents table's shape, shared by the CDK app and the local stack so they cannot drift. */
export const INCIDENTS_TABLE = {
  partitionKey: 'pk',
  /** Delivery records expire (DynamoDB TTL); incidents are kept. */
  ttlAttribute: 'expiresAt',
  openIndex: { name: 'open-incidents', partitionKey: 'openFlag', sortKey: 'createdAt' },
} as const;

export function incidentsTableName(prefix: string): string {
  return `${prefix}-incidents`;
}

export function linkSecretName(prefix: string): string {
  return `${prefix}/escalation-link-secret`;
}
