/**
 * Fits a message into a byte budget by shortening its longest part first: `kept[i]` is how many
 * lines (or items) part `i` shows, and `render` draws the message from `kept`. The longest part is
 * halved until the whole fits or nothing is left to halve; what each part left out, the renderer
 * says ("… and N more"). Answers the last rendering, which may still be over when nothing could go.
 */
export function fitToBudget(kept: number[], render: () => string, budget: number): string {
  let out = render();
  while (Buffer.byteLength(out) > budget) {
    const longest = kept.indexOf(Math.max(...kept));
    if (kept[longest]! === 0) break;
    kept[longest] = Math.floor(kept[longest]! / 2);
    out = render();
  }
  return out;
}
