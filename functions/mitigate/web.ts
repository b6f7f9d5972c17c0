/**
 * The mitigation page behind a link: a GET verifies the link and shows what will change, the
 * state now and the API server's dry run of it, with one button; only the button's POST acts
 * (mail scanners and link previews GET every link). Every answer is a page a person can read.
 */
import type { OnCallTier } from '../../core/config.ts';
import { parseFunctionUrl } from '../../core/function-url.ts';
import type { Incident } from '../../core/incidents/incident.ts';
import { kubectlFor } from '../../core/mitigation/actions.ts';
import {
  MITIGATION_TOKEN_PARAM,
  verifyMitigation,
  type MitigationClaims,
} from '../../core/mitigation/links.ts';
import { escapeHtml, singleLine } from '../../core/text-safety.ts';
import { document, PAGE_HEADERS } from '../../core/web-page.ts';
import { mitigate, preview, type MitigateDeps, type MitigationResult } from './mitigate.ts';

export interface MitigatePageDeps extends MitigateDeps {
  readonly secret: string;
  readonly previousSecrets?: () => Promise<readonly string[]>;
}

export interface PageResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const ALLOWED = 'GET, HEAD, POST, OPTIONS';
const utc = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

/** Who acted, as recorded: the name typed on the page (one line, bounded), and whom the link went to. */
export function linkActor(
  claims: MitigationClaims,
  tiers: readonly OnCallTier[],
  typed?: string | null,
): string {
  const who = tiers.find((t) => t.name === claims.sentTo);
  const sent = who ? `${who.title} (${who.contact})` : claims.sentTo;
  const name = (typed ?? '')
    .replace(/[\p{Cc}\p{Cf}\s]+/gu, ' ')
    .trim()
    .slice(0, 80);
  return name ? `${name} (link sent to ${sent})` : `${sent} via link`;
}

function page(status: number, title: string, body: string): PageResponse {
  return {
    statusCode: status,
    headers: { ...PAGE_HEADERS, allow: ALLOWED, 'content-type': 'text/html; charset=utf-8' },
    body: document(title, body),
  };
}

function facts(incident: Incident): string {
  const rows: Array<[string, string]> = [
    ['Incident', incident.id],
    ['Severity', incident.severity],
    ['Status', `${incident.status}${incident.phase ? ` (${incident.phase})` : ''}`],
    ['Alert', `${incident.alert.name}: ${incident.alert.summary}`],
  ];
  return `<table>${rows.map(([k, v]) => `<tr><th scope="row">${k}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>`;
}

function mitigations(incident: Incident): string {
  const records = Object.values(incident.mitigations ?? {});
  if (records.length === 0) return '';
  const items = records
    .sort((a, b) => a.at.localeCompare(b.at))
    .map(
      (r) =>
        `<li><strong>${utc(r.at)}</strong> ${escapeHtml(r.description)} by ${escapeHtml(r.by)}: ${escapeHtml(r.state)}${r.outcome ? ` — ${escapeHtml(r.outcome)}` : ''}</li>`,
    );
  return `<h2>Mitigations on this incident</h2><ol>${items.join('')}</ol>`;
}

const lines = (items: readonly string[]) => `<pre>${escapeHtml(items.join('\n'))}</pre>`;

function render(
  result: MitigationResult,
  deps: MitigateDeps,
  formPath: string,
  token: string,
  claims: MitigationClaims,
): PageResponse {
  switch (result.kind) {
    case 'refused':
      return page(
        result.status,
        'Nothing was changed',
        `<h1>Nothing was changed</h1><p class="note warn" role="alert">${escapeHtml(result.message)}</p>${result.incident ? facts(result.incident) + mitigations(result.incident) : ''}`,
      );
    case 'taken':
    case 'acted':
      return page(
        200,
        `${result.incident.id}: ${result.record.description}`,
        `<h1>${escapeHtml(result.record.description)}</h1><p class="note ${result.record.state === 'done' ? 'ok' : 'warn'}" role="status">${escapeHtml(result.message)}</p>${facts(result.incident)}${mitigations(result.incident)}`,
      );
    case 'preview': {
      const { prepared, incident } = result;
      const { deployment, namespace } = deps.config.cluster;
      const target = prepared.description;
      return page(
        200,
        `${target}?`,
        [
          `<h1>${escapeHtml(target)}?</h1>`,
          `<p class="note info">Opening this page changed nothing. The button below makes this one change, once; the result is watched for up to ${deps.config.mitigation.verifySeconds} s and posted to the incident's timeline, chat and everyone paged.</p>`,
          facts(incident),
          `<h2>Now</h2>`,
          lines(prepared.state),
          `<h2>The API server's dry run</h2>`,
          lines(result.dryRun),
          `<p class="small">At a terminal: <code>${escapeHtml(kubectlFor(claims.target, deployment, namespace))}</code></p>`,
          `<form method="post" action="${escapeHtml(formPath)}">`,
          `<input type="hidden" name="${MITIGATION_TOKEN_PARAM}" value="${escapeHtml(token)}">`,
          `<label for="by">Your name (recorded on the incident)</label>`,
          `<input id="by" name="by" maxlength="80" autocomplete="name" required>`,
          `<button type="submit" class="act">${escapeHtml(target)}</button>`,
          `</form>`,
          mitigations(incident),
        ].join(''),
      );
    }
  }
}

/** The function URL's whole behaviour. */
export async function answerMitigationUrl(deps: MitigatePageDeps, event: unknown): Promise<PageResponse> {
  const parsed = parseFunctionUrl(event);
  if (!parsed.ok)
    return page(
      parsed.status,
      'Nothing was changed',
      `<h1>Nothing was changed</h1><p class="note warn">${escapeHtml(parsed.message)}</p>`,
    );
  const { method, query, form, path } = parsed;
  if (method === 'HEAD' || method === 'OPTIONS')
    return {
      statusCode: method === 'HEAD' ? 200 : 204,
      headers: { ...PAGE_HEADERS, allow: ALLOWED },
      body: '',
    };
  if (method !== 'GET' && method !== 'POST')
    return page(
      405,
      'Nothing was changed',
      `<h1>Nothing was changed</h1><p class="note warn">${escapeHtml(`${method} is not accepted here: open the link (GET) and press its button (POST). Nothing was changed.`)}</p>`,
    );
  const token =
    method === 'GET' ? query[MITIGATION_TOKEN_PARAM] : (form.get(MITIGATION_TOKEN_PARAM) ?? undefined);
  const previous = (await deps.previousSecrets?.()) ?? [];
  const check = verifyMitigation(token, deps.secret, deps.now(), previous);
  if (!check.ok)
    return page(
      403,
      'Link refused',
      `<h1>Nothing was changed</h1><p class="note warn">${escapeHtml(check.reason)}</p>`,
    );
  const { claims } = check;
  const request = {
    incidentId: claims.incidentId,
    generation: claims.generation,
    target: claims.target,
    by: linkActor(claims, deps.tiers, method === 'POST' ? form.get('by') : undefined),
  };
  let result: MitigationResult;
  try {
    result = method === 'GET' ? await preview(deps, request) : await mitigate(deps, request);
  } catch (error) {
    // The incident store or the API server not answering: said plainly, never a bare 500.
    const message = singleLine((error as Error).message ?? String(error), 300);
    return page(
      503,
      'Could not be answered',
      `<h1>Could not be answered now</h1><p class="note warn" role="alert">${escapeHtml(`Something this page needs did not answer: ${message}. ${method === 'GET' ? 'Nothing was changed.' : "Check the incident's timeline before trying again."} At a terminal: mcp-ops mitigate ${claims.incidentId} ${claims.target.action} --dry-run`)}</p>`,
    );
  }
  return render(result, deps, path, token!, claims);
}
