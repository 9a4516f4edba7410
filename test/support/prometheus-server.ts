/**
 * A Prometheus HTTP API for tests, on 127.0.0.1: `GET` or `POST /api/v1/query_range` with
 * `query`, `start`, `end`, `step` (query string or form body), answered as Prometheus answers —
 * a matrix evaluated at `start, start + step, ... <= end`, or its error JSON
 * (`{ status: "error", errorType: "bad_data", error }`, HTTP 400) for bad parameters and
 * unparsable queries. The series are canned and keyed by the exact PromQL, so a test proves
 * what query the source rendered; a well-formed query with no canned series answers an empty
 * matrix, as Prometheus does for a metric it has never seen. Every request is recorded.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One canned series: its labels, and its value at an evaluation instant (undefined: no sample there). */
export interface CannedSeries {
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: (unixSeconds: number) => string | undefined;
}

/** An error Prometheus would answer for a query (a timeout, an execution error). */
export interface CannedError {
  readonly status: number;
  readonly errorType: string;
  readonly error: string;
}

export interface RecordedRangeQuery {
  readonly method: string;
  readonly query: string;
  readonly start: string;
  readonly end: string;
  readonly step: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface PrometheusServer {
  readonly url: string;
  readonly requests: readonly RecordedRangeQuery[];
  close(): Promise<void>;
}

export interface PrometheusServerOptions {
  /** PromQL, exactly as the client must send it → its series. */
  readonly series?: Readonly<Record<string, readonly CannedSeries[]>>;
  /** PromQL → the error to answer instead. */
  readonly errors?: Readonly<Record<string, CannedError>>;
}

/** Prometheus' limit on points per series. */
const MAX_POINTS = 11_000;

class BadData {
  constructor(readonly message: string) {}
}

/** A timestamp as Prometheus parses it: unix seconds (fractions allowed) or RFC 3339. */
function parseTime(name: string, text: string | null): number {
  if (text === null || text === '') throw new BadData(`invalid parameter "${name}": cannot parse "" to a valid timestamp`);
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  const parsed = Date.parse(text);
  if (Number.isNaN(parsed) || !/^\d{4}-\d{2}-\d{2}T/.test(text)) throw new BadData(`invalid parameter "${name}": cannot parse "${text}" to a valid timestamp`);
  return parsed / 1000;
}

/** A step as Prometheus parses it: float seconds or a duration such as `15s`, `1m30s`. */
function parseStep(text: string | null): number {
  if (text === null || text === '') throw new BadData('invalid parameter "step": cannot parse "" to a valid duration');
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_536_000 };
  const parts = [...text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text) throw new BadData(`invalid parameter "step": cannot parse "${text}" to a valid duration`);
  return parts.reduce((sum, part) => sum + Number(part[1]) * units[part[2]!]!, 0);
}

/** Enough of PromQL's lexer to refuse what Prometheus would: unbalanced brackets and quotes, an empty query. */
function checkSyntax(query: string): void {
  if (query.trim() === '') throw new BadData('invalid parameter "query": 1:1: parse error: no expression found in input');
  const closing: Record<string, string> = { ')': '(', '}': '{', ']': '[' };
  const names: Record<string, string> = { '(': 'parenthesis', '{': 'brace', '[': 'bracket' };
  const stack: Array<{ char: string; at: number }> = [];
  let quote: string | undefined;
  for (let index = 0; index < query.length; index++) {
    const char = query[index]!;
    if (quote) {
      if (char === '\\') index++;
      else if (char === quote) quote = undefined;
      continue;
    }
    if (char === '"' || char === "'" || char === '`') quote = char;
    else if (char in names) stack.push({ char, at: index });
    else if (char in closing) {
      const open = stack.pop();
      if (!open || open.char !== closing[char]) throw new BadData(`invalid parameter "query": 1:${index + 1}: parse error: unexpected "${char}"`);
    }
  }
  if (quote) throw new BadData(`invalid parameter "query": 1:${query.length}: parse error: unterminated quoted string`);
  const open = stack.pop();
  if (open) throw new BadData(`invalid parameter "query": 1:${open.at + 1}: parse error: unclosed left ${names[open.char]}`);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startPrometheusServer(options: PrometheusServerOptions = {}): Promise<PrometheusServer> {
  const requests: RecordedRangeQuery[] = [];
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://prometheus');
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (url.pathname !== '/api/v1/query_range' || (req.method !== 'GET' && req.method !== 'POST')) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
      return;
    }
    const params = new URLSearchParams(url.search);
    if (req.method === 'POST' && String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      for (const [name, value] of new URLSearchParams(await readBody(req))) params.set(name, value);
    }
    const query = params.get('query') ?? '';
    requests.push({ method: req.method, query, start: params.get('start') ?? '', end: params.get('end') ?? '', step: params.get('step') ?? '', headers: req.headers });
    try {
      const start = parseTime('start', params.get('start'));
      const end = parseTime('end', params.get('end'));
      if (end < start) throw new BadData('invalid parameter "end": end timestamp must not be before start time');
      const step = parseStep(params.get('step'));
      if (step <= 0) throw new BadData('invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer');
      if ((end - start) / step > MAX_POINTS) throw new BadData('exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)');
      checkSyntax(query);
      const canned = options.errors?.[query];
      if (canned) {
        json(canned.status, { status: 'error', errorType: canned.errorType, error: canned.error });
        return;
      }
      const result = (options.series?.[query] ?? [])
        .map((series) => {
          const values: Array<[number, string]> = [];
          for (let at = start; at <= end; at += step) {
            const value = series.value(at);
            if (value !== undefined) values.push([at, value]);
          }
          return { metric: { ...series.labels }, values };
        })
        .filter((series) => series.values.length > 0);
      json(200, { status: 'success', data: { resultType: 'matrix', result } });
    } catch (error) {
      if (error instanceof BadData) json(400, { status: 'error', errorType: 'bad_data', error: error.message });
      else json(500, { status: 'error', errorType: 'internal', error: String(error) });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
