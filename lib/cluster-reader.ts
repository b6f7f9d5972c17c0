import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { CHECKS_GROUP } from '../core/cluster-access.ts';
import type { OpsConfig } from '../core/config.ts';

/**
 * What a function that reads the cluster needs, whichever job it is: `eks:DescribeCluster` on the
 * one cluster, Amazon Managed Prometheus queries when `prometheus.access` is `amp`, and an EKS
 * access entry mapping its role to the read-only group of core/cluster-access.ts (no static
 * credentials anywhere).
 */
export function grantClusterRead(
  scope: Construct,
  accessEntryId: string,
  role: iam.IRole,
  config: OpsConfig,
  apsActions: readonly string[] = ['aps:QueryMetrics'],
  /** The Kubernetes groups the access entry maps the role to (the mitigation function: its own). */
  groups: readonly string[] = [CHECKS_GROUP],
): eks.CfnAccessEntry {
  const stack = Stack.of(scope);
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'DescribeCluster',
      actions: ['eks:DescribeCluster'],
      resources: [
        stack.formatArn({
          service: 'eks',
          resource: 'cluster',
          resourceName: config.cluster.name,
          arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
        }),
      ],
    }),
  );
  if (config.prometheus.access === 'amp' && apsActions.length > 0)
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'QueryManagedPrometheus',
        actions: [...apsActions],
        resources: [
          stack.formatArn({
            service: 'aps',
            resource: 'workspace',
            resourceName: config.prometheus.ampWorkspaceId!,
            arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
          }),
        ],
      }),
    );
  return new eks.CfnAccessEntry(scope, accessEntryId, {
    clusterName: config.cluster.name,
    principalArn: role.roleArn,
    type: 'STANDARD',
    kubernetesGroups: [...groups],
  });
}

/** Listing the backup bucket and reading its objects (the backup verification, read only). */
export function grantBackupRead(role: iam.IRole, backup: s3.IBucket): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'ListBackups',
      actions: ['s3:ListBucket'],
      resources: [backup.bucketArn],
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'ReadBackups',
      actions: ['s3:GetObject'],
      resources: [backup.arnForObjects('*')],
    }),
  );
}

/** `ses:SendEmail` from exactly the reports' identity, with exactly their configuration set. */
export function reportsMailStatement(
  scope: Construct,
  mail: { identityName: string; configurationSetName: string },
  sid = 'SendReportsMail',
): iam.PolicyStatement {
  const stack = Stack.of(scope);
  return new iam.PolicyStatement({
    sid,
    actions: ['ses:SendEmail'],
    resources: [
      stack.formatArn({
        service: 'ses',
        resource: 'identity',
        resourceName: mail.identityName,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      }),
      stack.formatArn({
        service: 'ses',
        resource: 'configuration-set',
        resourceName: mail.configurationSetName,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      }),
    ],
  });
}
