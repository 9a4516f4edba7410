// The Step Functions engine against the stateful Step Functions fake: what it publishes (the
// compiled JSON, only the ARN substituted), versions and the live alias, deterministic and
// idempotent starts, stops, callbacks, and throttling that never fails a save.
import { describe, expect, it } from 'vitest';
import { parsePipeline } from '../../../../core/pipeline/parse.ts';
import type { PublishRequest } from '../../../../core/ports/state-machine-engine.ts';
import { createControlPlaneQueue, backoffDelay, retryThrottled } from '../../../../adapters/stepfunctions/control-plane.ts';
import { stateMachineName } from '../../../../adapters/stepfunctions/names.ts';
import { createStepFunctionsEngine, type StepFunctionsEngineOptions } from '../../../../adapters/stepfunctions/step-functions-engine.ts';
import { compilePipeline, DEFAULT_STAGE_RUNNER_ARN } from '../../../../statemachines/index.ts';
import { validateAsl } from '../../../support/asl.ts';
import { SfnFake } from '../../../support/sfn-fake.ts';

const RUNNER = 'arn:aws:lambda:us-east-1:123456789012:function:gennaker-stage-runner';
const ROLE = 'arn:aws:iam::123456789012:role/gennaker-machines';
const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:gennaker-p1';

function publishRequest(version: number, waitTime = 1, judge = false): PublishRequest {
  const stages: unknown[] = [{ refId: '1', type: 'wait', name: 'Wait', waitTime }];
  if (judge) stages.push({ refId: '2', requisiteStageRefIds: ['1'], type: 'manualJudgment', name: 'Judge' });
  const parsed = parsePipeline({ application: 'app', name: 'deploy', id: 'p1', stages });
  return { pipelineConfigId: 'p1', application: 'app', name: 'deploy', version, definition: compilePipeline(parsed.pipeline!).json };
}

/** A stage runner stand-in: every stage succeeds; judgments wait for their token. */
function scriptedRunner(tokens: string[] = []) {
  return async (event: unknown) => {
    const request = event as { task: string; taskToken?: string };
    if (request.taskToken) {
      tokens.push(request.taskToken);
      return {};
    }
    return { status: 'SUCCEEDED' };
  };
}

function setup(overrides: Partial<StepFunctionsEngineOptions> = {}, tokens: string[] = []) {
  const fake = new SfnFake({ functions: { [RUNNER]: scriptedRunner(tokens) } });
  const delays: number[] = [];
  const deferred: string[] = [];
  const requests = new Map<string, PublishRequest>();
  const engine = createStepFunctionsEngine({
    client: fake.client,
    stateMachineRoleArn: ROLE,
    region: 'us-east-1',
    substitutions: { StageRunnerFunctionArn: RUNNER },
    pipelineOf: async (executionId) => (executionId.startsWith('E') ? 'p1' : undefined),
    loadPublishRequest: async (id, version) => requests.get(`${id}@${version}`),
    sleep: async (ms) => void delays.push(ms),
    random: () => 0.5,
    onDeferred: (request, reason) => deferred.push(`v${request.version}: ${reason}`),
    ...overrides,
  });
  const remember = (request: PublishRequest) => requests.set(`${request.pipelineConfigId}@${request.version}`, request);
  return { fake, engine, delays, deferred, remember };
}

describe('createStepFunctionsEngine', () => {
  it('publishes exactly the compiled JSON with only the stage runner ARN substituted, as a version behind the live alias', async () => {
    // given
    const { fake, engine } = setup();
    const request = publishRequest(1);

    // when
    const published = await engine.publish(request);

    // then
    const machine = fake.stateMachine(MACHINE)!;
    expect(published).toEqual({ pipelineConfigId: 'p1', version: 1, ref: `${MACHINE}:live` });
    expect(machine.definition.split(RUNNER).join(DEFAULT_STAGE_RUNNER_ARN)).toBe(request.definition);
    expect(machine.definition).not.toContain('${');
    expect(validateAsl(JSON.parse(machine.definition))).toEqual([]);
    expect(machine.versions.map((version) => version.description)).toEqual(['v1 of app/deploy']);
    expect(machine.aliases.get('live')).toMatchObject({ description: 'v1 of app/deploy', routing: [{ stateMachineVersionArn: `${MACHINE}:1` }] });
    expect(fake.calls.map((call) => call.command)).toEqual(['DescribeStateMachineAlias', 'UpdateStateMachine', 'CreateStateMachine', 'CreateStateMachineAlias']);
  });

  it('publishes one version per changed definition and moves the alias forward only', async () => {
    // given
    const { fake, engine } = setup();
    await engine.publish(publishRequest(1));

    // when
    await engine.publish(publishRequest(2, 5, true));
    await engine.publish(publishRequest(1));
    await engine.publish(publishRequest(2, 5, true));

    // then
    const machine = fake.stateMachine(MACHINE)!;
    expect(machine.versions.map((version) => version.description)).toEqual(['v1 of app/deploy', 'v2 of app/deploy']);
    expect(machine.aliases.get('live')).toMatchObject({ description: 'v2 of app/deploy', routing: [{ stateMachineVersionArn: `${MACHINE}:2` }] });
    // A version whose definition did not change (only DynamoDB-side fields did) reuses the Step Functions version.
    await engine.publish(publishRequest(3, 7, true));
    expect(machine.versions).toHaveLength(2);
    expect(machine.aliases.get('live')).toMatchObject({ description: 'v3 of app/deploy', routing: [{ stateMachineVersionArn: `${MACHINE}:2` }] });
  });

  it('starts executions on the alias, named by the execution id, and treats a duplicate start as done', async () => {
    // given
    const { fake, engine } = setup();
    await engine.publish(publishRequest(1));

    // when
    await engine.startExecution({ executionId: 'E1', pipelineConfigId: 'p1', version: 1 });
    await fake.settled();
    await engine.startExecution({ executionId: 'E1', pipelineConfigId: 'p1', version: 1 });

    // then
    const starts = fake.calls.filter((call) => call.command === 'StartExecution').map((call) => call.input);
    expect(starts).toEqual([
      { stateMachineArn: `${MACHINE}:live`, name: 'E1', input: '{"executionId":"E1"}' },
      { stateMachineArn: `${MACHINE}:live`, name: 'E1', input: '{"executionId":"E1"}' },
    ]);
    expect(fake.execution('E1')?.status).toBe('SUCCEEDED');
  });

  it('runs a restart of an older version on the published version with that definition', async () => {
    // given
    const { fake, engine, remember } = setup();
    const v1 = publishRequest(1);
    remember(v1);
    await engine.publish(v1);
    await engine.publish(publishRequest(2, 9, true));

    // when
    await engine.startExecution({ executionId: 'E2', pipelineConfigId: 'p1', version: 1 });
    await fake.settled();

    // then
    expect(fake.execution('E2')).toMatchObject({ startedOn: `${MACHINE}:1`, status: 'SUCCEEDED' });
  });

  it('rejects an execution id Step Functions cannot use as a name', async () => {
    const { engine } = setup();
    await engine.publish(publishRequest(1));
    await expect(engine.startExecution({ executionId: 'has space', pipelineConfigId: 'p1', version: 1 })).rejects.toThrow(/execution id 'has space' cannot name/);
  });

  it('stops a running execution, and treats stopping an unknown or ended one as done', async () => {
    // given
    const tokens: string[] = [];
    const { fake, engine } = setup({}, tokens);
    await engine.publish(publishRequest(1, 1, true));
    await engine.startExecution({ executionId: 'E3', pipelineConfigId: 'p1', version: 1 });
    await waitFor(() => tokens.length === 1);

    // when
    await engine.stopExecution('E3', { cause: 'canceled by alice' });
    await fake.settled();
    await engine.stopExecution('E3', { cause: 'again' });
    await engine.stopExecution('E404', { cause: 'never started' });
    await engine.stopExecution('X-unknown-pipeline', { cause: 'no record' });

    // then
    expect(fake.execution('E3')).toMatchObject({ status: 'ABORTED', cause: 'canceled by alice' });
  });

  it('resumes a judgment with SendTaskSuccess, and fails it with SendTaskFailure', async () => {
    // given
    const tokens: string[] = [];
    const { fake, engine } = setup({}, tokens);
    await engine.publish(publishRequest(1, 1, true));
    await engine.startExecution({ executionId: 'E5', pipelineConfigId: 'p1', version: 1 });
    await engine.startExecution({ executionId: 'E6', pipelineConfigId: 'p1', version: 1 });
    await waitFor(() => tokens.length === 2);

    // when
    const [first, second] = [fake.pendingTokens('E5')[0]!, fake.pendingTokens('E6')[0]!];
    await engine.sendTaskSuccess(first, { status: 'SUCCEEDED' });
    await engine.sendTaskFailure(second, 'Gennaker.PipelineHalted', 'stopped by bob');
    await fake.settled();

    // then
    expect(fake.calls.find((call) => call.command === 'SendTaskSuccess')?.input).toEqual({ taskToken: first, output: '{"status":"SUCCEEDED"}' });
    expect(fake.execution('E5')?.status).toBe('SUCCEEDED');
    expect(fake.execution('E6')?.status).toBe('SUCCEEDED'); // the Catch routes the failure to the fault task, which the stand-in answers SUCCEEDED
    await expect(engine.sendTaskSuccess(first, { status: 'SUCCEEDED' })).rejects.toMatchObject({ name: 'TaskDoesNotExist' });
  });

  it('retries a throttled publish with backoff and jitter until it goes through', async () => {
    // given
    const { fake, engine, delays } = setup();
    fake.throttle('UpdateStateMachine', 2);
    fake.throttle('CreateStateMachineAlias', 1);

    // when
    await engine.publish(publishRequest(1));

    // then
    expect(fake.stateMachine(MACHINE)?.aliases.get('live')?.description).toBe('v1 of app/deploy');
    expect(delays).toEqual([125, 250, 125]); // half (random 0.5) of 250, 500, then 250 again
  });

  it('does not fail the save when throttling outlasts every retry, and publishes at the first start instead', async () => {
    // given
    const { fake, engine, deferred, remember } = setup({ retry: { maxAttempts: 2 } });
    const request = publishRequest(1);
    remember(request);
    fake.throttle('UpdateStateMachine', 2);

    // when
    const published = await engine.publish(request);
    await engine.startExecution({ executionId: 'E7', pipelineConfigId: 'p1', version: 1 });
    await fake.settled();

    // then
    expect(published.ref).toBe(`${MACHINE}:live`);
    expect(deferred).toEqual(['v1: the Step Functions control plane stayed throttled through every retry']);
    expect(fake.execution('E7')?.status).toBe('SUCCEEDED');
  });

  it('defers a publish at once when the bounded queue is full, without failing it', async () => {
    // given: the first publish is stuck in a throttling backoff
    let release!: () => void;
    const stuck = new Promise<void>((resolve) => (release = resolve));
    const { fake, engine, deferred } = setup({ queueLimit: 1, sleep: () => stuck });
    fake.throttle('DescribeStateMachineAlias', 1);
    const first = engine.publish(publishRequest(1));

    // when
    const second = await engine.publish(publishRequest(2, 3));

    // then
    expect(second.version).toBe(2);
    expect(deferred).toEqual(['v2: 1 publishes are already queued in this function']);
    expect(engine.pendingPublishes()).toBe(1);
    release();
    await first;
    await engine.idle();
    expect(fake.stateMachine(MACHINE)?.aliases.get('live')?.description).toBe('v1 of app/deploy');
  });

  it('fails clearly when a definition uses a substitution it has no value for', async () => {
    const { engine } = setup({ substitutions: {} });
    await expect(engine.publish(publishRequest(1))).rejects.toThrow(/uses \$\{StageRunnerFunctionArn\}, which the engine has no value for/);
  });
});

describe('control plane helpers', () => {
  it.each([
    [1, 1, 250],
    [2, 0.5, 250],
    [3, 0.999, 999],
    [10, 0.5, 4000],
  ])('backs off attempt %i with random %f to %i ms (full jitter, capped)', (attempt, random, expected) => {
    expect(backoffDelay(attempt, () => random)).toBe(expected);
  });

  it('rethrows an error that is not throttling at once', async () => {
    let calls = 0;
    const failing = retryThrottled(async () => {
      calls++;
      throw Object.assign(new Error('bad'), { name: 'InvalidDefinition' });
    }, { sleep: async () => undefined, random: () => 0 });
    await expect(failing).rejects.toMatchObject({ name: 'InvalidDefinition' });
    expect(calls).toBe(1);
  });

  it('runs queued jobs one at a time, in order', async () => {
    const queue = createControlPlaneQueue({ limit: 3 });
    const order: string[] = [];
    let running = 0;
    const job = (name: string) => async () => {
      running++;
      expect(running).toBe(1);
      await new Promise((resolve) => setImmediate(resolve));
      order.push(name);
      running--;
    };
    const accepted = ['a', 'b', 'c'].map((name) => queue.enqueue(job(name)));
    expect(queue.enqueue(job('d'))).toEqual({ accepted: false, pending: 3 });
    await queue.idle();
    expect(accepted.every((entry) => entry.accepted)).toBe(true);
    expect(order).toEqual(['a', 'b', 'c']);
  });

  it('names state machines deterministically within 80 characters', () => {
    expect(stateMachineName('gennaker', '01HXYZ')).toBe('gennaker-01HXYZ');
    const long = stateMachineName('gennaker', `my pipeline/${'x'.repeat(100)}`);
    expect(long).toHaveLength(80);
    expect(long).toMatch(/^gennaker-my-pipeline-x+-[0-9A-Z]{12}$/);
    expect(stateMachineName('gennaker', `my pipeline/${'x'.repeat(100)}`)).toBe(long);
    expect(stateMachineName('gennaker', `my pipeline/${'x'.repeat(101)}`)).not.toBe(long);
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!condition()) throw new Error('condition never held');
}
