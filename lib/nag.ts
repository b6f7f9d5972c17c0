// cdk-nag is CommonJS whose re-exports Node's ESM loader cannot see by name; take them from the default.
import cdkNag from 'cdk-nag';

export const { NagSuppressions, AwsSolutionsChecks } = cdkNag;
