/** What every outside HTTP call of escalation does: a timeout, and an error naming what was called. */
export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
  timeoutMs = 10_000,
): Promise<unknown> {
  const answer = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await answer.text();
  if (!answer.ok) {
    throw new Error(
      `POST ${new URL(url).origin}${new URL(url).pathname} answered ${answer.status}: ${text.slice(0, 200)}`,
    );
  }
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    return { text };
  }
}
