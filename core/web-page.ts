import { createHash } from 'node:crypto';
import { escapeHtml } from './text-safety.ts';

/**
 * The small HTML page a responder sees behind a page's link: self-contained (no scripts, images or
 * external styles), so its Content-Security-Policy can forbid everything but its own style block.
 */

export const STYLE = `
body{font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f4f5f7;color:#1d2125}
main{max-width:40rem;margin:0 auto;padding:1rem}
h1{font-size:1.35rem;margin:.5rem 0 1rem}
h2{font-size:1.05rem;margin:1.5rem 0 .5rem}
.note{padding:.75rem 1rem;border-radius:6px;margin:0 0 1rem;border-left:6px solid #626f86;background:#fff}
.note.ok{border-color:#1f845a}.note.warn{border-color:#c9372c}.note.info{border-color:#0c66e4}
table{border-collapse:collapse;width:100%;background:#fff;border-radius:6px}
th,td{text-align:left;vertical-align:top;padding:.4rem .75rem;border-bottom:1px solid #dcdfe4;overflow-wrap:anywhere}
th{width:9rem;font-weight:600;color:#44546f}
form{background:#fff;padding:1rem;border-radius:6px;margin:1rem 0}
label{display:block;font-weight:600;margin-bottom:.35rem}
textarea{box-sizing:border-box;width:100%;min-height:5rem;font:inherit;padding:.5rem}
input[type=text],input:not([type]){box-sizing:border-box;width:100%;font:inherit;padding:.5rem}
button{margin-top:.75rem;font:inherit;font-weight:600;padding:.7rem 1.4rem;border:0;border-radius:6px;background:#0c66e4;color:#fff;cursor:pointer}
button.resolve{background:#1f845a}
button.act{background:#c9372c}
pre{background:#fff;border-radius:6px;padding:.75rem 1rem;overflow-x:auto;white-space:pre-wrap;overflow-wrap:anywhere;font-size:.875rem}
ol{padding-left:1.25rem;background:#fff;border-radius:6px;padding:.5rem .75rem .5rem 2rem}
li{margin:.25rem 0;overflow-wrap:anywhere}
.small{font-size:.875rem;color:#44546f}
`;

/** The page's security headers; the style block is allowed by its hash, nothing else at all. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': [
    "default-src 'none'",
    `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-robots-tag': 'noindex, nofollow',
};

export function document(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex, nofollow"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}
