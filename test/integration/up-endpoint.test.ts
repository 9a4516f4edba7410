/**
 * `gennaker up --port 0` records the port it got in `<data>/endpoint` before it says it is up,
 * a client of the same data directory reaches it with no --endpoint, and a clean stop removes
 * the record. The real local server on 127.0.0.1, in process.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { IoMessage } from '../../core/io-host.ts';
import { createApiClient } from '../../cli/api-client.ts';
import { runUp } from '../../cli/commands/up.ts';
import { removeEndpointFile, writeEndpointFile } from '../../local/endpoint-file.ts';
import { startLocalServer } from '../../local/server.ts';

const work = mkdtempSync(join(tmpdir(), 'gennaker-up-endpoint-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('up --port 0', () => {
  it('records where it listens for the client commands, and removes the record when it stops', async () => {
    const dir = join(work, '.gennaker');
    let stop!: (signal: string) => void;
    const stopped = new Promise<string>((resolve) => (stop = resolve));
    let recordedWhenUp: string | undefined;
    let isUp!: (line: string) => void;
    const upLine = new Promise<string>((resolve) => (isUp = resolve));
    const io = {
      emit(message: IoMessage) {
        if (message.kind === 'info' && message.message.startsWith('Gennaker is up at ')) {
          recordedWhenUp = readFileSync(join(dir, 'endpoint'), 'utf8').trim();
          isUp(message.message);
        }
      },
    };
    const running = runUp({ dir, port: '0' }, io, {
      start: (options) => startLocalServer({ ...options, localTarget: false, cronTickMs: 60_000 }),
      stopped,
      endpointFile: { write: writeEndpointFile, remove: removeEndpointFile },
    });
    const line = await Promise.race([upLine, running.then((code) => Promise.reject(new Error(`up stopped (exit ${code}) before it was up`)))]);
    const url = /Gennaker is up at (http:\/\/127\.0\.0\.1:(\d+))/.exec(line);
    expect(url).not.toBeNull();
    expect(Number(url![2])).toBeGreaterThan(0);
    expect(recordedWhenUp).toBe(url![1]);

    // A client of the same data directory, no --endpoint: it finds the port, and the token beside it.
    const client = await createApiClient({ dir });
    expect(client.endpoint).toBe(url![1]);
    expect(await client.request('GET', '/applications')).toEqual(expect.any(Array));

    stop('SIGTERM');
    expect(await running).toBe(0);
    expect(existsSync(join(dir, 'endpoint'))).toBe(false);
  });
});
