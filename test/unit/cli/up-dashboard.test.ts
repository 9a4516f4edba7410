import { describe, expect, it } from 'vitest';
import { runUp } from '../../../cli/commands/up.ts';
import { createRecordingIoHost } from '../../../core/io-host.ts';
import type { LocalServer } from '../../../local/server.ts';

describe('gennaker up', () => {
  it("prints the dashboard's address and where its login token is", async () => {
    // given: a server that started on port 4321
    const io = createRecordingIoHost();
    let closed = false;
    const server = { url: 'http://127.0.0.1:4321', port: 4321, tokenPath: '/state/token', close: async () => void (closed = true) } as unknown as LocalServer;

    // when
    const code = await runUp({ dir: '/state', port: '0' }, io, { start: async () => server, stopped: Promise.resolve('SIGTERM') });

    // then
    expect(code).toBe(0);
    expect(io.messages).toContainEqual({ kind: 'info', message: 'Dashboard: http://127.0.0.1:4321/ (log in with the API token in /state/token)' });
    expect(closed).toBe(true);
  });
});
