/**
 * The local engine (local/asl-engine.ts) runs compiled definitions unchanged on
 * aws-local-stepfunctions: Tasks bound by state name, callbacks answered by token, Wait
 * states that really wait (or not, in tests), abort, and Step Functions' outcomes. Waits and
 * timeouts run on simulated time, so a 1 s Wait is checked to the millisecond at no cost.
 */
import { describe, expect, it } from 'vitest';
import { createAslEngine, type AslInvokeRequest } from '../../../local/asl-engine.ts';
import { compilePipeline, type AslDefinition } from '../../../statemachines/index.ts';
import { validateAsl } from '../../support/asl.ts';
import { callback, poll, testPipeline } from '../../support/pipeline-builder.ts';
import { elapse, settle, useSimulatedTime, waitUntil } from '../../support/simulated-time.ts';

const RUNNER_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:gennaker-stage-runner';

/** A one-stage pipeline whose single step is `step`. */
function oneStage(step: ReturnType<typeof poll>): AslDefinition {
  const { pipeline, planStage } = testPipeline([{ refId: '1', name: 'Only', steps: [step] }]);
  const { definition } = compilePipeline(pipeline, { planStage });
  expect(validateAsl(definition)).toEqual([]);
  return definition;
}

interface Answer {
  readonly status: string;
  readonly waitSeconds?: number;
}

/** An invoke that answers stage tasks from a list and the completion from `final`. */
function scripted(answers: Answer[], final = 'SUCCEEDED') {
  const requests: AslInvokeRequest[] = [];
  const invoke = async (request: AslInvokeRequest) => {
    requests.push(request);
    const payload = request.payload as { task: string };
    if (payload.task === '$complete') return { status: final };
    return answers.shift() ?? { status: 'SUCCEEDED' };
  };
  return { requests, invoke };
}

describe('createAslEngine', () => {
  useSimulatedTime();

  it('binds every Task by name and passes the Parameters as the payload', async () => {
    const { requests, invoke } = scripted([{ status: 'SUCCEEDED' }]);
    const engine = createAslEngine({ invoke });

    const execution = engine.start(oneStage(poll('wait')), { executionId: 'e-1' });

    expect(await settle(execution.result)).toEqual({ status: 'SUCCEEDED', output: { executionId: 'e-1', result: { status: 'SUCCEEDED' } } });
    expect(execution.executionId).toBe('e-1');
    expect(requests.map((request) => [request.stateName, request.payload])).toEqual([
      ['Only [1]', { executionId: 'e-1', stageRefId: '1', task: 'wait' }],
      ['Complete execution', { executionId: 'e-1', task: '$complete' }],
    ]);
  });

  it('resolves definition substitutions like the stage runner ARN', async () => {
    const { requests, invoke } = scripted([]);
    const engine = createAslEngine({ invoke, substitutions: { StageRunnerFunctionArn: RUNNER_ARN } });

    await settle(engine.start(oneStage(poll('wait')), { executionId: 'e-1' }).result);

    expect(requests[0]!.resource).toBe(RUNNER_ARN);
  });

  it('ends in FAILED with the Fail state error when the final status is not SUCCEEDED', async () => {
    const { invoke } = scripted([{ status: 'TERMINAL' }], 'TERMINAL');
    const engine = createAslEngine({ invoke });

    const outcome = await settle(engine.start(oneStage(poll('wait')), { executionId: 'e-1' }).result);

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'Gennaker.ExecutionFailed' });
  });

  it('waits SecondsPath seconds in a poll loop', async () => {
    const { requests, invoke } = scripted([{ status: 'RUNNING', waitSeconds: 1 }, { status: 'SUCCEEDED' }]);
    const engine = createAslEngine({ invoke });

    const execution = engine.start(oneStage(poll('wait')), { executionId: 'e-1' });
    const polls = () => requests.filter((request) => request.stateName === 'Only [1]').length;
    await waitUntil(() => polls() === 1);

    // not a millisecond early
    await elapse(999);
    expect(polls()).toBe(1);
    await elapse(1);
    const outcome = await settle(execution.result, 0);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(polls()).toBe(2);
    expect(execution.events.some((event) => event.type === 'StateEntered' && event.stateName === 'Only [1] wait')).toBe(true);
  });

  it('skips real waiting when tests override Wait states', async () => {
    const { invoke } = scripted([{ status: 'RUNNING', waitSeconds: 3600 }, { status: 'SUCCEEDED' }]);
    const engine = createAslEngine({ invoke, waitOverrideMs: 0 });

    const started = Date.now();
    const outcome = await settle(engine.start(oneStage(poll('wait')), { executionId: 'e-1' }).result);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(Date.now() - started).toBe(0);
  });

  it('aborts an execution during a Wait at once', async () => {
    const { invoke } = scripted([{ status: 'RUNNING', waitSeconds: 3600 }]);
    const engine = createAslEngine({ invoke });
    const execution = engine.start(oneStage(poll('wait')), { executionId: 'e-1' });
    await waitUntil(() => execution.events.some((event) => event.stateName === 'Only [1] wait'));

    execution.abort();

    expect(await settle(execution.result, 0)).toEqual({ status: 'ABORTED' });
  });

  it('hands a callback Task a real token and resumes it with sendTaskSuccess', async () => {
    const { requests, invoke } = scripted([]);
    const engine = createAslEngine({ invoke, substitutions: { StageRunnerFunctionArn: RUNNER_ARN } });
    const execution = engine.start(oneStage(callback('manualJudgment', 600)), { executionId: 'e-1' });
    await waitUntil(() => engine.pendingCallbacks('e-1').length === 1);

    const [pending] = engine.pendingCallbacks('e-1');
    expect(pending).toMatchObject({ executionId: 'e-1', stateName: 'Only [1]' });
    expect(requests[0]).toMatchObject({
      resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      functionName: RUNNER_ARN,
      taskToken: pending!.taskToken,
      payload: { executionId: 'e-1', stageRefId: '1', task: 'manualJudgment', taskToken: pending!.taskToken },
    });

    engine.sendTaskSuccess(pending!.taskToken, { status: 'SUCCEEDED' });

    expect(await settle(execution.result)).toMatchObject({ status: 'SUCCEEDED', output: { result: { status: 'SUCCEEDED' } } });
    expect(engine.pendingCallbacks()).toEqual([]);
    expect(() => engine.sendTaskSuccess(pending!.taskToken, {})).toThrow(expect.objectContaining({ name: 'TaskDoesNotExist' }));
  });

  it('sends a callback failed with sendTaskFailure to the stage fault state', async () => {
    const { requests, invoke } = scripted([{ status: 'STOPPED' }]);
    const engine = createAslEngine({ invoke });
    const execution = engine.start(oneStage(callback('manualJudgment', 600)), { executionId: 'e-1' });
    await waitUntil(() => engine.pendingCallbacks().length === 1);

    engine.sendTaskFailure(engine.pendingCallbacks()[0]!.taskToken, 'Gennaker.JudgmentRejected', 'nobody may judge this');
    await settle(execution.result);

    expect(requests.map((request) => request.stateName)).toEqual(['Only [1]', 'Only [1] fault', 'Complete execution']);
    expect(requests[1]!.payload).toEqual({
      executionId: 'e-1',
      stageRefId: '1',
      task: '$fault',
      fault: { Error: 'Gennaker.JudgmentRejected', Cause: 'nobody may judge this' },
    });
  });

  it('accepts an answer sent before the callback invocation returns', async () => {
    const requests: AslInvokeRequest[] = [];
    const engine = createAslEngine({
      invoke: async (request) => {
        requests.push(request);
        const payload = request.payload as { task: string };
        if (payload.task === '$complete') return { status: 'SUCCEEDED' };
        if (payload.task === '$fault') return { status: 'FAILED_CONTINUE' };
        // the judgment API answers while the runner is still storing the token
        engine.sendTaskFailure(request.taskToken!, 'Gennaker.JudgmentRejected', 'too quick');
        await new Promise((resolve) => setTimeout(resolve, 10));
        return {};
      },
    });

    const outcome = await settle(engine.start(oneStage(callback('manualJudgment', 600)), { executionId: 'e-1' }).result);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(requests.map((request) => request.stateName)).toEqual(['Only [1]', 'Only [1] fault', 'Complete execution']);
  });

  it('times a callback out after its TimeoutSeconds, and the token expires with it', async () => {
    const { requests, invoke } = scripted([{ status: 'TERMINAL' }], 'TERMINAL');
    const engine = createAslEngine({ invoke });
    const execution = engine.start(oneStage(callback('manualJudgment', 1)), { executionId: 'e-1' });
    await waitUntil(() => engine.pendingCallbacks().length === 1);
    const token = engine.pendingCallbacks()[0]!.taskToken;

    // still waiting a millisecond before the timeout
    await elapse(999);
    expect(engine.pendingCallbacks()).toHaveLength(1);
    await elapse(1);
    const outcome = await settle(execution.result, 0);

    expect(outcome.status).toBe('FAILED');
    expect((requests[1]!.payload as { fault: { Error: string } }).fault.Error).toBe('States.Timeout');
    expect(() => engine.sendTaskSuccess(token, {})).toThrow(/no callback Task is waiting/);
  });

  it('retries errors named in Retry and keeps the error name for Catch', async () => {
    let calls = 0;
    const engine = createAslEngine({
      retryDelayMs: 0,
      invoke: async (request) => {
        if ((request.payload as { task: string }).task === '$complete') return { status: 'SUCCEEDED' };
        calls++;
        if (calls <= 2) throw Object.assign(new Error('throttled'), { name: 'Lambda.TooManyRequestsException' });
        return { status: 'SUCCEEDED' };
      },
    });

    const outcome = await settle(engine.start(oneStage(poll('wait')), { executionId: 'e-1' }).result);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(calls).toBe(3);
  });

  it('rejects an invalid definition when starting it', () => {
    const engine = createAslEngine({ invoke: async () => ({}) });
    const invalid = { StartAt: 'Nowhere', States: {} } as unknown as AslDefinition;
    expect(() => engine.start(invalid, { executionId: 'e-1' })).toThrow(/invalid/);
  });

  it('gives Node 20 Promise.withResolvers, which the interpreter needs', () => {
    createAslEngine({ invoke: async () => ({}) });
    expect(typeof (Promise as unknown as { withResolvers?: unknown }).withResolvers).toBe('function');
  });
});

describe('createAslEngine on Node timers', () => {
  it('keeps a callback with a timeout beyond what Node timers hold waiting', async () => {
    const { invoke } = scripted([]);
    const engine = createAslEngine({ invoke });
    const execution = engine.start(oneStage(callback('manualJudgment', 40 * 24 * 3600)), { executionId: 'e-1' });
    await waitFor(() => engine.pendingCallbacks().length === 1);
    // Node fires a timer it cannot hold after 1 ms, and timers fire in order of their due times:
    // by the time this 50 ms one fires, a clamped-to-1-ms timeout would have failed the Task.
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(engine.pendingCallbacks()).toHaveLength(1);
    engine.sendTaskSuccess(engine.pendingCallbacks()[0]!.taskToken, { status: 'SUCCEEDED' });
    expect((await execution.result).status).toBe('SUCCEEDED');
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
