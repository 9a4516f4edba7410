/**
 * The local target on the new ports (adapters/targets/local/local-ports.ts), with real processes
 * behind the real load balancer: both port contracts, then what only this target shows — owners
 * and destroys remembered across a restart, a drain that times out with a request still
 * streaming, provider fields reaching the processes, and system faults answered as results.
 */
import { mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLocalTargetPorts, localFault, parseLocalProvider, type LocalTargetPorts } from '../../adapters/targets/local/local-ports.ts';
import type { LocalDeployTarget } from '../../adapters/targets/local/local-deploy-target.ts';
import type { ClusterRef, CreateServerGroupRequest } from '../../core/ports/server-groups.ts';
import { serverGroupPortContract } from '../contract/server-group-port.contract.ts';
import type { InFlightWork, TargetPortsFixture } from '../contract/target-ports.fixture.ts';
import { trafficPortContract } from '../contract/traffic-port.contract.ts';
import { sampleServiceArtifact, startTestLocalTarget, type TestLocalTarget } from '../support/local-target.ts';

/** How long a disable waits for requests in flight here: short, so the drain-timeout test is quick. */
const DRAIN_TIMEOUT_MS = 1_500;

/** A streaming request through the cluster's load balancer, in flight once its first chunk arrived. */
interface StreamingRequest extends InFlightWork {
  /** The response has ended (it never does by itself within a test: 1000 chunks 100 ms apart). */
  ended(): boolean;
}

async function stream(local: LocalDeployTarget, cluster: ClusterRef): Promise<StreamingRequest> {
  const url = local.loadBalancerUrl(cluster);
  if (!url) throw new Error(`cluster ${cluster.cluster} has no load balancer`);
  const target = new URL('/stream?chunks=1000&intervalMs=100', url);
  let request: ClientRequest | undefined;
  let ended = false;
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    request = httpRequest({ host: target.hostname, port: target.port, path: target.pathname + target.search, agent: false }, (answer) => {
      answer.once('data', () => resolve(answer));
      answer.on('end', () => {
        ended = true;
      });
      answer.on('error', () => undefined);
    });
    request.on('error', reject);
    request.end();
  });
  return {
    ended: () => ended,
    async finish() {
      const closed = new Promise<void>((resolve) => response.once('close', () => resolve()));
      request!.destroy();
      await closed;
    },
  };
}

function localFixture(): () => Promise<TargetPortsFixture> {
  return async () => {
    const local = await startTestLocalTarget({ drainTimeoutMs: DRAIN_TIMEOUT_MS });
    const ports = createLocalTargetPorts(local.target);
    return {
      target: ports,
      account: 'local',
      location: 'local',
      artifact: sampleServiceArtifact(),
      provider: { env: { VERSION: 'contract' } },
      invalidProvider: { provider: { healthCheck: { path: 'health' } }, field: 'healthCheck.path' },
      cloneOverride: {
        provider: { healthCheck: { intervalMs: 250 } },
        shown: (group) => (group.launchConfig?.healthCheck as { intervalMs?: number } | undefined)?.intervalMs,
        expected: 250,
      },
      eventually: (check) => vi.waitFor(check, { timeout: 15_000, interval: 50 }),
      occupy: (cluster) => stream(local.target, cluster),
      async dispose() {
        await ports.idle();
        expect(await local.dispose()).toEqual([]);
      },
    };
  };
}

serverGroupPortContract('local (real processes)', localFixture(), { clones: true });
trafficPortContract('local (real processes)', localFixture());

// ---------------------------------------------------------------------------------------------

describe('the local target on the ports', () => {
  let local: TestLocalTarget;
  let ports: LocalTargetPorts;

  beforeAll(async () => {
    local = await startTestLocalTarget({ drainTimeoutMs: DRAIN_TIMEOUT_MS });
    ports = createLocalTargetPorts(local.target);
  });

  afterAll(async () => {
    await ports.idle();
    expect(await local.dispose()).toEqual([]);
  });

  const cluster = (name: string): ClusterRef => ({ account: 'local', location: 'local', cluster: name });
  const ref = (serverGroup: string) => ({ account: 'local', location: 'local', serverGroup });
  const create = (name: string, overrides: Partial<CreateServerGroupRequest> = {}): CreateServerGroupRequest => ({
    ...cluster(name.replace(/-v\d+$/, '')),
    name,
    owner: `e1/deploy/${name}`,
    capacity: { min: 1, max: 1, desired: 1 },
    artifact: sampleServiceArtifact(),
    provider: {},
    ...overrides,
  });

  async function waitUp(clusterRef: ClusterRef, name: string, count = 1): Promise<void> {
    await vi.waitFor(
      async () => {
        const described = await ports.serverGroups.describeCluster(clusterRef);
        const group = described.ok ? described.cluster.serverGroups.find((candidate) => candidate.name === name) : undefined;
        if (!group || group.instances.length !== count || group.instances.some((instance) => instance.health !== 'Up')) throw new Error(`${name} is not Up yet`);
      },
      { timeout: 15_000, interval: 50 },
    );
  }

  it('passes provider fields (env, command, healthCheck) to the processes', async () => {
    // given
    const request = create('provided-v001', { provider: { env: { VERSION: 'from-provider', EXTRA: 3 }, healthCheck: { path: '/health', intervalMs: '100' } } });
    // when
    expect(await ports.serverGroups.create(request)).toEqual({ ok: true, outcome: 'done' });
    await waitUp(cluster('provided'), request.name);
    // then
    const answer = (await (await fetch(`${local.target.loadBalancerUrl(cluster('provided'))}/`)).json()) as { version: string };
    expect(answer.version).toBe('from-provider');
  });

  it('fails with invalid when the artifact is missing, naming it', async () => {
    const { artifact: _none, ...request } = create('noartifact-v001');
    const created = await ports.serverGroups.create(request);
    expect(created).toMatchObject({ ok: false, reason: 'invalid', message: expect.stringContaining('artifact is missing') });
  });

  it('refuses to take over a server group created without an owner: already-exists', async () => {
    // given v001 created through the old port, without an owner
    const old = await local.target.createServerGroup({ ...cluster('legacy'), name: 'legacy-v001', capacity: { min: 0, max: 0, desired: 0 }, artifact: sampleServiceArtifact() });
    expect(old.ok).toBe(true);
    // when
    const created = await ports.serverGroups.create(create('legacy-v001', { capacity: { min: 0, max: 0, desired: 0 } }));
    // then
    expect(created).toMatchObject({ ok: false, reason: 'already-exists', message: expect.stringContaining('made elsewhere (no owner)') });
  });

  it('ends the drain when the timeout passes while a request is still streaming; the server group stays disabled', async () => {
    // given one Up server group serving a long stream
    const request = create('slowdrain-v001');
    await ports.serverGroups.create(request);
    await waitUp(cluster('slowdrain'), request.name);
    const streaming = await stream(local.target, cluster('slowdrain'));
    try {
      // when
      expect(await ports.traffic.disable(ref(request.name), { owner: 'e1/disable' })).toEqual({ ok: true, outcome: 'done' });
      // then the disable returned while the group still drains, and the drain stops at the timeout
      expect(local.target.describeServerGroup(ref(request.name))).toMatchObject({ disabled: true, draining: true });
      await vi.waitFor(
        () => {
          if (local.target.describeServerGroup(ref(request.name))?.draining) throw new Error('still draining');
        },
        { timeout: 10_000, interval: 50 },
      );
      expect(streaming.ended()).toBe(false);
      expect(local.target.describeServerGroup(ref(request.name))).toMatchObject({ disabled: true });
    } finally {
      await streaming.finish();
    }
  });

  it('keeps owners and destroys in its model, so a restarted target answers a repeated create or destroy', async () => {
    // given a target of its own, with v001 created and v002 created then destroyed
    const own = await startTestLocalTarget();
    try {
      let owned = createLocalTargetPorts(own.target);
      const v1 = create('restart-v001');
      const v2 = create('restart-v002', { capacity: { min: 0, max: 0, desired: 0 } });
      expect(await owned.serverGroups.create(v1)).toEqual({ ok: true, outcome: 'done' });
      expect(await owned.serverGroups.create(v2)).toEqual({ ok: true, outcome: 'done' });
      expect(await owned.serverGroups.destroy(ref(v2.name), { owner: 'e1/destroy-v002' })).toEqual({ ok: true, outcome: 'done' });
      await owned.idle();
      const model = JSON.parse(readFileSync(join(own.stateDir, 'local-target.json'), 'utf8')) as { serverGroups: Array<{ name: string; owner?: string }>; destroyed: unknown[] };
      expect(model.serverGroups.map((group) => [group.name, group.owner])).toEqual([[v1.name, v1.owner]]);
      expect(model.destroyed).toEqual([{ account: 'local', location: 'local', serverGroup: v2.name, owner: 'e1/destroy-v002' }]);
      // when the target restarts on the same directory
      await own.target.close();
      owned = createLocalTargetPorts(await own.reopen());
      // then the repeated create and destroy find their work done, and a stranger's destroy finds nothing
      const described = await owned.serverGroups.describeCluster(cluster('restart'));
      expect(described.ok && described.cluster.serverGroups.map((group) => [group.name, group.owner])).toEqual([[v1.name, v1.owner]]);
      expect(await owned.serverGroups.create(v1)).toEqual({ ok: true, outcome: 'already-done' });
      expect(await owned.serverGroups.create({ ...v1, owner: 'e2/deploy' })).toMatchObject({ ok: false, reason: 'already-exists' });
      expect(await owned.serverGroups.destroy(ref(v2.name), { owner: 'e1/destroy-v002' })).toEqual({ ok: true, outcome: 'already-done' });
      expect(await owned.serverGroups.destroy(ref(v2.name), { owner: 'e2/destroy' })).toMatchObject({ ok: false, reason: 'not-found' });
    } finally {
      expect(await own.dispose()).toEqual([]);
    }
  });

  it('answers a system fault of the machine as a result, and works again once it is gone', async () => {
    // given a server group, and a directory where the model's temporary file goes: writes fail with EISDIR
    const request = create('fault-v001', { capacity: { min: 0, max: 0, desired: 0 } });
    await ports.serverGroups.create(request);
    const blocker = join(local.stateDir, 'local-target.json.tmp');
    mkdirSync(blocker);
    try {
      // when
      const disabled = await ports.traffic.disable(ref(request.name), { owner: 'e1/disable' });
      // then
      expect(disabled).toMatchObject({ ok: false, reason: 'failed', message: 'disabling fault-v001 failed (EISDIR)' });
    } finally {
      rmdirSync(blocker);
    }
    // when the fault is gone, the next change writes the model again
    expect(await ports.traffic.enable(ref(request.name), { owner: 'e1/enable' })).toEqual({ ok: true, outcome: 'done' });
    const model = JSON.parse(readFileSync(join(local.stateDir, 'local-target.json'), 'utf8')) as { serverGroups: Array<{ name: string; disabled: boolean }> };
    expect(model.serverGroups.find((group) => group.name === request.name)).toMatchObject({ disabled: false });
  });
});

describe('local faults as port results', () => {
  /** The error a real second bind of a taken port raises. */
  async function addressInUse(): Promise<unknown> {
    const first = createServer();
    await new Promise<void>((resolve) => first.listen(0, '127.0.0.1', resolve));
    const second = createServer();
    const error = await new Promise<unknown>((resolve) => {
      second.once('error', resolve);
      second.listen((first.address() as AddressInfo).port, '127.0.0.1');
    });
    await new Promise<void>((resolve) => first.close(() => resolve()));
    return error;
  }

  const systemError = (code: string) => Object.assign(new Error(`${code}: simulated`), { code });

  it.each(['EAGAIN', 'EBUSY', 'EMFILE', 'ENFILE', 'ETIMEDOUT', 'ECONNRESET', 'EINTR'])('answers %s as unavailable, worth retrying', (code) => {
    const fault = localFault(systemError(code), 'creating app-v001');
    expect(fault).toMatchObject({ ok: false, reason: 'unavailable', message: `creating app-v001 could not finish (${code}, a passing shortage of this machine); try again` });
    expect(fault.cause).toBeInstanceOf(Error);
  });

  it.each(['ENOSPC', 'EACCES', 'ENOENT'])('answers %s as failed', (code) => {
    expect(localFault(systemError(code), 'creating app-v001')).toMatchObject({ ok: false, reason: 'failed', message: `creating app-v001 failed (${code})` });
  });

  it('answers a real EADDRINUSE as failed', async () => {
    expect(localFault(await addressInUse(), 'starting the load balancer')).toMatchObject({ ok: false, reason: 'failed', message: 'starting the load balancer failed (EADDRINUSE)' });
  });

  it('throws an error without a system code: a bug is not a fault of the machine', () => {
    const bug = new TypeError('cannot read properties of undefined');
    expect(() => localFault(bug, 'creating app-v001')).toThrow(bug);
  });

  it.each([
    [{ env: 'x' }, 'provider field env is "x"'],
    [{ env: { A: { b: 1 } } }, 'provider field env.A is {"b":1}; environment variables are strings'],
    [{ command: [] }, 'provider field command is []'],
    [{ healthCheck: { path: 'health' } }, 'provider field healthCheck.path is "health"; set a path such as "/health"'],
    [{ healthCheck: { timeoutMs: -1 } }, 'provider field healthCheck.timeoutMs is -1; set a positive number'],
  ])('refuses provider fields %j, naming the field and the value', (provider, message) => {
    const parsed = parseLocalProvider(provider);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toContain(message);
  });
});
