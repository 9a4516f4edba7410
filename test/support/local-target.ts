/**
 * The local deploy target for tests: a fresh state directory, fast health checks, the sample
 * service as artifact, an admin token, and a leak check. Every pid the target ever reported
 * (instances and the router holding the load balancers) is remembered; `dispose()` destroys
 * everything, then proves each of those pids is gone (and kills any survivor, so a failing test
 * still leaves nothing behind).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';
import { createLocalDeployTarget, type LocalDeployTarget, type LocalDeployTargetOptions } from '../../adapters/targets/local/local-deploy-target.ts';
import { isAlive } from '../../adapters/targets/local/processes.ts';
import type { ArtifactReference, ClusterRef, DeployTarget, InstanceHealth } from '../../adapters/targets/local/local-target-api.ts';

export const SAMPLE_SERVICE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../examples/service');

/** The sample service as a directory artifact; `version` makes a second release of the same code. */
export function sampleServiceArtifact(version = '1.0.0'): ArtifactReference {
  return { type: 'directory', reference: SAMPLE_SERVICE_DIR, name: 'sample-service', version };
}

export interface TestLocalTarget {
  readonly target: LocalDeployTarget;
  readonly stateDir: string;
  /** The token the admin server requires. */
  readonly adminToken: string;
  /** Opens another target on the same state directory (adoption), tracked the same way. */
  reopen(): Promise<LocalDeployTarget>;
  /** Pids the target has reported so far (call after creating instances). */
  trackedPids(): readonly number[];
  /** Destroys every instance, removes the state directory, returns the pids still alive (should be none). */
  dispose(): Promise<number[]>;
}

export async function startTestLocalTarget(options: Partial<LocalDeployTargetOptions> = {}): Promise<TestLocalTarget> {
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'gennaker-local-target-'));
  const adminToken = options.adminToken ?? randomBytes(16).toString('hex');
  const pids = new Set<number>();
  const open = async () =>
    createLocalDeployTarget({
      stateDir,
      baseEnv: { PATH: process.env.PATH ?? '' },
      healthCheck: { intervalMs: 100, timeoutMs: 500, unhealthyThreshold: 2 },
      drainTimeoutMs: 5_000,
      killGraceMs: 2_000,
      adminToken,
      ...options,
    });
  const targets: LocalDeployTarget[] = [await open()];
  const track = () => {
    for (const target of targets) {
      for (const process of target.processes()) pids.add(process.pid);
      const router = target.routerPid();
      if (router !== undefined) pids.add(router);
    }
  };
  // A test that times out keeps running while the worker exits: kill what is left, synchronously.
  const onExit = () => {
    track();
    for (const pid of pids) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  };
  process.once('exit', onExit);
  return {
    get target() {
      return targets[targets.length - 1]!;
    },
    stateDir,
    adminToken,
    async reopen() {
      track();
      const target = await open();
      targets.push(target);
      return target;
    },
    trackedPids() {
      track();
      return [...pids];
    },
    async dispose() {
      process.off('exit', onExit);
      track();
      for (const target of targets.reverse()) await target.destroyAll();
      const alive = [...pids].filter(isAlive);
      for (const pid of alive) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
      rmSync(stateDir, { recursive: true, force: true });
      return alive;
    },
  };
}

/** Polls until the server group has `count` instances, all in `health`. */
export async function waitForInstances(target: DeployTarget, cluster: ClusterRef, serverGroup: string, count: number, health: InstanceHealth = 'Up', timeout = 10_000): Promise<void> {
  await vi.waitFor(
    async () => {
      const description = await target.describeCluster(cluster);
      const group = description.serverGroups.find((candidate) => candidate.name === serverGroup);
      const matching = group?.instances.filter((instance) => instance.health === health).length ?? 0;
      if (!group || group.instances.length !== count || matching !== count) {
        throw new Error(`${serverGroup}: ${JSON.stringify(group?.instances.map((instance) => instance.health))}, waiting for ${count} ${health}`);
      }
    },
    { timeout, interval: 50 },
  );
}
