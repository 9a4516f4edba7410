/**
 * cloneServerGroup: its save-time checks and compiled tasks, then its runtime on the memory
 * target through the stage driver — how the source is resolved (targetCluster + target, an
 * explicit source, the stage's own cluster), the new server group's name and capacity, the
 * strategy's steps after the clone, and a twice-delivered step making one server group.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryClock, createMemoryTarget, type MemoryTarget } from '../../../adapters/targets/memory/memory-target.ts';
import { unknownAccountIssues } from '../../../core/accounts/pipeline-accounts.ts';
import { unknownRegionIssues } from '../../../core/deploy/save-checks.ts';
import { createAccountRegistry } from '../../../core/accounts/registry.ts';
import { powerUsesOf } from '../../../core/authz/powers.ts';
import { parsePipeline } from '../../../core/pipeline/parse.ts';
import type { Account } from '../../../core/ports/accounts.ts';
import { planStage, type Stage } from '../../../core/pipeline/stage-types/index.ts';
import type { CloneServerGroupStage } from '../../../core/pipeline/stage-types/clone-server-group.ts';
import { cloneCapacity, runCloneServerGroupTask, targetClusterOf } from '../../../core/stages/clone-server-group.ts';
import type { DeployTaskDeps } from '../../../core/stages/deploy-scope.ts';
import type { CreateServerGroupRequest } from '../../../core/ports/server-groups.ts';
import type { TaskDeps, TaskInput } from '../../../core/stages/task-result.ts';
import type { StartChildRequest } from '../../../core/ports/child-pipelines.ts';
import type { Execution } from '../../../core/ports/execution-store.ts';
import { driveStage, type DriveOptions } from '../../support/stage-driver.ts';

/** Deck's clone stage as a real GCE pipeline saves it. */
const DECK_STAGE = {
  application: 'compute',
  cloudProvider: 'gce',
  credentials: 'gce',
  disableTraffic: false,
  freeFormDetails: '',
  moniker: { app: 'compute', cluster: 'compute' },
  name: 'Clone Server Group',
  region: 'us-central1',
  stack: '',
  target: 'current_asg_dynamic',
  targetCluster: 'compute',
  type: 'cloneServerGroup',
  useSourceCapacity: true,
};

function parse(stage: Record<string, unknown>) {
  return parsePipeline({ application: 'compute', name: 'p', stages: [{ refId: '1', ...stage }] });
}

function errors(stage: Record<string, unknown>): string[] {
  return parse(stage).issues.filter((issue) => issue.severity === 'error').map((issue) => `${issue.pointer}: ${issue.message}`);
}

function tasks(stage: Record<string, unknown>): string[] {
  const parsed = parse(stage);
  if (!parsed.pipeline) throw new Error(JSON.stringify(parsed.issues));
  return planStage(parsed.pipeline.stages[0] as Stage).map((step) => `${step.name}:${step.kind}`);
}

describe('cloneServerGroup at save', () => {
  it("accepts Deck's stage unchanged and compiles Orca's clone tasks", () => {
    expect(errors(DECK_STAGE)).toEqual([]);
    expect(tasks(DECK_STAGE)).toEqual(['cloneServerGroup:run', 'waitForUpInstances:poll']);
  });

  it("compiles the strategy's steps after the clone, as deploy does", () => {
    expect(tasks({ ...DECK_STAGE, strategy: 'redblack', maxRemainingAsgs: 3, scaleDown: true })).toEqual([
      'cloneServerGroup:run',
      'waitForUpInstances:poll',
      'shrinkCluster:poll',
      'disableCluster:poll',
      'scaleDownCluster:poll',
    ]);
    expect(tasks({ ...DECK_STAGE, strategy: 'highlander' })).toEqual(['cloneServerGroup:run', 'waitForUpInstances:poll', 'shrinkCluster:poll']);
  });

  it.each([
    [{ credentials: undefined }, '/stages/0/credentials: \'credentials\' is required; add the account to clone in, e.g. "local"'],
    [{ region: undefined }, '/stages/0/region: \'region\' is required; add the region to clone in, e.g. "us-east-1" (or availabilityZones, or source.region)'],
    [{ target: undefined }, "/stages/0/target: 'target' is required with targetCluster; add current_asg_dynamic (newest), ancestor_asg_dynamic (previous) or oldest_asg_dynamic (oldest)"],
    [
      { strategy: 'canary' },
      "/stages/0/strategy: strategy 'canary' is not supported by cloneServerGroup; use redblack, rollingredblack, highlander, custom or none, or a deploy stage for a canary",
    ],
    [{ capacity: { min: 3, max: 1, desired: 2 } }, '/stages/0/capacity'],
  ])('refuses %j naming the field, the value and the fix', (change, message) => {
    const found = errors({ ...DECK_STAGE, ...change });
    expect(found.length).toBe(1);
    expect(found[0]).toContain(message);
  });

  it('warns that disableTraffic with a strategy that disables the others leaves nothing serving', () => {
    const issues = parse({ ...DECK_STAGE, disableTraffic: true, strategy: 'redblack' }).issues;
    expect(issues.map((issue) => `${issue.severity} ${issue.pointer}`)).toEqual(['warning /stages/0/disableTraffic']);
    expect(parse({ ...DECK_STAGE, disableTraffic: true }).issues).toEqual([]);
  });

  it('refuses unknown accounts in credentials and source.account, and counts a local artifact as a dangerous power', () => {
    const account = (name: string): Account => ({ name, cloudProvider: 'gce', accountType: name, environment: name, regions: ['us-central1'] });
    const pipeline = { application: 'compute', name: 'p', stages: [{ refId: '1', ...DECK_STAGE, source: { account: 'gce-old', serverGroupName: 'compute-v001' } }] };
    expect(unknownAccountIssues(pipeline, createAccountRegistry([account('gce'), account('gce-old')]))).toEqual([]);
    expect(unknownAccountIssues(pipeline, createAccountRegistry([account('gce-prod')])).map((issue) => issue.pointer)).toEqual(['/stages/0/credentials', '/stages/0/source/account']);
    const elsewhere = { ...pipeline, stages: [{ ...pipeline.stages[0], region: 'us-central2' }] };
    expect(unknownRegionIssues(elsewhere, createAccountRegistry([account('gce')])).map((issue) => `${issue.pointer}: ${issue.message}`)).toEqual([
      "/stages/0/region: region 'us-central2' is not a region of account 'gce' (its regions: us-central1); did you mean 'us-central1'?; deploy to one of them or add the region to the account",
    ]);
    expect(powerUsesOf('cloneServerGroup', { artifact: { type: 'directory', reference: 'svc' } }, '/stages/1')).toEqual([
      { pointer: '/stages/1/artifact/reference', what: 'deploy a directory artifact from this machine', path: 'svc' },
    ]);
  });
});

describe('the clone of a source', () => {
  it.each([
    [{ application: 'compute', stack: '', freeFormDetails: '' }, 'compute-prod-v003', 'compute-prod'],
    [{ application: 'compute', stack: 'staging' }, 'compute-prod-v003', 'compute-staging'],
    [{ application: 'other', freeFormDetails: 'canary' }, 'compute-prod-blue-v003', 'other-prod-canary'],
    [{}, 'compute--blue-v001', 'compute--blue'],
  ])('joins the target cluster named by %j, blanks taken from %s', (config, source, expected) => {
    expect(targetClusterOf(config, source)).toEqual({ ok: true, value: expected });
  });

  it.each([
    [{ useSourceCapacity: true, capacity: { min: 1, max: 1, desired: 1 } }, { min: 2, max: 5, desired: 3 }],
    [{ useSourceCapacity: false, capacity: {}, source: { useSourceCapacity: true } }, { min: 2, max: 5, desired: 3 }],
    [{ useSourceCapacity: false, capacity: {} }, { min: 2, max: 5, desired: 3 }],
    [{ useSourceCapacity: false, capacity: { desired: 4 } }, { min: 4, max: 4, desired: 4 }],
  ])('takes its capacity from %j', (config, expected) => {
    expect(cloneCapacity(config, { min: 2, max: 5, desired: 3 })).toEqual({ ok: true, value: expected });
  });
});

const region = 'us-test-1';
const five = { min: 2, max: 5, desired: 3 };

function rig(options: Parameters<typeof createMemoryTarget>[0] = {}) {
  const clock = createMemoryClock();
  const target = createMemoryTarget({ clock, bootMs: 3_000, drainMs: 2_000, cloudProvider: 'gce', ...options });
  const deps: DeployTaskDeps = { targets: ({ account }) => (account === 'gce' ? target : undefined), applications: { getApplication: async () => undefined }, accounts: () => ['gce'] };
  // Child pipelines (the custom strategy's) start and have succeeded by the first look.
  const children: StartChildRequest[] = [];
  const taskDeps: TaskDeps = {
    http: {} as TaskDeps['http'],
    children: {
      start: async (request) => {
        children.push(request);
        return { ok: true, executionId: `child-${children.length}` };
      },
    },
    store: { getExecution: async (id) => ({ id, name: 'strategy', status: 'SUCCEEDED' }) as unknown as Execution },
    random: () => 0.5,
  };
  const run = (input: TaskInput) => runCloneServerGroupTask(input as TaskInput<CloneServerGroupStage>, deps, taskDeps, 100);
  const drive = (stage: Record<string, unknown>, options: DriveOptions = {}) => driveStage({ ...stage }, run, clock, options);
  return { clock, target, drive, children };
}

/** Server groups made before the test, oldest first, a minute apart. */
function seed(target: MemoryTarget, cluster: string, names: readonly string[]) {
  names.forEach((name, index) => {
    const createdTime = target.control.now() - (names.length - index) * 60_000;
    target.control.seedServerGroup({ account: 'gce', location: region, cluster, name, capacity: five, createdTime, artifact: { type: 'gce/image', reference: `image-${index}` } });
  });
}

const { type: _type, name: _name, ...deckFields } = DECK_STAGE;
const deck = { type: 'cloneServerGroup', ...deckFields, region };

function creates(target: MemoryTarget): CreateServerGroupRequest[] {
  return target.control.effects('create').map((call) => call.args[0] as CreateServerGroupRequest);
}

async function groups(target: MemoryTarget, cluster: string) {
  const described = await target.serverGroups.describeCluster({ account: 'gce', location: region, cluster });
  if (!described.ok) throw new Error(described.message);
  return described.cluster.serverGroups;
}

async function names(target: MemoryTarget, cluster: string): Promise<string[]> {
  return (await groups(target, cluster)).map((group) => `${group.name} ${group.disabled ? 'disabled' : 'enabled'} ${group.capacity.desired}`);
}

describe('cloneServerGroup when it runs', () => {
  it("clones the newest server group of targetCluster with Deck's stage: the next name, the source's capacity, the source in the request and the context", async () => {
    // given
    const { target, drive } = rig();
    seed(target, 'compute', ['compute-v000', 'compute-v001']);
    // when
    const result = await drive(deck);
    // then
    expect(result.status).toBe('SUCCEEDED');
    expect(creates(target).map(({ name, cluster, capacity, source, artifact }) => ({ name, cluster, capacity, source, artifact }))).toEqual([
      { name: 'compute-v002', cluster: 'compute', capacity: five, source: { account: 'gce', location: region, serverGroup: 'compute-v001' }, artifact: undefined },
    ]);
    expect(result.record.context.source).toEqual({ account: 'gce', region, asgName: 'compute-v001', serverGroupName: 'compute-v001', useSourceCapacity: true });
    expect(result.record.context['deploy.server.groups']).toEqual({ [region]: ['compute-v002'] });
    expect(result.record.outputs['deploy.account.name']).toBe('gce');
    // the clone runs its source's artifact
    expect((await groups(target, 'compute')).find((group) => group.name === 'compute-v002')?.artifact).toEqual({ type: 'gce/image', reference: 'image-1' });
  });

  it('clones the previous one with ancestor_asg_dynamic, into the stack the stage names, with its own capacity', async () => {
    const { target, drive } = rig();
    seed(target, 'compute', ['compute-v000', 'compute-v001']);
    const result = await drive({ ...deck, target: 'ancestor_asg_dynamic', stack: 'canary', useSourceCapacity: false, capacity: { min: 1, max: 1, desired: 1 }, machineType: 'n1-highcpu-4' });
    expect(result.status).toBe('SUCCEEDED');
    const [request] = creates(target);
    expect(request).toMatchObject({ name: 'compute-canary-v000', cluster: 'compute-canary', capacity: { min: 1, max: 1, desired: 1 }, source: { serverGroup: 'compute-v000' } });
    expect(request!.provider.machineType).toBe('n1-highcpu-4');
  });

  it('clones the server group source.serverGroupName names, in its region, and the cluster of its own name parts when the stage names none', async () => {
    const { target, drive } = rig();
    seed(target, 'compute-prod', ['compute-prod-v007']);
    const { application: _a, stack: _s, freeFormDetails: _f, targetCluster: _t, target: _g, moniker: _m, ...rest } = deck;
    const result = await drive({ ...rest, region: undefined, source: { account: 'gce', region, serverGroupName: 'compute-prod-v007' } });
    expect(result.status).toBe('SUCCEEDED');
    expect(creates(target).map((request) => `${request.name} in ${request.location} from ${request.source?.serverGroup}`)).toEqual([`compute-prod-v008 in ${region} from compute-prod-v007`]);
  });

  it("runs red/black after the clone: the source is disabled once the clone is healthy", async () => {
    const { target, drive } = rig();
    seed(target, 'compute', ['compute-v000']);
    const result = await drive({ ...deck, strategy: 'redblack' });
    expect(result.status).toBe('SUCCEEDED');
    expect(await names(target, 'compute')).toEqual(['compute-v000 disabled 3', 'compute-v001 enabled 3']);
  });

  it('runs rolling red/black after the clone: created at 0, grown to the source\'s capacity while the source is disabled in step', async () => {
    const { target, drive } = rig();
    seed(target, 'compute', ['compute-v000']);
    const result = await drive({ ...deck, strategy: 'rollingredblack', targetPercentages: [50, 100] });
    expect(result.status).toBe('SUCCEEDED');
    expect(creates(target).map((request) => [request.name, request.capacity.desired, request.source?.serverGroup])).toEqual([['compute-v001', 0, 'compute-v000']]);
    expect(target.control.effects('resize').map((call) => (call.args[1] as { desired: number }).desired)).toContain(2);
    expect(await names(target, 'compute')).toEqual(['compute-v000 disabled 3', 'compute-v001 enabled 3']);
  });

  it('runs the custom strategy\'s pipeline with clone true and the resolved source, creating nothing itself', async () => {
    const { target, drive, children } = rig();
    seed(target, 'compute', ['compute-v000']);
    const result = await drive({ ...deck, strategy: 'custom', strategyApplication: 'compute', strategyPipeline: 'strategy-1' });
    expect(result.status).toBe('SUCCEEDED');
    expect(children).toHaveLength(1);
    expect(children[0]).toMatchObject({ application: 'compute', pipeline: 'strategy-1' });
    expect(children[0]!.parameters).toMatchObject({ clone: true, strategy: true, cluster: 'compute', credentials: 'gce', region, source: { account: 'gce', region, serverGroupName: 'compute-v000' } });
    expect(creates(target)).toEqual([]);
    expect(result.record.context.source).toMatchObject({ serverGroupName: 'compute-v000' });
  });

  it('creates the clone out of traffic with disableTraffic, the source left serving', async () => {
    const { target, drive } = rig();
    seed(target, 'compute', ['compute-v000']);
    const result = await drive({ ...deck, disableTraffic: true });
    expect(result.status).toBe('SUCCEEDED');
    expect(creates(target).map((request) => [request.name, request.disabled])).toEqual([['compute-v001', true]]);
    expect(await names(target, 'compute')).toEqual(['compute-v000 enabled 3', 'compute-v001 disabled 3']);
  });

  it('makes one server group when every call is delivered twice at once', async () => {
    const { target, drive } = rig();
    seed(target, 'compute', ['compute-v000']);
    const result = await drive({ ...deck, strategy: 'redblack' }, { twice: true });
    expect(result.status).toBe('SUCCEEDED');
    expect(creates(target).map((request) => request.name)).toEqual(['compute-v001']);
    expect(await names(target, 'compute')).toEqual(['compute-v000 disabled 3', 'compute-v001 enabled 3']);
  });

  it('fails in one line naming the cluster, account and region when there is no server group to clone', async () => {
    const { target, drive } = rig();
    const result = await drive(deck);
    expect(result).toMatchObject({
      status: 'TERMINAL',
      message: `stage 'Stage': no server group to clone in cluster 'compute' of account 'gce' in ${region}: it has no server group; deploy one first, or name the source with source.serverGroupName`,
    });
    expect(creates(target)).toEqual([]);
  });

  it('fails naming a source.serverGroupName that does not exist', async () => {
    const { target, drive } = rig();
    seed(target, 'compute', ['compute-v000']);
    const result = await drive({ ...deck, source: { serverGroupName: 'compute-v009' } });
    expect(result.message).toBe(
      `stage 'Stage': no server group to clone in cluster 'compute' of account 'gce' in ${region}: compute-v009 does not exist (found compute-v000); check source.serverGroupName`,
    );
    expect(creates(target)).toEqual([]);
  });

  it('fails on a target that cannot clone, before anything changes', async () => {
    const { target, drive } = rig({ clone: false });
    seed(target, 'compute', ['compute-v000']);
    const result = await drive(deck);
    expect(result.message).toBe("stage 'Stage': cloneServerGroup is not supported on gce accounts yet; use a deploy stage with the server group's settings for account 'gce'");
    expect(creates(target)).toEqual([]);
  });
});
