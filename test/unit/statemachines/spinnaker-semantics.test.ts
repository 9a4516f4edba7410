/**
 * The emitted ASL, run on the local engine against an in-memory stage runner that keeps the
 * runner contract, behaves as Spinnaker does: the four failure policies, the join rule,
 * stageEnabled, polling, manual judgment, faults and the final status.
 */
import { describe, expect, it } from 'vitest';
import { createAslEngine, type AslEngine, type AslOutcome } from '../../../local/asl-engine.ts';
import { compilePipeline } from '../../../statemachines/index.ts';
import { validateAsl } from '../../support/asl.ts';
import { callback, poll, run, testPipeline, type BuiltPipeline, type TestStage } from '../../support/pipeline-builder.ts';
import { createScriptedRunner, type ScriptedRunner, type StageScript } from '../../support/scripted-runner.ts';
import { elapse, settle, useSimulatedTime, waitUntil } from '../../support/simulated-time.ts';

// Handler delays, Wait states and timeouts run on simulated time: branches interleave by their
// due times alone, however busy the machine is.
useSimulatedTime();

interface Run {
  readonly outcome: Promise<AslOutcome>;
  readonly runner: ScriptedRunner;
  readonly engine: AslEngine;
  readonly executionId: string;
  readonly stateEntries: () => string[];
}

/** Compiles, checks and starts a pipeline on the local engine with a scripted runner. */
function start(built: BuiltPipeline, scripts: Record<string, StageScript> = {}, waitOverrideMs = 0): Run {
  const { pipeline, planStage } = built;
  const { definition, issues } = compilePipeline(pipeline, { planStage });
  expect(issues.filter((issue) => issue.severity === 'error')).toEqual([]);
  expect(validateAsl(definition)).toEqual([]);
  const runner = createScriptedRunner(pipeline, planStage, scripts);
  const engine = createAslEngine({ invoke: runner.invoke, waitOverrideMs, retryDelayMs: 0 });
  const execution = engine.start(definition, { executionId: 'execution-1' });
  return {
    outcome: execution.result,
    runner,
    engine,
    executionId: execution.executionId,
    stateEntries: () => execution.events.filter((event) => event.type === 'StateEntered').map((event) => event.stateName!),
  };
}

/** Runs to the end, then lets handlers of stopped branches finish (as running Lambdas do). */
async function finish(started: Run): Promise<AslOutcome> {
  const outcome = await settle(started.outcome);
  await elapse(80);
  return outcome;
}

const calledStages = (runner: ScriptedRunner) => [...new Set(runner.calls.flatMap((call) => (call.refId ? [call.refId] : [])))];

const FAILED = { status: 'FAILED', error: 'Gennaker.ExecutionFailed' };

/** 1 → (2 → 5) and (3 → 6) → 4: two branches of two stages, joined. */
function twoBranches(overrides: Record<string, Partial<TestStage>> = {}): BuiltPipeline {
  const stages: TestStage[] = [
    { refId: '1', name: 'Start' },
    { refId: '2', name: 'Left', requisiteStageRefIds: ['1'] },
    { refId: '5', name: 'After left', requisiteStageRefIds: ['2'] },
    { refId: '3', name: 'Right', requisiteStageRefIds: ['1'] },
    { refId: '6', name: 'After right', requisiteStageRefIds: ['3'] },
    { refId: '4', name: 'Join', requisiteStageRefIds: ['5', '6'] },
  ];
  return testPipeline(stages.map((stage) => ({ ...stage, ...overrides[stage.refId] })));
}

describe('a pipeline on the local engine', () => {
  it('runs every stage in order and succeeds', async () => {
    const started = start(twoBranches());
    const outcome = await finish(started);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(started.runner.finalStatus()).toBe('SUCCEEDED');
    expect(started.runner.statuses()).toEqual({ '1': 'SUCCEEDED', '2': 'SUCCEEDED', '3': 'SUCCEEDED', '4': 'SUCCEEDED', '5': 'SUCCEEDED', '6': 'SUCCEEDED' });
    const order = calledStages(started.runner);
    expect(order[0]).toBe('1');
    expect(order[order.length - 1]).toBe('4');
    expect(order.indexOf('2')).toBeLessThan(order.indexOf('5'));
    expect(order.indexOf('3')).toBeLessThan(order.indexOf('6'));
  });

  it('halts the whole pipeline when a stage fails with failPipeline (TERMINAL): the other branch is canceled', async () => {
    // given Left fails at once while Right is still running
    const started = start(twoBranches(), { '2': { fails: true }, '3': { delayMs: 40 } });

    // when
    const outcome = await finish(started);

    // then
    expect(outcome).toMatchObject(FAILED);
    expect(started.runner.finalStatus()).toBe('TERMINAL');
    expect(started.runner.statuses()).toEqual({
      '1': 'SUCCEEDED',
      '2': 'TERMINAL',
      '5': 'NOT_STARTED',
      '3': 'CANCELED',
      '6': 'NOT_STARTED',
      '4': 'NOT_STARTED',
    });
    // nothing after the halted stage, nor after the canceled one, was even called
    expect(calledStages(started.runner).sort()).toEqual(['1', '2', '3']);
  });

  it('halts only this branch when failPipeline is false (STOPPED): the other branch completes and the pipeline succeeds', async () => {
    const started = start(twoBranches({ '2': { failurePolicy: 'halt-branch' } }), { '2': { fails: true }, '3': { delayMs: 20 } });

    const outcome = await finish(started);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(started.runner.finalStatus()).toBe('SUCCEEDED');
    expect(started.runner.statuses()).toEqual({
      '1': 'SUCCEEDED',
      '2': 'STOPPED',
      '5': 'NOT_STARTED',
      '3': 'SUCCEEDED',
      '6': 'SUCCEEDED',
      '4': 'NOT_STARTED',
    });
    // the stages below the stopped one were reached and answered NOT_STARTED at once
    expect(started.runner.calls.filter((call) => call.refId === '5' || call.refId === '4').map((call) => call.answer)).toEqual([
      'NOT_STARTED',
      'NOT_STARTED',
    ]);
  });

  it('fails the pipeline once the other branches complete with completeOtherBranchesThenFail', async () => {
    const started = start(twoBranches({ '2': { failurePolicy: 'halt-branch-fail-pipeline' } }), {
      '2': { fails: true },
      '3': { delayMs: 20 },
      '6': { delayMs: 20 },
    });

    const outcome = await finish(started);

    expect(outcome).toMatchObject(FAILED);
    expect(started.runner.finalStatus()).toBe('TERMINAL');
    expect(started.runner.status('2')).toBe('STOPPED');
    // the other branch ran to the end before the pipeline failed
    expect(started.runner.status('3')).toBe('SUCCEEDED');
    expect(started.runner.status('6')).toBe('SUCCEEDED');
    expect(started.runner.status('4')).toBe('NOT_STARTED');
    const completion = started.runner.calls.findIndex((call) => call.task === '$complete');
    const lastOfOtherBranch = started.runner.calls.findIndex((call) => call.refId === '6');
    expect(lastOfOtherBranch).toBeLessThan(completion);
  });

  it('runs downstream stages when the failure is ignored (FAILED_CONTINUE)', async () => {
    const started = start(twoBranches({ '2': { failurePolicy: 'ignore' } }), { '2': { fails: true } });

    const outcome = await finish(started);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(started.runner.statuses()).toMatchObject({ '2': 'FAILED_CONTINUE', '5': 'SUCCEEDED', '4': 'SUCCEEDED' });
    expect(started.runner.finalStatus()).toBe('SUCCEEDED');
  });

  it('skips a stage whose stageEnabled is false and runs what follows', async () => {
    const started = start(twoBranches(), { '2': { enabled: false } });

    const outcome = await finish(started);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(started.runner.statuses()).toMatchObject({ '2': 'SKIPPED', '5': 'SUCCEEDED', '4': 'SUCCEEDED' });
  });

  it('starts a join only when every parent let it through (SUCCEEDED, FAILED_CONTINUE, SKIPPED)', async () => {
    const started = start(twoBranches({ '5': { failurePolicy: 'ignore' } }), { '5': { fails: true }, '6': { enabled: false } });

    const outcome = await finish(started);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(started.runner.statuses()).toMatchObject({ '5': 'FAILED_CONTINUE', '6': 'SKIPPED', '4': 'SUCCEEDED' });
  });

  it('halts from inside a nested fork and stops every other branch', async () => {
    const built = testPipeline([
      { refId: '1', name: 'Start' },
      { refId: '2', name: 'Prepare east', requisiteStageRefIds: ['1'] },
      { refId: '3', name: 'East a', requisiteStageRefIds: ['2'] },
      { refId: '4', name: 'East b', requisiteStageRefIds: ['2'] },
      { refId: '5', name: 'East done', requisiteStageRefIds: ['3', '4'] },
      { refId: '6', name: 'West', requisiteStageRefIds: ['1'], steps: [poll('wait')] },
      { refId: '7', name: 'Finish', requisiteStageRefIds: ['5', '6'] },
    ]);
    // (West polls with 1 ms waits, so the interpreter interleaves the branches)
    const started = start(built, { '3': { fails: true, delayMs: 5 }, '4': { delayMs: 30 }, '6': { polls: 1000 } }, 1);

    const outcome = await finish(started);

    expect(outcome).toMatchObject(FAILED);
    expect(started.runner.finalStatus()).toBe('TERMINAL');
    expect(started.runner.statuses()).toMatchObject({ '3': 'TERMINAL', '4': 'CANCELED', '5': 'NOT_STARTED', '6': 'CANCELED', '7': 'NOT_STARTED' });
    expect(calledStages(started.runner)).not.toContain('7');
  });

  it('loops a poll step through its Wait until the step finishes', async () => {
    const built = testPipeline([{ refId: '1', name: 'Wait', type: 'wait', steps: [poll('wait', 10)] }, { refId: '2', requisiteStageRefIds: ['1'] }]);
    const started = start(built, { '1': { polls: 3 } });

    const outcome = await finish(started);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(started.runner.calls.filter((call) => call.refId === '1').map((call) => call.answer)).toEqual(['RUNNING', 'RUNNING', 'RUNNING', 'SUCCEEDED']);
    expect(started.stateEntries().filter((name) => name === 'Wait [1] wait')).toHaveLength(3);
  });

  it('walks a multi-step stage with NEXT', async () => {
    const built = testPipeline([
      { refId: '1', name: 'Deploy', type: 'deploy', steps: [run('createServerGroup'), poll('waitForUpInstances'), run('disableCluster')] },
    ]);
    const started = start(built, { '1': { polls: 1 } });

    const outcome = await finish(started);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(started.runner.calls.filter((call) => call.refId === '1').map((call) => `${call.task}:${call.answer}`)).toEqual([
      'createServerGroup:NEXT',
      'waitForUpInstances:RUNNING',
      'waitForUpInstances:NEXT',
      'disableCluster:SUCCEEDED',
    ]);
  });

  it('waits for a manual judgment and continues when it is answered', async () => {
    // given
    const built = testPipeline([
      { refId: '1', name: 'Build' },
      { refId: '2', name: 'Approve', type: 'manualJudgment', requisiteStageRefIds: ['1'], steps: [callback('manualJudgment', 600)] },
      { refId: '3', name: 'Deploy', requisiteStageRefIds: ['2'] },
    ]);
    const started = start(built);

    // when the execution reaches the judgment
    await waitUntil(() => started.engine.pendingCallbacks(started.executionId).length === 1);
    const [pending] = started.engine.pendingCallbacks(started.executionId);

    // then the runner got the token and the stage waits
    expect(pending!.stateName).toBe('Approve [2]');
    expect(pending!.payload).toEqual({ executionId: 'execution-1', stageRefId: '2', task: 'manualJudgment', taskToken: pending!.taskToken });
    expect(started.runner.token('2')).toBe(pending!.taskToken);
    expect(started.runner.status('3')).toBe('NOT_STARTED');

    // when someone continues
    started.engine.sendTaskSuccess(pending!.taskToken, started.runner.judge('2', 'continue'));
    const outcome = await finish(started);

    // then
    expect(outcome.status).toBe('SUCCEEDED');
    expect(started.runner.statuses()).toEqual({ '1': 'SUCCEEDED', '2': 'SUCCEEDED', '3': 'SUCCEEDED' });
    expect(started.engine.pendingCallbacks()).toEqual([]);
  });

  it('halts when a manual judgment says stop', async () => {
    const built = testPipeline([
      { refId: '1', name: 'Approve', type: 'manualJudgment', steps: [callback('manualJudgment')] },
      { refId: '2', name: 'Deploy', requisiteStageRefIds: ['1'] },
    ]);
    const started = start(built);
    await waitUntil(() => started.runner.token('1') !== undefined);

    started.engine.sendTaskSuccess(started.runner.token('1')!, started.runner.judge('1', 'stop'));
    const outcome = await finish(started);

    expect(outcome).toMatchObject(FAILED);
    expect(started.runner.statuses()).toEqual({ '1': 'TERMINAL', '2': 'NOT_STARTED' });
  });

  it('sends a step that throws to its fault state, which applies the failure policy', async () => {
    const started = start(twoBranches({ '2': { failurePolicy: 'halt-branch' } }), { '2': { throws: 'TypeError' } });

    const outcome = await finish(started);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(started.runner.calls.filter((call) => call.refId === '2').map((call) => `${call.task}:${call.answer}`)).toEqual([
      'evaluateVariables:threw TypeError',
      '$fault:STOPPED',
    ]);
    expect(started.runner.statuses()).toMatchObject({ '2': 'STOPPED', '5': 'NOT_STARTED', '6': 'SUCCEEDED' });
  });

  it('retries transient errors from the catalog without a fault', async () => {
    const started = start(twoBranches(), { '2': { throws: 'Gennaker.TargetUnavailable', throwTimes: 2 } });

    const outcome = await finish(started);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(started.runner.calls.filter((call) => call.refId === '2').map((call) => call.answer)).toEqual([
      'threw Gennaker.TargetUnavailable',
      'threw Gennaker.TargetUnavailable',
      'SUCCEEDED',
    ]);
  });

  it('keeps added ordering edges harmless: a stage runs when its real parents succeeded', async () => {
    // given the N graph (1→3, 2→3, 2→4): the compiler adds 1→4
    const built = testPipeline([
      { refId: '1', name: 'Build app', failurePolicy: 'halt-branch' },
      { refId: '2', name: 'Build infra' },
      { refId: '3', name: 'Deploy app', requisiteStageRefIds: ['1', '2'] },
      { refId: '4', name: 'Deploy infra', requisiteStageRefIds: ['2'] },
    ]);
    expect(compilePipeline(built.pipeline, { planStage: built.planStage }).report.addedOrderingEdges).toEqual([{ from: '1', to: '4' }]);

    // when 1 stops its branch
    const started = start(built, { '1': { fails: true } });
    const outcome = await finish(started);

    // then 4 still runs (its only real parent is 2), 3 does not
    expect(outcome.status).toBe('SUCCEEDED');
    expect(started.runner.statuses()).toEqual({ '1': 'STOPPED', '2': 'SUCCEEDED', '3': 'NOT_STARTED', '4': 'SUCCEEDED' });
  });

  it('runs a legacy pipeline in array order', async () => {
    const built = testPipeline([{ refId: '0' }, { refId: '1' }, { refId: '2' }], { legacyOrder: true });
    const started = start(built);

    const outcome = await finish(started);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(calledStages(started.runner)).toEqual(['0', '1', '2']);
  });

  it('completes an empty pipeline at once', async () => {
    const started = start(testPipeline([]));
    const outcome = await finish(started);
    expect(outcome.status).toBe('SUCCEEDED');
    expect(started.runner.calls).toEqual([{ task: '$complete', answer: 'SUCCEEDED' }]);
  });
});

describe('a stage with an execution window', () => {
  it('waits in the window step, then runs its plan', async () => {
    const built = testPipeline([{ refId: '1', name: 'Deploy', executionWindow: true, steps: [run('createServerGroup')] }]);
    const started = start(built, { '1': { polls: 1 } });

    const outcome = await finish(started);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(started.runner.calls.map((call) => `${call.task}:${call.answer}`)).toEqual([
      'restrictExecutionDuringTimeWindow:RUNNING',
      'restrictExecutionDuringTimeWindow:NEXT',
      'createServerGroup:SUCCEEDED',
      '$complete:SUCCEEDED',
    ]);
  });
});
