/**
 * The step executor through the stages built on it, against the in-memory reference target: the
 * plan is saved before the first side effect, every step acts once whether its task is delivered
 * once, twice at the same time, retried after a throttle, or re-run after a lost write, failures
 * roll back, and each step keeps Orca's synthetic-stage view of itself.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryClock, createMemoryTarget, type MemoryTarget } from '../../../adapters/targets/memory/memory-target.ts';
import type { DeployStage } from '../../../core/pipeline/stage-types/deploy.ts';
import type { ClusterStage } from '../../../core/stages/cluster.ts';
import { runClusterTask } from '../../../core/stages/cluster.ts';
import { runDeployTask } from '../../../core/stages/deploy.ts';
import type { DeployTaskDeps } from '../../../core/stages/deploy-scope.ts';
import { runServerGroupTask, type ServerGroupStage } from '../../../core/stages/server-group.ts';
import { parseStepProgress } from '../../../core/deploy/step-progress.ts';
import { syntheticStagesOf } from '../../../core/execution/synthetic-stages.ts';
import { toOrcaExecution } from '../../../core/execution/orca-shape.ts';
import type { Execution } from '../../../core/ports/execution-store.ts';
import type { TaskDeps, TaskInput } from '../../../core/stages/task-result.ts';
import { driveStage, type DriveOptions } from '../../support/stage-driver.ts';

const ref = { account: 'mem', location: 'local', cluster: 'hello-prod' };
const three = { min: 3, max: 3, desired: 3 };

function rig(options: Parameters<typeof createMemoryTarget>[0] = {}) {
  const clock = createMemoryClock();
  const target = createMemoryTarget({ clock, bootMs: 3_000, drainMs: 2_000, ...options });
  const deps: DeployTaskDeps = { targets: ({ account }) => (account === 'mem' ? target : undefined), applications: { getApplication: async () => undefined }, accounts: () => ['mem'] };
  const taskDeps: TaskDeps = {
    http: {} as TaskDeps['http'],
    children: { start: async () => ({ ok: false, message: 'no child pipelines here' }) },
    store: { getExecution: async () => undefined },
    random: () => 0.5,
  };
  const deploy = (input: TaskInput) => runDeployTask(input as TaskInput<DeployStage>, deps, taskDeps, 100);
  const cluster = (input: TaskInput) => runClusterTask(input as TaskInput<ClusterStage>, deps, taskDeps, 100);
  const serverGroup = (input: TaskInput) => runServerGroupTask(input as TaskInput<ServerGroupStage>, deps, taskDeps, 100);
  return { clock, target, deploy, cluster, serverGroup };
}

/** A server group made before the test, `ageMinutes` ago: the older, the earlier it was created. */
function seedProduction(target: MemoryTarget, name = 'hello-prod-v000', ageMinutes = 10, disabled = false) {
  const createdTime = target.control.now() - ageMinutes * 60_000;
  target.control.seedServerGroup({ ...ref, name, capacity: three, createdTime, disabled, artifact: { type: 'directory', reference: '/srv/app', version: '1.0.0' } });
}

const redBlack = (overrides: Record<string, unknown> = {}) => ({
  type: 'deploy',
  clusters: [
    {
      account: 'mem',
      application: 'hello',
      stack: 'prod',
      availabilityZones: { local: [] },
      capacity: three,
      strategy: 'redblack',
      maxRemainingAsgs: 2,
      artifact: { type: 'directory', reference: '/srv/app', version: '1.1.0' },
      waitForHealthyTimeoutSec: 60,
      ...overrides,
    },
  ],
});

async function deployRedBlack(options: DriveOptions = {}, overrides: Record<string, unknown> = {}) {
  const r = rig();
  seedProduction(r.target);
  const result = await driveStage(redBlack(overrides), r.deploy, r.clock, options);
  return { ...r, result };
}

/** The cluster as names and states: `hello-prod-v001 enabled 3/3 Up`. */
function clusterView(target: MemoryTarget): string[] {
  return target.control.peek(ref).serverGroups.map((group) => `${group.name} ${group.disabled ? 'disabled' : 'enabled'} ${group.instances.filter((i) => i.health === 'Up').length}/${group.capacity.desired} Up`);
}

describe('a red/black deploy through the executor', () => {
  it('creates once, waits for health, then disables the old server group', async () => {
    // given / when
    const { target, result } = await deployRedBlack();
    // then
    expect(result.status).toBe('SUCCEEDED');
    expect(clusterView(target)).toEqual(['hello-prod-v000 disabled 3/3 Up', 'hello-prod-v001 enabled 3/3 Up']);
    expect(target.control.effects('create')).toHaveLength(1);
    expect(target.control.effects('disable')).toHaveLength(1);
    expect(result.record.outputs['deploy.server.groups']).toEqual({ local: ['hello-prod-v001'] });
  });

  it('saves its plan, with the name it chose, before the first side effect', async () => {
    // given
    const r = rig();
    seedProduction(r.target);
    const effectsWhenSaved: number[] = [];
    const watched = async (input: TaskInput) =>
      r.deploy({
        ...input,
        saveRuntime: async (key, value) => {
          effectsWhenSaved.push(r.target.control.effects().length);
          return input.saveRuntime(key, value);
        },
      });
    // when
    const result = await driveStage(redBlack(), watched, r.clock);
    // then
    expect(result.status).toBe('SUCCEEDED');
    expect(effectsWhenSaved[0]).toBe(0);
    const saved = parseStepProgress(result.record.runtime['deploy:cluster0']);
    if (!saved.ok || !saved.progress) throw new Error('no plan saved');
    expect(saved.progress.steps[0]).toMatchObject({ task: 'createServerGroup', step: { kind: 'createServerGroup', serverGroup: 'hello-prod-v001' }, status: 'SUCCEEDED' });
  });

  it('waits in-call on a target that tells of changes: fewer calls, and each step ends when the change happened', async () => {
    // given: the same deploy twice, once on a target that tells of changes (as the local target
    // does: here each awaitChange lets 500 ms of the target's time pass) and once without
    const withoutCalls = (await deployRedBlack()).result.calls;
    const r = rig();
    seedProduction(r.target);
    const asked: number[] = [];
    const telling = {
      ...r.target,
      serverGroups: {
        ...r.target.serverGroups,
        awaitChange: async (_ref: unknown, withinMs: number) => {
          asked.push(withinMs);
          const step = Math.min(500, withinMs);
          r.clock.advance(step);
          return step;
        },
      },
    };
    const deps: DeployTaskDeps = { targets: ({ account }) => (account === 'mem' ? telling : undefined), applications: { getApplication: async () => undefined }, accounts: () => ['mem'] };
    const taskDeps: TaskDeps = { http: {} as TaskDeps['http'], children: { start: async () => ({ ok: false, message: 'none' }) }, store: { getExecution: async () => undefined }, random: () => 0.5 };
    // when
    const answers: string[] = [];
    const result = await driveStage(
      redBlack(),
      async (input) => {
        const answer = await runDeployTask(input as TaskInput<DeployStage>, deps, taskDeps, 100);
        answers.push(answer.kind === 'running' ? `running ${answer.waitSeconds}` : answer.kind);
        return answer;
      },
      r.clock,
    );
    // then: the 3 s boot passed inside one call, never more than 5 s waited in one call
    expect(result.status).toBe('SUCCEEDED');
    // a call that waited hands what follows to a fresh call (running 0), which reads the time afresh
    expect(answers).toContain('running 0');
    expect(clusterView(r.target)).toEqual(['hello-prod-v000 disabled 3/3 Up', 'hello-prod-v001 enabled 3/3 Up']);
    expect(result.calls).toBeLessThan(withoutCalls);
    expect(Math.max(...asked)).toBeLessThanOrEqual(5_000);
    const saved = parseStepProgress(result.record.runtime['deploy:cluster0']);
    if (!saved.ok || !saved.progress) throw new Error('no plan saved');
    const health = saved.progress.steps.find((step) => step.step.kind === 'waitForHealthy')!;
    expect(health.endTime! - health.startTime!).toBe(3_000);
  });

  it('never spins on a target that answers awaitChange without waiting (one closing): the Wait state waits instead', async () => {
    // given
    const withoutCalls = (await deployRedBlack()).result.calls;
    const r = rig();
    seedProduction(r.target);
    let asked = 0;
    const closing = { ...r.target, serverGroups: { ...r.target.serverGroups, awaitChange: async () => ((asked += 1), 0) } };
    const deps: DeployTaskDeps = { targets: ({ account }) => (account === 'mem' ? closing : undefined), applications: { getApplication: async () => undefined }, accounts: () => ['mem'] };
    const taskDeps: TaskDeps = { http: {} as TaskDeps['http'], children: { start: async () => ({ ok: false, message: 'none' }) }, store: { getExecution: async () => undefined }, random: () => 0.5 };
    // when
    const result = await driveStage(redBlack(), (input) => runDeployTask(input as TaskInput<DeployStage>, deps, taskDeps, 100), r.clock);
    // then: the same calls as a target without awaitChange, each asking at most once
    expect(result.status).toBe('SUCCEEDED');
    expect(result.calls).toBe(withoutCalls);
    expect(asked).toBeLessThanOrEqual(result.calls);
  });

  it('acts once when every call is delivered twice at the same time', async () => {
    // given / when
    const { target, result } = await deployRedBlack({ twice: true });
    // then
    expect(result.status).toBe('SUCCEEDED');
    expect(clusterView(target)).toEqual(['hello-prod-v000 disabled 3/3 Up', 'hello-prod-v001 enabled 3/3 Up']);
    expect(target.control.effects('create')).toHaveLength(1);
    expect(target.control.effects('disable')).toHaveLength(1);
    expect(target.control.effects('enable')).toHaveLength(0);
  });

  it('acts once when a call dies after acting and before its write', async () => {
    // given: the create call's write is lost (the process died), so the step runs again
    const { target, result } = await deployRedBlack({ loseWritesOf: [1] });
    // then
    expect(result.status).toBe('SUCCEEDED');
    expect(target.control.effects('create')).toHaveLength(1);
    expect(target.control.calls({ operation: 'create', outcome: 'already-done' })).toHaveLength(1);
    expect(clusterView(target)).toEqual(['hello-prod-v000 disabled 3/3 Up', 'hello-prod-v001 enabled 3/3 Up']);
  });

  it('retries a throttled target through the retryable catalog error, and acts once', async () => {
    // given
    const r = rig();
    seedProduction(r.target);
    r.target.control.throttleNext(2, 'create');
    r.target.control.dropNextResponse(1, 'disable');
    // when
    const result = await driveStage(redBlack(), r.deploy, r.clock);
    // then
    expect(result.status).toBe('SUCCEEDED');
    expect(result.retried).toEqual(['Gennaker.TargetUnavailable', 'Gennaker.TargetUnavailable', 'Gennaker.TargetUnavailable']);
    expect(r.target.control.effects('create')).toHaveLength(1);
    expect(r.target.control.effects('disable')).toHaveLength(1);
  });

  it('rolls back a release that never turns healthy, and the old server group keeps serving', async () => {
    // given
    const r = rig();
    seedProduction(r.target);
    r.target.control.script('hello-prod-v001', { becomes: 'Down' });
    // when
    const result = await driveStage(redBlack({ rollback: { onFailure: true }, waitForHealthyTimeoutSec: 30 }), r.deploy, r.clock);
    // then
    expect(result.status).toBe('TERMINAL');
    expect(result.message).toMatch(/^stage 'Stage': hello-prod-v001 in local did not become healthy within 30 s \(0 of the 3 instances needed are Up; instances: Down, Down, Down\)/);
    expect(result.message).toMatch(/rolled back: disabled hello-prod-v001 in local$/);
    expect(clusterView(r.target)).toEqual(['hello-prod-v000 enabled 3/3 Up', 'hello-prod-v001 disabled 0/3 Up']);
  });

  it('keeps every step as a synthetic stage: status, times and the failure', async () => {
    // given
    const r = rig();
    seedProduction(r.target);
    r.target.control.script('hello-prod-v001', { becomes: 'Down' });
    // when
    const result = await driveStage(redBlack({ rollback: { onFailure: true }, waitForHealthyTimeoutSec: 30 }), r.deploy, r.clock);
    // then
    const saved = parseStepProgress(result.record.runtime['deploy:cluster0']);
    if (!saved.ok || !saved.progress) throw new Error('no plan saved');
    expect(saved.progress.steps.map((step) => `${step.task} ${step.step.kind} ${step.status}${step.rollback ? ' (rollback)' : ''}`)).toEqual([
      'createServerGroup createServerGroup SUCCEEDED',
      'waitForUpInstances waitForHealthy TERMINAL',
      'waitForUpInstances disableServerGroup SUCCEEDED (rollback)',
      'shrinkCluster shrinkCluster SKIPPED',
      'disableCluster disableCluster SKIPPED',
    ]);
    const failedStep = saved.progress.steps[1]!;
    expect(failedStep.startTime).toBeLessThan(failedStep.endTime!);
    expect(failedStep.failure).toMatch(/did not become healthy within 30 s/);
  });
});

describe("Orca's synthetic stages from the saved plan", () => {
  it('shows createServerGroup with its health wait as a task, then the cleanup stages with the server groups they acted on', async () => {
    // given: a red/black deploy over a disabled old server group and production
    const r = rig();
    seedProduction(r.target, 'hello-prod-v000', 20, true);
    seedProduction(r.target, 'hello-prod-v001', 10);
    const result = await driveStage(redBlack(), r.deploy, r.clock);
    // when
    const synthetic = syntheticStagesOf({ ...result.record, id: 'deploy-1' });
    // then
    expect(synthetic.map((stage) => `${stage.type} ${stage.status} ${stage.syntheticStageOwner}`)).toEqual([
      'createServerGroup SUCCEEDED STAGE_BEFORE',
      'shrinkCluster SUCCEEDED STAGE_AFTER',
      'disableCluster SUCCEEDED STAGE_AFTER',
    ]);
    expect(synthetic.every((stage) => stage.parentStageId === 'deploy-1' && stage.startTime !== undefined && stage.endTime !== undefined)).toBe(true);
    expect(synthetic[0]!.context).toMatchObject({ credentials: 'mem', region: 'local', serverGroupName: 'hello-prod-v002', tasks: [{ name: 'waitForUpInstances', status: 'SUCCEEDED' }] });
    expect(synthetic[1]!.context.tasks).toEqual([expect.objectContaining({ name: 'destroyServerGroup', serverGroupName: 'hello-prod-v000', status: 'SUCCEEDED' })]);
    expect(synthetic[2]!.context.tasks).toEqual([expect.objectContaining({ name: 'disableServerGroup', serverGroupName: 'hello-prod-v001', status: 'SUCCEEDED' })]);
  });

  it('puts them in the execution document right after their stage', async () => {
    const r = rig();
    seedProduction(r.target);
    const result = await driveStage(redBlack(), r.deploy, r.clock);
    const execution = { id: 'e1', application: 'hello', name: 'p', pipelineConfigId: 'p', status: 'SUCCEEDED', buildTime: 0, canceled: false, limitConcurrent: false, keepWaitingPipelines: false, maxConcurrentExecutions: 0, trigger: {}, parameters: {}, stages: [result.record] } as unknown as Execution;
    const document = toOrcaExecution(execution);
    expect(document.stages.map((stage) => `${stage.type}${stage.parentStageId ? ` <- ${stage.parentStageId}` : ''}`)).toEqual(['deploy', 'createServerGroup <- s1', 'shrinkCluster <- s1', 'disableCluster <- s1']);
  });
});

describe('cluster and server-group stages through the executor', () => {
  it('expands disableCluster when it starts, and shows the server groups it acted on', async () => {
    // given
    const r = rig();
    seedProduction(r.target, 'hello-prod-v000', 20);
    seedProduction(r.target, 'hello-prod-v001', 10);
    // when
    const result = await driveStage({ type: 'disableCluster', credentials: 'mem', cluster: 'hello-prod', regions: ['local'], remainingEnabledServerGroups: 1 }, r.cluster, r.clock, { twice: true });
    // then
    expect(result.status).toBe('SUCCEEDED');
    expect(clusterView(r.target)).toEqual(['hello-prod-v000 disabled 3/3 Up', 'hello-prod-v001 enabled 3/3 Up']);
    expect(r.target.control.effects('disable')).toHaveLength(1);
    expect(result.record.context['deploy.server.groups']).toEqual({ local: ['hello-prod-v000'] });
  });

  it('fails a rollback of a cluster that has no server groups, naming it', async () => {
    const r = rig();
    const result = await driveStage({ type: 'rollbackCluster', credentials: 'mem', cluster: 'hello-prod', regions: ['local'] }, r.cluster, r.clock);
    expect(result).toMatchObject({
      status: 'TERMINAL',
      message: "stage 'Stage': cluster 'hello-prod' has no server groups in account 'mem', region 'local': nothing to roll back; check the cluster name, account and regions",
    });
  });

  it('destroys a server group once: disable, drain, destroy, gone', async () => {
    // given
    const r = rig();
    seedProduction(r.target, 'hello-prod-v000', 20);
    seedProduction(r.target, 'hello-prod-v001', 10);
    // when
    const result = await driveStage({ type: 'destroyServerGroup', credentials: 'mem', cluster: 'hello-prod', regions: ['local'], target: 'ancestor_asg_dynamic' }, r.serverGroup, r.clock, { twice: true });
    // then
    expect(result.status).toBe('SUCCEEDED');
    expect(clusterView(r.target)).toEqual(['hello-prod-v001 enabled 3/3 Up']);
    expect(r.target.control.effects('disable')).toHaveLength(1);
    expect(r.target.control.effects('destroy')).toHaveLength(1);
  });

  it('does not count an enable done while its Up instances stay out of traffic, and says so when it gives up', async () => {
    // given: the old server group, disabled; its load balancer refuses its instances when enabled
    const r = rig();
    seedProduction(r.target, 'hello-prod-v000', 20, true);
    seedProduction(r.target, 'hello-prod-v001', 10);
    r.target.control.script('hello-prod-v000', { refusesTraffic: true });
    // when
    const result = await driveStage({ type: 'enableServerGroup', credentials: 'mem', cluster: 'hello-prod', regions: ['local'], target: 'ancestor_asg_dynamic' }, r.serverGroup, r.clock);
    // then: Up and enabled is not enough; the stage waits for traffic and fails naming why
    expect(result.status).toBe('TERMINAL');
    expect(result.message).toMatch(/hello-prod-v000 in local did not become healthy in traffic within \d+ s \(0 of the 3 instances needed are Up in traffic; instances: Up out of traffic, Up out of traffic, Up out of traffic\)/);
  });

  it('names the known accounts when a stage names another', async () => {
    const r = rig();
    const result = await driveStage({ type: 'disableCluster', credentials: 'prod', cluster: 'hello-prod', regions: ['local'] }, r.cluster, r.clock);
    expect(result.message).toBe("stage 'Stage': no deploy target serves account 'prod' (known accounts: mem); check credentials, or configure the account");
  });
});
