import { z } from 'zod';

/**
 * The mitigation function (functions/mitigate): the playbook's step 3 as confirmed actions. Its
 * guard rails are configuration so an operator can read them, never turn them off.
 */
export const MitigationConfigSchema = z
  .object({
    maxReplicas: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(5)
      .describe(
        'The most replicas a scale action may set (the manual scales to 5); scaling only ever goes up, to at most this.',
      ),
    knownGoodImage: z
      .string()
      .regex(/^[\w./:@-]+:[\w.-]+$|^[\w./:-]+@sha256:[0-9a-f]{64}$/, {
        message: 'expected an image reference with a tag or a digest',
      })
      .default('mcp/semantic-control-plane:v2.9.0')
      .describe(
        "The one image the emergency image rollback may set (the manual's `kubectl set image ... :v2.9.0`).",
      ),
    maxMemoryLimit: z
      .string()
      .regex(/^\d+(Mi|Gi)$/, { message: 'expected a memory quantity such as 16Gi' })
      .default('16Gi')
      .describe('The highest memory limit the "raise the memory limit" action (Runbook 3, OOM) may set.'),
    perHour: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(6)
      .describe('At most this many mitigations act in any clock hour, across all incidents.'),
    verifySeconds: z
      .number()
      .int()
      .min(5)
      .max(600)
      .default(120)
      .describe(
        'How long the function watches the result (rollout finished, pod Ready, node drained) before it records the outcome as not yet confirmed.',
      ),
    linkHours: z
      .number()
      .int()
      .min(1)
      .max(72)
      .default(4)
      .describe(
        'How long a mitigation link in a page or chat stays valid (it also stops at its target changing).',
      ),
  })
  .strict()
  .prefault({})
  .describe(
    'Mitigations offered from the diagnosis (signed links; GET shows, POST acts) and `mcp-ops mitigate`.',
  );

export type MitigationConfig = z.infer<typeof MitigationConfigSchema>;
