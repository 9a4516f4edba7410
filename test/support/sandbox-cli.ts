/**
 * The `gennaker` command as a child process for the `--sandbox` e2e tests, and the reading of the
 * cloud-calls report it prints after a sandboxed run.
 */
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = join(resolve(dirname(fileURLToPath(import.meta.url)), '../..'), 'bin/gennaker.js');

/** Runs `gennaker args...` in `cwd` with the simulated clock at 120× (plus `env`), to its exit. */
export function runGennaker(args: readonly string[], cwd: string, env: Readonly<Record<string, string>> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', GENNAKER_SANDBOX_SPEED: '120', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

/** The count printed for one `service:Action` in the calls report; undefined when not listed. */
export function callCount(output: string, call: string): number | undefined {
  const line = output.split('\n').find((candidate) => candidate.trim().startsWith(`${call} `));
  return line ? Number(line.trim().split(/\s+/).at(-1)) : undefined;
}
