/**
 * The compiler keeps the ASL contract of statemachines/README.md: Task and callback shapes,
 * Retry from the error catalog, one fault state per stage, halting inside and outside
 * branches, the completion; it is deterministic; and it reports bad input as issues.
 */
import { describe, expect, it } from 'vitest';
import { RETRYABLE_ERROR_NAMES } from '../../../core/errors.ts';
import {
  compilePipeline,
  DEFAULT_STAGE_RUNNER_ARN,
  walkStates,
  type AslDefinition,
  type AslState,
} from '../../../statemachines/index.ts';
import { validateAsl } from '../../support/asl.ts';
import { callback, poll, run, testPipeline, type TestStage } from '../../support/pipeline-builder.ts';

function compile(stages: TestStage[], options: { stageRunnerArn?: string; legacyOrder?: boolean } = {}) {
  const { pipeline, planStage } = testPipeline(stages, { legacyOrder: options.legacyOrder ?? false });
  const result = compilePipeline(pipeline, { planStage, ...(options.stageRunnerArn ? { stageRunnerArn: options.stageRunnerArn } : {}) });
  expect(validateAsl(result.definition)).toEqual([]);
  return result;
}

function state(definition: AslDefinition, name: string): AslState {
  for (const [stateName, found] of walkStates(definition)) if (stateName === name) return found;
  throw new Error(`no state ${name}`);
}

const diamond: TestStage[] = [
  { refId: '1', name: 'Build' },
  { refId: '2', name: 'Left', requisiteStageRefIds: ['1'] },
  { refId: '3', name: 'Right', requisiteStageRefIds: ['1'], steps: [poll('wait')] },
  { refId: '4', name: 'Join', requisiteStageRefIds: ['2', '3'] },
];

describe('compilePipeline: stage steps', () => {
  it('emits a stage step as a Task on the stage runner with Retry from the catalog and a Catch to the fault state', () => {
    const { definition } = compile([{ refId: '7', name: 'Build' }], { stageRunnerArn: 'arn:aws:lambda:us-east-1:1:function:runner' });

    expect(state(definition, 'Build [7]')).toEqual({
      Type: 'Task',
      Resource: 'arn:aws:lambda:us-east-1:1:function:runner',
      Parameters: { 'executionId.$': '$.executionId', stageRefId: '7', task: 'evaluateVariables' },
      ResultPath: '$.result',
      Retry: [
        {
          ErrorEquals: [...RETRYABLE_ERROR_NAMES],
          IntervalSeconds: 1,
          MaxAttempts: 6,
          BackoffRate: 2,
          MaxDelaySeconds: 30,
          JitterStrategy: 'FULL',
        },
      ],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.fault', Next: 'Build [7] fault' }],
      Next: 'Build [7] route',
    });
  });

  it('uses the stage runner ARN substitution by default', () => {
    const { definition } = compile([{ refId: '1' }]);
    expect(DEFAULT_STAGE_RUNNER_ARN).toBe('${StageRunnerFunctionArn}');
    expect(state(definition, 'Stage 1 [1]')).toMatchObject({ Resource: '${StageRunnerFunctionArn}' });
  });

  it('routes after a step: RUNNING to the wait (polls only), NEXT to the next step, TERMINAL to halt, the rest after the stage', () => {
    const { definition } = compile([
      { refId: '1', name: 'Deploy', steps: [run('create'), poll('waitUp'), run('finish')] },
      { refId: '2', name: 'After', requisiteStageRefIds: ['1'] },
    ]);

    expect(state(definition, 'Deploy [1] create route')).toEqual({
      Type: 'Choice',
      Choices: [
        { Variable: '$.result.status', StringEquals: 'NEXT', Next: 'Deploy [1] waitUp' },
        { Variable: '$.result.status', StringEquals: 'TERMINAL', Next: 'Complete execution' },
      ],
      Default: 'After [2]',
    });
    expect(state(definition, 'Deploy [1] waitUp route')).toMatchObject({
      Choices: [
        { StringEquals: 'RUNNING', Next: 'Deploy [1] waitUp wait' },
        { StringEquals: 'NEXT', Next: 'Deploy [1] finish' },
        { StringEquals: 'TERMINAL', Next: 'Complete execution' },
      ],
    });
    expect(state(definition, 'Deploy [1] waitUp wait')).toEqual({ Type: 'Wait', SecondsPath: '$.result.waitSeconds', Next: 'Deploy [1] waitUp' });
    expect(state(definition, 'Deploy [1] finish route')).toMatchObject({ Choices: [{ StringEquals: 'TERMINAL' }], Default: 'After [2]' });
  });

  it('has one fault state per stage, which asks the runner and goes to the route of the last step', () => {
    const { definition, stateMap } = compile([{ refId: '1', name: 'Deploy', steps: [run('create'), poll('waitUp')] }]);

    expect(state(definition, 'Deploy [1] fault')).toEqual({
      Type: 'Task',
      Resource: '${StageRunnerFunctionArn}',
      Parameters: { 'executionId.$': '$.executionId', stageRefId: '1', task: '$fault', 'fault.$': '$.fault' },
      ResultPath: '$.result',
      Retry: [expect.objectContaining({ JitterStrategy: 'FULL' })],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.fault', Next: 'Complete execution' }],
      Next: 'Deploy [1] waitUp route',
    });
    expect(Object.values(stateMap).filter((info) => info.role === 'fault')).toEqual([{ refId: '1', task: '$fault', role: 'fault' }]);
  });

  it('emits a callback step as lambda:invoke.waitForTaskToken with the token in the payload and its timeout', () => {
    const { definition } = compile([{ refId: '2', name: 'Approve', steps: [callback('manualJudgment', 7200)] }]);

    expect(state(definition, 'Approve [2]')).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: {
        FunctionName: '${StageRunnerFunctionArn}',
        Payload: { 'executionId.$': '$.executionId', stageRefId: '2', task: 'manualJudgment', 'taskToken.$': '$$.Task.Token' },
      },
      TimeoutSeconds: 7200,
      ResultPath: '$.result',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.fault', Next: 'Approve [2] fault' }],
    });
  });

  it.each([
    ['the step says', { steps: [callback('manualJudgment', 60)], stageTimeoutMs: 5_000_000 }, 60],
    ['only the stage timeout says', { steps: [callback('manualJudgment')], stageTimeoutMs: 90_500 }, 91],
    ["nothing says (Spinnaker's 3 days)", { steps: [callback('manualJudgment')] }, 259_200],
  ])('times a callback out as %s', (_, stage, seconds) => {
    const { definition } = compile([{ refId: '1', name: 'Approve', ...stage }]);
    expect(state(definition, 'Approve [1]')).toMatchObject({ TimeoutSeconds: seconds });
  });

  it('puts a restrictExecutionDuringTimeWindow poll step first when the stage has an execution window', () => {
    const { definition, stateMap } = compile([{ refId: '1', name: 'Deploy', executionWindow: true, steps: [run('createServerGroup')] }]);

    expect(definition.StartAt).toBe('Deploy [1] restrictExecutionDuringTimeWindow');
    expect(state(definition, 'Deploy [1] restrictExecutionDuringTimeWindow')).toMatchObject({
      Parameters: { stageRefId: '1', task: 'restrictExecutionDuringTimeWindow' },
    });
    expect(stateMap['Deploy [1] restrictExecutionDuringTimeWindow wait']).toEqual({ refId: '1', task: 'restrictExecutionDuringTimeWindow', role: 'wait' });
  });
});

describe('compilePipeline: the DAG, halting and completion', () => {
  it('compiles a fork to a Parallel whose branches end in Succeed and halt through a Fail state', () => {
    const { definition } = compile(diamond);

    const parallel = state(definition, 'Parallel 1');
    expect(parallel).toMatchObject({
      Type: 'Parallel',
      ResultPath: null,
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.fault', Next: 'Complete execution' }],
      Next: 'Join [4]',
    });
    if (parallel.Type !== 'Parallel') throw new Error('not a Parallel');
    expect(parallel.Branches.map((branch) => branch.StartAt)).toEqual(['Left [2]', 'Right [3]']);
    expect(state(definition, 'Parallel 1 branch 1 done')).toEqual({ Type: 'Succeed' });
    expect(state(definition, 'Parallel 1 branch 1 halt')).toMatchObject({ Type: 'Fail', Error: 'Gennaker.PipelineHalted' });
    expect(state(definition, 'Left [2] route')).toMatchObject({
      Choices: [{ StringEquals: 'TERMINAL', Next: 'Parallel 1 branch 1 halt' }],
      Default: 'Parallel 1 branch 1 done',
    });
    // at the top level, TERMINAL goes straight to the completion
    expect(state(definition, 'Build [1] route')).toMatchObject({ Choices: [{ StringEquals: 'TERMINAL', Next: 'Complete execution' }] });
  });

  it('gives nested Parallels no Catch, so a halt climbs to the top', () => {
    const { definition } = compile([
      { refId: '1' },
      { refId: '2', requisiteStageRefIds: ['1'] },
      { refId: '3', requisiteStageRefIds: ['2'] },
      { refId: '4', requisiteStageRefIds: ['2'] },
      { refId: '5', requisiteStageRefIds: ['1'] },
    ]);

    expect(state(definition, 'Parallel 1')).toHaveProperty('Catch');
    expect(state(definition, 'Parallel 2')).not.toHaveProperty('Catch');
    expect(state(definition, 'Parallel 2')).toMatchObject({ ResultPath: null, Next: 'Parallel 1 branch 1 done' });
  });

  it('ends with the completion Task and a Choice on SUCCEEDED', () => {
    const { definition } = compile([{ refId: '1' }]);

    expect(state(definition, 'Complete execution')).toEqual({
      Type: 'Task',
      Resource: '${StageRunnerFunctionArn}',
      Parameters: { 'executionId.$': '$.executionId', task: '$complete' },
      ResultPath: '$.result',
      Retry: [expect.objectContaining({ ErrorEquals: [...RETRYABLE_ERROR_NAMES] })],
      Next: 'Complete execution route',
    });
    expect(state(definition, 'Complete execution route')).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.result.status', StringEquals: 'SUCCEEDED', Next: 'Execution succeeded' }],
      Default: 'Execution failed',
    });
    expect(state(definition, 'Execution succeeded')).toEqual({ Type: 'Succeed' });
    expect(state(definition, 'Execution failed')).toMatchObject({ Type: 'Fail', Error: 'Gennaker.ExecutionFailed' });
  });

  it('compiles an empty pipeline to the completion alone', () => {
    const { definition, report } = compile([]);
    expect(definition.StartAt).toBe('Complete execution');
    expect(Object.keys(definition.States)).toEqual(['Complete execution', 'Complete execution route', 'Execution succeeded', 'Execution failed']);
    expect(report.states).toBe(4);
  });

  it('runs a legacy pipeline in array order, whatever its requisites say', () => {
    const { definition } = compile([{ refId: '0' }, { refId: '1' }, { refId: '2' }], { legacyOrder: true });
    expect(definition.StartAt).toBe('Stage 0 [0]');
    expect(state(definition, 'Stage 0 [0] route')).toMatchObject({ Default: 'Stage 1 [1]' });
    expect(state(definition, 'Stage 1 [1] route')).toMatchObject({ Default: 'Stage 2 [2]' });
  });

  it('maps every state back to its stage, step and role', () => {
    const { definition, stateMap } = compile(diamond);
    const names = [...walkStates(definition)].map(([name]) => name);
    expect(Object.keys(stateMap).sort()).toEqual([...names].sort());
    expect(stateMap['Right [3] wait']).toEqual({ refId: '3', task: 'wait', role: 'wait' });
    expect(stateMap['Parallel 1']).toEqual({ role: 'parallel' });
    expect(stateMap['Parallel 1 branch 2 halt']).toEqual({ role: 'halt' });
    expect(stateMap['Complete execution']).toEqual({ task: '$complete', role: 'complete' });
    for (const refId of ['1', '2', '3', '4']) expect(Object.values(stateMap).some((info) => info.refId === refId)).toBe(true);
  });
});

describe('compilePipeline: determinism', () => {
  it('gives byte-identical JSON when compiling twice', () => {
    const first = compile(diamond);
    const second = compile(diamond);
    expect(second.json).toBe(first.json);
    expect(JSON.parse(first.json)).toEqual(first.definition);
  });

  it('gives byte-identical JSON whatever the order of the stages array', () => {
    const shuffled = [diamond[2]!, diamond[0]!, diamond[3]!, diamond[1]!];
    expect(compile(shuffled).json).toBe(compile(diamond).json);
  });
});

describe('compilePipeline: bad input', () => {
  it('fails with issues, not exceptions, on unknown requisites, duplicate refIds and cycles', () => {
    const { pipeline, planStage } = testPipeline([
      { refId: '1', requisiteStageRefIds: ['3'] },
      { refId: '2', requisiteStageRefIds: ['9'] },
      { refId: '3', requisiteStageRefIds: ['1'] },
      { refId: '3' },
    ]);

    const { issues, definition } = compilePipeline(pipeline, { planStage });

    expect(issues.map((issue) => [issue.code, issue.pointer])).toEqual([
      ['refid-duplicate', '/stages/3/refId'],
      ['requisite-unknown', '/stages/1/requisiteStageRefIds/0'],
      ['cycle', '/stages/0/requisiteStageRefIds'],
      ['cycle', '/stages/2/requisiteStageRefIds'],
    ]);
    expect(issues[1]!.message).toBe("refers to stage '9', which does not exist (known refIds: 1, 2, 3)");
    expect(definition.StartAt).toBe('Complete execution');
  });

  it('fails a stage type that plans no steps, or two steps of one name', () => {
    const { pipeline } = testPipeline([{ refId: '1', name: 'Empty' }, { refId: '2', name: 'Twice' }]);
    const { issues } = compilePipeline(pipeline, {
      planStage: (stage) => (stage.refId === '1' ? [] : [run('same'), poll('same')]),
    });
    expect(issues.map((issue) => issue.message)).toEqual([
      "stage 'Empty' (type evaluateVariables) plans no steps; every stage needs at least one (a bug in the stage type)",
      "stage 'Twice' (type evaluateVariables) plans two steps named 'same'; the stage runner could not tell them apart (a bug in the stage type)",
    ]);
  });

  it('fails a stage whose planner throws, with an issue on the stage', () => {
    const { pipeline } = testPipeline([{ refId: '1', name: 'Broken' }]);
    const { issues } = compilePipeline(pipeline, {
      planStage: () => {
        throw new Error('no plan for you');
      },
    });
    expect(issues).toEqual([
      expect.objectContaining({ pointer: '/stages/0', severity: 'error', message: "stage 'Broken' (type evaluateVariables) could not be planned: no plan for you" }),
    ]);
  });
});
