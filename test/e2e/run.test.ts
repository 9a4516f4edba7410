/**
 * `gennaker run` as a user runs it: a child process through bin/gennaker.js running a pipeline
 * on the in-process local runtime, with a fan-out/fan-in DAG, a stageEnabled expression,
 * evaluateVariables feeding a later check, a manual judgment answered with --judge, and a
 * webhook stage calling a real HTTP server on 127.0.0.1 through the outbound allowlist.
 * Checks exact Spinnaker statuses in the --json output and the exit codes 0/1/2.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = join(root, 'bin/gennaker.js');

let dir: string;
let file: string;
let hookServer: Server;
let hookUrl: string;
const hookBodies: unknown[] = [];

/** 1 → (2 wait, 3 only in prod) → 4 judgment → 5 check that reads 1's variable → 6 webhook. */
const pipeline = (hook: string) => ({
  application: 'e2e',
  name: 'Run e2e',
  parameterConfig: [{ name: 'env', default: 'staging' }],
  stages: [
    { refId: '1', requisiteStageRefIds: [], type: 'evaluateVariables', name: 'Prepare', variables: [{ key: 'target', value: '${parameters.env}-cluster' }] },
    { refId: '2', requisiteStageRefIds: ['1'], type: 'wait', name: 'Warm up', waitTime: 0 },
    {
      refId: '3',
      requisiteStageRefIds: ['1'],
      type: 'evaluateVariables',
      name: 'Only in prod',
      stageEnabled: { type: 'expression', expression: "parameters.env == 'prod'" },
      variables: [{ key: 'prodOnly', value: 'yes' }],
    },
    { refId: '4', requisiteStageRefIds: ['2', '3'], type: 'manualJudgment', name: 'Approve', judgmentInputs: [{ value: 'ship' }, { value: 'hold' }] },
    {
      refId: '5',
      requisiteStageRefIds: ['4'],
      type: 'checkPreconditions',
      name: 'Check target',
      preconditions: [{ type: 'expression', failPipeline: true, context: { expression: "${target == 'staging-cluster'}" } }],
    },
    {
      refId: '6',
      requisiteStageRefIds: ['5'],
      type: 'webhook',
      name: 'Notify deploy hook',
      url: hook,
      method: 'POST',
      customHeaders: { Authorization: 'Bearer not-for-history' },
      payload: { target: '${target}', judged: "${#judgment('Approve')}" },
    },
  ],
});

interface Outcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI with stdin closed (not a terminal), as CI does. */
function gennaker(args: string[]): Promise<Outcome> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

interface OrcaStage {
  refId: string;
  status: string;
  context: Record<string, unknown>;
  outputs: Record<string, unknown>;
}

/** A literal text as a regular expression. */
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const statuses = (stdout: string) => {
  const execution = JSON.parse(stdout) as { status: string; stages: OrcaStage[] };
  return { status: execution.status, stages: Object.fromEntries(execution.stages.map((stage) => [stage.refId, stage.status])), execution };
};

beforeAll(async () => {
  hookServer = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      hookBodies.push(JSON.parse(body || 'null'));
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"accepted":true}');
    });
  });
  await new Promise<void>((listening) => hookServer.listen(0, '127.0.0.1', listening));
  hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/deploy-hook`;
  dir = mkdtempSync(join(tmpdir(), 'gennaker-run-'));
  file = join(dir, 'pipeline.json');
  writeFileSync(file, JSON.stringify(pipeline(hookUrl), null, 2));
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await new Promise((closed) => hookServer.close(closed));
});

describe('gennaker run', () => {
  it('runs the DAG to SUCCEEDED, skipping the disabled stage, and exits 0', async () => {
    const { code, stdout, stderr } = await gennaker([
      'run', file, '--param', 'env=staging', '--judge', '4=continue:ship', '--allow-url', 'http://127.0.0.1:*', '--json',
    ]);
    const { status, stages, execution } = statuses(stdout);
    expect(status).toBe('SUCCEEDED');
    // the check's precondition is a synthetic stage of its own, as in Orca
    expect(stages).toEqual({ 1: 'SUCCEEDED', 2: 'SUCCEEDED', 3: 'SKIPPED', 4: 'SUCCEEDED', 5: 'SUCCEEDED', '5<1': 'SUCCEEDED', 6: 'SUCCEEDED' });
    expect(hookBodies).toContainEqual({ target: 'staging-cluster', judged: 'ship' });
    expect(execution.stages.find((stage) => stage.refId === '6')!.context).toMatchObject({ webhook: { statusCode: 200 } });
    expect(stdout).not.toContain('not-for-history');
    expect(execution.stages[0]!.outputs).toEqual({ target: 'staging-cluster' });
    expect(execution.stages[3]!.context).toMatchObject({ judgmentStatus: 'continue', judgmentInput: 'ship' });
    expect(execution).toMatchObject({ type: 'PIPELINE', application: 'e2e', name: 'Run e2e', trigger: { type: 'manual', parameters: { env: 'staging' } } });
    expect(stderr).toContain("stage 'Approve' [4] WAITING FOR JUDGMENT");
    expect(code).toBe(0);
  });

  it('runs the enabled stage, and fails the check fed by evaluateVariables with exit 1', async () => {
    const { code, stdout, stderr } = await gennaker(['run', file, '--param', 'env=prod', '--judge', 'Approve=continue', '--json']);
    const { status, stages } = statuses(stdout);
    expect(stages).toEqual({ 1: 'SUCCEEDED', 2: 'SUCCEEDED', 3: 'SUCCEEDED', 4: 'SUCCEEDED', 5: 'TERMINAL', '5<1': 'TERMINAL', 6: 'NOT_STARTED' });
    expect(status).toBe('TERMINAL');
    // the reason is on the status lines, not only in --json
    const why = "precondition expression '${target == 'staging-cluster'}' is false";
    expect(stderr).toMatch(new RegExp(`Run e2e: stage 'Check target' \\[5\\] TERMINAL \\([\\d.]+ m?s\\): ${escape(why)}\n`));
    expect(stderr).toMatch(new RegExp(`Run e2e: execution \\w+ TERMINAL: stage 'Check target': ${escape(why)}\n`));
    expect(stderr).toContain(`pipeline 'Run e2e' ended TERMINAL: stage 'Check target': ${why}`);
    expect(code).toBe(1);
  });

  it('halts on a judgment to stop and exits 1', async () => {
    const { code, stdout, stderr } = await gennaker(['run', file, '--judge', '4=stop', '--json']);
    const { status, stages } = statuses(stdout);
    expect(stages).toEqual({ 1: 'SUCCEEDED', 2: 'SUCCEEDED', 3: 'SKIPPED', 4: 'TERMINAL', 5: 'NOT_STARTED', 6: 'NOT_STARTED' });
    expect(status).toBe('TERMINAL');
    expect(stderr).toMatch(/stage 'Approve' \[4\] TERMINAL \([\d.]+ m?s\): judged 'stop' by \S+\n/);
    expect(stderr).toMatch(/pipeline 'Run e2e' ended TERMINAL: stage 'Approve': judged 'stop' by \S+\n/);
    expect(code).toBe(1);
  });

  it('refuses a webhook URL that is not on the allowlist, and exits 1', async () => {
    const before = hookBodies.length;
    const { code, stdout, stderr } = await gennaker(['run', file, '--judge', '4=continue', '--json']);
    const { status, stages, execution } = statuses(stdout);
    expect(stages['6']).toBe('TERMINAL');
    expect(JSON.stringify(execution.stages.find((stage) => stage.refId === '6')!.context)).toContain('not on the webhook allowlist');
    expect(stderr).toMatch(/stage 'Notify deploy hook' \[6\] TERMINAL \([\d.]+ m?s\): [^\n]*not on the webhook allowlist/);
    expect(hookBodies.length).toBe(before);
    expect(status).toBe('TERMINAL');
    expect(code).toBe(1);
  });

  it('fails clearly when a judgment waits and no one can answer it', async () => {
    const { code, stderr } = await gennaker(['run', file]);
    expect(stderr).toContain("stage 'Approve' waits for a judgment; pass --judge 4=continue");
    expect(stderr).toMatch(/ended CANCELED/);
    expect(code).toBe(1);
  });

  it('exits 2 on a malformed --judge, a malformed --param or a missing file', async () => {
    const judge = await gennaker(['run', file, '--judge', '4']);
    const param = await gennaker(['run', file, '--param', 'env']);
    const missing = await gennaker(['run', join(dir, 'nope.json')]);
    expect(judge.stderr).toContain('--judge takes <refId>=continue|stop[:input]');
    expect(param.stderr).toContain('--param takes name=value');
    expect(missing.stderr).toContain('does not exist');
    expect([judge.code, param.code, missing.code]).toEqual([2, 2, 2]);
  });
});
