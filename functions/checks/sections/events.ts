import type { CoreV1Event } from '@kubernetes/client-node';
import type { Finding, SectionOutcome } from '../report-model.ts';
import { table } from '../render.ts';
import { age, type ChecksDeps } from '../checks-deps.ts';

interface EventGroup {
  reason: string;
  object: string;
  count: number;
  last: number;
  message: string;
}

/** Reasons that mean something broke, not just noise. */
const SERIOUS = new Set([
  'BackOff',
  'OOMKilling',
  'Evicted',
  'EvictionThresholdMet',
  'FailedScheduling',
  'BackoffLimitExceeded',
  'NodeHasInsufficientMemory',
  'NodeNotReady',
  'FailedMount',
  'Unhealthy',
]);
const SHOWN = 50;

function lastSeen(event: CoreV1Event): number {
  const at =
    event.lastTimestamp ??
    event.series?.lastObservedTime ??
    event.eventTime ??
    event.firstTimestamp ??
    event.metadata?.creationTimestamp;
  return at ? new Date(at).getTime() : 0;
}

/** Evening item 2: the day's Warning events in the namespace, grouped by reason and object, newest first. */
export async function warningEventsSection(deps: ChecksDeps, sinceHours = 24): Promise<SectionOutcome> {
  const now = deps.now();
  const since = now.getTime() - sinceHours * 3_600_000;
  const groups = new Map<string, EventGroup>();
  let events = 0;
  // Events about Nodes are recorded in `default`, not in the service's namespace (the manual's
  // `kubectl get events -n mcp-system` never shows them); the nodes' pressure matters here too.
  const sources = [
    { namespace: deps.config.cluster.namespace, keep: () => true },
    { namespace: 'default', keep: (e: CoreV1Event) => e.involvedObject.kind === 'Node' },
  ];
  for (const source of sources)
    for await (const page of deps.kube.warningEvents(source.namespace)) {
      for (const event of page) {
        if (!source.keep(event)) continue;
        const at = lastSeen(event);
        if (at < since) continue;
        events += 1;
        const object = `${event.involvedObject.kind ?? '?'}/${event.involvedObject.name ?? '?'}`;
        const key = `${event.reason ?? '?'}\u0000${object}`;
        const count = event.series?.count ?? event.count ?? 1;
        const group = groups.get(key);
        if (group) {
          group.count += count;
          if (at > group.last) Object.assign(group, { last: at, message: event.message ?? '' });
        } else
          groups.set(key, {
            reason: event.reason ?? '?',
            object,
            count,
            last: at,
            message: event.message ?? '',
          });
      }
    }
  const sorted = [...groups.values()].sort((a, b) => b.last - a.last);
  const serious = sorted.filter((g) => SERIOUS.has(g.reason));
  const findings: Finding[] =
    serious.length > 0
      ? [
          {
            status: 'WARNING',
            text: `${serious.length} serious warning(s) today, newest ${serious[0]!.reason} on ${serious[0]!.object}: ${serious[0]!.message.slice(0, 120)}`,
          },
        ]
      : [];
  const lines = table(
    ['LAST SEEN', 'REASON', 'OBJECT', 'COUNT', 'MESSAGE'],
    sorted
      .slice(0, SHOWN)
      .map((g) => [
        `${age(new Date(g.last), now)} ago`,
        g.reason,
        g.object,
        String(g.count),
        g.message.slice(0, 100),
      ]),
  );
  if (sorted.length > SHOWN) lines.push(`… and ${sorted.length - SHOWN} more groups`);
  return {
    summary:
      events === 0
        ? `no Warning events in the last ${sinceHours} h`
        : `${events} Warning event(s) in ${groups.size} group(s) in the last ${sinceHours} h`,
    findings,
    lines: events === 0 ? [] : lines,
    data: { events, groups: sorted.map((g) => ({ ...g, last: new Date(g.last).toISOString() })) },
  };
}
