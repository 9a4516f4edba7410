/**
 * The DeployTarget contract (core/ports/deploy-target.ts): what every target must do, run
 * against each of them. `test/integration/local-target.test.ts` runs it on the local target
 * with real processes; a stateful fake of a cloud, or the cloud itself when credentials are
 * present, runs the same suite.
 *
 * Traffic is observed through the port only (`trafficWeight` in descriptions), so the suite
 * holds for targets whose load balancers a test cannot call. Every test uses its own cluster.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type {
  ArtifactReference,
  ClusterRef,
  CreateServerGroupRequest,
  DeployTarget,
  InstanceHealth,
  ServerGroupDescription,
} from '../../adapters/targets/local/local-target-api.ts';

export interface DeployTargetFixture {
  readonly target: DeployTarget;
  /** An artifact the target runs, healthy. */
  readonly artifact: ArtifactReference;
  readonly account: string;
  readonly location: string;
  /** Destroys whatever the suite left; called in `afterAll`. */
  dispose(): Promise<void>;
}

export interface DeployTargetContractOptions {
  /** How long instances may take to become Up. @default 15_000 */
  readonly upTimeoutMs?: number;
}

/**
 * Registers the contract suite. `createFixture` is called once, in `beforeAll`.
 */
export function deployTargetContract(name: string, createFixture: () => Promise<DeployTargetFixture>, options: DeployTargetContractOptions = {}): void {
  describe(`DeployTarget contract: ${name}`, () => {
    const upTimeoutMs = options.upTimeoutMs ?? 15_000;
    const run = randomUUID().slice(0, 6);
    let fixture: DeployTargetFixture;
    let counter = 0;

    beforeAll(async () => {
      fixture = await createFixture();
    });

    afterAll(async () => {
      await fixture?.dispose();
    });

    /** A cluster of its own for one test: `app<run>-contract-<n>`. */
    function newCluster(): ClusterRef {
      counter += 1;
      return { account: fixture.account, location: fixture.location, cluster: `app${run}-contract${counter}` };
    }

    function request(cluster: ClusterRef, sequence: number, overrides: Partial<CreateServerGroupRequest> = {}): CreateServerGroupRequest {
      return {
        ...cluster,
        name: `${cluster.cluster}-v${String(sequence).padStart(3, '0')}`,
        capacity: { min: 1, max: 1, desired: 1 },
        artifact: fixture.artifact,
        ...overrides,
      };
    }

    async function group(cluster: ClusterRef, name: string): Promise<ServerGroupDescription | undefined> {
      return (await fixture.target.describeCluster(cluster)).serverGroups.find((candidate) => candidate.name === name);
    }

    async function waitFor(cluster: ClusterRef, name: string, count: number, health: InstanceHealth = 'Up'): Promise<ServerGroupDescription> {
      return vi.waitFor(
        async () => {
          const found = await group(cluster, name);
          const healths = found?.instances.map((instance) => instance.health) ?? [];
          if (!found || healths.length !== count || healths.some((h) => h !== health)) {
            throw new Error(`${name} has ${JSON.stringify(healths)}, waiting for ${count} ${health}`);
          }
          return found;
        },
        { timeout: upTimeoutMs, interval: 100 },
      );
    }

    async function createUp(cluster: ClusterRef, sequence: number, overrides: Partial<CreateServerGroupRequest> = {}): Promise<string> {
      const created = await fixture.target.createServerGroup(request(cluster, sequence, overrides));
      if (!created.ok) throw new Error(`create failed: ${created.message}`);
      await waitFor(cluster, created.serverGroup.name, (overrides.capacity ?? { desired: 1 }).desired);
      return created.serverGroup.name;
    }

    it('declares its capabilities', () => {
      const { capabilities } = fixture.target;
      expect(typeof capabilities.trafficWeights).toBe('boolean');
      expect(typeof capabilities.resize).toBe('boolean');
      expect(typeof capabilities.drainOnDisable).toBe('boolean');
      expect(capabilities.artifactTypes).toContain(fixture.artifact.type);
    });

    it('describes a cluster without server groups as empty', async () => {
      const cluster = newCluster();
      const description = await fixture.target.describeCluster(cluster);
      expect(description).toMatchObject({ ...cluster, serverGroups: [] });
    });

    it('creates a server group whose instances start, then become Up and take all traffic', async () => {
      // given
      const cluster = newCluster();
      // when
      const created = await fixture.target.createServerGroup(request(cluster, 0, { capacity: { min: 1, max: 3, desired: 2 } }));
      // then
      expect(created.ok).toBe(true);
      if (!created.ok) return;
      expect(created.serverGroup).toMatchObject({ name: `${cluster.cluster}-v000`, cluster: cluster.cluster, account: cluster.account, location: cluster.location, disabled: false });
      expect(created.serverGroup.instances).toHaveLength(2);
      for (const instance of created.serverGroup.instances) expect(['Starting', 'Up']).toContain(instance.health);
      const up = await waitFor(cluster, created.serverGroup.name, 2);
      expect(up.capacity).toEqual({ min: 1, max: 3, desired: 2 });
      expect(up.createdTime).toBeGreaterThan(0);
      expect(up.trafficWeight).toBe(100);
      expect(new Set(up.instances.map((instance) => instance.id)).size).toBe(2);
    });

    it('lists server groups oldest first under the names the caller gave', async () => {
      const cluster = newCluster();
      await createUp(cluster, 1);
      await createUp(cluster, 2);
      const description = await fixture.target.describeCluster(cluster);
      expect(description.serverGroups.map((candidate) => candidate.name)).toEqual([`${cluster.cluster}-v001`, `${cluster.cluster}-v002`]);
      expect(description.serverGroups[0]!.createdTime).toBeLessThanOrEqual(description.serverGroups[1]!.createdTime);
      // Another cluster's server groups are not this cluster's.
      expect((await fixture.target.describeCluster(newCluster())).serverGroups).toEqual([]);
    });

    it('fails to create a server group whose name is taken', async () => {
      const cluster = newCluster();
      await createUp(cluster, 1);
      const again = await fixture.target.createServerGroup(request(cluster, 1));
      expect(again).toMatchObject({ ok: false, reason: 'already-exists' });
    });

    it('fails to create a server group with an impossible capacity', async () => {
      const cluster = newCluster();
      const created = await fixture.target.createServerGroup(request(cluster, 1, { capacity: { min: 2, max: 1, desired: 1 } }));
      expect(created).toMatchObject({ ok: false, reason: 'invalid' });
      if (!created.ok) expect(created.message).toContain('min <= desired <= max');
      expect((await fixture.target.describeCluster(cluster)).serverGroups).toEqual([]);
    });

    it('answers unsupported for an artifact type it cannot run', async () => {
      const cluster = newCluster();
      const created = await fixture.target.createServerGroup(request(cluster, 1, { artifact: { type: 'no-such/artifact-type', reference: 'x' } }));
      expect(created).toMatchObject({ ok: false, reason: 'unsupported' });
    });

    it('moves traffic out on disable and back in on enable', async () => {
      // given two Up server groups sharing traffic
      const cluster = newCluster();
      const v1 = await createUp(cluster, 1);
      const v2 = await createUp(cluster, 2);
      expect((await group(cluster, v1))!.trafficWeight).toBe(50);
      // when
      const disabled = await fixture.target.disableServerGroup({ account: cluster.account, location: cluster.location, serverGroup: v1 });
      // then
      expect(disabled).toEqual({ ok: true, drained: true });
      expect(await group(cluster, v1)).toMatchObject({ disabled: true, trafficWeight: 0 });
      expect((await group(cluster, v1))!.instances).toHaveLength(1);
      expect(await group(cluster, v2)).toMatchObject({ disabled: false, trafficWeight: 100 });
      // when
      const enabled = await fixture.target.enableServerGroup({ account: cluster.account, location: cluster.location, serverGroup: v1 });
      // then
      expect(enabled).toEqual({ ok: true });
      expect(await group(cluster, v1)).toMatchObject({ disabled: false, trafficWeight: 50 });
    });

    it('creates a server group disabled when asked, without traffic', async () => {
      const cluster = newCluster();
      await createUp(cluster, 1);
      const v2 = await createUp(cluster, 2, { disabled: true });
      expect(await group(cluster, v2)).toMatchObject({ disabled: true, trafficWeight: 0 });
    });

    it('resizes a server group up and down', async () => {
      if (!fixture.target.capabilities.resize) return;
      const cluster = newCluster();
      const name = await createUp(cluster, 1);
      const ref = { account: cluster.account, location: cluster.location, serverGroup: name };
      // when resized up
      expect(await fixture.target.resizeServerGroup(ref, { min: 1, max: 3, desired: 3 })).toEqual({ ok: true });
      // then
      const up = await waitFor(cluster, name, 3);
      expect(up.capacity).toEqual({ min: 1, max: 3, desired: 3 });
      // when resized down
      expect(await fixture.target.resizeServerGroup(ref, { min: 1, max: 3, desired: 1 })).toEqual({ ok: true });
      // then
      const down = await waitFor(cluster, name, 1);
      expect(down.capacity.desired).toBe(1);
      expect(await fixture.target.resizeServerGroup(ref, { min: 0, max: 1, desired: 2 })).toMatchObject({ ok: false, reason: 'invalid' });
    });

    it('destroys a server group, after which it does not exist', async () => {
      const cluster = newCluster();
      const v1 = await createUp(cluster, 1);
      const v2 = await createUp(cluster, 2);
      const ref = { account: cluster.account, location: cluster.location, serverGroup: v1 };
      expect(await fixture.target.destroyServerGroup(ref)).toEqual({ ok: true });
      const description = await fixture.target.describeCluster(cluster);
      expect(description.serverGroups.map((candidate) => candidate.name)).toEqual([v2]);
      expect(description.serverGroups[0]!.trafficWeight).toBe(100);
      expect(await fixture.target.destroyServerGroup(ref)).toMatchObject({ ok: false, reason: 'not-found' });
    });

    it('answers not-found for every operation on a server group that does not exist', async () => {
      const ref = { account: fixture.account, location: fixture.location, serverGroup: `app${run}-ghost-v001` };
      const capacity = { min: 0, max: 1, desired: 1 };
      for (const result of [
        await fixture.target.enableServerGroup(ref),
        await fixture.target.disableServerGroup(ref),
        await fixture.target.resizeServerGroup(ref, capacity),
        await fixture.target.destroyServerGroup(ref),
      ]) {
        expect(result).toMatchObject({ ok: false, reason: 'not-found' });
        if (!result.ok) expect(result.message).toContain(ref.serverGroup);
      }
    });

    it('takes a share of a server group out of traffic (desiredPercentage) when it can, and answers unsupported when it cannot', async () => {
      // given v001 with three Up instances and v002 with one: traffic 75/25 by instance counts
      const cluster = newCluster();
      const v1 = await createUp(cluster, 1, { capacity: { min: 3, max: 3, desired: 3 } });
      const v2 = await createUp(cluster, 2);
      const ref = { account: cluster.account, location: cluster.location, serverGroup: v1 };
      expect((await group(cluster, v1))!.trafficWeight).toBe(75);
      // when half of v001 is disabled
      const half = await fixture.target.disableServerGroup(ref, { desiredPercentage: 50 });
      if (!fixture.target.capabilities.partialDisable) {
        expect(half).toMatchObject({ ok: false, reason: 'unsupported' });
        return;
      }
      // then ceil(3 × 50%) = 2 instances are out, v001 stays enabled with one serving instance
      expect(half).toEqual({ ok: true, drained: true });
      let v1Now = (await group(cluster, v1))!;
      expect(v1Now.disabled).toBe(false);
      expect(v1Now.instances.filter((instance) => instance.outOfService === true)).toHaveLength(2);
      expect(v1Now.trafficWeight).toBe(50);
      expect((await group(cluster, v2))!.trafficWeight).toBe(50);
      // a smaller share changes nothing (monotonic)
      expect(await fixture.target.disableServerGroup(ref, { desiredPercentage: 30 })).toEqual({ ok: true, drained: true });
      expect((await group(cluster, v1))!.instances.filter((instance) => instance.outOfService === true)).toHaveLength(2);
      // when the rest goes: the whole server group is disabled
      expect(await fixture.target.disableServerGroup(ref, { desiredPercentage: 100 })).toEqual({ ok: true, drained: true });
      expect(await group(cluster, v1)).toMatchObject({ disabled: true, trafficWeight: 0 });
      // when enabled again: every instance is back in traffic
      expect(await fixture.target.enableServerGroup(ref)).toEqual({ ok: true });
      v1Now = (await group(cluster, v1))!;
      expect(v1Now).toMatchObject({ disabled: false, trafficWeight: 75 });
      expect(v1Now.instances.some((instance) => instance.outOfService === true)).toBe(false);
      // a share outside 0-100 is refused
      expect(await fixture.target.disableServerGroup(ref, { desiredPercentage: 150 })).toMatchObject({ ok: false, reason: 'invalid' });
    });

    it('splits traffic by weights when it can, and answers unsupported when it cannot', async () => {
      const cluster = newCluster();
      const v1 = await createUp(cluster, 1);
      const v2 = await createUp(cluster, 2);
      const result = await fixture.target.setTrafficWeights(cluster, { [v1]: 90, [v2]: 10 });
      if (!fixture.target.capabilities.trafficWeights) {
        expect(result).toMatchObject({ ok: false, reason: 'unsupported' });
        return;
      }
      expect(result).toEqual({ ok: true });
      const description = await fixture.target.describeCluster(cluster);
      expect(description.trafficWeights).toEqual({ [v1]: 90, [v2]: 10 });
      expect(description.serverGroups.map((candidate) => candidate.trafficWeight)).toEqual([90, 10]);
      // A disabled server group gets nothing, whatever its weight.
      await fixture.target.disableServerGroup({ account: cluster.account, location: cluster.location, serverGroup: v1 });
      expect((await group(cluster, v2))!.trafficWeight).toBe(100);
      // Weights that do not add up to 100 change nothing.
      expect(await fixture.target.setTrafficWeights(cluster, { [v1]: 50, [v2]: 10 })).toMatchObject({ ok: false, reason: 'invalid' });
      expect(await fixture.target.setTrafficWeights(cluster, { [`${cluster.cluster}-v009`]: 100 })).toMatchObject({ ok: false, reason: 'not-found' });
      // {} returns to traffic by instance counts.
      expect(await fixture.target.setTrafficWeights(cluster, {})).toEqual({ ok: true });
      expect((await fixture.target.describeCluster(cluster)).trafficWeights).toBeUndefined();
    });
  });
}
