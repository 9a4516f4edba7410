#!/usr/bin/env node
// `npm test`: the type check and the whole test suite, side by side. First the compiled CLI
// (dist/cli/) is rebuilt when a source changed since it was built, so the tests that start the
// `gennaker` command run the current sources compiled, as an install runs them. tsc is one busy process
// for about half a minute; the suite's slowest files mostly wait on child processes and real
// traffic, so both fit on two cores at once, and the run is as long as the longer of them.
//
//   npm test                              tsc, then every project (unit, integration, e2e)
//   npm test -- --project unit            extra arguments go to `vitest run`
//
// Vitest's output streams through as it comes; tsc's is printed when it ends (it says nothing
// when the types are right). The exit code is the first failure's, else 0. Each part's wall
// time is printed at the end.
import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Runs `command`; resolves with its exit code, its wall seconds and (unless streamed) its output. */
function run(command, args, { stream }) {
  const started = performance.now();
  const child = spawn(command, args, { cwd: root, stdio: stream ? 'inherit' : ['ignore', 'pipe', 'pipe'] });
  let output = '';
  if (!stream) {
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
  }
  const done = new Promise((resolve) => {
    child.on('error', (error) => resolve({ code: 1, seconds: 0, output: `could not start ${command}: ${error.message}\n` }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), seconds: (performance.now() - started) / 1000, output }));
  });
  return { child, done };
}

const tsc = run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--noEmit'], { stream: false });
/**
 * The type check yields to the tests: it needs about 40 s of one core and gets the CPU the tests
 * leave while they wait on child processes, so the tests, the longer part, are not slowed by it.
 */
function yieldToTests(child) {
  try {
    if (child.pid !== undefined) setPriority(child.pid, 10);
  } catch {
    // A system that refuses a lower priority runs it as it is.
  }
}
yieldToTests(tsc.child);
// Built while tsc starts; a build that fails leaves the command on its sources (bin/cli-bundle.js), and tsc says why.
const cli = run(process.execPath, [join(root, 'scripts/build-cli.js'), '--if-stale'], { stream: true });
if ((await cli.done).code !== 0) process.stdout.write('npm test: the CLI could not be compiled; the tests run it from its sources\n');
// The dashboard (web/src) is checked with the DOM's types, after the rest (one tsc at a time).
const tscWeb = tsc.done.then(() => {
  const started = run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'web/tsconfig.json', '--noEmit'], { stream: false });
  yieldToTests(started.child);
  return started;
});
const vitest = run(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', ...process.argv.slice(2)], { stream: true });

// Ctrl-C reaches the children through the terminal's process group; a plain kill is passed on.
process.on('SIGTERM', () => {
  tsc.child.kill('SIGTERM');
  void tscWeb.then((web) => web.child.kill('SIGTERM'));
  vitest.child.kill('SIGTERM');
});

const [main, web, tests] = await Promise.all([tsc.done, tscWeb.then((started) => started.done), vitest.done]);
if (main.output) process.stdout.write(`\ntsc -p tsconfig.json --noEmit:\n${main.output}`);
if (web.output) process.stdout.write(`\ntsc -p web/tsconfig.json --noEmit:\n${web.output}`);
const types = { code: main.code || web.code, seconds: main.seconds + web.seconds };
const verdict = (result) => (result.code === 0 ? 'passed' : `FAILED (exit ${result.code})`);
process.stdout.write(`\nnpm test: types ${verdict(types)} in ${types.seconds.toFixed(0)} s; tests ${verdict(tests)} in ${tests.seconds.toFixed(0)} s\n`);
process.exitCode = types.code || tests.code;
