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

  it('says which clock executions keep under --sandbox: yours, or with --sandbox-speed the simulated one', async () => {
    const server = { url: 'http://127.0.0.1:4321', port: 4321, tokenPath: '/state/token', sandbox: { speed: 30 }, close: async () => undefined } as unknown as LocalServer;
    const said = async (sandbox: { speed?: number; simulatedClock?: boolean }) => {
      const io = createRecordingIoHost();
      await runUp({ dir: '/state', port: '0', sandbox }, io, { start: async () => server, stopped: Promise.resolve('SIGTERM') });
      return io.messages.map((message) => ('message' in message ? message.message : '')).find((message) => message.startsWith('sandbox: '));
    };
    expect(await said({})).toMatch(/simulated clouds \(clock ×30; executions keep yours: waits and canary intervals last their real time, --sandbox-speed N runs them on the simulated clock\)/);
    expect(await said({ speed: 30, simulatedClock: true })).toMatch(/simulated clouds \(clock ×30, which executions keep too: waits, canary intervals and judgment timeouts pass 30 times faster\)/);
  });
});
