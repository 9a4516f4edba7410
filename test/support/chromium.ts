/**
 * Debian's Chromium (headless) driven by playwright-core, for the dashboard's browser tests and
 * figures: no browser download, the flags this machine needs (a closed network: no background
 * connections, no component updates), and waits that name what never came.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Where Debian installs it (`apt-get install chromium`; .ci/run installs it when missing). */
export const CHROMIUM = '/usr/bin/chromium';

/** Root in a container needs no sandbox; the rest keeps a closed network quiet. */
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic', '--disable-dev-shm-usage'];

/** How long `waitUntil` waits before it names what never came. */
const WAIT_LIMIT_MS = 20_000;

/** Starts Chromium headless with a fresh profile (playwright-core removes it on close). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM}; install it with apt-get install -y chromium (.ci/run does when it is missing)`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}

/** A new page in its own context (its own session storage) of the size the screenshots use. */
export function newPage(browser: Browser, options: { readonly dark?: boolean } = {}): Promise<Page> {
  return browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: options.dark ? 'dark' : 'light' });
}

/**
 * Resolves once `predicate` (an expression) is truthy in the page, checked now and on every change
 * of the document: no polling interval to guess. (Not `waitForFunction`: it compiles the predicate
 * in the page, which the dashboard's policy forbids.) The limit only turns a hang into a message
 * naming what never came.
 */
export async function waitUntil(page: Page, predicate: string, what: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`never saw ${what} in ${WAIT_LIMIT_MS} ms`)), WAIT_LIMIT_MS);
  });
  const seen = page.evaluate(`new Promise((resolve) => {
    const check = () => { try { return Boolean(${predicate}); } catch { return false; } };
    if (check()) return resolve(true);
    const observer = new MutationObserver(() => { if (check()) { observer.disconnect(); resolve(true); } });
    observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  })`);
  // A wait given up on ends with its page; that is no failure of its own.
  seen.catch(() => undefined);
  try {
    await Promise.race([seen, limit]);
  } finally {
    clearTimeout(timer);
  }
}
