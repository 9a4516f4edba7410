/**
 * The router process's entry point (router.ts): `node --import tsx router-main.ts <stateDir>`,
 * spawned detached by the router client (router-client.ts). Its output goes to the log file
 * the client opened; over the IPC channel it sends one message, `{ ready }`, `{ running }` (a
 * live router already serves the directory) or `{ error }`, then lets the channel go so it owes
 * nothing to the process that started it.
 */
import { startRouter, RouterAlreadyRunning } from './router.ts';

/** The message a router sends its spawner once. */
export type RouterStartMessage =
  | { readonly ready: true; readonly pid: number; readonly socket: string }
  | { readonly running: true; readonly pid: number; readonly socket: string }
  | { readonly error: string };

const log = (line: string) => process.stdout.write(`${new Date().toISOString()} router ${process.pid}: ${line}\n`);

function tell(message: RouterStartMessage): void {
  // The spawner may be gone already (killed while the router started): nobody to tell, serve anyway.
  if (process.send && process.connected) process.send(message, () => (process.connected ? process.disconnect() : undefined));
}

const stateDir = process.argv[2];
if (stateDir === undefined || stateDir === '') {
  tell({ error: 'the router needs the state directory as its argument' });
  process.exitCode = 2;
} else {
  try {
    const router = await startRouter({ stateDir, log });
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void router.stop());
    // A closed terminal or a parent that went away is no reason to stop serving.
    process.on('SIGHUP', () => log('SIGHUP ignored'));
    tell({ ready: true, pid: router.pid, socket: router.socketPath });
    await router.stopped;
    process.exit(0);
  } catch (error) {
    if (error instanceof RouterAlreadyRunning) {
      tell({ running: true, pid: error.record.pid, socket: error.record.socket });
    } else {
      log(`could not start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      tell({ error: error instanceof Error ? error.message : String(error) });
      process.exitCode = 1;
    }
  }
}
