// Gennaker's sample service: plain Node, no dependencies. The demo deploys it; the tests and
// the canary demo make it misbehave through the environment:
//   PORT              where to listen (127.0.0.1), default 8080
//   VERSION           overrides the version; else ARTIFACT_VERSION (set by the local deploy target
//                     to the baked artifact version), else package.json's
//   INSTANCE_ID       shown in answers (the local deploy target sets it)
//   FAIL_HEALTH=1     GET /health answers 500: a broken release that never becomes Up
//   ERROR_RATE=0.05   this fraction of GET / answers 500
//   EXTRA_LATENCY_MS  added to every answer but /health
//   SEED              seeds ERROR_RATE's random choice (with INSTANCE_ID), so runs are reproducible
// Routes: GET / → {version, instance, pid}; GET /health; GET /slow?ms=; GET /stream?chunks=&intervalMs=;
// POST /echo streams the request body back.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { seededRandom } from './seeded-random.js';

const packageJson = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const version = process.env.VERSION || process.env.ARTIFACT_VERSION || packageJson.version;
const instance = process.env.INSTANCE_ID || `pid-${process.pid}`;
const failHealth = process.env.FAIL_HEALTH === '1';
const errorRate = Number(process.env.ERROR_RATE || 0);
const extraLatencyMs = Number(process.env.EXTRA_LATENCY_MS || 0);
const port = Number(process.env.PORT || 8080);

// mulberry32 over SEED and the instance id: the same seed gives every instance the same sequence of choices.
const random = process.env.SEED ? seededRandom(`${process.env.SEED}:${instance}`) : Math.random;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function json(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url || '/', 'http://service');
  if (url.pathname === '/health') {
    json(res, failHealth ? 500 : 200, { status: failHealth ? 'failing' : 'ok', version });
    return;
  }
  if (extraLatencyMs > 0) await sleep(extraLatencyMs);
  switch (url.pathname) {
    case '/':
      if (errorRate > 0 && random() < errorRate) {
        json(res, 500, { error: 'injected failure', version, instance });
      } else {
        json(res, 200, { version, instance, pid: process.pid });
      }
      return;
    case '/slow':
      await sleep(Number(url.searchParams.get('ms') || 1000));
      json(res, 200, { version, instance, pid: process.pid, slow: true });
      return;
    case '/stream': {
      const chunks = Number(url.searchParams.get('chunks') || 5);
      const intervalMs = Number(url.searchParams.get('intervalMs') || 100);
      res.writeHead(200, { 'content-type': 'text/plain' });
      for (let i = 0; i < chunks; i++) {
        res.write(`chunk ${i} from ${instance}\n`);
        await sleep(intervalMs);
      }
      res.end();
      return;
    }
    case '/echo':
      res.writeHead(200, { 'content-type': req.headers['content-type'] || 'application/octet-stream' });
      req.pipe(res);
      return;
    default:
      json(res, 404, { error: `no route ${url.pathname}` });
  }
});

server.listen(port, '127.0.0.1');

// Finish what is in flight, then leave (the deploy target sends SIGTERM before SIGKILL).
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 5_000).unref();
});
