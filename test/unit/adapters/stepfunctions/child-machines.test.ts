// Stages run as child state machines on AWS: the engine publishes each child as its own machine
// (version + live alias) before the parent, pins the parent to the child versions published with
// it, and the Step Functions fake runs `startExecution.sync:2` Tasks through the child and stops
// children with their parent.
import { describe, expect, it } from 'vitest';
import { childStateMachineName, stateMachineName } from '../../../../adapters/stepfunctions/names.ts';
import { createStepFunctionsEngine } from '../../../../adapters/stepfunctions/step-functions-engine.ts';
import type { PublishRequest } from '../../../../core/ports/state-machine-engine.ts';
import { compilePipeline, publishedDefinitions } from '../../../../statemachines/index.ts';
import { poll, run, testPipeline } from '../../../support/pipeline-builder.ts';
import { SfnFake, type StatusChangeEvent } from '../../../support/sfn-fake.ts';

const RUNNER = 'arn:aws:lambda:us-east-1:123456789012:function:gennaker-stage-runner';
const ROLE = 'arn:aws:iam::123456789012:role/gennaker-machines';
const MACHINES = 'arn:aws:states:us-east-1:123456789012:stateMachine:';
const PARENT = `${MACHINES}gennaker-p1`;
const CHILD = `${MACHINES}gennaker.p1.3`;

/** A deploy, a canary forced into a child (threshold 1 event), a promote. */
function publishRequest(version: number, warmup = false): PublishRequest {
  const { pipeline, planStage } = testPipeline(
    [
      { refId: '1', name: 'Deploy', type: 'deploy', steps: [run('createServerGroup')] },
      { refId: '3', name: 'Canary', type: 'kayentaCanary', requisiteStageRefIds: ['1'], steps: [...(warmup ? [poll('warmupWait', 3)] : []), poll('runCanaryIntervals', 3), run('aggregateCanaryResults')] },
      { refId: '4', name: 'Promote', requisiteStageRefIds: ['3'] },
    ],
    { name: 'deploy', application: 'app' },
  );
  const compiled = compilePipeline(pipeline, { planStage, childThresholdEvents: 1 });
  expect(compiled.issues).toEqual([]);
  return { pipelineConfigId: 'p1', application: 'app', name: 'deploy', version, ...publishedDefinitions(compiled) };
}

/** Every step succeeds at once, except the ones in `hold`, which wait until released. */
function setup(hold: Set<string> = new Set()) {
  const tasks: string[] = [];
  const holds: Array<() => void> = [];
  const fake = new SfnFake({
    functions: {
      [RUNNER]: async (event) => {
        const { stageRefId, task } = event as { stageRefId: string; task: string };
        tasks.push(`${stageRefId}:${task}`);
        if (hold.has(task)) await new Promise<void>((resolve) => holds.push(resolve));
        // A step with another step after it answers NEXT; a stage's last step SUCCEEDED.
        return { status: task === 'runCanaryIntervals' || task === 'warmupWait' ? 'NEXT' : 'SUCCEEDED' };
      },
    },
  });
  const requests = new Map<number, PublishRequest>();
  const engine = createStepFunctionsEngine({
    client: fake.client,
    stateMachineRoleArn: ROLE,
    region: 'us-east-1',
    substitutions: { StageRunnerFunctionArn: RUNNER },
    pipelineOf: async () => 'p1',
    loadPublishRequest: async (_id, version) => requests.get(version),
    sleep: async () => undefined,
  });
  const events: StatusChangeEvent[] = [];
  fake.onStatusChange((event) => void events.push(event));
  return { fake, engine, tasks, events, release: () => holds.splice(0).forEach((resolve) => resolve()), remember: (request: PublishRequest) => requests.set(request.version, request) };
}

describe('child state machines on Step Functions', () => {
  it('names a child outside the parent prefix, within 80 characters, deterministically', () => {
    expect(childStateMachineName('gennaker', 'p1', '3')).toBe('gennaker.p1.3');
    expect(stateMachineName('gennaker', 'p1')).toBe('gennaker-p1');
    const long = childStateMachineName('gennaker', 'x'.repeat(70), 'stage-abcdef12');
    expect(long.length).toBeLessThanOrEqual(80);
    expect(long).toMatch(/^gennaker\.x+-[0-9A-Za-z]{12}\.stage-abcdef12$/);
    expect(childStateMachineName('gennaker', 'x'.repeat(70), 'stage-abcdef12')).toBe(long);
    expect(childStateMachineName('gennaker', 'x'.repeat(71), 'stage-abcdef12')).not.toBe(long);
    expect(() => childStateMachineName('gennaker', 'p1', 'a:b')).toThrow("child key 'a:b' must be 1-24 letters, digits, '-' or '_'");
  });

  it('publishes the child before the parent, each with a version and the live alias, the parent naming the child version', async () => {
    // given
    const { fake, engine } = setup();
    const request = publishRequest(1);

    // when
    const published = await engine.publish(request);

    // then
    expect(published.ref).toBe(`${PARENT}:live`);
    const creates = fake.calls.filter((call) => call.command === 'CreateStateMachine').map((call) => (call.input as { name: string }).name);
    expect(creates).toEqual(['gennaker.p1.3', 'gennaker-p1']);
    const child = fake.stateMachine(CHILD)!;
    expect(child.definition).toBe(request.children![0]!.definition.replaceAll('${StageRunnerFunctionArn}', RUNNER));
    expect([...child.aliases.values()].map((alias) => [alias.description, alias.routing[0]!.stateMachineVersionArn])).toEqual([['v1 of app/deploy', `${CHILD}:1`]]);
    const parent = fake.stateMachine(PARENT)!;
    expect(parent.definition).toBe(request.definition.replaceAll('${StageRunnerFunctionArn}', RUNNER).replace('${ChildStateMachineArn_3}', `${CHILD}:1`));
    expect([...parent.aliases.values()].map((alias) => alias.routing[0]!.stateMachineVersionArn)).toEqual([`${PARENT}:1`]);
  });

  it('runs an execution through the child and ends the parent only when the child has ended', async () => {
    // given
    const { fake, engine, tasks, events } = setup();
    await engine.publish(publishRequest(1));

    // when
    await engine.startExecution({ executionId: 'E1', pipelineConfigId: 'p1', version: 1 });
    await fake.settled();

    // then
    expect(tasks).toEqual(['1:createServerGroup', '3:runCanaryIntervals', '3:aggregateCanaryResults', '4:evaluateVariables', 'undefined:$complete']);
    expect(events.map((event) => [event.detail.stateMachineArn, event.detail.name, event.detail.status])).toEqual([
      [CHILD, 'E1', 'SUCCEEDED'],
      [PARENT, 'E1', 'SUCCEEDED'],
    ]);
    const child = [...events].find((event) => event.detail.stateMachineArn === CHILD)!;
    expect(JSON.parse(child.detail.input)).toEqual({ executionId: 'E1', AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: 'arn:aws:states:us-east-1:123456789012:execution:gennaker-p1:E1' });
  });

  it('stops the running child when the parent is stopped', async () => {
    // given
    const { fake, engine, tasks, events, release } = setup(new Set(['runCanaryIntervals']));
    await engine.publish(publishRequest(1));
    await engine.startExecution({ executionId: 'E2', pipelineConfigId: 'p1', version: 1 });
    while (!tasks.includes('3:runCanaryIntervals')) await new Promise((resolve) => setTimeout(resolve, 5));

    // when
    await engine.stopExecution('E2', { cause: 'canceled by alice' });
    release();
    await fake.settled();

    // then
    expect(events.map((event) => [event.detail.stateMachineArn, event.detail.status]).sort()).toEqual([
      [PARENT, 'ABORTED'],
      [CHILD, 'ABORTED'],
    ]);
    expect(tasks).not.toContain('3:aggregateCanaryResults');
    expect(tasks).not.toContain('4:evaluateVariables');
  });

  it('runs a restart of an older version on the child version published with it', async () => {
    // given: v2 adds a warm-up to the canary, so the child gets a second version and the alias moves
    const { fake, engine, tasks, remember } = setup();
    const v1 = publishRequest(1);
    const v2 = publishRequest(2, true);
    remember(v1);
    remember(v2);
    await engine.publish(v1);
    await engine.publish(v2);

    // when
    await engine.startExecution({ executionId: 'E3', pipelineConfigId: 'p1', version: 1 });
    await fake.settled();

    // then
    expect(fake.stateMachine(CHILD)!.versions.map((version) => version.number)).toEqual([1, 2]);
    expect(fake.stateMachine(CHILD)!.aliases.get('live')!.routing[0]!.stateMachineVersionArn).toBe(`${CHILD}:2`);
    const parentRun = fake.execution('E3')!;
    expect(parentRun.versionArn).toBe(`${PARENT}:1`);
    expect(parentRun.status).toBe('SUCCEEDED');
    const childStart = fake.calls.filter((call) => call.command === 'StartExecution').length;
    expect(childStart).toBe(1);
    expect(parentRun.definition).toContain(`"StateMachineArn":"${CHILD}:1"`);
    expect(tasks).not.toContain('3:warmupWait');
  });

  it('rejects a publish whose parent names a child the request does not carry', async () => {
    // given
    const { engine } = setup();
    const { children: _dropped, ...request } = publishRequest(1);

    // then
    await expect(engine.publish(request)).rejects.toThrow('the definition uses ${ChildStateMachineArn_3}, which the engine has no value for');
  });

  it('retries a throttled child publish and stays idempotent when published again', async () => {
    // given
    const { fake, engine } = setup();
    fake.throttle('CreateStateMachine', 2);

    // when
    await engine.publish(publishRequest(1));
    await engine.publish(publishRequest(1));

    // then
    expect(fake.stateMachine(CHILD)!.versions).toHaveLength(1);
    expect(fake.stateMachine(PARENT)!.versions).toHaveLength(1);
  });
});
