import { z } from 'zod';
import { email } from './config-on-call.ts';

/** The manual's Security Incident Response: who is told, where the evidence is kept, what is automatic. */
export const SecurityConfigSchema = z
  .object({
    contact: email
      .default('security@ninjatech.ai')
      .describe(
        "The Security Team (the manual's contacts: security@, 24/7): paged on every security incident, beside the on-call ladder, through the `<prefix>-page-security` topic.",
      ),
    apiUrl: z
      .url()
      .default('https://security.ninjatech.ai/api/incidents')
      .describe(
        'Where the manual\'s "Notify Security Team" POSTs its JSON (severity, type, description, namespace).',
      ),
    apiSecretName: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Secrets Manager secret holding the security API's `Authorization` header value; absent: the POST carries none.",
      ),
    evidenceRetentionDays: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .default(365)
      .describe(
        'S3 Object Lock (compliance mode) retention of each evidence object: nobody, root included, can delete or overwrite it before then.',
      ),
  })
  .strict()
  .prefault({})
  .describe('Security incidents: GuardDuty EKS findings, Falco events, alerts labelled `category=security`.');

export type SecurityConfig = z.infer<typeof SecurityConfigSchema>;
