/**
 * A load generator for the demo, the zero-downtime tests and the benchmarks: `concurrency`
 * workers send GETs over keep-alive connections to one loopback URL until stopped (or for a
 * duration), optionally paced to a total rate, and every answer is recorded: successes,
 * failures with what happened, latencies, and answers per server group (the local load
 * balancer's `x-gennaker-server-group` header). node:http only.
 */
import { Agent, request } from 'node:http';

export interface LoadOptions {
  readonly url: string;
  readonly concurrency: number;
  /** Requests per second across all workers; absent: as fast as answers come back. */
  readonly ratePerSecond?: number;
  /** Per request. @default 10_000 */
  readonly timeoutMs?: number;
  /** Stop sending after this many requests. @default unlimited */
  readonly maxRequests?: number;
}

export interface LoadReport {
  readonly sent: number;
  readonly ok: number;
  /** Non-2xx answers and transport errors, with what happened. */
  readonly failures: readonly string[];
  /** Milliseconds per request, sorted. */
  readonly latencies: readonly number[];
  /** Successful answers per `x-gennaker-server-group` header ('direct' without one). */
  readonly byServerGroup: Readonly<Record<string, number>>;
  readonly durationMs: number;
}

export interface RunningLoad {
  /** Counts so far, without stopping. */
  snapshot(): { readonly sent: number; readonly ok: number; readonly failed: number };
  /** Stops sending, waits for the requests in flight, and reports. */
  stop(): Promise<LoadReport>;
}

type Answer = { readonly status: number; readonly group: string } | { readonly error: string };

function once(agent: Agent, url: URL, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, agent, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, group: String(res.headers['x-gennaker-server-group'] ?? 'direct') }));
      res.on('error', (error) => resolve({ error: error.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (error) => resolve({ error: error.message }));
    req.end();
  });
}

/** The `p`th percentile (0-100) of sorted numbers, nearest rank; 0 when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Starts sending; only loopback URLs (this is for testing what runs on this machine). */
export function startLoad(options: LoadOptions): RunningLoad {
  const url = new URL(options.url);
  if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost') {
    throw new Error(`url ${options.url} is not on this machine; the load generator only sends to 127.0.0.1`);
  }
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
    throw new Error(`concurrency ${options.concurrency} must be a whole number >= 1`);
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const started = performance.now();
  const interval = options.ratePerSecond !== undefined && options.ratePerSecond > 0 ? 1000 / options.ratePerSecond : 0;
  let stopped = false;
  let sent = 0;
  let ok = 0;
  let nextSlot = started;
  const failures: string[] = [];
  const latencies: number[] = [];
  const byServerGroup: Record<string, number> = {};

  const maxRequests = options.maxRequests ?? Infinity;
  const worker = async () => {
    while (!stopped && sent < maxRequests) {
      if (interval > 0) {
        // Paced: each request takes the next slot of the shared schedule.
        const slot = nextSlot;
        nextSlot += interval;
        const wait = slot - performance.now();
        if (wait > 1) await sleep(wait);
        if (stopped || sent >= maxRequests) return;
      }
      sent += 1;
      const begin = performance.now();
      const answer = await once(agent, url, timeoutMs);
      latencies.push(performance.now() - begin);
      if ('error' in answer) failures.push(answer.error);
      else if (answer.status >= 200 && answer.status < 300) {
        ok += 1;
        byServerGroup[answer.group] = (byServerGroup[answer.group] ?? 0) + 1;
      } else failures.push(`status ${answer.status} from ${answer.group}`);
    }
  };
  const workers = Promise.all(Array.from({ length: options.concurrency }, worker));

  let report: Promise<LoadReport> | undefined;
  return {
    snapshot: () => ({ sent, ok, failed: failures.length }),
    stop() {
      report ??= (async () => {
        stopped = true;
        await workers;
        agent.destroy();
        return { sent, ok, failures, latencies: latencies.sort((a, b) => a - b), byServerGroup, durationMs: performance.now() - started };
      })();
      return report;
    },
  };
}

/** Sends for `durationMs` (or until `maxRequests` were sent), then reports. */
export async function runLoad(options: LoadOptions & { readonly durationMs: number }): Promise<LoadReport> {
  const load = startLoad(options);
  const deadline = performance.now() + options.durationMs;
  const maxRequests = options.maxRequests ?? Infinity;
  while (performance.now() < deadline && load.snapshot().sent < maxRequests) await sleep(Math.min(20, Math.max(1, deadline - performance.now())));
  return load.stop();
}
