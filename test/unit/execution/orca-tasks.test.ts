/**
 * A stage's tasks as Orca lists them (core/execution/orca-shape.ts): every step of the stage's
 * plan with its status, from what the stage runner recorded (`runtime.tasksDone`, `runtime.polls`).
 */
import { describe, expect, it } from 'vitest';
import { orcaTasksOf, unexpanded, toOrcaExecution } from '../../../core/execution/orca-shape.ts';
import type { Execution, StageRecord } from '../../../core/ports/execution-store.ts';

function stage(overrides: Partial<StageRecord>): StageRecord {
  return {
    id: 's1',
    refId: '1',
    type: 'webhook',
    name: 'Call',
    requisiteStageRefIds: [],
    status: 'NOT_STARTED',
    context: {},
    outputs: {},
    runtime: {},
    awaitingCallback: false,
    revision: 1,
    lastModified: 0,
    ...overrides,
  };
}

const STEPS = ['createWebhook', 'waitBeforeMonitor', 'monitorWebhook'];
const statuses = (record: StageRecord, steps?: readonly string[]) => orcaTasksOf(record, steps).map((task) => `${task.name}:${task.status}`);

describe("a stage's tasks", () => {
  it('lists every step NOT_STARTED before the stage starts, with Orca fields', () => {
    const tasks = orcaTasksOf(stage({}), STEPS);

    expect(tasks.map((task) => task.status)).toEqual(['NOT_STARTED', 'NOT_STARTED', 'NOT_STARTED']);
    expect(tasks[0]).toEqual({
      id: '1',
      name: 'createWebhook',
      implementingClass: 'gennaker:webhook/createWebhook',
      status: 'NOT_STARTED',
      startTime: null,
      endTime: null,
      stageStart: true,
      stageEnd: false,
      loopStart: false,
      loopEnd: false,
    });
    expect(tasks[2]).toMatchObject({ id: '3', stageStart: false, stageEnd: true });
  });

  it('marks the steps done SUCCEEDED and the one the stage is at RUNNING, with the stage start on the first', () => {
    const running = stage({ status: 'RUNNING', startTime: 1_000, runtime: { tasksDone: ['createWebhook'], polls: { createWebhook: 1, waitBeforeMonitor: 2 } } });

    expect(statuses(running, STEPS)).toEqual(['createWebhook:SUCCEEDED', 'waitBeforeMonitor:RUNNING', 'monitorWebhook:NOT_STARTED']);
    expect(orcaTasksOf(running, STEPS).map((task) => [task.startTime, task.endTime])).toEqual([
      [1_000, null],
      [null, null],
      [null, null],
    ]);
  });

  it('gives the step a failed stage ended at the stage status, and the stage end to the last step of a complete stage', () => {
    const failed = stage({ status: 'TERMINAL', startTime: 1_000, endTime: 5_000, runtime: { tasksDone: ['createWebhook', 'waitBeforeMonitor'] } });
    const succeeded = stage({ status: 'SUCCEEDED', startTime: 1_000, endTime: 9_000 });

    expect(statuses(failed, STEPS)).toEqual(['createWebhook:SUCCEEDED', 'waitBeforeMonitor:SUCCEEDED', 'monitorWebhook:TERMINAL']);
    expect(orcaTasksOf(failed, STEPS)[2]).toMatchObject({ endTime: 5_000 });
    expect(statuses(succeeded, STEPS)).toEqual(['createWebhook:SUCCEEDED', 'waitBeforeMonitor:SUCCEEDED', 'monitorWebhook:SUCCEEDED']);
    expect(orcaTasksOf(succeeded, STEPS).map((task) => [task.startTime, task.endTime])).toEqual([
      [1_000, null],
      [null, null],
      [null, 9_000],
    ]);
    expect(statuses(stage({ status: 'SKIPPED' }), STEPS)).toEqual(['createWebhook:NOT_STARTED', 'waitBeforeMonitor:NOT_STARTED', 'monitorWebhook:NOT_STARTED']);
  });

  it('lists the steps that ran when the plan is unknown', () => {
    expect(statuses(stage({ status: 'RUNNING', runtime: { tasksDone: ['createWebhook'], polls: { createWebhook: 1, monitorWebhook: 3 } } }))).toEqual(['createWebhook:SUCCEEDED', 'monitorWebhook:RUNNING']);
  });

  it("gives a synthetic stage a task of its own type, then those its context lists", () => {
    const synthetic = stage({ id: 's1:deploy:2', parentStageId: 's1', type: 'disableCluster', status: 'SUCCEEDED', startTime: 10, endTime: 20, context: { tasks: [{ name: 'disableServerGroup', status: 'SUCCEEDED', startTime: 11, endTime: 19 }] } });

    expect(orcaTasksOf(synthetic).map(({ name, status, startTime, endTime, stageStart, stageEnd }) => ({ name, status, startTime, endTime, stageStart, stageEnd }))).toEqual([
      { name: 'disableCluster', status: 'SUCCEEDED', startTime: 10, endTime: 20, stageStart: true, stageEnd: false },
      { name: 'disableServerGroup', status: 'SUCCEEDED', startTime: 11, endTime: 19, stageStart: false, stageEnd: true },
    ]);
  });

  it("gives checkPreconditions no task of its own and each precondition's synthetic stage Orca's checkPrecondition", () => {
    const parent = stage({ type: 'checkPreconditions', status: 'SUCCEEDED', runtime: { tasksDone: ['checkPreconditions'] } });
    const child = stage({ id: 's1:precondition:1', parentStageId: 's1', type: 'checkPreconditions', status: 'SUCCEEDED' });

    expect(orcaTasksOf(parent, ['checkPreconditions'])).toEqual([]);
    expect(orcaTasksOf(child).map((task) => `${task.name}:${task.status}`)).toEqual(['checkPrecondition:SUCCEEDED']);
  });

  it("reads the plan through toOrcaExecution's stepsOf, and drops context, outputs and tasks when unexpanded", () => {
    const execution = {
      id: 'e1', application: 'shop', pipelineConfigId: 'p1', pipelineVersion: 1, name: 'P', status: 'RUNNING', buildTime: 0, trigger: {}, parameters: {}, canceled: false,
      limitConcurrent: false, keepWaitingPipelines: false, maxConcurrentExecutions: 0, revision: 1, lastModified: 0,
      stages: [stage({ status: 'RUNNING', context: { group: 'g', url: 'x' }, outputs: { a: 1 } })],
    } as Execution;

    const document = toOrcaExecution(execution, { stepsOf: () => STEPS });

    expect(document.stages[0]!.tasks.map((task) => task.status)).toEqual(['RUNNING', 'NOT_STARTED', 'NOT_STARTED']);
    expect(unexpanded(document).stages[0]).toMatchObject({ context: { group: 'g' }, outputs: {}, tasks: [] });
  });
});
