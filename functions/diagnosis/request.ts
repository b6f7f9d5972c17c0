// What the diagnosis function is asked: a DynamoDB stream batch of the incidents table (by the event
// source's filters: new incidents, and incidents a person resolved) or a direct
// {"incidentId": "INC-...", "review"?: true}; parsed and validated here, at the edge.
import { z } from 'zod';
import { describeIssues } from '../../core/zod-issues.ts';
import { InvalidRequest } from '../../core/errors.ts';

const INCIDENT_ID = /^INC-\d{8}-\d{3,}$/;
const StreamEvent = z.object({
  Records: z.array(
    z.object({
      eventID: z.string().optional(),
      eventName: z.string(),
      dynamodb: z.object({
        NewImage: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
      }),
    }),
  ),
});
const DirectEvent = z
  .object({ incidentId: z.string().regex(INCIDENT_ID), review: z.boolean().optional() })
  .strict();

export class DiagnoseRequestError extends InvalidRequest {
  override name = 'DiagnoseRequestError';
}

export type Work = { kind: 'diagnose' | 'review' | 'evidence'; incidentId: string; itemId?: string };

/**
 * What a stream batch asks for: a new incident (INSERT) is diagnosed; an incident a person resolved
 * (MODIFY to status resolved) gets its post-incident review. Each with its record's id.
 */
export function workOf(event: unknown): Work[] {
  const direct = DirectEvent.safeParse(event);
  if (direct.success)
    return [{ kind: direct.data.review ? 'review' : 'diagnose', incidentId: direct.data.incidentId }];
  const stream = StreamEvent.safeParse(event);
  if (!stream.success)
    throw new DiagnoseRequestError(
      `expected a DynamoDB stream batch or {"incidentId": "INC-YYYYMMDD-NNN"}: ${describeIssues(stream.error.issues)}`,
    );
  const work = stream.data.Records.flatMap((r): Work[] => {
    const image = r.dynamodb.NewImage;
    const id = image?.id?.S;
    if (typeof id !== 'string' || !INCIDENT_ID.test(id)) return [];
    const itemId = r.eventID ? { itemId: r.eventID } : {};
    if (r.eventName === 'INSERT') return [{ kind: 'diagnose', incidentId: id, ...itemId }];
    if (r.eventName === 'MODIFY' && image?.status?.S === 'resolved' && image.review === undefined)
      return [{ kind: 'review', incidentId: id, ...itemId }];
    // A quarantine in place with no second capture yet: the evidence after quarantine.
    if (r.eventName === 'MODIFY' && image?.quarantinedAt && image.evidenceAfterQuarantine === undefined)
      return [{ kind: 'evidence', incidentId: id, ...itemId }];
    return [];
  });
  // A resolution writes the incident several times (the all-clear pages, chat) before its review
  // exists: one review per incident and batch, at its first record (a failure there retries the
  // batch from that record on, so the later ones are not lost).
  const seen = new Set<string>();
  return work.filter((w) => {
    const key = `${w.kind}:${w.incidentId}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
