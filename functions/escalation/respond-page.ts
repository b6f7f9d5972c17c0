import type { OnCallTier } from '../../core/config.ts';
import { resolvedBy, type Incident } from '../../core/incidents/incident.ts';
import { TOKEN_PARAM } from './links.ts';
import { ALLOWED_METHODS, NOTE_MAX_CHARS, type RespondAnswer } from './respond.ts';
import { escapeHtml } from '../../core/text-safety.ts';
import { document, PAGE_HEADERS } from '../../core/web-page.ts';

/** The page's security headers (the shared page's). */
export const RESPOND_HEADERS = PAGE_HEADERS;

const STATUS_TEXT: Record<Incident['status'], string> = {
  triggered: 'Triggered: paging, not yet acknowledged',
  held: 'Held: maintenance window, not yet paged',
  acknowledged: 'Acknowledged, not yet resolved',
  resolved: 'Resolved',
};

const utc = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

function paged(incident: Incident): string {
  const pages = incident.timeline.filter((e) => e.event === 'paged');
  return pages.length === 0 ? 'nobody yet' : pages.map((e) => `${e.detail} at ${utc(e.at)}`).join('; ');
}

function facts(incident: Incident): string {
  const rows: Array<[string, string]> = [
    ['Incident', incident.id],
    ['Severity', incident.severity],
    ['Status', STATUS_TEXT[incident.status]],
    ['Alert', `${incident.alert.name}: ${incident.alert.summary}`],
    ['Started', utc(incident.createdAt)],
    ['Paged', paged(incident)],
  ];
  if (incident.ackedBy) rows.push(['Acknowledged by', incident.ackedBy]);
  if (incident.status === 'resolved') rows.push(['Resolved by', resolvedBy(incident) ?? 'unknown']);
  return `<table>${rows.map(([k, v]) => `<tr><th scope="row">${k}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>`;
}

function timeline(incident: Incident): string {
  const items = incident.timeline.map((e) => {
    const note = e.note ? ` — “${escapeHtml(e.note)}”` : '';
    return `<li><strong>${utc(e.at)}</strong> ${escapeHtml(e.event)}: ${escapeHtml(e.detail)}${note}</li>`;
  });
  return `<h2>Timeline</h2><ol>${items.join('')}</ol>`;
}

export interface RenderedResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * The HTML answer for a respond request. `formPath` is where the button posts (the function URL's
 * own path), so the form never leaves the page's origin.
 */
export function renderRespondPage(
  answer: RespondAnswer,
  formPath: string,
  tiers: readonly OnCallTier[],
): RenderedResponse {
  const { view } = answer;
  const headers: Record<string, string> = { ...RESPOND_HEADERS, allow: ALLOWED_METHODS };
  if (view.kind === 'empty') return { statusCode: answer.status, headers, body: '' };
  headers['content-type'] = 'text/html; charset=utf-8';
  let title: string;
  let body: string;
  if (view.kind === 'refused') {
    title = 'Link refused';
    body = `<h1>Nothing was changed</h1><p class="note warn">${escapeHtml(view.message)}</p>`;
  } else if (view.kind === 'outcome') {
    title = `${view.incident.id}: ${view.incident.status}`;
    body = `<h1>${escapeHtml(view.incident.id)}</h1><p class="note ok" role="status">${escapeHtml(view.message)}</p>${facts(view.incident)}${timeline(view.incident)}`;
  } else {
    const { claims, incident } = view;
    const verb = claims.action === 'ack' ? 'Acknowledge' : 'Resolve';
    const who = tiers.find((t) => t.name === claims.tier)?.title ?? claims.tier;
    const consequence =
      claims.action === 'ack'
        ? 'Acknowledging stops paging the next on-call tiers; the incident stays open until it is resolved, and the manager is still told if it stays unresolved.'
        : 'Resolving closes the incident and tells everyone who was paged.';
    title = `${verb} ${incident.id}?`;
    body = [
      `<h1>${escapeHtml(title)}</h1>`,
      `<p class="note info">Opening this page changed nothing. ${consequence}</p>`,
      facts(incident),
      `<form method="post" action="${escapeHtml(formPath)}">`,
      `<input type="hidden" name="${TOKEN_PARAM}" value="${escapeHtml(view.token)}">`,
      `<input type="hidden" name="action" value="${claims.action}">`,
      `<label for="note">What we know (optional)</label>`,
      `<textarea id="note" name="note" maxlength="${NOTE_MAX_CHARS}" placeholder="e.g. looking at the 14:02 rollout"></textarea>`,
      `<button type="submit"${claims.action === 'resolve' ? ' class="resolve"' : ''}>${verb} ${escapeHtml(incident.id)} as ${escapeHtml(who)}</button>`,
      `</form>`,
      timeline(incident),
    ].join('');
  }
  return { statusCode: answer.status, headers, body: document(title, body) };
}
