/**
 * PDF for the command line: the HTML report printed by a Chromium already on the machine, driven by playwright-core
 * (never downloaded: `--chromium <path>`, else PODTRAIL_CHROMIUM, else /usr/bin/chromium). The page runs no script
 * (JavaScript off), and every request it would make is refused — the report is self-contained, so nothing is lost.
 */
import { existsSync } from 'node:fs';

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

export class PdfError extends Error {}

export function chromiumPath(given?: string): string {
  const path = given ?? process.env.PODTRAIL_CHROMIUM ?? DEFAULT_CHROMIUM;
  if (!existsSync(path)) {
    throw new PdfError(
      `no Chromium at ${path}: PDF reports are printed by Chromium. Install it (Debian/Ubuntu: apt-get install chromium), ` +
        'or name one with --chromium <path> or PODTRAIL_CHROMIUM; or write --format html and print that',
    );
  }
  return path;
}

interface PlaywrightCore {
  chromium: {
    launch(o: { executablePath: string; headless: boolean; args: string[] }): Promise<{
      newContext(o: { javaScriptEnabled: boolean; offline: boolean }): Promise<{
        route(url: string, handler: (route: { abort(): Promise<void> }) => Promise<void>): Promise<void>;
        newPage(): Promise<{
          setContent(html: string, o: { waitUntil: 'load' }): Promise<void>;
          emulateMedia(o: { media: 'print' }): Promise<void>;
          pdf(o: { format: string; printBackground: boolean; preferCSSPageSize: boolean }): Promise<Buffer>;
        }>;
      }>;
      close(): Promise<void>;
    }>;
  };
}

function loadPlaywright(): PlaywrightCore {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('playwright-core') as PlaywrightCore;
  } catch (err) {
    throw new PdfError(`PDF reports need the playwright-core package (npm install playwright-core): ${(err as Error).message}`);
  }
}

export async function printPdfWithChromium(html: string, executable?: string): Promise<Buffer> {
  const executablePath = chromiumPath(executable);
  const { chromium } = loadPlaywright();
  let browser;
  try {
    browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  } catch (err) {
    throw new PdfError(`could not start Chromium at ${executablePath}: ${(err as Error).message.split('\n')[0]}`);
  }
  try {
    const context = await browser.newContext({ javaScriptEnabled: false, offline: true });
    await context.route('**/*', (route) => route.abort());
    const page = await context.newPage();
    await page.setContent(html, { waitUntil: 'load' });
    await page.emulateMedia({ media: 'print' });
    return await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
  } finally {
    await browser.close();
  }
}
