import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium (installed by .ci/run); playwright's own browser download is not used. */
export const CHROMIUM = process.env.MCP_OPS_CHROMIUM ?? '/usr/bin/chromium';

/** Headless Chromium on this machine, with nothing reaching out to the network on its own. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`No Chromium at ${CHROMIUM}: apt-get install chromium (or set MCP_OPS_CHROMIUM)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** What a person sees of an e-mail's HTML at a phone-to-desktop width. */
export interface EmailView {
  /** The page's scroll width: more than the viewport means a horizontal scroll bar. */
  readonly scrollWidth: number;
  readonly viewportWidth: number;
  /** The visible text, as a reader would copy it. */
  readonly text: string;
  /** Table cells whose content does not fit them (wrapped or cut off), by their text. */
  readonly overflowingCells: string[];
  /** How many table cells the e-mail has. */
  readonly cells: number;
}

/**
 * Renders `html` in headless Chromium at `width` px (600: a mail client's reading pane), with
 * JavaScript off as mail clients have it, and writes a full-page PNG to `png`.
 */
export async function renderEmail(html: string, png: string, width = 600): Promise<EmailView> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width, height: 800 }, javaScriptEnabled: false });
    // Nothing may be fetched: an e-mail has no external images, styles or scripts.
    const fetched: string[] = [];
    await page.route('**/*', (route) => {
      fetched.push(route.request().url());
      return route.abort();
    });
    await page.setContent(html, { waitUntil: 'load' });
    if (fetched.length > 0) throw new Error(`the e-mail tried to load ${fetched.join(', ')}`);
    await page.screenshot({ path: png, fullPage: true });
    const scrollWidth = Number(await page.evaluate('document.documentElement.scrollWidth'));
    const text = await page.innerText('body');
    // Every data cell on one line and within its width: no wrap mid-word, no column pushed out.
    const cells =
      (await page.evaluate(`[...document.querySelectorAll('table.data td, table.data th')].map((c) => ({
      text: c.textContent,
      fits: c.scrollWidth <= c.clientWidth && c.getClientRects().length === 1 && c.getBoundingClientRect().height < 20,
    }))`)) as Array<{ text: string; fits: boolean }>;
    return {
      scrollWidth,
      viewportWidth: width,
      text,
      overflowingCells: cells.filter((c) => !c.fits).map((c) => c.text),
      cells: cells.length,
    };
  } finally {
    await browser.close();
  }
}
