/**
 * The in-memory reference target (adapters/targets/memory/memory-target.ts): both port contracts
 * in three router shapes (N-way weights like the local load balancer or an ALB; two weighted
 * server groups and whole disables like a Lambda alias; no weights like a Kubernetes Service),
 * then its side door — boot scripts, broken releases, timed drains, fault injection, the call
 * log — exactly, with the clock moved by hand.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryClock, createMemoryTarget, parseMemoryProvider, type MemoryTarget, type MemoryTargetOptions } from '../../../adapters/targets/memory/memory-target.ts';
import type { ArtifactReference, ClusterRef, CreateServerGroupRequest, ServerGroupDescription } from '../../../core/ports/server-groups.ts';
import { serverGroupPortContract } from '../../contract/server-group-port.contract.ts';
import type { TargetPortsFixture } from '../../contract/target-ports.fixture.ts';
import { trafficPortContract } from '../../contract/traffic-port.contract.ts';

/** How far `eventually` moves the clock per try, and how far at most (simulated time). */
const STEP_MS = 100;
const LIMIT_MS = 10 * 60_000;

function memoryFixture(options: MemoryTargetOptions, artifact?: ArtifactReference): () => Promise<TargetPortsFixture> {
  return async () => {
    const target = createMemoryTarget(options);
    return {
      target,
      account: 'test',
      location: 'us-test-1',
      ...(artifact ? { artifact } : {}),
      provider: { memory: { bootMs: 1_500 }, instanceType: 'ignored by the memory target' },
      invalidProvider: { provider: { memory: { bootMs: 'soon' } }, field: 'memory.bootMs' },
      cloneOverride: { provider: { instanceType: 'm5.large' }, shown: (group) => group.launchConfig?.instanceType, expected: 'm5.large' },
      async eventually(check) {
        for (let waited = 0; ; waited += STEP_MS) {
          try {
            return await check();
          } catch (error) {
            if (waited >= LIMIT_MS) throw error;
            target.control.advance(STEP_MS);
          }
        }
      },
      // Drains here last `drainMs` of the clock: there is no request to hold.
      occupy: async () => ({ finish: async () => {} }),
      throttleNext: (n, operation) => target.control.throttleNext(n, operation),
      dispose: async () => {},
    };
  };
}

const directory: ArtifactReference = { type: 'directory', reference: '/srv/app', name: 'app', version: '1.0.0' };

for (const [name, options, artifact] of [
  ['memory, N-way weights', { drainMs: 3_000, weightPropagationMs: 500 }, directory],
  ['memory, alias-like (two weights, whole disables, no drain, no resize, no artifact)', { maxWeightedServerGroups: 2, partialDisable: false, drains: false, resize: false, artifactTypes: [] }, undefined],
  ['memory, selector-like (no weights)', { weights: false, terminateMs: 0 }, directory],
] as const) {
  serverGroupPortContract(name, memoryFixture(options, artifact), { throttles: true, clones: true });
  trafficPortContract(name, memoryFixture(options, artifact), { throttles: true });
}

// ---------------------------------------------------------------------------------------------

const cluster: ClusterRef = { account: 'test', location: 'us-test-1', cluster: 'app' };
const ref = (serverGroup: string) => ({ account: cluster.account, location: cluster.location, serverGroup });

function request(sequence: number, overrides: Partial<CreateServerGroupRequest> = {}): CreateServerGroupRequest {
  return {
    ...cluster,
    name: `app-v00${sequence}`,
    owner: `e1/deploy/create-${sequence}`,
    capacity: { min: 1, max: 1, desired: 1 },
    provider: {},
    ...overrides,
  };
}

function group(memory: MemoryTarget, name: string): ServerGroupDescription | undefined {
  return memory.control.peek(cluster).serverGroups.find((candidate) => candidate.name === name);
}

const healths = (memory: MemoryTarget, name: string) => group(memory, name)?.instances.map((instance) => instance.health);

describe('the memory target: time', () => {
  it('boots instances in exactly bootMs of the injected clock, never on the wall clock', async () => {
    // given
    const clock = createMemoryClock(1_000_000);
    const memory = createMemoryTarget({ clock, bootMs: 1_000 });
    // when
    await memory.serverGroups.create(request(1, { capacity: { min: 2, max: 2, desired: 2 } }));
    // then
    expect(group(memory, 'app-v001')).toMatchObject({ createdTime: 1_000_000 });
    clock.advance(999);
    expect(healths(memory, 'app-v001')).toEqual(['Starting', 'Starting']);
    memory.control.tick(1);
    expect(healths(memory, 'app-v001')).toEqual(['Up', 'Up']);
    expect(memory.control.now()).toBe(1_001_000);
  });

  it('boots each instance in its own time when bootMs lists one per instance (the last repeats)', async () => {
    const memory = createMemoryTarget();
    await memory.serverGroups.create(request(1, { capacity: { min: 3, max: 4, desired: 3 }, provider: { memory: { bootMs: [100, 300] } } }));
    memory.control.advance(100);
    expect(healths(memory, 'app-v001')).toEqual(['Up', 'Starting', 'Starting']);
    memory.control.advance(200);
    expect(healths(memory, 'app-v001')).toEqual(['Up', 'Up', 'Up']);
    // an instance launched by a resize takes the next boot time, counted from its launch
    await memory.serverGroups.resize(ref('app-v001'), { min: 3, max: 4, desired: 4 }, { owner: 'e1/resize' });
    memory.control.advance(299);
    expect(healths(memory, 'app-v001')).toEqual(['Up', 'Up', 'Up', 'Starting']);
    memory.control.advance(1);
    expect(healths(memory, 'app-v001')).toEqual(['Up', 'Up', 'Up', 'Up']);
  });

  it('plays a broken release: scripted Down, or Starting forever, and single instances flipped by hand', async () => {
    // given one release scripted by the side door before it exists, one by its provider fields
    const memory = createMemoryTarget({ bootMs: 500 });
    memory.control.script('app-v001', { becomes: 'Down' });
    await memory.serverGroups.create(request(1));
    await memory.serverGroups.create(request(2, { capacity: { min: 2, max: 2, desired: 2 }, provider: { memory: { becomes: 'Starting' } } }));
    // then
    expect(healths(memory, 'app-v001')).toEqual(['Starting']);
    memory.control.advance(500);
    expect(healths(memory, 'app-v001')).toEqual(['Down']);
    memory.control.advance(3_600_000);
    expect(healths(memory, 'app-v002')).toEqual(['Starting', 'Starting']);
    // when one instance is flipped by hand, and a script changes later
    memory.control.setInstanceHealth(ref('app-v002'), 'app-v002-i2', 'Up');
    expect(healths(memory, 'app-v002')).toEqual(['Starting', 'Up']);
    memory.control.script('app-v002', { becomes: 'Up' });
    memory.control.setInstanceHealth(ref('app-v002'), 'app-v002-i2', 'Down');
    expect(healths(memory, 'app-v002')).toEqual(['Up', 'Down']);
    memory.control.setInstanceHealth(ref('app-v002'), 'app-v002-i2', undefined);
    expect(healths(memory, 'app-v002')).toEqual(['Up', 'Up']);
    expect(() => memory.control.setInstanceHealth(ref('app-v002'), 'nope', 'Up')).toThrow('no instance nope');
  });

  it('drains a disable for drainMs (or the server group\'s own), and an enable ends the drain', async () => {
    // given two Up server groups, v002 scripted to drain longer
    const memory = createMemoryTarget({ bootMs: 0, drainMs: 2_000 });
    memory.control.script('app-v002', { drainMs: 5_000 });
    await memory.serverGroups.create(request(1));
    await memory.serverGroups.create(request(2));
    // when both are disabled
    await memory.traffic.disable(ref('app-v001'), { owner: 'e1/disable-1' });
    await memory.traffic.disable(ref('app-v002'), { owner: 'e1/disable-2' });
    // then each drains for its own time
    expect(group(memory, 'app-v001')).toMatchObject({ disabled: true, draining: true, trafficWeight: 0 });
    memory.control.advance(1_999);
    expect(group(memory, 'app-v001')!.draining).toBe(true);
    memory.control.advance(1);
    expect(group(memory, 'app-v001')!.draining).toBeUndefined();
    expect(group(memory, 'app-v002')!.draining).toBe(true);
    // when v002 is enabled while draining
    expect(await memory.traffic.enable(ref('app-v002'), { owner: 'e1/enable-2' })).toEqual({ ok: true, outcome: 'done' });
    expect(group(memory, 'app-v002')).toMatchObject({ disabled: false, trafficWeight: 100 });
    expect(group(memory, 'app-v002')!.draining).toBeUndefined();
  });

  it('does not drain a server group that served nothing', async () => {
    const memory = createMemoryTarget({ bootMs: 1_000 });
    await memory.serverGroups.create(request(1));
    await memory.traffic.disable(ref('app-v001'), { owner: 'e1/disable' });
    expect(group(memory, 'app-v001')).toMatchObject({ disabled: true });
    expect(group(memory, 'app-v001')!.draining).toBeUndefined();
  });

  it('scales in by draining the leaving instances (not Up first, then the newest), then terminating them', async () => {
    // given three instances, the second scripted Down
    const memory = createMemoryTarget({ bootMs: 0, drainMs: 1_000, terminateMs: 500 });
    await memory.serverGroups.create(request(1, { capacity: { min: 0, max: 3, desired: 3 } }));
    memory.control.setInstanceHealth(ref('app-v001'), 'app-v001-i2', 'Down');
    // when resized to one
    expect(await memory.serverGroups.resize(ref('app-v001'), { min: 0, max: 3, desired: 1 }, { owner: 'e1/shrink' })).toEqual({ ok: true, outcome: 'done' });
    // then i2 (Down) terminates at once, i3 (newest Up) drains first; i1 stays
    const leaving = group(memory, 'app-v001')!;
    expect(leaving.capacity.desired).toBe(1);
    expect(leaving.instances.map((instance) => [instance.id, instance.draining ?? false])).toEqual([
      ['app-v001-i1', false],
      ['app-v001-i2', false],
      ['app-v001-i3', true],
    ]);
    memory.control.advance(500);
    expect(group(memory, 'app-v001')!.instances.map((instance) => instance.id)).toEqual(['app-v001-i1', 'app-v001-i3']);
    memory.control.advance(500);
    expect(group(memory, 'app-v001')!.instances.map((instance) => [instance.id, instance.health])).toEqual([
      ['app-v001-i1', 'Up'],
      ['app-v001-i3', 'Down'],
    ]);
    memory.control.advance(500);
    expect(group(memory, 'app-v001')!.instances.map((instance) => instance.id)).toEqual(['app-v001-i1']);
  });

  it('destroys in drainMs + terminateMs, shown disabled and draining meanwhile', async () => {
    const memory = createMemoryTarget({ bootMs: 0, drainMs: 1_000, terminateMs: 500 });
    await memory.serverGroups.create(request(1));
    await memory.serverGroups.destroy(ref('app-v001'), { owner: 'e1/destroy' });
    expect(group(memory, 'app-v001')).toMatchObject({ disabled: true, draining: true });
    // a destroy under way refuses other changes as not-found
    expect(await memory.traffic.enable(ref('app-v001'), { owner: 'e1/enable' })).toMatchObject({ ok: false, reason: 'not-found', message: expect.stringContaining('being destroyed') });
    memory.control.advance(1_499);
    expect(group(memory, 'app-v001')).toBeDefined();
    memory.control.advance(1);
    expect(group(memory, 'app-v001')).toBeUndefined();
  });

  it('lets the router take new weights after weightPropagationMs; verifyWeights and traffic follow what it holds', async () => {
    const memory = createMemoryTarget({ bootMs: 0, weightPropagationMs: 1_000 });
    await memory.serverGroups.create(request(1));
    await memory.serverGroups.create(request(2));
    await memory.traffic.setWeights(cluster, { 'app-v001': 80, 'app-v002': 20 }, { owner: 'e1/weights' });
    expect(await memory.traffic.verifyWeights(cluster, { 'app-v001': 80, 'app-v002': 20 })).toEqual({ ok: true, matches: false, actual: {} });
    expect(group(memory, 'app-v001')!.trafficWeight).toBe(50);
    memory.control.advance(1_000);
    expect(await memory.traffic.verifyWeights(cluster, { 'app-v001': 80, 'app-v002': 20 })).toEqual({ ok: true, matches: true, actual: { 'app-v001': 80, 'app-v002': 20 } });
    expect(group(memory, 'app-v001')!.trafficWeight).toBe(80);
    // a zero weight routes as a missing one
    expect(await memory.traffic.verifyWeights(cluster, { 'app-v001': 80, 'app-v002': 20, 'app-v003': 0 })).toMatchObject({ matches: true });
  });

  it('follows a shared clock moved by its owner', async () => {
    const clock = createMemoryClock();
    const memory = createMemoryTarget({ clock, bootMs: 10 });
    await memory.serverGroups.create(request(1));
    clock.advance(10);
    expect(healths(memory, 'app-v001')).toEqual(['Up']);
    expect(() => clock.advance(-1)).toThrow('forward');
  });
});

describe('the memory target: idempotency and faults', () => {
  it('makes one server group out of ten concurrent creates by the same owner', async () => {
    const memory = createMemoryTarget();
    const results = await Promise.all(Array.from({ length: 10 }, () => memory.serverGroups.create(request(1, { capacity: { min: 2, max: 2, desired: 2 } }))));
    expect(results.filter((result) => result.ok && result.outcome === 'done')).toHaveLength(1);
    expect(results.filter((result) => result.ok && result.outcome === 'already-done')).toHaveLength(9);
    expect(memory.control.peek(cluster).serverGroups.map((candidate) => [candidate.name, candidate.instances.length])).toEqual([['app-v001', 2]]);
    expect(memory.control.effects('create')).toHaveLength(1);
  });

  it('refuses to adopt a server group made elsewhere (no owner): already-exists', async () => {
    // given v001 made by hand
    const memory = createMemoryTarget();
    memory.control.seedServerGroup({ ...cluster, name: 'app-v001', capacity: { min: 2, max: 2, desired: 2 }, createdTime: 5 });
    expect(group(memory, 'app-v001')).toMatchObject({ createdTime: 5, disabled: false, trafficWeight: 100 });
    expect(healths(memory, 'app-v001')).toEqual(['Up', 'Up']);
    expect(group(memory, 'app-v001')!.owner).toBeUndefined();
    // when a step asks for the same name
    const created = await memory.serverGroups.create(request(1));
    // then
    expect(created).toMatchObject({ ok: false, reason: 'already-exists', message: expect.stringContaining('made elsewhere (no owner)') });
    // and seeding is not a port call
    expect(memory.control.calls().map((call) => call.operation)).toEqual(['create']);
  });

  it('answers already-done to a destroy by the owner that destroyed it, and not-found to anyone else', async () => {
    const memory = createMemoryTarget({ bootMs: 0, drainMs: 0, terminateMs: 0 });
    await memory.serverGroups.create(request(1));
    expect(await memory.serverGroups.destroy(ref('app-v001'), { owner: 'e1/destroy' })).toEqual({ ok: true, outcome: 'done' });
    expect(group(memory, 'app-v001')).toBeUndefined();
    expect(await memory.serverGroups.destroy(ref('app-v001'), { owner: 'e1/destroy' })).toEqual({ ok: true, outcome: 'already-done' });
    expect(await memory.serverGroups.destroy(ref('app-v001'), { owner: 'e2/destroy' })).toMatchObject({ ok: false, reason: 'not-found' });
  });

  it('throttles the next n calls of one operation, or of any, and uses faults up in order', async () => {
    const memory = createMemoryTarget();
    memory.control.throttleNext(2, 'create');
    memory.control.failNext(1, { reason: 'failed', message: 'the cloud said no' });
    expect(memory.control.pendingFaults()).toBe(3);
    // describe is not a create: the any-operation failure takes it
    expect(await memory.serverGroups.describeCluster(cluster)).toEqual({ ok: false, reason: 'failed', message: 'the cloud said no' });
    expect(await memory.serverGroups.create(request(1))).toMatchObject({ ok: false, reason: 'unavailable' });
    expect(await memory.serverGroups.create(request(1))).toMatchObject({ ok: false, reason: 'unavailable' });
    expect(memory.control.peek(cluster).serverGroups).toEqual([]);
    expect(await memory.serverGroups.create(request(1))).toEqual({ ok: true, outcome: 'done' });
    expect(memory.control.pendingFaults()).toBe(0);
    expect(memory.control.calls().map((call) => [call.operation, call.outcome, call.injected ?? false])).toEqual([
      ['describeCluster', 'failed', true],
      ['create', 'unavailable', true],
      ['create', 'unavailable', true],
      ['create', 'done', false],
    ]);
  });

  it('loses the answer of a call that took effect (dropNextResponse): the retry finds it already done', async () => {
    const memory = createMemoryTarget();
    memory.control.dropNextResponse(1, 'create');
    expect(await memory.serverGroups.create(request(1))).toMatchObject({ ok: false, reason: 'unavailable' });
    expect(group(memory, 'app-v001')).toBeDefined();
    expect(await memory.serverGroups.create(request(1))).toEqual({ ok: true, outcome: 'already-done' });
    expect(memory.control.effects('create')).toHaveLength(1);
    expect(memory.control.calls({ operation: 'create' }).map((call) => [call.outcome, call.injected ?? false])).toEqual([
      ['done', true],
      ['already-done', false],
    ]);
  });

  it('logs every port call with its arguments, owner, outcome and time, so a twice-delivered deploy shows one create and one switch', async () => {
    // given a red/black deploy whose every step is delivered twice, concurrently
    const memory = createMemoryTarget({ bootMs: 1_000, drainMs: 0 });
    memory.control.seedServerGroup({ ...cluster, name: 'app-v000', capacity: { min: 1, max: 1, desired: 1 } });
    const twice = async <T>(step: () => Promise<T>) => Promise.all([step(), step()]);
    // when
    await twice(() => memory.serverGroups.create(request(1, { owner: 'e1/deploy/create' })));
    memory.control.advance(1_000);
    await twice(() => memory.traffic.disable(ref('app-v000'), { owner: 'e1/deploy/disable-old' }));
    // then
    expect(memory.control.effects().map((call) => [call.operation, call.owner])).toEqual([
      ['create', 'e1/deploy/create'],
      ['disable', 'e1/deploy/disable-old'],
    ]);
    expect(memory.control.calls()).toHaveLength(4);
    const [first] = memory.control.calls({ operation: 'disable' });
    expect(first).toEqual({ seq: 3, at: Date.UTC(2026, 0, 1) + 1_000, operation: 'disable', args: [ref('app-v000'), { owner: 'e1/deploy/disable-old' }], owner: 'e1/deploy/disable-old', outcome: 'done' });
    expect(memory.control.calls({ owner: 'e1/deploy/create', outcome: 'already-done' })).toHaveLength(1);
    memory.control.clearCalls();
    expect(memory.control.calls()).toEqual([]);
  });

  it('is deterministic: the same calls on the same clock describe the same world', async () => {
    async function play(): Promise<unknown> {
      const memory = createMemoryTarget({ bootMs: 700, drainMs: 300 });
      await memory.serverGroups.create(request(1, { capacity: { min: 3, max: 3, desired: 3 } }));
      memory.control.advance(700);
      await memory.serverGroups.create(request(2, { capacity: { min: 2, max: 2, desired: 2 } }));
      await memory.traffic.disable(ref('app-v001'), { owner: 'e1/half', desiredPercentage: 50 });
      await memory.serverGroups.resize(ref('app-v001'), { min: 1, max: 3, desired: 1 }, { owner: 'e1/shrink' });
      memory.control.advance(250);
      return { world: memory.control.peek(cluster), calls: memory.control.calls() };
    }
    expect(JSON.stringify(await play())).toBe(JSON.stringify(await play()));
  });
});

describe('the memory target: configuration', () => {
  it('states its capabilities as configured', () => {
    const memory = createMemoryTarget({ cloudProvider: 'lambda', weights: true, maxWeightedServerGroups: 2, partialDisable: false, drains: false, resize: false, artifactTypes: [], clone: false });
    expect(memory.cloudProvider).toBe('lambda');
    expect(memory.serverGroups.capabilities).toEqual({ resize: false, artifactTypes: [], clone: false });
    expect(memory.traffic.capabilities).toEqual({ weights: true, maxWeightedServerGroups: 2, partialDisable: false, drains: false });
    expect(createMemoryTarget({ weights: false }).traffic.capabilities.maxWeightedServerGroups).toBe(0);
  });

  it('rejects options it cannot honour, naming the option', () => {
    expect(() => createMemoryTarget({ bootMs: -1 })).toThrow('bootMs is -1');
    expect(() => createMemoryTarget({ drainMs: Number.NaN })).toThrow('drainMs is NaN');
    const memory = createMemoryTarget();
    expect(() => memory.control.throttleNext(1.5)).toThrow('fault count 1.5');
    expect(() => memory.control.throttleNext(1, 'reboot' as never)).toThrow("operation 'reboot'");
  });

  it.each([
    [{ memory: 'fast' }, 'provider field memory is "fast"'],
    [{ memory: { bootMs: -5 } }, 'provider field memory.bootMs is -5'],
    [{ memory: { bootMs: [] } }, 'provider field memory.bootMs is []'],
    [{ memory: { becomes: 'Sideways' } }, 'provider field memory.becomes is "Sideways"; set one of Up, Down, Starting'],
    [{ memory: { drainMs: '2s' } }, 'provider field memory.drainMs is "2s"'],
  ])('refuses provider fields %j, naming the field and the value', (provider, message) => {
    const parsed = parseMemoryProvider(provider);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toContain(message);
  });

  it('reads its own provider fields and ignores other providers\'', () => {
    expect(parseMemoryProvider({ memory: { bootMs: [1, 2], becomes: 'Down', drainMs: 0 }, instanceType: 'm5.large' })).toEqual({ ok: true, script: { bootMs: [1, 2], becomes: 'Down', drainMs: 0 } });
    expect(parseMemoryProvider(undefined)).toEqual({ ok: true, script: {} });
  });
});
