/**
 * The dashboard's static files (web/dist, built from web/src and committed), served by
 * `gennaker up` beside the API: `/` is the page, `/web/<file>` its script and styles. They carry
 * no data and need no token; every call the page makes to the API sends the user's token.
 */
import { readdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the built dashboard lies in this checkout: `web/dist` of the nearest folder above this
 * module that has one (this file runs from local/ through tsx, or from the compiled CLI in dist/cli/).
 */
export const DEFAULT_DASHBOARD_DIR = findDashboardDir(dirname(fileURLToPath(import.meta.url)));

function findDashboardDir(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'web', 'dist');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    if (dirname(dir) === dir) return join(from, '..', 'web', 'dist');
  }
}

const MEDIA_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * The page may run only its own script and talk only to this server. Inline styles are allowed
 * for the canary report, which the API serves as one self-contained page (inline CSS and SVG)
 * and the dashboard shows in a sandboxed frame that inherits this policy.
 */
const CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

type Fetch = (request: Request, env?: unknown) => Response | Promise<Response>;

/**
 * Answers `GET /` and `GET /web/<file>` from `dir` (read once, at start) and passes every other
 * request on. A missing build answers 404 with how to make one, instead of failing the start.
 */
export async function withDashboard(fetch: Fetch, dir: string = DEFAULT_DASHBOARD_DIR): Promise<Fetch> {
  const files = new Map<string, { body: Uint8Array; type: string }>();
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const type = MEDIA_TYPES[extname(name)];
    if (type !== undefined) files.set(name, { body: new Uint8Array(await readFile(join(dir, name))), type });
  }
  return (request, env) => {
    const { pathname } = new URL(request.url);
    const name = pathname === '/' || pathname === '/index.html' ? 'index.html' : pathname.startsWith('/web/') ? pathname.slice('/web/'.length) : undefined;
    if (name === undefined || (request.method !== 'GET' && request.method !== 'HEAD')) return fetch(request, env);
    const file = files.get(name);
    if (file === undefined) {
      const message = name === 'index.html' ? `the dashboard is not built in ${dir}; run node scripts/build-web.js` : `no dashboard file '${name}'`;
      return Response.json({ error: message }, { status: 404 });
    }
    return new Response(request.method === 'HEAD' ? null : file.body, {
      headers: {
        'content-type': file.type,
        'cache-control': 'no-cache',
        'content-security-policy': CONTENT_SECURITY_POLICY,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
      },
    });
  };
}
