import type { OnCallTier } from '../config.ts';
import type { Incident } from '../incidents/incident.ts';
import { plainText, singleLine, snsSubject } from '../text-safety.ts';

export interface PageLinks {
  readonly ack: string;
  readonly resolve: string;
}

export interface Page {
  readonly subject: string;
  readonly body: string;
}

export const RUNBOOK_BASE = 'https://github.com/ninjatech-ai/mcp-ops/blob/main/docs/runbooks/';

/** The runbook the alert names (a file in `docs/runbooks/`), or the incident playbook, as a link. */
export function runbookLink(runbook: string | undefined, base = RUNBOOK_BASE): string {
  const name = runbook && /^[a-z0-9-]+$/.test(runbook) ? runbook : 'incident-response-playbook';
  return `${base.endsWith('/') ? base : `${base}/`}${name}.md`;
}

/** SMS-sized: "[P1] INC-20261125-001 ValidationErrorRateCritical", a valid SNS subject. */
function subjectLine(prefix: string, incident: Incident): string {
  return snsSubject(`${prefix}[${incident.severity}] ${incident.id} ${incident.alert.name}`);
}

/** The manual's incident communication template, as plain text: pages are read in mail and SMS. */
function templateLines(incident: Incident, status: string): string[] {
  return [
    `Incident ID: ${incident.id}`,
    `Severity: ${incident.severity}`,
    `Status: ${status}`,
    `Started: ${incident.createdAt.slice(0, 16).replace('T', ' ')} UTC`,
    `Impact: ${singleLine(incident.alert.summary)}`,
  ];
}

/** What joined the incident instead of paging again ("one failure, one page"). */
function relatedLines(incident: Incident): string[] {
  const related = incident.related ?? [];
  if (related.length === 0) return [];
  const omitted = incident.relatedOmitted ?? 0;
  return [
    `Related alerts that joined this incident (${related.length + omitted}):`,
    ...related.map(
      (r) => `  ${r.at.slice(11, 16)} UTC ${singleLine(r.name)} (${r.severity}): ${singleLine(r.summary)}`,
    ),
    ...(omitted > 0 ? [`  ... and ${omitted} more not listed`] : []),
  ];
}

/** A page following the manual's incident communication template. */
export function renderPage(
  incident: Incident,
  tier: OnCallTier,
  links: PageLinks,
  runbookBase?: string,
): Page {
  const a = incident.alert;
  const lines = [
    ...templateLines(incident, `Investigating (${incident.status}; paging ${tier.title})`),
    '',
    // Every field from the alert is one line: no text of its own can pose as a line of ours.
    `Alert: ${singleLine(a.name)} (${a.source}, severity ${singleLine(a.severityLabel)}, ${a.status})`,
    ...Object.entries(a.labels).map(([k, v]) => `  ${singleLine(k)} = ${singleLine(v)}`),
    ...relatedLines(incident),
    ...(incident.channel ? [`Incident channel: ${incident.channel}`] : []),
    `Runbook: ${runbookLink(a.runbook, runbookBase)}`,
    '',
    'Each link opens a page that shows the incident; nothing changes until you press its button.',
    `Acknowledge: ${links.ack}`,
    `Resolve:     ${links.resolve}`,
  ];
  if (a.parseError) {
    lines.push(
      '',
      `NOTE: this alert could not be parsed (${singleLine(a.parseError)}). The raw message follows, each line after "| ".`,
      '',
      ...plainText(a.raw ?? '')
        .split('\n')
        .map((line) => `| ${line}`),
    );
  }
  return { subject: subjectLine('', incident), body: lines.join('\n') };
}

export function renderResolved(incident: Incident, by: string, note?: string): Page {
  return {
    subject: subjectLine('RESOLVED ', incident),
    body: [
      ...templateLines(incident, `Resolved (${singleLine(by)})`),
      ...(note ? [`What we know: ${singleLine(note)}`] : []),
      '',
      'No further pages will be sent for this incident.',
    ].join('\n'),
  };
}
