/**
 * CLI start benchmarks: how long one `gennaker` process takes from spawn to exit, for `--help`,
 * for `validate` of a 27-stage pipeline and for an API command (`execution get` against a real
 * HTTP server on 127.0.0.1), measured in the same run as a bare `node -e 0` so the ratios hold
 * across machines. The command runs as an install runs it: the compiled CLI (dist/cli/, built
 * first when a source changed since). The test suite starts more than a hundred of these
 * processes. Run by bench/run.ts.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freshBundleEntry } from '../bin/cli-bundle.js';
import { buildCli } from '../scripts/build-cli.js';

interface Figure {
  readonly value: number;
  readonly unit: string;
  readonly target?: string;
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin/gennaker.js');
/** The pipeline `validate` is timed on: 27 stages of ten types (deploys on four clouds, canary, Lambda, judgments...). */
const PIPELINE_27 = join(root, 'test/fixtures/pipelines/twenty-seven-stages.json');
const RUNS = 9;

const EXECUTION = {
  id: 'bench-execution',
  type: 'PIPELINE',
  application: 'bench',
  name: 'Bench',
  pipelineConfigId: 'p1',
  status: 'SUCCEEDED',
  buildTime: 1_000,
  startTime: 1_000,
  endTime: 2_000,
  canceled: false,
  canceledBy: null,
  cancellationReason: null,
  limitConcurrent: false,
  keepWaitingPipelines: false,
  maxConcurrentExecutions: 0,
  trigger: { type: 'manual' },
  stages: [{ id: 's1', refId: '1', type: 'wait', name: 'Pause', status: 'SUCCEEDED', context: { waitTime: 1 }, outputs: {}, startTime: 1_000, endTime: 2_000, requisiteStageRefIds: [], lastModified: 2_000 }],
};

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const round = (value: number, digits = 1) => Number(value.toFixed(digits));

/** Wall time of one process, spawn to exit; a non-zero exit is an error (the figure would be of the wrong thing). */
function timed(args: readonly string[], cwd: string): Promise<number> {
  const start = performance.now();
  return new Promise((done, fail) => {
    execFile(process.execPath, [...args], { cwd, env: { ...process.env, NO_COLOR: '1', GENNAKER_TOKEN: 'bench-token' } }, (error, _stdout, stderr) => {
      if (error) fail(new Error(`${args.join(' ')} failed: ${stderr.trim() || error.message}`));
      else done(performance.now() - start);
    });
  });
}

export async function run(): Promise<Record<string, Figure>> {
  // As `npm install` leaves it: the compiled CLI, current with the sources.
  if (freshBundleEntry() === undefined) {
    const built = await buildCli();
    process.stderr.write(`  compiled the CLI first (${built.chunks.length} chunks, ${built.seconds.toFixed(1)} s)\n`);
  }
  const work = mkdtempSync(join(tmpdir(), 'gennaker-bench-cli-'));
  const server = createServer((request, response) => {
    const found = request.url === `/pipelines/${EXECUTION.id}`;
    response.writeHead(found ? 200 : 404, { 'content-type': 'application/json' });
    response.end(JSON.stringify(found ? EXECUTION : { error: `no route ${request.url}` }));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const commands = {
    node: ['-e', '0'],
    help: [bin, '--help'],
    validate: [bin, 'validate', PIPELINE_27],
    api: [bin, 'execution', 'get', EXECUTION.id, '--endpoint', endpoint],
  } as const;
  const times: Record<keyof typeof commands, number[]> = { node: [], help: [], validate: [], api: [] };
  try {
    // One untimed round fills the file cache.
    for (const args of Object.values(commands)) await timed(args, work);
    // Interleaved, so a burst of load elsewhere on the machine falls on all of them alike.
    for (let round = 0; round < RUNS; round++) {
      for (const [name, args] of Object.entries(commands) as Array<[keyof typeof commands, readonly string[]]>) times[name].push(await timed(args, work));
    }
  } finally {
    await new Promise<void>((done) => server.close(() => done()));
    rmSync(work, { recursive: true, force: true });
  }
  const node = median(times.node);
  const help = median(times.help);
  const validate = median(times.validate);
  const api = median(times.api);
  process.stderr.write(
    `  node -e 0 ${round(node)} ms, gennaker --help ${round(help)} ms, gennaker validate (27 stages) ${round(validate)} ms, gennaker execution get ${round(api)} ms (medians of ${RUNS})\n`,
  );
  return {
    cli_start_ms_node_baseline: { value: round(node), unit: 'ms (node -e 0, the same run)' },
    cli_start_ms_help: { value: round(help), unit: 'ms' },
    cli_start_ratio: { value: round(help / node, 2), unit: 'x node -e 0 (gennaker --help)', target: '<= 3' },
    cli_validate_ms: { value: round(validate), unit: 'ms (validate, 27 stages)' },
    cli_validate_ratio: { value: round(validate / node, 2), unit: 'x node -e 0 (validate, 27 stages)', target: '<= 5' },
    cli_start_ms_api_command: { value: round(api), unit: 'ms' },
    cli_start_ratio_api_command: { value: round(api / node, 2), unit: 'x node -e 0' },
  };
}
