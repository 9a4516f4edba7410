/**
 * A fresh checkout with the default data directory: `gennaker up` started with no `--data`
 * keeps its state in the relative `.gennaker` of its working directory, and a deploy of the
 * directory artifact `examples/service` (a relative reference, as the README writes it) turns
 * healthy. The relative state path once reached the instance's command line while the instance
 * also ran in that directory, so node looked for its entry point under a doubled path.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createLocalDeployTarget } from '../../adapters/targets/local/local-deploy-target.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = join(root, 'bin/gennaker.js');
// The parts of a checkout the deploy needs: the sample service, at the path the README uses.
const checkout = mkdtempSync(join(tmpdir(), 'gennaker-checkout-'));
mkdirSync(join(checkout, 'examples'));
cpSync(join(root, 'examples/service'), join(checkout, 'examples/service'), { recursive: true });
const env = { ...process.env, NO_COLOR: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
let server: ChildProcess | undefined;

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((done) => child.once('exit', () => done()));
}

/** `gennaker up --port 0` in the checkout, with no --data; resolves with the URL it prints. */
function up(): Promise<string> {
  const child = spawn(process.execPath, [bin, 'up', '--port', '0'], { cwd: checkout, env });
  server = child;
  let output = '';
  return new Promise((resolvePromise, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Gennaker is up at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) resolvePromise(match[1]!);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`gennaker up exited with ${code}: ${output}`)));
  });
}

/** A client command in the checkout, also with no --data (it finds the token in ./.gennaker). */
function gennaker(endpoint: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    execFile(process.execPath, [bin, ...args, '--endpoint', endpoint], { cwd: checkout, env }, (error, stdout, stderr) => {
      resolvePromise({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

afterAll(async () => {
  if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGTERM');
  if (server) await exited(server);
  // The instances outlive `up`: adopt them from the target's state and stop them.
  const stateDir = join(checkout, '.gennaker', 'targets', 'local');
  if (existsSync(stateDir)) await (await createLocalDeployTarget({ stateDir, killGraceMs: 500 })).destroyAll();
  rmSync(checkout, { recursive: true, force: true });
});

describe('the default data directory', () => {
  it('deploys examples/service healthy with `gennaker up` started without --data', { timeout: 60_000 }, async () => {
    // given: a server with its state in the relative .gennaker, and a pipeline deploying the sample service
    const endpoint = await up();
    expect(existsSync(join(checkout, '.gennaker', 'token'))).toBe(true);
    writeFileSync(
      join(checkout, 'pipeline.json'),
      JSON.stringify({
        application: 'hello',
        name: 'Deploy',
        stages: [
          {
            refId: '1',
            type: 'deploy',
            name: 'Deploy',
            clusters: [
              {
                account: 'local',
                cloudProvider: 'local',
                application: 'hello',
                stack: 'prod',
                availabilityZones: { local: [] },
                capacity: { min: 1, max: 1, desired: 1 },
                strategy: 'redblack',
                waitForHealthyTimeoutSec: 20,
                artifact: { type: 'directory', reference: 'examples/service', version: '1.0.1' },
                healthCheck: { path: '/health', intervalMs: 100 },
              },
            ],
          },
        ],
      }),
    );
    expect((await gennaker(endpoint, ['pipeline', 'save', '-f', 'pipeline.json'])).code).toBe(0);

    // when
    const deployed = await gennaker(endpoint, ['pipeline', 'execute', 'hello', 'Deploy', '--watch']);

    // then: the deploy succeeded and its instance answers through the cluster's load balancer
    expect(deployed.stderr).toMatch(/execution \w+ SUCCEEDED/);
    expect(deployed.code).toBe(0);
    const described = await gennaker(endpoint, ['cluster', 'describe', 'hello', 'hello-prod', '--json']);
    const cluster = JSON.parse(described.stdout) as { regions: Array<{ endpoint: string; serverGroups: Array<{ name: string; instances: Array<{ health: string }> }> }> };
    const [region] = cluster.regions;
    expect(region!.serverGroups.map((group) => ({ name: group.name, health: group.instances.map((instance) => instance.health) }))).toEqual([{ name: 'hello-prod-v000', health: ['Up'] }]);
    const answer = (await (await fetch(`${region!.endpoint}/`)).json()) as { version: string };
    expect(answer.version).toBe('1.0.1');
  });
});
