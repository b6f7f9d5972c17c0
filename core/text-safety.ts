/**
 * Text from alerts and responders, made safe for where it goes. Every destination has its own
 * markup, and a name or a note is data, never markup: no mention, link, image or fake line may
 * come through. One function per destination; each is total (any string in, safe text out).
 */

/** Control characters (C0, DEL, C1) and the bidirectional overrides that reorder what is shown. */
const CONTROL = /[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text as HTML text or an attribute value (quoted): the five characters HTML gives meaning to. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

/** One line of plain text: control characters and line breaks become spaces, runs of space one. */
export function singleLine(text: string, max = Number.POSITIVE_INFINITY): string {
  const flat = text
    .replace(CONTROL, ' ')
    .replace(/[\s\u2028\u2029]+/g, ' ')
    .trim();
  return flat.length > max ? `${flat.slice(0, Math.max(0, max - 1))}…` : flat;
}

/**
 * An SNS subject: printable ASCII... SNS takes UTF-8 but refuses control characters and line
 * breaks and more than 100 characters; we keep to 99 so an ellipsis always fits.
 */
export function snsSubject(text: string): string {
  const line = singleLine(text);
  return line.length > 99 ? `${line.slice(0, 96)}...` : line || '(no subject)';
}

/** Plain text over several lines (a page body): control characters go, line breaks stay. */
export function plainText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[\p{Cc}\u202a-\u202e\u2066-\u2069]/gu, (c) => (c === '\n' ? c : ' '));
}

/**
 * Slack mrkdwn: `&`, `<` and `>` are the only characters Slack asks to escape; with them escaped
 * no `<!channel>`, `<@U123>` or `<https://x|label>` can be formed. Formatting marks (`*_~` and
 * backticks) are neutralised with a zero-width joiner after them so text never turns bold or code.
 */
export function slackText(text: string): string {
  return plainText(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([*_~`])/g, '$1\u200b')
    .replace(/@(channel|here|everyone)\b/gi, '@\u200b$1');
}

/**
 * Markdown as AWS Chatbot's clients render it (Slack or Teams) and as GitHub renders issues, with
 * no backslash escapes (Slack shows them as typed): `&<>` as entities, a zero-width space after
 * each formatting mark (`*_~` and backticks) and inside the pairs that open an image or a link
 * (`![`, `](`), and `@` mentions broken. Nothing visible changes; nothing can format or link.
 */
export function markdownText(text: string): string {
  return plainText(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([*_~`#|])/g, '$1\u200b')
    .replace(/!\[/g, '!\u200b[')
    .replace(/\]\(/g, ']\u200b(')
    .replace(/\[~/g, '[\u200b~')
    .replace(/@(?=\w)/g, '@\u200b');
}

/**
 * Jira wiki markup: its marks (`{}[]!|*_^~+-#?` and `\`) are escaped with a backslash; `[~user]`
 * mentions and `!image!` embeds cannot form; `{noformat}` and `{code}` cannot open.
 */
export function jiraText(text: string): string {
  return plainText(text).replace(/([\\{}[\]!|*_^~+\-#?])/g, '\\$1');
}

/** URL tokens in text; they keep their shape (so they still link) with markup characters encoded. */
const URL_TOKEN = /(https?:\/\/[^\s<>"']+)/g;
const URL_MARKUP = /[<>|[\]{}!()*`^~]/g;

export type Destination = 'slack' | 'markdown' | 'jira' | 'plain';

const ESCAPERS: Record<Destination, (text: string) => string> = {
  slack: slackText,
  markdown: markdownText,
  jira: jiraText,
  plain: plainText,
};

/**
 * Text for a destination: what lies between URLs escaped by the destination's rules, each URL
 * kept a working link with its markup characters percent-encoded (a `|label` or `)` in a URL
 * cannot make a labelled link or close one).
 */
export function safeFor(destination: Destination, text: string): string {
  const escape = ESCAPERS[destination];
  return text
    .split(URL_TOKEN)
    .map((part, index) =>
      index % 2 === 1
        ? part.replace(URL_MARKUP, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)
        : escape(part),
    )
    .join('');
}
