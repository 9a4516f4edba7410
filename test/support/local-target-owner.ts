/**
 * A process that owns a local deploy target, for tests that kill the owner (as `kill -9` of
 * `gennaker up` would) and start another on the same state directory:
 *
 *   node --import tsx test/support/local-target-owner.ts <stateDir>
 *
 * It opens the target (adopting what a previous owner left), prints one JSON line
 * `{ ready, routerPid, processes }`, then reads one JSON command per line on stdin and answers
 * each with one line: `deploy` (create a server group and wait until its instances are Up),
 * `enable`, `disable`, `describe`, `destroyAll` (then exits). When stdin ends it closes the target
 * without destroying anything and exits.
 */
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createLocalDeployTarget } from '../../adapters/targets/local/local-deploy-target.ts';
import type { ClusterRef } from '../../adapters/targets/local/local-target-api.ts';

// Not imported from local-target.ts: that module needs a running vitest.
const SAMPLE_SERVICE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../examples/service');
const sampleServiceArtifact = (version: string) => ({ type: 'directory', reference: SAMPLE_SERVICE_DIR, name: 'sample-service', version });

/** A command on stdin. */
export type OwnerCommand =
  | { readonly op: 'deploy'; readonly cluster: string; readonly name: string; readonly instances: number; readonly version: string; readonly disabled?: boolean }
  | { readonly op: 'enable' | 'disable'; readonly serverGroup: string }
  | { readonly op: 'describe'; readonly cluster: string }
  | { readonly op: 'destroyAll' };

const stateDir = process.argv[2];
if (!stateDir) throw new Error('usage: local-target-owner.ts <stateDir>');

const target = await createLocalDeployTarget({
  stateDir,
  baseEnv: { PATH: process.env.PATH ?? '' },
  healthCheck: { intervalMs: 100, timeoutMs: 500, unhealthyThreshold: 2 },
  drainTimeoutMs: 5_000,
  killGraceMs: 2_000,
});
const cluster = (name: string): ClusterRef => ({ account: 'local', location: 'local', cluster: name });
const say = (message: unknown) => process.stdout.write(`${JSON.stringify(message)}\n`);
const status = () => ({ routerPid: target.routerPid(), processes: target.processes() });

async function waitUp(ref: ClusterRef, name: string, count: number): Promise<void> {
  for (let attempt = 0; attempt < 400; attempt++) {
    const group = (await target.describeCluster(ref)).serverGroups.find((candidate) => candidate.name === name);
    if (group && group.instances.filter((instance) => instance.health === 'Up').length === count) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${name} did not become Up`);
}

async function perform(command: OwnerCommand): Promise<unknown> {
  switch (command.op) {
    case 'deploy': {
      const ref = cluster(command.cluster);
      const capacity = { min: command.instances, max: command.instances, desired: command.instances };
      const created = await target.createServerGroup({
        ...ref,
        name: command.name,
        capacity,
        artifact: sampleServiceArtifact(command.version),
        env: { VERSION: command.version },
        ...(command.disabled ? { disabled: true } : {}),
      });
      if (!created.ok) return created;
      await waitUp(ref, command.name, command.instances);
      return { ok: true, url: target.loadBalancerUrl(ref), ...status() };
    }
    case 'enable':
      return target.enableServerGroup({ account: 'local', location: 'local', serverGroup: command.serverGroup });
    case 'disable':
      return target.disableServerGroup({ account: 'local', location: 'local', serverGroup: command.serverGroup });
    case 'describe':
      return { ...(await target.describeCluster(cluster(command.cluster))), ...status() };
    case 'destroyAll':
      await target.destroyAll();
      return { ok: true };
    default: {
      const unknown: never = command;
      return { ok: false, message: `unknown command ${JSON.stringify(unknown)}` };
    }
  }
}

say({ ready: true, ...status() });
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === '') continue;
  const command = JSON.parse(line) as OwnerCommand;
  try {
    say(await perform(command));
  } catch (error) {
    say({ ok: false, message: error instanceof Error ? error.message : String(error) });
  }
  if (command.op === 'destroyAll') process.exit(0);
}
await target.close();
