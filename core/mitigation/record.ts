import type { MitigationTarget } from './actions.ts';

/**
 * A mitigation on its incident: claimed (`acting`) before anything changes in the cluster, then
 * finished with what the watch saw. `failed`: the cluster refused it, nothing changed, and the
 * same action may be taken again; every other state is final for that key.
 */
export interface MitigationRecord {
  readonly key: string;
  readonly target: MitigationTarget;
  readonly description: string;
  /** Who confirmed it: the tier via link, or the CLI's actor. */
  readonly by: string;
  readonly at: string;
  readonly state: 'acting' | 'done' | 'unconfirmed' | 'failed';
  readonly outcome?: string;
  readonly finishedAt?: string;
}
