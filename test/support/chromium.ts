/**
 * Debian's Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`: the
 * browser reads commands on fd 3 and answers on fd 4, each message JSON ending in a NUL byte),
 * the way Playwright drives it, without a package: a page to open, script to run in it, clicks
 * and typing as real input events, and screenshots.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

/** Where Debian installs it (`apt-get install chromium`; .ci/run installs it when missing). */
export const CHROMIUM = '/usr/bin/chromium';

const FLAGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic', '--disable-dev-shm-usage', '--remote-debugging-pipe'];

/** How long `waitFor` waits before it names what never came. */
const WAIT_LIMIT_MS = 20_000;

interface Pending {
  resolve(value: Record<string, unknown>): void;
  reject(error: Error): void;
}

/** One tab. */
export interface Page {
  /** Loads `url` (a new document: a change of the hash alone is not a navigation, use evaluate). */
  goto(url: string): Promise<void>;
  /** Loads the current document again. */
  reload(): Promise<void>;
  /** The value of `expression` (awaited when a promise), as JSON. */
  evaluate<T>(expression: string): Promise<T>;
  /** Resolves once `predicate` (an expression) is truthy in the page, checked on every DOM change. */
  waitFor(predicate: string, what: string): Promise<void>;
  /** A real mouse click at the centre of the first element matching `selector`. */
  click(selector: string): Promise<void>;
  /** Focuses the element and types `text` as keyboard input. */
  type(selector: string, text: string): Promise<void>;
  /** A PNG of the viewport. */
  screenshot(): Promise<Buffer>;
  /** Closes the tab. */
  close(): Promise<void>;
}

export interface Browser {
  newPage(options?: { readonly width?: number; readonly height?: number; readonly dark?: boolean }): Promise<Page>;
  close(): Promise<void>;
}

/** Starts Chromium with a fresh profile. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM}; install it with apt-get install -y chromium (.ci/run does when it is missing)`);
  const profile = mkdtempSync(join(tmpdir(), 'gennaker-chromium-'));
  const child: ChildProcess = spawn(CHROMIUM, [...FLAGS, `--user-data-dir=${profile}`, 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
  const input = child.stdio[3] as Writable;
  const output = child.stdio[4] as Readable;
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  let nextId = 1;
  const pending = new Map<number, Pending>();
  const listeners = new Set<(message: Record<string, unknown>) => void>();
  let buffered = Buffer.alloc(0);
  output.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (let end = buffered.indexOf(0); end !== -1; end = buffered.indexOf(0)) {
      const message = JSON.parse(buffered.subarray(0, end).toString('utf8')) as Record<string, unknown>;
      buffered = buffered.subarray(end + 1);
      if (typeof message['id'] === 'number') {
        const waiting = pending.get(message['id']);
        pending.delete(message['id']);
        const error = message['error'] as { message?: string } | undefined;
        if (error) waiting?.reject(new Error(`DevTools: ${error.message ?? JSON.stringify(error)}`));
        else waiting?.resolve((message['result'] ?? {}) as Record<string, unknown>);
      } else for (const listener of listeners) listener(message);
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => {
    for (const waiting of pending.values()) waiting.reject(new Error(`chromium exited: ${stderr}`));
    pending.clear();
  });
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      input.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });

  await send('Browser.getVersion');

  return {
    async newPage(options = {}) {
      const { targetId } = (await send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
      const { sessionId } = (await send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
      const call = (method: string, params: Record<string, unknown> = {}) => send(method, params, sessionId);
      await call('Page.enable');
      await call('Runtime.enable');
      await call('Emulation.setDeviceMetricsOverride', { width: options.width ?? 1280, height: options.height ?? 800, deviceScaleFactor: 1, mobile: false });
      await call('Emulation.setEmulatedMedia', { features: [{ name: 'prefers-color-scheme', value: options.dark ? 'dark' : 'light' }] });
      const loaded = () =>
        new Promise<void>((resolve) => {
          const listener = (message: Record<string, unknown>) => {
            if (message['sessionId'] === sessionId && message['method'] === 'Page.loadEventFired') {
              listeners.delete(listener);
              resolve();
            }
          };
          listeners.add(listener);
        });
      const evaluate = async <T>(expression: string): Promise<T> => {
        const answer = (await call('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true })) as { result: { value?: T }; exceptionDetails?: { text?: string; exception?: { description?: string } } };
        if (answer.exceptionDetails) throw new Error(`in the page: ${answer.exceptionDetails.exception?.description ?? answer.exceptionDetails.text}`);
        return answer.result.value as T;
      };
      const centre = async (selector: string) => {
        const box = await evaluate<{ x: number; y: number } | null>(
          `(() => { const e = document.querySelector(${JSON.stringify(selector)}); if (!e) return null; e.scrollIntoView({ block: 'center' }); const r = e.getBoundingClientRect(); return { x: r.left + r.width / 2, y: r.top + r.height / 2 }; })()`,
        );
        if (!box) throw new Error(`no element matches ${selector}`);
        return box;
      };
      return {
        async goto(url) {
          const load = loaded();
          await call('Page.navigate', { url });
          await load;
        },
        async reload() {
          const load = loaded();
          await call('Page.reload', { ignoreCache: true });
          await load;
        },
        evaluate,
        async waitFor(predicate, what) {
          // Checked now and on every change of the document: no polling interval to guess. The
          // limit only turns a hang into a message naming what never came.
          let timer: ReturnType<typeof setTimeout> | undefined;
          const limit = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`never saw ${what}`)), WAIT_LIMIT_MS);
          });
          const seen = evaluate<boolean>(`new Promise((resolve) => {
            const check = () => { try { return Boolean(${predicate}); } catch { return false; } };
            if (check()) return resolve(true);
            const observer = new MutationObserver(() => { if (check()) { observer.disconnect(); resolve(true); } });
            observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
          })`);
          try {
            await Promise.race([seen, limit]);
          } finally {
            clearTimeout(timer);
          }
        },
        async click(selector) {
          // Input and frames go to the tab in front (a headless background tab draws nothing).
          await call('Page.bringToFront');
          const { x, y } = await centre(selector);
          await call('Input.dispatchMouseEvent', { type: 'mouseMoved', x, y });
          await call('Input.dispatchMouseEvent', { type: 'mousePressed', x, y, button: 'left', clickCount: 1 });
          await call('Input.dispatchMouseEvent', { type: 'mouseReleased', x, y, button: 'left', clickCount: 1 });
        },
        async type(selector, text) {
          await evaluate(`document.querySelector(${JSON.stringify(selector)}).focus()`);
          await call('Input.insertText', { text });
        },
        async screenshot() {
          await call('Page.bringToFront');
          const { data } = (await call('Page.captureScreenshot', { format: 'png' })) as { data: string };
          return Buffer.from(data, 'base64');
        },
        async close() {
          await send('Target.closeTarget', { targetId });
        },
      };
    },
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      // The browser's helper processes may still be writing the profile as they end.
      rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
}
