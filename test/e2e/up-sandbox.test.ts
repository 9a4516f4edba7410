/**
 * `gennaker up --sandbox` as a user runs it: saving the EC2 red/black example seeds the simulated
 * AWS with what it assumes, executing it through the API deploys there, and `gennaker sandbox
 * describe` shows the result (v001 serving, v000 disabled at 0); Spinnaker's Kubernetes blue/green
 * pipeline likewise on the simulated cluster. With --sandbox-speed the executions keep the
 * simulated clock: Spinnaker's automated canary, saved through the API (which seeds its metrics
 * account, canary config and stand-in production pipeline), runs its 5-minute analysis in seconds
 * against the simulated cluster's Prometheus. The describe route needs the
 * token, and a server without --sandbox says how to get one.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CONFORMANCE_CORPUS } from '../support/conformance.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = join(root, 'bin/gennaker.js');
const example = join(root, 'examples/pipelines/ec2-redblack.json');
const work = mkdtempSync(join(tmpdir(), 'gennaker-up-sandbox-'));
const env = { ...process.env, NO_COLOR: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', GENNAKER_SANDBOX_SPEED: '120' };
const started: ChildProcess[] = [];

afterAll(async () => {
  for (const child of started) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolvePromise) => child.once('exit', resolvePromise));
    }
  }
  rmSync(work, { recursive: true, force: true });
});

/** Starts `gennaker up --port 0` on its own data directory and waits for the line naming its port. */
function up(dataDir: string, extra: readonly string[]): Promise<{ child: ChildProcess; endpoint: string; output: () => string }> {
  const child = spawn(process.execPath, [bin, 'up', '--port', '0', '--data', dataDir, ...extra], { cwd: work, env });
  started.push(child);
  let output = '';
  return new Promise((resolvePromise, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Gennaker is up at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      // The sandbox's line follows the address line (what it seeds at start comes before both).
      if (match && (!extra.includes('--sandbox') || /sandbox: the AWS, GCE and Kubernetes accounts/.test(output))) resolvePromise({ child, endpoint: match[1]!, output: () => output });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`gennaker up exited with ${code}: ${output}`)));
  });
}

/** Waits for a condition on the server's output (it prints as it seeds), or on what `look` reads before each check. */
async function until(done: () => boolean, output: () => string, look?: () => Promise<void>): Promise<void> {
  for (let waited = 0; (await look?.(), !done()); waited += 100) {
    if (waited > 30_000) throw new Error(`timed out; up printed: ${output()}`);
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 100));
  }
}

/** Calls the API of the server at `endpoint` with the token of `dataDir`. */
function api(dataDir: string, endpoint: string, method: string, path: string, body?: unknown): Promise<Response> {
  const token = readFileSync(join(dataDir, 'token'), 'utf8').trim();
  return fetch(`${endpoint}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
}

function gennaker(dataDir: string, endpoint: string, args: readonly string[]): Promise<{ code: number; output: string; stdout: string }> {
  return new Promise((resolvePromise) => {
    execFile(process.execPath, [bin, ...args, '--endpoint', endpoint, '--data', dataDir], { cwd: work, env }, (error, stdout, stderr) => {
      resolvePromise({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr, stdout });
    });
  });
}

describe('gennaker up --sandbox', () => {
  it('seeds a saved pipeline, deploys it to the simulated AWS through the API, and describes what the simulated AWS holds', async () => {
    const dataDir = join(work, 'sandboxed');
    const server = await up(dataDir, ['--sandbox']);
    expect(server.output()).toMatch(/sandbox: the AWS, GCE and Kubernetes accounts saved pipelines name deploy to simulated clouds \(clock ×120; executions keep yours: waits and canary intervals last their real time/);

    const empty = await gennaker(dataDir, server.endpoint, ['sandbox', 'describe']);
    expect(empty.code, empty.output).toBe(0);
    expect(empty.output).toMatch(/nothing deployed yet/);

    const saved = await gennaker(dataDir, server.endpoint, ['pipeline', 'save', '-f', example]);
    expect(saved.code, saved.output).toBe(0);
    expect(server.output()).toMatch(/sandbox: seeded server group webshop-prod-v000 \(my-aws-prod, us-west-2, 2 instances Up/);

    const executed = await gennaker(dataDir, server.endpoint, ['pipeline', 'execute', 'webshop', 'ec2-redblack', '--watch']);
    expect(executed.code, executed.output).toBe(0);
    expect(executed.output).toMatch(/SUCCEEDED/);

    const described = await gennaker(dataDir, server.endpoint, ['sandbox', 'describe']);
    expect(described.output).toMatch(/webshop-prod-v000 {2}0\/0\/0 \(min\/max\/desired\) {2}disabled {2}instances: none/);
    expect(described.output).toMatch(/webshop-prod-v001 {2}2\/4\/2 \(min\/max\/desired\) {2}instances: 2 InService/);
    expect(described.output).toMatch(/webshop-prod-tg:80 {2}targets: 2 healthy/);

    const json = JSON.parse((await gennaker(dataDir, server.endpoint, ['sandbox', 'describe', '--json'])).stdout) as { autoScalingGroups: Array<{ name: string; disabled: boolean }> };
    expect(json.autoScalingGroups.map((group) => [group.name, group.disabled])).toEqual([
      ['webshop-prod-v000', true],
      ['webshop-prod-v001', false],
    ]);

    // The route is the API's: no token, no answer.
    const anonymous = await fetch(`${server.endpoint}/sandbox`);
    expect(anonymous.status).toBe(401);

    // Canaries: saving Spinnaker's automated canary pipeline through the API seeds what its analysis
    // reads: its metrics account, the canary config it names, and the stand-in production pipeline it
    // reads its baseline from, run once.
    const saveCanary = await api(dataDir, server.endpoint, 'POST', '/pipelines', JSON.parse(readFileSync(join(CONFORMANCE_CORPUS, 'spinnaker_spinnaker_automated-canary-1-10.json'), 'utf8')));
    expect(saveCanary.status, await saveCanary.clone().text()).toBe(200);
    expect(server.output()).toMatch(/sandbox: seeded metrics account kayenta-tutorial \(prometheus at http:\/\/127\.0\.0\.1:\d+\/prometheus\)/);
    expect(server.output()).toMatch(/sandbox: seeded canary config CANARY_CONFIG_ID \(error ratio \(critical\) and mean latency/);
    expect(server.output()).toMatch(/sandbox: seeded pipeline SIMPLE_DEPLOY_PIPELINE_ID \(stand-in .* ran once with successRate=100: SUCCEEDED\)/);

    // A new up starts new simulated clouds and seeds the saved pipelines' world again (not their
    // deployments), and runs the stand-in once more. This one runs its executions on the simulated
    // clock, at the speed given.
    server.child.kill('SIGTERM');
    await new Promise((resolvePromise) => server.child.once('exit', resolvePromise));
    const again = await up(dataDir, ['--sandbox', '--sandbox-speed', '300']);
    expect(again.output()).toMatch(/simulated clouds \(clock ×300, which executions keep too: waits, canary intervals and judgment timeouts pass 300 times faster\)/);
    await until(() => /sandbox: seeded \d+ resources for 3 saved pipelines/.test(again.output()), again.output);
    expect(again.output()).toMatch(/sandbox: seeded pipeline SIMPLE_DEPLOY_PIPELINE_ID \(stand-in .* ran once with successRate=100: SUCCEEDED\)/);
    const reseeded = await gennaker(dataDir, again.endpoint, ['sandbox', 'describe']);
    expect(reseeded.output).toMatch(/webshop-prod-v000 {2}2\/4\/2 \(min\/max\/desired\) {2}instances: 2 InService/);
    expect(reseeded.output).not.toMatch(/webshop-prod-v001/);

    // Kubernetes too: saving Spinnaker's blue/green pipeline starts the simulated cluster and seeds
    // its Service and previous version; its execution deploys there, and describe shows the cluster.
    const bluegreen = await gennaker(dataDir, again.endpoint, ['pipeline', 'save', '-f', join(CONFORMANCE_CORPUS, 'spinnaker_spinnaker_pipeline.json')]);
    expect(bluegreen.code, bluegreen.output).toBe(0);
    await until(() => /sandbox: seeded replicaSet default\/helloworld-v000 \(my-kubernetes-account, 3 pods Ready, behind service hellosvc/.test(again.output()), again.output);
    expect(again.output()).toMatch(/sandbox: seeded service default\/hellosvc \(my-kubernetes-account, selects frontedBy=hellosvc\)/);
    const deployed = await gennaker(dataDir, again.endpoint, ['pipeline', 'execute', 'helloworld', 'bluegreen', '--watch']);
    expect(deployed.code, deployed.output).toBe(0);
    const cluster = await gennaker(dataDir, again.endpoint, ['sandbox', 'describe']);
    expect(cluster.output).toMatch(/simulated Kubernetes at /);
    expect(cluster.output).toMatch(/ReplicaSet helloworld-v000 {2}1\/1 Ready/);
    expect(cluster.output).toMatch(/ReplicaSet helloworld-v001 {2}3\/3 Ready/);
    expect(cluster.output).toMatch(/service hellosvc \(frontedBy=hellosvc\) {2}selects 3 pods, 3 Ready: (helloworld-v001-[a-z0-9]{5}(, )?){3}/);

    // The automated canary saved before the restart: its execution judges a good release from the
    // simulated cluster's Prometheus, its 5-minute interval passing on the simulated clock.
    const { ref } = (await (await api(dataDir, again.endpoint, 'POST', `/pipelines/sampleapp/${encodeURIComponent('Automated Canary Deploy')}`, { parameters: { successRate: '100' } })).json()) as { ref: string };
    type Stage = { name: string; status: string; startTime?: number; endTime?: number; outputs?: { overallScore?: number } };
    let judged: Stage | undefined;
    await until(() => judged !== undefined && !['NOT_STARTED', 'RUNNING'].includes(judged.status), again.output, async () => {
      judged = ((await (await api(dataDir, again.endpoint, 'GET', ref)).json()) as { stages: Stage[] }).stages.find((stage) => stage.name === 'Canary Analysis');
    });
    expect(judged!.status).toBe('SUCCEEDED');
    expect(judged!.outputs?.overallScore).toBe(100);
    expect(judged!.endTime! - judged!.startTime!).toBeGreaterThanOrEqual(5 * 60_000);
  });

  it('without --sandbox, describe exits 1 saying how to start one', async () => {
    const dataDir = join(work, 'plain');
    const server = await up(dataDir, []);
    const described = await gennaker(dataDir, server.endpoint, ['sandbox', 'describe']);
    expect(described.code).toBe(1);
    expect(described.output).toMatch(/this Gennaker runs without a sandbox; start it with gennaker up --sandbox/);
  });
});
