/** An EKS Runtime Monitoring finding as EventBridge hands it on (trimmed to what we read, plus noise). */
export function guardDutyEvent(
  id: string,
  severity = 8,
  pod = 'mcp-semantic-control-plane-7b869d3b91-abcde',
) {
  return JSON.stringify({
    version: '0',
    id: `evt-${id}`,
    'detail-type': 'GuardDuty Finding',
    source: 'aws.guardduty',
    account: '111122223333',
    time: '2026-12-03T10:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: {
      schemaVersion: '2.0',
      accountId: '111122223333',
      region: 'us-east-1',
      id,
      arn: `arn:aws:guardduty:us-east-1:111122223333:detector/d/finding/${id}`,
      type: 'Execution:Runtime/ReverseShell',
      title: 'A reverse shell was started in a container of pod mcp-semantic-control-plane.',
      description: 'A process in the container opened a reverse shell.',
      severity,
      createdAt: '2026-12-03T09:59:00Z',
      updatedAt: '2026-12-03T10:00:00Z',
      resource: {
        resourceType: 'EKSCluster',
        eksClusterDetails: { name: 'mcp-cluster', arn: 'arn:aws:eks:...' },
        kubernetesDetails: {
          kubernetesWorkloadDetails: { name: pod, type: 'pods', namespace: 'mcp-system', uid: 'u' },
        },
      },
      service: { serviceName: 'guardduty', count: 1 },
    },
  });
}
