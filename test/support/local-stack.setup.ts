import type { TestProject } from 'vitest/node';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import type { StackEndpoints } from '../../stack/endpoints.ts';
import { stackDown, stackUp } from '../../stack/stack.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    endpoints: StackEndpoints;
  }
}

/** Brings the local stack up for the integration suites; stops it after only if this run started it. */
export default async function setup(project: TestProject) {
  const result = await stackUp(undefined, () => {});
  project.provide('endpoints', result.endpoints);
  return async () => {
    if (result.alreadyRunning.length === 0) await stackDown();
  };
}
