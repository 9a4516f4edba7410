/**
 * `gennaker dashboard --endpoint <api-url>`: the dashboard against Gennaker on AWS. The page is
 * served on 127.0.0.1 from this checkout (web/dist, as `gennaker up` serves it), and every API
 * call it makes goes through this process, which signs it with SigV4 with the user's AWS
 * credentials (cli/sigv4.ts): the browser holds no AWS key.
 *
 * A process that signs with the user's credentials must not sign for anyone else: the page logs
 * in with a token this command makes at start and prints once (kept only in the tab's session
 * storage, as with `up`), and a request without it is refused before anything is signed or sent.
 * So no other local process, and no web page in the browser, can use the proxy to act as the user.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IoHost } from '../../core/io-host.ts';
import type { RequestSigner } from '../sigv4.ts';

/** Largest request body passed on (the API's own limit for configs is 512 KiB). */
const MAX_BODY_BYTES = 1024 * 1024;
/** Response headers passed back to the page. */
const PASSED_HEADERS = ['content-type', 'cache-control', 'etag', 'last-modified', 'location'];

type Fetch = (request: Request) => Response | Promise<Response>;

export interface DashboardProxyOptions {
  /** The API's base URL (the stack's `ApiUrl`), without a trailing slash. */
  readonly endpoint: string;
  /** Signs each call for `execute-api`. */
  readonly signer: RequestSigner;
  /** The port on 127.0.0.1; 0 picks a free one. */
  readonly port: number;
  /** The token the page logs in with. @default 32 random bytes, hex */
  readonly token?: string;
  /** Wraps the proxy with the dashboard's static files (local/dashboard.ts). */
  readonly withDashboard: (fetch: Fetch) => Promise<Fetch>;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

export interface DashboardProxy {
  readonly url: string;
  readonly token: string;
  close(): Promise<void>;
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

/** Starts the proxy on 127.0.0.1. */
export async function startDashboardProxy(options: DashboardProxyOptions): Promise<DashboardProxy> {
  const endpoint = options.endpoint.replace(/\/+$/, '');
  const token = options.token ?? randomBytes(32).toString('hex');
  const expected = Buffer.from(`Bearer ${token}`);
  const send = options.fetch ?? fetch;

  const proxy: Fetch = async (request) => {
    const given = Buffer.from(request.headers.get('authorization') ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return json(401, { error: 'log in to the dashboard with the token gennaker dashboard printed at its start' });
    }
    const declared = Number(request.headers.get('content-length') ?? '0');
    if (declared > MAX_BODY_BYTES) return json(413, { error: `the request body is ${declared} bytes, more than the ${MAX_BODY_BYTES} the dashboard passes on` });
    const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.text();
    if (body !== undefined && Buffer.byteLength(body) > MAX_BODY_BYTES) return json(413, { error: `the request body is more than the ${MAX_BODY_BYTES} bytes the dashboard passes on` });
    const incoming = new URL(request.url);
    const target = new URL(`${endpoint}${incoming.pathname}${incoming.search}`);
    const headers: Record<string, string> = { accept: request.headers.get('accept') ?? 'application/json' };
    const type = request.headers.get('content-type');
    if (type !== null) headers['content-type'] = type;
    let signed: Record<string, string>;
    try {
      signed = await options.signer.sign({ method: request.method, url: target, headers, ...(body !== undefined ? { body } : {}) });
    } catch (error) {
      return json(502, { error: (error as Error).message });
    }
    let answer: Response;
    try {
      answer = await send(target, { method: request.method, headers: signed, ...(body !== undefined ? { body } : {}), redirect: 'manual' });
    } catch (error) {
      return json(502, { error: `cannot reach the API at ${endpoint} (${(error as Error).message}); check --endpoint` });
    }
    const passed = new Headers();
    for (const name of PASSED_HEADERS) {
      const value = answer.headers.get(name);
      if (value !== null) passed.set(name, value);
    }
    return new Response(answer.body, { status: answer.status, headers: passed });
  };

  const handler = await options.withDashboard(proxy);
  const server: Server = createServer((req, res) => void serve(req, res));
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          res.writeHead(413, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `the request body is more than the ${MAX_BODY_BYTES} bytes the dashboard passes on` }));
          return;
        }
        chunks.push(chunk);
      }
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value);
      const method = req.method ?? 'GET';
      const request = new Request(`http://127.0.0.1${req.url ?? '/'}`, { method, headers, ...(method === 'GET' || method === 'HEAD' ? {} : { body: Buffer.concat(chunks) }) });
      const response = await handler(request);
      res.writeHead(response.status, Object.fromEntries(response.headers));
      if (response.body) for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) res.write(chunk);
      res.end();
    } catch (error) {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(res.headersSent ? undefined : JSON.stringify({ error: (error as Error).message }));
    }
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The command: starts the proxy, prints where and the token, and runs until stopped. */
export async function runDashboard(options: Omit<DashboardProxyOptions, 'withDashboard'>, io: IoHost, deps: { readonly stopped: Promise<string> }): Promise<number> {
  const { withDashboard } = await import('../../local/dashboard.ts');
  const proxy = await startDashboardProxy({ ...options, withDashboard: (fetch) => withDashboard(fetch) });
  io.emit({ kind: 'info', message: `Dashboard for ${options.endpoint}: ${proxy.url}/ (API calls signed with your AWS credentials)` });
  io.emit({ kind: 'info', message: `Log in with the token ${proxy.token} (it changes at every start; the page keeps it in the tab only)` });
  const signal = await deps.stopped;
  io.emit({ kind: 'info', message: `${signal}: stopping the dashboard` });
  await proxy.close();
  return 0;
}
