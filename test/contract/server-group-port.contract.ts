/**
 * The ServerGroupPort contract (core/ports/server-groups.ts): what every target's server-group
 * side must do, run against each of them — the memory reference target
 * (test/unit/adapters/memory-target.test.ts) and the local target with real processes
 * (test/integration/local-target-ports.test.ts).
 *
 * Operations start and return; the suite reads progress back with `describeCluster` through the
 * fixture's `eventually`. Results are values, and owner tokens make a repeated side effect
 * harmless: the suite repeats creates and destroys, sequentially and concurrently.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContractKit, expectDone, type ContractOptions, type TargetPortsFixture } from './target-ports.fixture.ts';

/** Registers the contract suite. `createFixture` is called once, in `beforeAll`. */
export function serverGroupPortContract(name: string, createFixture: () => Promise<TargetPortsFixture>, options: ContractOptions = {}): void {
  describe(`ServerGroupPort contract: ${name}`, () => {
    let fixture: TargetPortsFixture;
    const kit = createContractKit(() => fixture, 'sg');
    const port = () => fixture.target.serverGroups;

    beforeAll(async () => {
      fixture = await createFixture();
    });

    afterAll(async () => {
      await fixture?.dispose();
    });

    it('declares its capabilities honestly', () => {
      const { capabilities } = port();
      expect(typeof capabilities.resize).toBe('boolean');
      expect(Array.isArray(capabilities.artifactTypes)).toBe(true);
      if (fixture.artifact) expect(capabilities.artifactTypes).toContain(fixture.artifact.type);
      else expect(capabilities.artifactTypes).toEqual([]);
    });

    it('describes a cluster without server groups as empty, not as an error', async () => {
      const cluster = kit.newCluster();
      const described = await port().describeCluster(cluster);
      expect(described).toMatchObject({ ok: true, cluster: { ...cluster, serverGroups: [] } });
    });

    it('starts a server group whose instances are Starting or Up at once and all Up later', async () => {
      // given
      const cluster = kit.newCluster();
      const request = kit.request(cluster, 0, { capacity: { min: 1, max: 3, desired: 2 } });
      // when
      const created = await port().create(request);
      // then the create has started: the server group is there with its owner and its instances
      expect(created).toEqual({ ok: true, outcome: 'done' });
      const started = await kit.group(cluster, request.name);
      expect(started).toMatchObject({ name: request.name, cluster: cluster.cluster, account: cluster.account, location: cluster.location, disabled: false, owner: request.owner });
      expect(started!.instances).toHaveLength(2);
      for (const instance of started!.instances) expect(['Starting', 'Up']).toContain(instance.health);
      // and its instances become Up
      const up = await kit.waitFor(cluster, request.name, 2);
      expect(up.capacity).toEqual({ min: 1, max: 3, desired: 2 });
      expect(up.createdTime).toBeGreaterThan(0);
      expect(new Set(up.instances.map((instance) => instance.id)).size).toBe(2);
      if (up.trafficWeight !== undefined) expect(up.trafficWeight).toBe(100);
    });

    it('answers already-done to the same owner creating again, and never makes a second server group', async () => {
      // given a server group created by one owner
      const cluster = kit.newCluster();
      const name = await kit.createUp(cluster, 1);
      // when the same step asks again (a retried or twice-delivered task)
      const again = await port().create(kit.request(cluster, 1));
      // then
      expect(again).toEqual({ ok: true, outcome: 'already-done' });
      const described = await port().describeCluster(cluster);
      expect(described.ok && described.cluster.serverGroups.map((group) => [group.name, group.instances.length])).toEqual([[name, 1]]);
    });

    it('makes one server group when the same owner creates twice at once', async () => {
      // given
      const cluster = kit.newCluster();
      const request = kit.request(cluster, 1, { capacity: { min: 2, max: 2, desired: 2 } });
      // when
      const results = await Promise.all([port().create(request), port().create(request)]);
      // then one did it, the other found it done
      expect(results.map((result) => (result.ok ? result.outcome : result.reason)).sort()).toEqual(['already-done', 'done']);
      const up = await kit.waitFor(cluster, request.name, 2);
      expect(up.owner).toBe(request.owner);
      const described = await port().describeCluster(cluster);
      expect(described.ok && described.cluster.serverGroups).toHaveLength(1);
    });

    it('fails with already-exists when another owner asks for a name that is taken', async () => {
      // given
      const cluster = kit.newCluster();
      const name = await kit.createUp(cluster, 1);
      const mine = kit.request(cluster, 1);
      // when another step wants the same name
      const theirs = await port().create({ ...mine, owner: `${mine.owner}-other` });
      // then
      expect(theirs).toMatchObject({ ok: false, reason: 'already-exists' });
      if (!theirs.ok) expect(theirs.message).toContain(name);
      expect(await kit.group(cluster, name)).toMatchObject({ owner: mine.owner });
    });

    it('fails with invalid for an impossible capacity and creates nothing', async () => {
      const cluster = kit.newCluster();
      const created = await port().create(kit.request(cluster, 1, { capacity: { min: 2, max: 1, desired: 1 } }));
      expect(created).toMatchObject({ ok: false, reason: 'invalid' });
      if (!created.ok) expect(created.message).toContain('min <= desired <= max');
      const described = await port().describeCluster(cluster);
      expect(described.ok && described.cluster.serverGroups).toEqual([]);
    });

    it('fails with invalid for provider fields it cannot parse, naming the field', async () => {
      const cluster = kit.newCluster();
      const created = await port().create(kit.request(cluster, 1, { provider: { ...fixture.provider, ...fixture.invalidProvider.provider } }));
      expect(created).toMatchObject({ ok: false, reason: 'invalid' });
      if (!created.ok) expect(created.message).toContain(fixture.invalidProvider.field);
      const described = await port().describeCluster(cluster);
      expect(described.ok && described.cluster.serverGroups).toEqual([]);
    });

    it('fails with unsupported for an artifact type it cannot run', async () => {
      const cluster = kit.newCluster();
      const created = await port().create(kit.request(cluster, 1, { artifact: { type: 'no-such/artifact-type', reference: 'x' } }));
      expect(created).toMatchObject({ ok: false, reason: 'unsupported' });
    });

    it('resizes up and down, answering already-done at the current capacity (or unsupported when it cannot)', async () => {
      // given
      const cluster = kit.newCluster();
      const name = await kit.createUp(cluster, 1);
      const ref = kit.ref(cluster, name);
      const owner = 'execution/stage/resize';
      // when resized up
      const grown = await port().resize(ref, { min: 1, max: 3, desired: 3 }, { owner });
      if (!port().capabilities.resize) {
        expect(grown).toMatchObject({ ok: false, reason: 'unsupported' });
        return;
      }
      // then
      expect(grown).toEqual({ ok: true, outcome: 'done' });
      expect((await kit.waitFor(cluster, name, 3)).capacity).toEqual({ min: 1, max: 3, desired: 3 });
      expect(await port().resize(ref, { min: 1, max: 3, desired: 3 }, { owner })).toEqual({ ok: true, outcome: 'already-done' });
      // when resized down
      expect(await port().resize(ref, { min: 1, max: 3, desired: 1 }, { owner })).toEqual({ ok: true, outcome: 'done' });
      // then
      expect((await kit.waitFor(cluster, name, 1)).capacity.desired).toBe(1);
      expect(await port().resize(ref, { min: 0, max: 1, desired: 2 }, { owner })).toMatchObject({ ok: false, reason: 'invalid' });
    });

    it('destroys a server group: it leaves describe, the same owner again is already-done, another owner is not-found', async () => {
      // given two server groups
      const cluster = kit.newCluster();
      const v1 = await kit.createUp(cluster, 1);
      const v2 = await kit.createUp(cluster, 2);
      const ref = kit.ref(cluster, v1);
      const owner = 'execution/stage/destroy-v1';
      // when
      expect(await port().destroy(ref, { owner })).toEqual({ ok: true, outcome: 'done' });
      // then while it goes and once it is gone, the same owner's destroy is done already
      expect(await port().destroy(ref, { owner })).toEqual({ ok: true, outcome: 'already-done' });
      await fixture.eventually(async () => {
        if ((await kit.group(cluster, v1)) !== undefined) throw new Error(`${v1} is still described`);
      });
      const described = await port().describeCluster(cluster);
      expect(described.ok && described.cluster.serverGroups.map((group) => group.name)).toEqual([v2]);
      if (described.ok && described.cluster.serverGroups[0]!.trafficWeight !== undefined) expect(described.cluster.serverGroups[0]!.trafficWeight).toBe(100);
      expect(await port().destroy(ref, { owner })).toEqual({ ok: true, outcome: 'already-done' });
      expect(await port().destroy(ref, { owner: 'execution/stage/someone-else' })).toMatchObject({ ok: false, reason: 'not-found' });
    });

    it('lists server groups oldest first under the names the caller gave, and only the cluster\'s own', async () => {
      const cluster = kit.newCluster();
      await kit.createUp(cluster, 1);
      await kit.createUp(cluster, 2);
      const described = await port().describeCluster(cluster);
      if (!described.ok) throw new Error(described.message);
      expect(described.cluster.serverGroups.map((group) => group.name)).toEqual([`${cluster.cluster}-v001`, `${cluster.cluster}-v002`]);
      expect(described.cluster.serverGroups[0]!.createdTime).toBeLessThanOrEqual(described.cluster.serverGroups[1]!.createdTime);
      const other = await port().describeCluster(kit.newCluster());
      expect(other.ok && other.cluster.serverGroups).toEqual([]);
    });

    it('fails with not-found to resize (when it can) or destroy a server group that does not exist', async () => {
      const ref = kit.ref(kit.newCluster(), 'ghost-v001');
      const resized = port().capabilities.resize ? [await port().resize(ref, { min: 0, max: 1, desired: 1 }, { owner: 'o' })] : [];
      for (const result of [...resized, await port().destroy(ref, { owner: 'o' })]) {
        expect(result).toMatchObject({ ok: false, reason: 'not-found' });
        if (!result.ok) expect(result.message).toContain('ghost-v001');
      }
    });

    it('fails with invalid when a side effect carries no owner token', async () => {
      const cluster = kit.newCluster();
      const created = await port().create(kit.request(cluster, 1, { owner: '' }));
      expect(created).toMatchObject({ ok: false, reason: 'invalid' });
      if (!created.ok) expect(created.message).toContain('owner');
    });

    // Registered for targets that clone (capabilities.clone), with the override the fixture names.
    if (options.clones) it('clones a server group: the clone runs the source\'s artifact with the override applied, once per owner', async () => {
      const override = fixture.cloneOverride;
      if (!override) throw new Error('the fixture says it clones but has no cloneOverride');
      expect(port().capabilities.clone).toBe(true);
      // given a running source
      const cluster = kit.newCluster();
      const sourceName = await kit.createUp(cluster, 1);
      const source = (await kit.group(cluster, sourceName))!;
      expect(override.shown(source)).not.toEqual(override.expected);
      // when a clone is created from it with one provider field overridden and no artifact
      const { artifact: _artifact, ...request } = kit.request(cluster, 2, { provider: override.provider, source: kit.ref(cluster, sourceName) });
      expectDone(await port().create(request), `clone ${request.name}`);
      // then it runs what the source runs, the override applied
      const clone = await kit.waitFor(cluster, request.name, 1);
      expect(clone.artifact && { type: clone.artifact.type, version: clone.artifact.version ?? clone.artifact.reference }).toEqual(
        source.artifact && { type: source.artifact.type, version: source.artifact.version ?? source.artifact.reference },
      );
      expect(override.shown(clone)).toEqual(override.expected);
      // and the same owner asking again makes no second server group
      expect(await port().create(request)).toEqual({ ok: true, outcome: 'already-done' });
      const described = await port().describeCluster(cluster);
      expect(described.ok && described.cluster.serverGroups.map((group) => group.name)).toEqual([sourceName, request.name]);
    });

    if (options.clones) it('fails with not-found to clone a server group that does not exist, creating nothing', async () => {
      const cluster = kit.newCluster();
      const { artifact: _artifact, ...request } = kit.request(cluster, 1, { source: kit.ref(cluster, `${cluster.cluster}-v099`) });
      expect(await port().create(request)).toMatchObject({ ok: false, reason: 'not-found' });
      const described = await port().describeCluster(cluster);
      expect(described.ok && described.cluster.serverGroups).toEqual([]);
    });

    // Registered only for targets whose faults can be injected: a real cloud throttles when it likes, not on demand.
    if (options.throttles) it('answers unavailable when throttled, changing nothing, and the retried call succeeds', async () => {
      if (!fixture.throttleNext) throw new Error('the fixture says it throttles but has no throttleNext');
      // given a throttled create
      const cluster = kit.newCluster();
      const request = kit.request(cluster, 1);
      fixture.throttleNext!(1, 'create');
      // when
      const throttled = await port().create(request);
      // then
      expect(throttled).toMatchObject({ ok: false, reason: 'unavailable' });
      const nothing = await port().describeCluster(cluster);
      expect(nothing.ok && nothing.cluster.serverGroups).toEqual([]);
      // when retried
      expectDone(await port().create(request), 'retried create');
      await kit.waitFor(cluster, request.name, 1);
      // and a throttled describe is retried too
      fixture.throttleNext!(1, 'describeCluster');
      expect(await port().describeCluster(cluster)).toMatchObject({ ok: false, reason: 'unavailable' });
      expect(await port().describeCluster(cluster)).toMatchObject({ ok: true });
    });
  });
}
