/**
 * The TrafficPort contract (core/ports/traffic.ts): what every target's router must do, run
 * against each of them — the memory reference target (test/unit/adapters/memory-target.test.ts)
 * and the local target with real processes (test/integration/local-target-ports.test.ts).
 *
 * Traffic is observed through the ports only (`trafficWeight`, `draining` in descriptions,
 * `verifyWeights`), so the suite holds for routers a test cannot call. Where a capability says
 * no, the suite checks the port answers `unsupported` rather than pretending.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterRef } from '../../core/ports/server-groups.ts';
import { createContractKit, expectDone, type ContractOptions, type TargetPortsFixture } from './target-ports.fixture.ts';

/** Registers the contract suite. `createFixture` is called once, in `beforeAll`. */
export function trafficPortContract(name: string, createFixture: () => Promise<TargetPortsFixture>, options: ContractOptions = {}): void {
  describe(`TrafficPort contract: ${name}`, () => {
    let fixture: TargetPortsFixture;
    const kit = createContractKit(() => fixture, 'tr');
    const port = () => fixture.target.traffic;
    const owner = (step: string) => `execution/stage/${step}`;

    beforeAll(async () => {
      fixture = await createFixture();
    });

    afterAll(async () => {
      await fixture?.dispose();
    });

    /** Waits until the server group is no longer draining. */
    async function drained(cluster: ClusterRef, name: string) {
      return fixture.eventually(async () => {
        const found = await kit.group(cluster, name);
        if (!found || found.draining) throw new Error(`${name} is still draining`);
        return found;
      });
    }

    it('declares its capabilities honestly', () => {
      const { capabilities } = port();
      expect(typeof capabilities.weights).toBe('boolean');
      expect(typeof capabilities.partialDisable).toBe('boolean');
      expect(typeof capabilities.drains).toBe('boolean');
      expect(Number.isInteger(capabilities.maxWeightedServerGroups)).toBe(true);
      if (capabilities.weights) expect(capabilities.maxWeightedServerGroups).toBeGreaterThanOrEqual(2);
      else expect(capabilities.maxWeightedServerGroups).toBe(0);
    });

    it('takes a server group out of traffic on disable and back in on enable, already-done when asked again', async () => {
      // given two Up server groups sharing traffic
      const cluster = kit.newCluster();
      const v1 = await kit.createUp(cluster, 1);
      const v2 = await kit.createUp(cluster, 2);
      const ref = kit.ref(cluster, v1);
      const shareOf = async (name: string) => (await kit.group(cluster, name))!.trafficWeight;
      if ((await shareOf(v1)) !== undefined) expect(await shareOf(v1)).toBe(50);
      // when
      expect(await port().disable(ref, { owner: owner('disable') })).toEqual({ ok: true, outcome: 'done' });
      // then it is out of traffic at once and keeps its instances
      const out = (await kit.group(cluster, v1))!;
      expect(out.disabled).toBe(true);
      expect(out.instances).toHaveLength(1);
      if (out.trafficWeight !== undefined) expect(out.trafficWeight).toBe(0);
      if ((await shareOf(v2)) !== undefined) expect(await shareOf(v2)).toBe(100);
      expect(await port().disable(ref, { owner: owner('disable') })).toEqual({ ok: true, outcome: 'already-done' });
      await drained(cluster, v1);
      // when
      expect(await port().enable(ref, { owner: owner('enable') })).toEqual({ ok: true, outcome: 'done' });
      // then
      expect(await kit.group(cluster, v1)).toMatchObject({ disabled: false });
      if ((await shareOf(v1)) !== undefined) expect(await shareOf(v1)).toBe(50);
      expect(await port().enable(ref, { owner: owner('enable') })).toEqual({ ok: true, outcome: 'already-done' });
    });

    it('creates a server group out of traffic when asked (unsupported where a disabled server group has no instances)', async () => {
      const cluster = kit.newCluster();
      await kit.createUp(cluster, 1);
      if (options.disableScalesToZero) {
        const created = await fixture.target.serverGroups.create(kit.request(cluster, 2, { disabled: true }));
        expect(created).toMatchObject({ ok: false, reason: 'unsupported' });
        expect(await kit.group(cluster, `${cluster.cluster}-v002`)).toBeUndefined();
        return;
      }
      const v2 = await kit.createUp(cluster, 2, { disabled: true });
      const found = (await kit.group(cluster, v2))!;
      expect(found.disabled).toBe(true);
      if (found.trafficWeight !== undefined) expect(found.trafficWeight).toBe(0);
    });

    it('shows a disabled server group draining until its requests in flight are over (when it drains)', async () => {
      // given one Up server group with work in flight
      const cluster = kit.newCluster();
      const v1 = await kit.createUp(cluster, 1);
      const work = await fixture.occupy(cluster);
      // when
      expect(await port().disable(kit.ref(cluster, v1), { owner: owner('disable') })).toEqual({ ok: true, outcome: 'done' });
      // then the disable has started: out of traffic, still draining when the target drains
      const draining = (await kit.group(cluster, v1))!;
      expect(draining.disabled).toBe(true);
      expect(draining.draining ?? false).toBe(port().capabilities.drains);
      // when the work is over, so is the drain
      await work.finish();
      expect(await drained(cluster, v1)).toMatchObject({ disabled: true });
    });

    it('ends a drain when its timeout passes with a request still in flight, and the server group stays disabled', async () => {
      // given one Up server group with work in flight that will not end by itself
      const cluster = kit.newCluster();
      const v1 = await kit.createUp(cluster, 1);
      const work = await fixture.occupy(cluster);
      try {
        // when
        expect(await port().disable(kit.ref(cluster, v1), { owner: owner('disable') })).toEqual({ ok: true, outcome: 'done' });
        // then the drain ends without the work having ended; the instance stays unless disabling scales to zero
        const after = await drained(cluster, v1);
        expect(after.disabled).toBe(true);
        expect(after.instances).toHaveLength(options.disableScalesToZero ? 0 : 1);
      } finally {
        await work.finish();
      }
    });

    it('takes a share of a server group out of traffic (desiredPercentage) when it can, and answers unsupported when it cannot', async () => {
      // given v001 with three Up instances and v002 with one: traffic 75/25 by instance counts
      const cluster = kit.newCluster();
      const v1 = await kit.createUp(cluster, 1, { capacity: { min: 3, max: 3, desired: 3 } });
      const v2 = await kit.createUp(cluster, 2);
      const ref = kit.ref(cluster, v1);
      // when half of v001 is disabled
      const half = await port().disable(ref, { owner: owner('half'), desiredPercentage: 50 });
      if (!port().capabilities.partialDisable) {
        expect(half).toMatchObject({ ok: false, reason: 'unsupported' });
        expect((await kit.group(cluster, v1))!.instances.some((instance) => instance.outOfService === true)).toBe(false);
        return;
      }
      // then ceil(3 × 50%) = 2 instances are out, v001 stays enabled with one serving instance
      expect(half).toEqual({ ok: true, outcome: 'done' });
      let now = (await kit.group(cluster, v1))!;
      expect(now.disabled).toBe(false);
      expect(now.instances.filter((instance) => instance.outOfService === true)).toHaveLength(2);
      if (now.trafficWeight !== undefined) {
        expect(now.trafficWeight).toBe(50);
        expect((await kit.group(cluster, v2))!.trafficWeight).toBe(50);
      }
      // the same share again, or a smaller one, changes nothing
      expect(await port().disable(ref, { owner: owner('half'), desiredPercentage: 50 })).toEqual({ ok: true, outcome: 'already-done' });
      expect(await port().disable(ref, { owner: owner('third'), desiredPercentage: 30 })).toEqual({ ok: true, outcome: 'already-done' });
      // when the rest goes, the whole server group is disabled
      expect(await port().disable(ref, { owner: owner('all'), desiredPercentage: 100 })).toEqual({ ok: true, outcome: 'done' });
      expect(await kit.group(cluster, v1)).toMatchObject({ disabled: true });
      await drained(cluster, v1);
      // when enabled again, every instance is back in traffic
      expect(await port().enable(ref, { owner: owner('enable') })).toEqual({ ok: true, outcome: 'done' });
      now = (await kit.group(cluster, v1))!;
      expect(now.disabled).toBe(false);
      expect(now.instances.some((instance) => instance.outOfService === true)).toBe(false);
      if (now.trafficWeight !== undefined) expect(now.trafficWeight).toBe(75);
      // a share outside 0-100 is refused
      expect(await port().disable(ref, { owner: owner('too-much'), desiredPercentage: 150 })).toMatchObject({ ok: false, reason: 'invalid' });
    });

    it('splits traffic by weights, read back with verifyWeights, when it can; unsupported when it cannot', async () => {
      // given two Up server groups
      const cluster = kit.newCluster();
      const v1 = await kit.createUp(cluster, 1);
      const v2 = await kit.createUp(cluster, 2);
      // when
      const set = await port().setWeights(cluster, { [v1]: 90, [v2]: 10 }, { owner: owner('weights-90-10') });
      if (!port().capabilities.weights) {
        expect(set).toMatchObject({ ok: false, reason: 'unsupported' });
        expect(await port().verifyWeights(cluster, { [v1]: 90, [v2]: 10 })).toMatchObject({ ok: false, reason: 'unsupported' });
        return;
      }
      // then a weight counts once the router is read back holding it
      expect(set).toEqual({ ok: true, outcome: 'done' });
      const verified = await fixture.eventually(async () => {
        const read = await port().verifyWeights(cluster, { [v1]: 90, [v2]: 10 });
        if (!read.ok || !read.matches) throw new Error(`the router holds ${JSON.stringify(read)}`);
        return read;
      });
      expect(verified.actual).toEqual({ [v1]: 90, [v2]: 10 });
      const shares = await Promise.all([kit.group(cluster, v1), kit.group(cluster, v2)]);
      if (shares[0]!.trafficWeight !== undefined) expect(shares.map((group) => group!.trafficWeight)).toEqual([90, 10]);
      expect(await port().verifyWeights(cluster, { [v1]: 50, [v2]: 50 })).toMatchObject({ ok: true, matches: false, actual: { [v1]: 90, [v2]: 10 } });
      // the same weights again change nothing
      expect(await port().setWeights(cluster, { [v1]: 90, [v2]: 10 }, { owner: owner('weights-90-10') })).toEqual({ ok: true, outcome: 'already-done' });
      // weights that do not add up to 100, or name a stranger, are refused
      expect(await port().setWeights(cluster, { [v1]: 50, [v2]: 10 }, { owner: owner('bad') })).toMatchObject({ ok: false, reason: 'invalid' });
      expect(await port().setWeights(cluster, { [v1]: 50.5, [v2]: 49.5 }, { owner: owner('bad') })).toMatchObject({ ok: false, reason: 'invalid' });
      expect(await port().setWeights(cluster, { [`${cluster.cluster}-v009`]: 100 }, { owner: owner('bad') })).toMatchObject({ ok: false, reason: 'not-found' });
      // a disabled server group gets nothing, whatever its weight
      expectDone(await port().disable(kit.ref(cluster, v1), { owner: owner('disable') }), 'disable');
      const v2Now = (await kit.group(cluster, v2))!;
      if (v2Now.trafficWeight !== undefined) expect(v2Now.trafficWeight).toBe(100);
      // {} returns to the default split
      expect(await port().setWeights(cluster, {}, { owner: owner('default') })).toEqual({ ok: true, outcome: 'done' });
      await fixture.eventually(async () => {
        const read = await port().verifyWeights(cluster, {});
        if (!read.ok || !read.matches) throw new Error(`the router holds ${JSON.stringify(read)}`);
      });
    });

    it('weighs as many server groups as maxWeightedServerGroups says, and answers unsupported beyond', async () => {
      // given three Up server groups
      const cluster = kit.newCluster();
      const names = [await kit.createUp(cluster, 1), await kit.createUp(cluster, 2), await kit.createUp(cluster, 3)];
      const weights = { [names[0]!]: 34, [names[1]!]: 33, [names[2]!]: 33 };
      // when all three get a weight
      const set = await port().setWeights(cluster, weights, { owner: owner('three-way') });
      // then
      const { capabilities } = port();
      if (!capabilities.weights || capabilities.maxWeightedServerGroups < 3) {
        expect(set).toMatchObject({ ok: false, reason: 'unsupported' });
        return;
      }
      expect(set).toEqual({ ok: true, outcome: 'done' });
      await fixture.eventually(async () => {
        const read = await port().verifyWeights(cluster, weights);
        if (!read.ok || !read.matches) throw new Error(`the router holds ${JSON.stringify(read)}`);
      });
    });

    it('fails with not-found to enable or disable a server group that does not exist', async () => {
      const ref = kit.ref(kit.newCluster(), 'ghost-v001');
      for (const result of [await port().enable(ref, { owner: owner('enable') }), await port().disable(ref, { owner: owner('disable') })]) {
        expect(result).toMatchObject({ ok: false, reason: 'not-found' });
        if (!result.ok) expect(result.message).toContain('ghost-v001');
      }
    });

    // Registered only for targets whose faults can be injected: a real cloud throttles when it likes, not on demand.
    if (options.throttles) {
      it('answers unavailable when throttled, changing nothing, and the retried call succeeds', async () => {
        if (!fixture.throttleNext) throw new Error('the fixture says it throttles but has no throttleNext');
        // given
        const cluster = kit.newCluster();
        const v1 = await kit.createUp(cluster, 1);
        const ref = kit.ref(cluster, v1);
        fixture.throttleNext(2, 'disable');
        // when
        const first = await port().disable(ref, { owner: owner('disable') });
        const second = await port().disable(ref, { owner: owner('disable') });
        // then
        expect([first, second]).toMatchObject([
          { ok: false, reason: 'unavailable' },
          { ok: false, reason: 'unavailable' },
        ]);
        expect(await kit.group(cluster, v1)).toMatchObject({ disabled: false });
        expect(await port().disable(ref, { owner: owner('disable') })).toEqual({ ok: true, outcome: 'done' });
        expect(await kit.group(cluster, v1)).toMatchObject({ disabled: true });
      });
    }
  });
}
