/**
 * How the client commands find the server: --endpoint, else what `gennaker up` recorded in
 * `<data>/endpoint` (the port it chose with --port 0), else the default port.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiClient, DEFAULT_ENDPOINT } from '../../../cli/api-client.ts';
import { readEndpointFile, removeEndpointFile, writeEndpointFile } from '../../../local/endpoint-file.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gennaker-endpoint-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the endpoint file', () => {
  it('holds the URL, private to the user, and is removed only by the server that wrote it', async () => {
    await writeEndpointFile(dir, 'http://127.0.0.1:41234');
    expect(readFileSync(join(dir, 'endpoint'), 'utf8')).toBe('http://127.0.0.1:41234\n');
    expect(await readEndpointFile(dir)).toBe('http://127.0.0.1:41234');
    // A later server on the same directory recorded its own: the earlier one's stop leaves it.
    await writeEndpointFile(dir, 'http://127.0.0.1:41999');
    await removeEndpointFile(dir, 'http://127.0.0.1:41234');
    expect(await readEndpointFile(dir)).toBe('http://127.0.0.1:41999');
    await removeEndpointFile(dir, 'http://127.0.0.1:41999');
    expect(existsSync(join(dir, 'endpoint'))).toBe(false);
  });

  it('reads nothing from a missing or garbled file', async () => {
    expect(await readEndpointFile(dir)).toBeUndefined();
    writeFileSync(join(dir, 'endpoint'), 'not a url\n');
    expect(await readEndpointFile(dir)).toBeUndefined();
  });
});

describe('the client’s endpoint', () => {
  const noFetch = (async () => {
    throw new Error('no request in this test');
  }) as typeof fetch;

  it('is the recorded one when --endpoint is not given', async () => {
    await writeEndpointFile(dir, 'http://127.0.0.1:41234');
    expect((await createApiClient({ dir }, noFetch)).endpoint).toBe('http://127.0.0.1:41234');
  });

  it('is --endpoint when given, whatever was recorded', async () => {
    await writeEndpointFile(dir, 'http://127.0.0.1:41234');
    expect((await createApiClient({ dir, endpoint: 'http://127.0.0.1:9000/' }, noFetch)).endpoint).toBe('http://127.0.0.1:9000');
  });

  it('is the default port when nothing was recorded', async () => {
    expect((await createApiClient({ dir }, noFetch)).endpoint).toBe(DEFAULT_ENDPOINT);
  });

  it('says where a recorded endpoint nobody answers at came from', async () => {
    await writeEndpointFile(dir, 'http://127.0.0.1:41234');
    const refused = (async () => {
      throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    }) as typeof fetch;
    const client = await createApiClient({ dir, envToken: 't' }, refused);
    await expect(client.request('GET', '/applications')).rejects.toThrow(
      `cannot reach Gennaker at http://127.0.0.1:41234 (ECONNREFUSED, recorded in ${join(dir, 'endpoint')} by 'gennaker up'); start it with 'gennaker up' or pass --endpoint`,
    );
  });
});
