import type { OnCallTier } from '../../core/config.ts';
import type { Incident } from './incident.ts';

export interface PageLinks {
  readonly ack: string;
  readonly resolve: string;
}

export interface Page {
  readonly subject: string;
  readonly body: string;
}

export const RUNBOOK_BASE = 'https://github.com/ninjatech-ai/mcp-ops/blob/main/MANUAL.md';

/** The manual's runbook section that matches the alert, as a link. */
export function runbookLink(runbook: string | undefined, base = RUNBOOK_BASE): string {
  return `${base}#${runbook ?? 'incident-response-playbook'}`;
}

/** SMS-sized: "[P1] INC-20261125-001 ValidationErrorRateCritical" within 100 characters. */
function subjectLine(prefix: string, incident: Incident): string {
  const text = `${prefix}[${incident.severity}] ${incident.id} ${incident.alert.name}`.replace(/\s+/g, ' ');
  return text.length > 100 ? `${text.slice(0, 97)}...` : text;
}

/** The manual's incident communication template, as plain text: pages are read in mail and SMS. */
function templateLines(incident: Incident, status: string): string[] {
  return [
    `Incident ID: ${incident.id}`,
    `Severity: ${incident.severity}`,
    `Status: ${status}`,
    `Started: ${incident.createdAt.slice(0, 16).replace('T', ' ')} UTC`,
    `Impact: ${incident.alert.summary}`,
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
    `Alert: ${a.name} (${a.source}, severity ${a.severityLabel}, ${a.status})`,
    ...Object.entries(a.labels).map(([k, v]) => `  ${k} = ${v}`),
    `Runbook: ${runbookLink(a.runbook, runbookBase)}`,
    '',
    'Each link opens a page that shows the incident; nothing changes until you press its button.',
    `Acknowledge: ${links.ack}`,
    `Resolve:     ${links.resolve}`,
  ];
  if (a.parseError) {
    lines.push(
      '',
      `NOTE: this alert could not be parsed (${a.parseError}). The raw message follows.`,
      '',
      a.raw ?? '',
    );
  }
  return { subject: subjectLine('', incident), body: lines.join('\n') };
}

export function renderResolved(incident: Incident, by: string, note?: string): Page {
  return {
    subject: subjectLine('RESOLVED ', incident),
    body: [
      ...templateLines(incident, `Resolved (${by})`),
      ...(note ? [`What we know: ${note}`] : []),
      '',
      'No further pages will be sent for this incident.',
    ].join('\n'),
  };
}
