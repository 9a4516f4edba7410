/** One account across its regions: each call goes to its region's target, made on first use; other regions are refused. */
import { describe, expect, it } from 'vitest';
import { createMemoryTarget, type MemoryTarget } from '../../../adapters/targets/memory/memory-target.ts';
import { createRegionalTarget } from '../../../adapters/targets/regional-target.ts';

function regionalOverMemory() {
  const made = new Map<string, MemoryTarget>();
  const target = createRegionalTarget({
    account: 'prod',
    regions: ['us-west-2', 'eu-west-1'],
    cloudProvider: 'aws',
    create: (region) => {
      const memory = createMemoryTarget({ cloudProvider: 'aws' });
      made.set(region, memory);
      return memory;
    },
  });
  return { target, made };
}

const request = (location: string) => ({ account: 'prod', location, cluster: 'app-prod', name: 'app-prod-v000', owner: 'e1/deploy/create', capacity: { min: 1, max: 1, desired: 1 }, provider: {} });

describe('a target over regions', () => {
  it('hands each call to the target of its location, so a cluster in one region is not seen from another', async () => {
    const { target, made } = regionalOverMemory();
    expect(await target.serverGroups.create(request('eu-west-1'))).toEqual({ ok: true, outcome: 'done' });
    const inEurope = await target.serverGroups.describeCluster({ account: 'prod', location: 'eu-west-1', cluster: 'app-prod' });
    const inOregon = await target.serverGroups.describeCluster({ account: 'prod', location: 'us-west-2', cluster: 'app-prod' });
    expect(inEurope.ok && inEurope.cluster.serverGroups.map((group) => group.name)).toEqual(['app-prod-v000']);
    expect(inOregon.ok && inOregon.cluster.serverGroups).toEqual([]);
    expect([...made.keys()].sort()).toEqual(['eu-west-1', 'us-west-2']);
    const disabled = await target.traffic.disable({ account: 'prod', location: 'eu-west-1', serverGroup: 'app-prod-v000' }, { owner: 'e1/disable' });
    expect(disabled.ok).toBe(true);
  });

  it("refuses a region the account does not list, naming the account's regions, before any target is made for it", async () => {
    const { target, made } = regionalOverMemory();
    const created = await target.serverGroups.create(request('ap-south-1'));
    expect(created).toEqual({ ok: false, reason: 'invalid', message: "region 'ap-south-1' is not one of account 'prod''s regions (us-west-2, eu-west-1); deploy to one of them or add it to the account" });
    expect(made.has('ap-south-1')).toBe(false);
  });

  it('refuses an account with no region at all', () => {
    expect(() => createRegionalTarget({ account: 'prod', regions: [], cloudProvider: 'aws', create: () => createMemoryTarget() })).toThrow("account 'prod' lists no regions; add at least one");
  });
});
