// `mcp-ops ack|resolve|incidents|incident`: the escalation functions' own code, from a terminal.
import { SNSClient } from '@aws-sdk/client-sns';
import { topicArnsByName } from './topic-names.ts';
import { awsClientConfig, type AwsTarget } from '../core/aws.ts';
import type { OpsConfig } from '../core/config.ts';
import {
  acknowledgeIncident,
  postStatusUpdate,
  resolveIncident,
  type UpdateStatus,
} from '../functions/escalation/actions.ts';
import { deliveriesTableName, incidentsTableName, linkSecretName } from '../core/incidents/table.ts';
import { formatIncident, formatIncidentList } from '../core/incidents/view.ts';
import { afterAcknowledgement } from '../core/incidents/policy.ts';
import { escalationPorts, type EscalationSettings } from '../core/incidents/wiring.ts';
import type { StackEndpoints as Endpoints } from '../stack/endpoints.ts';
import { RequestRefused } from '../core/errors.ts';
import { actor, type CommandContext, type CommandResult } from './command-context.ts';
import { ENV } from '../core/function-env.ts';

/** The tier topics by name, found by their names (`<prefix>-page-<tier>`) in the account. */
async function tierTopicsByName(target: AwsTarget, config: OpsConfig): Promise<Record<string, string>> {
  const sns = new SNSClient(awsClientConfig(target));
  const arns = await topicArnsByName(sns);
  sns.destroy();
  const found: Record<string, string> = {};
  for (const tier of config.onCall.tiers) {
    const arn = arns.get(`${config.resourcePrefix}-page-${tier.name}`);
    if (arn) found[tier.name] = arn;
  }
  return found;
}

export async function escalationSettings(
  config: OpsConfig,
  target: AwsTarget,
  endpoints?: Endpoints,
): Promise<EscalationSettings> {
  const prefix = config.resourcePrefix;
  return {
    config,
    table: endpoints?.tables.incidents ?? process.env[ENV.incidentsTable] ?? incidentsTableName(prefix),
    deliveriesTable:
      endpoints?.tables.deliveries ?? process.env[ENV.deliveriesTable] ?? deliveriesTableName(prefix),
    tierTopics: endpoints?.topics.tiers ?? (await tierTopicsByName(target, config)),
    secretArn: endpoints?.secrets.linkSecret ?? process.env[ENV.linkSecretArn] ?? linkSecretName(prefix),
    linkBaseUrl: process.env[ENV.linkBaseUrl] ?? 'https://invalid.example/respond',
    linkTtlHours: 24,
  };
}

const INCIDENT_ID = /^INC-\d{8}-\d{3,}$/;

export class EscalationCommandError extends RequestRefused {}

export async function escalationCommand(
  command: string,
  args: string[],
  options: {
    config: OpsConfig;
    target: AwsTarget;
    endpoints?: Endpoints;
    by?: string;
    json: boolean;
    done?: boolean;
    status?: string;
  },
): Promise<string> {
  const settings = await escalationSettings(options.config, options.target, options.endpoints);
  const ports = escalationPorts(options.target, settings);
  const tiers = options.config.onCall.tiers;
  const now = () => new Date();
  if (command === 'incidents' && args[0] === 'reviews') {
    // Every review not marked done: reviewsDue up to the end of time.
    const pending = await ports.store.reviewsDue(new Date('9999-12-31T00:00:00Z'));
    pending.sort((a, b) => (a.reviewDueAt ?? '').localeCompare(b.reviewDueAt ?? ''));
    if (options.json) return JSON.stringify(pending, null, 2);
    if (pending.length === 0) return 'Every post-incident review is marked done.';
    return pending
      .map(
        (i) =>
          `${i.id}  ${i.severity}  due ${i.reviewDueAt!.slice(0, 16).replace('T', ' ')} UTC${new Date(i.reviewDueAt!) <= now() ? ' (OVERDUE)' : ''}  ${i.review}`,
      )
      .join('\n');
  }
  if (command === 'incidents') {
    const open = await ports.store.openIncidents();
    return options.json ? JSON.stringify(open, null, 2) : formatIncidentList(open, tiers, now());
  }
  const review = command === 'incident' && args[0] === 'review';
  const update = command === 'incident' && args[0] === 'update';
  const id = review || update ? args[1] : args[0];
  if (!id || !INCIDENT_ID.test(id)) {
    throw new EscalationCommandError(
      `${command}: expected an incident id like INC-20261125-001, got "${id ?? ''}"`,
    );
  }
  if (update) {
    const status = options.status;
    if (!status || !['investigating', 'identified', 'monitoring', 'resolved'].includes(status))
      throw new EscalationCommandError(
        `--status: expected investigating, identified, monitoring or resolved, got ${status ?? 'nothing'}`,
      );
    const message = args[2]?.trim();
    if (!message)
      throw new EscalationCommandError('a status update needs a message: what we know, what we are doing');
    const by = actor(options);
    const updated = await postStatusUpdate(await ports.deps(now), id, {
      status: status as UpdateStatus,
      message,
      by,
    });
    if (!updated) throw new EscalationCommandError(`${id} is resolved or unknown; nothing was changed.`);
    if (options.json) return JSON.stringify({ id, status, message, by }, null, 2);
    return `${id}: ${status}. ${status === 'resolved' ? 'Every tier already paged has been told.' : 'Chat has the update.'}`;
  }
  if (review) {
    const incident = await ports.store.get(id);
    if (!incident) throw new EscalationCommandError(`No incident ${id}.`);
    if (!incident.review)
      throw new EscalationCommandError(
        `${id} has no review yet (${incident.status === 'resolved' ? 'it is being written' : `it is ${incident.status}`}).`,
      );
    if (!options.done && options.json)
      return JSON.stringify(
        {
          id,
          review: incident.review,
          dueAt: incident.reviewDueAt ?? null,
          doneAt: incident.reviewDoneAt ?? null,
        },
        null,
        2,
      );
    if (!options.done)
      return `${id}: review ${incident.review}${incident.reviewDoneAt ? `, done ${incident.reviewDoneAt}` : `, not done yet${incident.reviewDueAt ? ` (due ${incident.reviewDueAt})` : ''}`}`;
    const by = actor(options);
    const done = await ports.store.markReviewDone(id, {
      at: now().toISOString(),
      event: 'review-done',
      detail: `post-incident review marked done by ${by}`,
    });
    if (options.json)
      return JSON.stringify({ id, review: incident.review, doneBy: by, alreadyDone: !done }, null, 2);
    return done ? `${id}: review marked done by ${by}.` : `${id}: the review was already marked done.`;
  }
  if (command === 'incident') {
    const incident = await ports.store.get(id);
    if (!incident) throw new EscalationCommandError(`No incident ${id}.`);
    return options.json ? JSON.stringify(incident, null, 2) : formatIncident(incident);
  }
  const by = actor(options);
  const deps = await ports.deps(now);
  const changed =
    command === 'ack' ? await acknowledgeIncident(deps, id, by) : await resolveIncident(deps, id, by);
  if (changed) {
    if (options.json) return JSON.stringify(changed, null, 2);
    return command === 'ack'
      ? `${id} acknowledged by ${by}. ${afterAcknowledgement(deps.policy, changed)}`
      : `${id} resolved by ${by}. Every tier already paged has been told.`;
  }
  const current = await ports.store.get(id);
  if (!current) throw new EscalationCommandError(`No incident ${id}.`);
  throw new EscalationCommandError(`${id} is already ${current.status}; nothing was changed.`);
}

/** `mcp-ops incidents|incident|ack|resolve …` */
export async function run(context: CommandContext): Promise<CommandResult> {
  const [command, sub] = context.name.split(' ') as [string, string | undefined];
  const { values } = context;
  const output = await escalationCommand(command, [...(sub ? [sub] : []), ...context.args], {
    config: context.config,
    target: context.target,
    ...(context.endpoints ? { endpoints: context.endpoints } : {}),
    ...(values.by ? { by: values.by } : {}),
    ...(values.done ? { done: true } : {}),
    ...(values.status ? { status: values.status } : {}),
    json: context.structured,
  });
  return { output };
}
