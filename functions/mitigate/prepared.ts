import type { OpsConfig } from '../../core/config.ts';
import type { MitigationCluster } from './cluster.ts';

export interface Verification {
  readonly confirmed: boolean;
  readonly outcome: string;
}

export interface Prepared {
  readonly description: string;
  /** The state now, a line each. */
  readonly state: string[];
  /** Why it cannot act (the target moved, or a guard rail); nothing is changed. */
  readonly refusal?: string;
  /** Acts (or, with dryRun, asks the API server to validate the same writes); lines of what it did. */
  act(dryRun: boolean): Promise<string[]>;
  /** Watches the result until it holds or `deadline`. */
  verify(deadline: Date): Promise<Verification>;
}

export interface PlanContext {
  readonly cluster: MitigationCluster;
  readonly config: OpsConfig;
  /** Between two reads of a watch; tests make it short. */
  readonly pollMs?: number;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function watch(
  ctx: PlanContext,
  deadline: Date,
  check: () => Promise<{ done: boolean; line: string }>,
): Promise<Verification> {
  for (;;) {
    const { done, line } = await check();
    if (done) return { confirmed: true, outcome: line };
    if (Date.now() >= deadline.getTime())
      return { confirmed: false, outcome: `not confirmed within the watch: ${line}` };
    await sleep(ctx.pollMs ?? 2000);
  }
}

export function refused(description: string, state: string[], refusal: string): Prepared {
  return {
    description,
    state,
    refusal,
    act: () => Promise.reject(new Error(refusal)),
    verify: () => Promise.resolve({ confirmed: false, outcome: refusal }),
  };
}
