/**
 * The CanaryConfigStore contract (core/ports/canary-config-store.ts): what every implementation
 * must do. `test/integration/kayenta-canary.test.ts` runs it on dynalite; DynamoDB itself, or a
 * fake, runs the same suite.
 *
 * Every test uses its own ids and names, so one store (one table) serves the whole suite.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CanaryConfigStore } from '../../core/ports/canary-config-store.ts';
import { STORE_LIMITS } from '../../core/ports/execution-store.ts';
import { createManualClock, type ManualClock } from './execution-store.contract.ts';

/** A small Kayenta canary config with this name. */
export function sampleCanaryConfig(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    applications: ['hello'],
    judge: { name: 'NetflixACAJudge-v1.0', judgeConfigurations: {} },
    metrics: [{ name: 'error_rate', query: { type: 'local', metricName: 'error_rate' }, groups: ['Errors'], scopeName: 'default', analysisConfigurations: { canary: { direction: 'increase', critical: true } } }],
    classifier: { groupWeights: { Errors: 100 } },
    ...extra,
  };
}

export function canaryConfigStoreContract(name: string, createStore: (clock: ManualClock) => Promise<CanaryConfigStore>): void {
  describe(`CanaryConfigStore contract: ${name}`, () => {
    const clock = createManualClock();
    let store: CanaryConfigStore;
    const run = randomUUID().slice(0, 8);
    let counter = 0;
    /** A fresh id (and name) for this test. */
    const fresh = (prefix: string) => `${prefix}-${run}-${++counter}`;

    beforeAll(async () => {
      store = await createStore(clock);
    });

    it('keeps a saved config exactly as given, unknown fields included, at revision 1', async () => {
      // given
      const id = fresh('cfg');
      const config = sampleCanaryConfig(fresh('name'), { description: 'käse', templates: { t: 'x' }, custom: { deep: [1, null, { big: 12345678901234567890 }] } });
      clock.advance(1000);

      // when
      const saved = await store.save(id, config);
      const read = await store.get(id);

      // then
      expect(saved).toEqual({ ok: true, id, revision: 1 });
      expect(read).toEqual({ id, name: config.name, config: JSON.parse(JSON.stringify(config)), applications: ['hello'], revision: 1, createdTimestamp: clock.now(), updatedTimestamp: clock.now() });
    });

    it('replaces a config on a second save, bumping the revision and the update time only', async () => {
      // given
      const id = fresh('cfg');
      const name = fresh('name');
      await store.save(id, sampleCanaryConfig(name));
      const created = clock.now();
      clock.advance(5000);

      // when
      const saved = await store.save(id, sampleCanaryConfig(name, { description: 'second' }));

      // then
      expect(saved).toEqual({ ok: true, id, revision: 2 });
      expect(await store.get(id)).toMatchObject({ revision: 2, createdTimestamp: created, updatedTimestamp: created + 5000, config: { description: 'second' } });
    });

    it('rejects a save whose expected revision is stale, and writes nothing', async () => {
      // given
      const id = fresh('cfg');
      const name = fresh('name');
      await store.save(id, sampleCanaryConfig(name));
      await store.save(id, sampleCanaryConfig(name, { description: 'someone else' }));

      // when
      const stale = await store.save(id, sampleCanaryConfig(name, { description: 'mine' }), { expectRevision: 1 });
      const isNew = await store.save(id, sampleCanaryConfig(name), { expectRevision: 0 });

      // then
      expect(stale).toMatchObject({ ok: false, reason: 'conflict', revision: 2 });
      expect(isNew).toMatchObject({ ok: false, reason: 'conflict', revision: 2 });
      expect(await store.get(id)).toMatchObject({ revision: 2, config: { description: 'someone else' } });
    });

    it('keeps both of two concurrent saves of one config: neither is lost, revisions 1 and 2', async () => {
      // given
      const id = fresh('cfg');
      const name = fresh('name');

      // when
      const results = await Promise.all([store.save(id, sampleCanaryConfig(name, { description: 'a' })), store.save(id, sampleCanaryConfig(name, { description: 'b' }))]);

      // then
      expect(results.map((result) => (result.ok ? result.revision : result.reason)).sort()).toEqual([1, 2]);
      expect((await store.get(id))?.revision).toBe(2);
    });

    it('rejects a second config with a taken name (case-insensitive), naming the holder', async () => {
      // given
      const name = fresh('Name');
      const first = fresh('cfg');
      await store.save(first, sampleCanaryConfig(name));

      // when
      const second = await store.save(fresh('cfg'), sampleCanaryConfig(name.toUpperCase()));

      // then
      expect(second).toMatchObject({ ok: false, reason: 'name-taken', canaryConfigId: first });
      expect(second.ok ? '' : second.message).toContain(first);
    });

    it('finds a config by name, case-insensitively, and frees the old name on a rename', async () => {
      // given
      const id = fresh('cfg');
      const before = fresh('before');
      const after = fresh('after');
      await store.save(id, sampleCanaryConfig(before));

      // when
      const foundBefore = await store.findByName(before.toUpperCase());
      await store.save(id, sampleCanaryConfig(after));
      const other = await store.save(fresh('cfg'), sampleCanaryConfig(before));

      // then
      expect(foundBefore?.id).toBe(id);
      expect(await store.findByName(after)).toMatchObject({ id, name: after });
      expect(other.ok).toBe(true);
      expect((await store.findByName(before))?.id).not.toBe(id);
    });

    it('answers undefined for an id or a name nobody saved', async () => {
      expect(await store.get(fresh('missing'))).toBeUndefined();
      expect(await store.findByName(fresh('missing'))).toBeUndefined();
    });

    it('lists every config by name with id, name, applications and update time', async () => {
      // given
      const prefix = fresh('list');
      await store.save(`${prefix}-b`, sampleCanaryConfig(`${prefix}-zeta`, { applications: ['one', 'two'] }));
      await store.save(`${prefix}-a`, sampleCanaryConfig(`${prefix}-alpha`));

      // when
      const listed = (await store.list()).filter((summary) => summary.id.startsWith(prefix));

      // then
      expect(listed).toEqual([
        { id: `${prefix}-a`, name: `${prefix}-alpha`, applications: ['hello'], updatedTimestamp: clock.now() },
        { id: `${prefix}-b`, name: `${prefix}-zeta`, applications: ['one', 'two'], updatedTimestamp: clock.now() },
      ]);
    });

    it('rejects a config over the record budget with its size and the limit, and writes nothing', async () => {
      // given
      const id = fresh('cfg');
      const big = sampleCanaryConfig(fresh('big'), { description: 'x'.repeat(STORE_LIMITS.maxRecordBytes) });

      // when
      const saved = await store.save(id, big);

      // then
      expect(saved).toMatchObject({ ok: false, reason: 'too-large', limit: STORE_LIMITS.maxRecordBytes });
      expect(saved.ok ? '' : saved.message).toMatch(/canary config 'big-.*' is .* over the limit of/);
      expect(await store.get(id)).toBeUndefined();
    });

    it('rejects a config without a name, or an id with characters keys cannot hold', async () => {
      await expect(store.save(fresh('cfg'), { metrics: [] })).rejects.toThrow(/needs a non-empty 'name'/);
      await expect(store.save('bad id/with slash', sampleCanaryConfig(fresh('name')))).rejects.toThrow(/canary config id 'bad id\/with slash' must be/);
    });
  });
}
