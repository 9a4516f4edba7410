/**
 * A bounded load loop for tests: `concurrency` workers send GETs over keep-alive connections
 * to one 127.0.0.1 URL until `durationMs` has passed or `maxRequests` were sent, and every
 * answer is recorded. No dependency: node:http only.
 */
import { Agent, request } from 'node:http';

export interface LoadOptions {
  readonly url: string;
  readonly concurrency: number;
  readonly durationMs: number;
  /** @default Infinity */
  readonly maxRequests?: number;
}

export interface LoadReport {
  readonly sent: number;
  readonly ok: number;
  /** Non-2xx answers and transport errors, with what happened. */
  readonly failures: readonly string[];
  /** Milliseconds per request, sorted. */
  readonly latencies: readonly number[];
  /** Answers per `x-gennaker-server-group` header (or 'direct'). */
  readonly byServerGroup: Readonly<Record<string, number>>;
}

function once(agent: Agent, url: URL): Promise<{ status: number; group: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, agent, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, group: String(res.headers['x-gennaker-server-group'] ?? 'direct') }));
      res.on('error', (error) => resolve({ error: error.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => resolve({ error: error.message }));
    req.end();
  });
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const url = new URL(options.url);
  if (url.hostname !== '127.0.0.1') throw new Error(`load tests only target 127.0.0.1, not ${url.hostname}`);
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const deadline = performance.now() + options.durationMs;
  const maxRequests = options.maxRequests ?? Infinity;
  let sent = 0;
  let ok = 0;
  const failures: string[] = [];
  const latencies: number[] = [];
  const byServerGroup: Record<string, number> = {};
  const worker = async () => {
    while (performance.now() < deadline && sent < maxRequests) {
      sent += 1;
      const started = performance.now();
      const result = await once(agent, url);
      latencies.push(performance.now() - started);
      if ('error' in result) {
        failures.push(result.error);
      } else if (result.status >= 200 && result.status < 300) {
        ok += 1;
        byServerGroup[result.group] = (byServerGroup[result.group] ?? 0) + 1;
      } else {
        failures.push(`status ${result.status} from ${result.group}`);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  agent.destroy();
  return { sent, ok, failures, latencies: latencies.sort((a, b) => a - b), byServerGroup };
}
