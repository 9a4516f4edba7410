/**
 * checkPreconditions as Orca runs it, on real compiled pipelines (the local engine, the real stage
 * runner, executions in dynalite, clusters on the in-memory deploy target): one synthetic stage
 * per precondition, each failing under its merged context's failureStatus(), the stage taking the
 * worst of them, and the execution and the other stages following from that.
 *
 * The table covers every combination of the stage's failPipeline / continuePipeline /
 * completeOtherBranchesThenFail, the precondition's failPipeline (true, false, left out) and a
 * precondition that holds or not, for the expression, clusterSize and stageStatus preconditions,
 * in the pipeline 1 → (2 check → 3 follows) and (4 a manual judgment, a parallel branch). The
 * judgment is answered once the check has ended, unless the check halted the pipeline, which
 * must cancel it: no timing decides which branch finishes first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbExecutionStore } from '../../adapters/dynamodb/dynamodb-execution-store.ts';
import { createMemoryClock, createMemoryTarget, type MemoryTarget } from '../../adapters/targets/memory/memory-target.ts';
import { progressOf } from '../../cli/commands/progress.ts';
import { createTerminalIoHost } from '../../cli/terminal-io-host.ts';
import { toOrcaExecution, type OrcaStage } from '../../core/execution/orca-shape.ts';
import { isComplete, type ExecutionStatus } from '../../core/execution/status.ts';
import { syntheticStagesOf } from '../../core/execution/synthetic-stages.ts';
import { parsePipeline } from '../../core/pipeline/index.ts';
import type { ExecutionStore, JsonObject } from '../../core/ports/execution-store.ts';
import { startDynalite, type Dynalite } from '../support/dynalite.ts';
import { createLocalRun, type Finished, type LocalRun } from '../support/local-run.ts';

let dynalite: Dynalite;
let local: LocalRun;
let target: MemoryTarget;
/** Executions whose check stage (refId 2) a test waits to end: resolved with its status by the store's write. */
const checkEnded = new Map<string, (status: ExecutionStatus) => void>();

beforeAll(async () => {
  dynalite = await startDynalite();
  let now = 0;
  const dynamo = createDynamoDbExecutionStore({ client: dynalite.client, tableName: dynalite.tableName, clock: { now: () => (now += 1) } });
  // The store as it is, telling the test when a check stage is written complete.
  const store: ExecutionStore = {
    ...dynamo,
    async updateStage(executionId, stageId, update) {
      const result = await dynamo.updateStage(executionId, stageId, update);
      if (result.ok && result.value.refId === '2' && isComplete(result.value.status)) checkEnded.get(executionId)?.(result.value.status);
      return result;
    },
  };
  target = createMemoryTarget({ clock: createMemoryClock() });
  // One server group in hello-prod: `== 1` holds, `== 2` does not.
  target.control.seedServerGroup({ account: 'mem', location: 'us-east-1', cluster: 'hello-prod', name: 'hello-prod-v003', capacity: { min: 1, max: 1, desired: 1 } });
  local = createLocalRun({ store, targets: () => target });
});

afterAll(async () => {
  await dynalite?.stop();
});

let counter = 0;

type Kind = 'expression' | 'clusterSize' | 'stageStatus';

/**
 * A precondition of `kind`: one that holds or not, or, without `holds`, one that holds when the
 * run's parameter `holds` is 'yes' (so one saved pipeline serves both).
 */
function precondition(kind: Kind, holds?: boolean): JsonObject {
  const byParameter = holds === undefined;
  switch (kind) {
    case 'expression':
      return { type: 'expression', context: { expression: byParameter ? "${ parameters.holds == 'yes' }" : `\${ ${holds} }` } };
    case 'clusterSize': {
      const expected = byParameter ? "${ parameters.holds == 'yes' ? 1 : 2 }" : holds ? 1 : 2;
      return { type: 'clusterSize', context: { cluster: 'hello-prod', credentials: 'mem', regions: ['us-east-1'], comparison: '==', expected } };
    }
    case 'stageStatus': {
      const stageStatus = byParameter ? "${ parameters.holds == 'yes' ? 'SUCCEEDED' : 'TERMINAL' }" : holds ? 'SUCCEEDED' : 'TERMINAL';
      return { type: 'stageStatus', context: { stageName: 'Setup', stageStatus } };
    }
  }
}

/** 1 → (2 check → 3 follows) and (4 a manual judgment). */
function pipelineWith(check: JsonObject): JsonObject {
  const id = `preconditions-${++counter}`;
  return {
    id,
    application: 'hello',
    name: id,
    stages: [
      { refId: '1', requisiteStageRefIds: [], type: 'evaluateVariables', name: 'Setup', variables: [{ key: 'ready', value: true }] },
      { refId: '2', requisiteStageRefIds: ['1'], type: 'checkPreconditions', name: 'Check', ...check },
      { refId: '3', requisiteStageRefIds: ['2'], type: 'evaluateVariables', name: 'Follows', variables: [{ key: 'after', value: true }] },
      { refId: '4', requisiteStageRefIds: ['1'], type: 'manualJudgment', name: 'Parallel' },
    ],
  };
}

/**
 * Runs a saved pipeline of `pipelineWith`: once the check has ended, the parallel judgment is
 * answered unless the check ended TERMINAL, which halts the pipeline and cancels it.
 */
async function runSaved(pipelineConfigId: string, holds: boolean): Promise<Finished> {
  const executionId = `execution-${++counter}`;
  const ended = new Promise<ExecutionStatus>((resolve) => checkEnded.set(executionId, resolve));
  const started = await local.start(pipelineConfigId, { executionId, parameters: { holds: holds ? 'yes' : 'no' } });
  if ((await ended) !== 'TERMINAL') {
    const judged = await local.judge(executionId, '4', { judgmentStatus: 'continue', user: 'anna', roles: [] });
    expect(judged.ok).toBe(true);
  }
  checkEnded.delete(executionId);
  return local.finish(started);
}

async function run(check: JsonObject, holds: boolean): Promise<Finished> {
  const saved = await local.save(pipelineWith(check));
  return runSaved(saved.id, holds);
}

/** The synthetic stages of the check in the execution document (GET /pipelines/{id}). */
function checksOf(finished: Finished): OrcaStage[] {
  const document = toOrcaExecution(finished.execution);
  const check = document.stages.find((stage) => stage.refId === '2')!;
  return document.stages.filter((stage) => stage.parentStageId === check.id);
}

type Flag = boolean | 'absent';

/**
 * What a precondition that does not hold leads to, by the stage's failPipeline, continuePipeline,
 * completeOtherBranchesThenFail and the precondition's failPipeline: the precondition's synthetic
 * stage, the stage, the execution, the stage after it and the parallel branch. Written out, not
 * computed, so the table checks the rules rather than restating them.
 */
const FAILING: ReadonlyArray<[stageFail: boolean, stageContinue: boolean, completeOthers: boolean, preconditionFail: Flag, child: string, stage: string, execution: string, follows: string, parallel: string]> = [
  // continuePipeline: the precondition's stage and the stage ignore the failure, whatever else is set.
  [true, true, false, true, 'FAILED_CONTINUE', 'FAILED_CONTINUE', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED'],
  [true, true, false, false, 'FAILED_CONTINUE', 'FAILED_CONTINUE', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED'],
  [true, true, false, 'absent', 'FAILED_CONTINUE', 'FAILED_CONTINUE', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED'],
  [true, true, true, true, 'FAILED_CONTINUE', 'FAILED_CONTINUE', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED'],
  [true, true, true, false, 'FAILED_CONTINUE', 'FAILED_CONTINUE', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED'],
  [true, true, true, 'absent', 'FAILED_CONTINUE', 'FAILED_CONTINUE', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED'],
  [false, true, false, true, 'FAILED_CONTINUE', 'FAILED_CONTINUE', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED'],
  [false, true, false, false, 'FAILED_CONTINUE', 'FAILED_CONTINUE', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED'],
  [false, true, false, 'absent', 'FAILED_CONTINUE', 'FAILED_CONTINUE', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED'],
  [false, true, true, true, 'FAILED_CONTINUE', 'FAILED_CONTINUE', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED'],
  [false, true, true, false, 'FAILED_CONTINUE', 'FAILED_CONTINUE', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED'],
  [false, true, true, 'absent', 'FAILED_CONTINUE', 'FAILED_CONTINUE', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED'],
  // failPipeline on the stage: a TERMINAL precondition halts the pipeline (the parallel judgment is canceled);
  // one with failPipeline false halts only the branch, and completeOtherBranchesThenFail then fails the pipeline at the end.
  [true, false, false, true, 'TERMINAL', 'TERMINAL', 'TERMINAL', 'NOT_STARTED', 'CANCELED'],
  [true, false, false, false, 'STOPPED', 'STOPPED', 'SUCCEEDED', 'NOT_STARTED', 'SUCCEEDED'],
  [true, false, false, 'absent', 'TERMINAL', 'TERMINAL', 'TERMINAL', 'NOT_STARTED', 'CANCELED'],
  [true, false, true, true, 'TERMINAL', 'TERMINAL', 'TERMINAL', 'NOT_STARTED', 'CANCELED'],
  [true, false, true, false, 'STOPPED', 'STOPPED', 'TERMINAL', 'NOT_STARTED', 'SUCCEEDED'],
  [true, false, true, 'absent', 'TERMINAL', 'TERMINAL', 'TERMINAL', 'NOT_STARTED', 'CANCELED'],
  // failPipeline false on the stage: a TERMINAL precondition stops the stage under the stage's own policy;
  // a precondition that leaves failPipeline out takes the stage's false.
  [false, false, false, true, 'TERMINAL', 'STOPPED', 'SUCCEEDED', 'NOT_STARTED', 'SUCCEEDED'],
  [false, false, false, false, 'STOPPED', 'STOPPED', 'SUCCEEDED', 'NOT_STARTED', 'SUCCEEDED'],
  [false, false, false, 'absent', 'STOPPED', 'STOPPED', 'SUCCEEDED', 'NOT_STARTED', 'SUCCEEDED'],
  [false, false, true, true, 'TERMINAL', 'STOPPED', 'TERMINAL', 'NOT_STARTED', 'SUCCEEDED'],
  [false, false, true, false, 'STOPPED', 'STOPPED', 'TERMINAL', 'NOT_STARTED', 'SUCCEEDED'],
  [false, false, true, 'absent', 'STOPPED', 'STOPPED', 'TERMINAL', 'NOT_STARTED', 'SUCCEEDED'],
];

const KINDS: readonly Kind[] = ['expression', 'clusterSize', 'stageStatus'];

const rows = KINDS.flatMap((kind) =>
  FAILING.map(([stageFail, stageContinue, completeOthers, preconditionFail, child, stage, execution, follows, parallel]) => ({
    kind,
    stageFail,
    stageContinue,
    completeOthers,
    preconditionFail,
    failing: { child, stage, execution, follows, parallel },
  })),
);

/** What a run shows of the table's columns. */
function outcomeOf(finished: Finished) {
  const synthetic = checksOf(finished);
  expect(synthetic).toHaveLength(1);
  const { statuses } = finished;
  return { child: synthetic[0]!.status, stage: statuses['2'], execution: finished.execution.status, follows: statuses['3'], parallel: statuses['4'] };
}

describe('checkPreconditions statuses, as Orca decides them', () => {
  it.concurrent.each(rows)(
    '$kind, stage failPipeline=$stageFail continuePipeline=$stageContinue completeOtherBranchesThenFail=$completeOthers, precondition failPipeline=$preconditionFail',
    async ({ kind, stageFail, stageContinue, completeOthers, preconditionFail, failing }) => {
      // given
      const written = precondition(kind);
      const saved = await local.save(
        pipelineWith({
          failPipeline: stageFail,
          continuePipeline: stageContinue,
          completeOtherBranchesThenFail: completeOthers,
          preconditions: [preconditionFail === 'absent' ? written : { ...written, failPipeline: preconditionFail }],
        }),
      );

      // when the precondition holds / does not
      const held = await runSaved(saved.id, true);
      const notHeld = await runSaved(saved.id, false);

      // then
      expect(outcomeOf(held)).toEqual({ child: 'SUCCEEDED', stage: 'SUCCEEDED', execution: 'SUCCEEDED', follows: 'SUCCEEDED', parallel: 'SUCCEEDED' });
      expect(outcomeOf(notHeld)).toEqual(failing);
      expect(held.statuses['1']).toBe('SUCCEEDED');
      const [synthetic] = checksOf(notHeld);
      expect([synthetic!.refId, synthetic!.name, synthetic!.type, synthetic!.syntheticStageOwner]).toEqual(['2<1', `Check precondition (${kind})`, 'checkPreconditions', 'STAGE_BEFORE']);
      expect(synthetic!.context).toMatchObject({ preconditionType: kind, failPipeline: preconditionFail === 'absent' ? stageFail : preconditionFail, continuePipeline: stageContinue });
    },
  );
});

describe('several preconditions', () => {
  it('runs each as its own synthetic stage and gives the stage the worst status: STOPPED over FAILED_CONTINUE', async () => {
    // given one that holds, one that fails with continuePipeline of its own, one that halts the branch
    const finished = await run(
      {
        preconditions: [
          precondition('stageStatus', true),
          { ...precondition('expression', false), continuePipeline: true },
          { ...precondition('clusterSize', false), failPipeline: false },
        ],
      },
      false,
    );
    // then
    expect(finished.statuses).toEqual({ '1': 'SUCCEEDED', '2': 'STOPPED', '3': 'NOT_STARTED', '4': 'SUCCEEDED' });
    expect(finished.execution.status).toBe('SUCCEEDED');
    expect(checksOf(finished).map((stage) => [stage.refId, stage.name, stage.status])).toEqual([
      ['2<1', 'Check precondition (stageStatus)', 'SUCCEEDED'],
      ['2<2', 'Check precondition (expression)', 'FAILED_CONTINUE'],
      ['2<3', 'Check precondition (clusterSize)', 'STOPPED'],
    ]);
    const stage = finished.execution.stages.find((candidate) => candidate.refId === '2')!;
    const error = (stage.context.exception as { details: { error: string } }).details.error;
    expect(error).toContain("precondition expression '${ false }' is false");
    expect(error).toContain("expected == 2 server groups of cluster 'hello-prod' in mem/us-east-1 but found 1: [hello-prod-v003]");
  });

  it('ends the stage FAILED_CONTINUE when the only failing precondition continues, and the branch goes on', async () => {
    const finished = await run({ preconditions: [precondition('expression', true), { ...precondition('stageStatus', false), continuePipeline: true }] }, false);
    expect(finished.statuses).toEqual({ '1': 'SUCCEEDED', '2': 'FAILED_CONTINUE', '3': 'SUCCEEDED', '4': 'SUCCEEDED' });
    expect(checksOf(finished).map((stage) => stage.status)).toEqual(['SUCCEEDED', 'FAILED_CONTINUE']);
  });

  it("fails the pipeline at the end when a stopped precondition sets completeOtherBranchesThenFail of its own", async () => {
    const finished = await run({ preconditions: [{ ...precondition('expression', false), failPipeline: false, completeOtherBranchesThenFail: true }] }, false);
    expect(finished.statuses).toEqual({ '1': 'SUCCEEDED', '2': 'STOPPED', '3': 'NOT_STARTED', '4': 'SUCCEEDED' });
    expect(finished.execution.status).toBe('TERMINAL');
  });

  it('ends a stage without preconditions SKIPPED, as Orca ends a stage with nothing to run, and the branch goes on', async () => {
    const finished = await run({ preconditions: [] }, true);
    expect(finished.statuses).toEqual({ '1': 'SUCCEEDED', '2': 'SKIPPED', '3': 'SUCCEEDED', '4': 'SUCCEEDED' });
    expect(checksOf(finished)).toEqual([]);
  });
});

describe('the synthetic stages in the execution document and the stage tree', () => {
  it("carry the stage's context merged with the precondition's, the expression's result and the failure", async () => {
    // given a clusterSize precondition that takes cluster, credentials and regions from its stage
    const finished = await run({
      failPipeline: false,
      cluster: 'hello-prod',
      credentials: 'mem',
      regions: ['us-east-1'],
      preconditions: [
        { type: 'clusterSize', failPipeline: true, context: { comparison: '>=', expected: 1 } },
        { type: 'expression', context: { expression: "${ parameters.holds == 'yes' }" } },
      ],
    }, false);
    // then
    expect(finished.statuses['2']).toBe('STOPPED');
    const [size, expression] = checksOf(finished);
    expect(size!.status).toBe('SUCCEEDED');
    expect(size!.context).toMatchObject({
      type: 'checkPreconditions',
      preconditionType: 'clusterSize',
      failPipeline: true,
      cluster: 'hello-prod',
      context: { cluster: 'hello-prod', credentials: 'mem', regions: ['us-east-1'], comparison: '>=', expected: 1 },
    });
    expect(size!.context).not.toHaveProperty('preconditions');
    expect(size!.context).not.toHaveProperty('exception');
    expect(expression!.status).toBe('STOPPED');
    expect(expression!.context).toMatchObject({
      preconditionType: 'expression',
      failPipeline: false,
      context: { expression: "${ parameters.holds == 'yes' }", expressionResult: 'false' },
      exception: { details: { error: "precondition expression '${ parameters.holds == 'yes' }' is false" } },
    });
    const check = finished.execution.stages.find((stage) => stage.refId === '2')!;
    expect(expression!.parentStageId).toBe(check.id);
    expect(expression!.startTime).toBe(check.startTime);

    // and the stage tree of `gennaker run` and `execution watch` shows them under their stage, with the reason
    const stages = progressOf(finished.execution, 0, syntheticStagesOf);
    const tree = stages.map((line) => [line.name, line.status, line.depth, line.reason]);
    const at = tree.findIndex(([name]) => name === 'Check');
    expect(tree.slice(at, at + 3)).toEqual([
      ['Check', 'STOPPED', 1, "precondition expression '${ parameters.holds == 'yes' }' is false"],
      ['Check precondition (clusterSize)', 'SUCCEEDED', 2, undefined],
      ['Check precondition (expression)', 'STOPPED', 2, "precondition expression '${ parameters.holds == 'yes' }' is false"],
    ]);
    const printed: string[] = [];
    const terminal = createTerminalIoHost({ stdout: { write: () => true }, stderr: { write: (text: string) => printed.push(...text.trimEnd().split('\n')) } });
    terminal.emit({ kind: 'execution-progress', executionId: finished.execution.id, pipeline: 'Release', status: finished.execution.status, statusChanged: false, stages, changed: stages.slice(at, at + 3) });
    expect(printed).toEqual([
      expect.stringMatching(/^Release: stage 'Check' \[2\] STOPPED \(\d+ ms\): precondition expression '\$\{ parameters.holds == 'yes' \}' is false$/),
      expect.stringMatching(/^Release: stage 'Check precondition \(clusterSize\)' \[2<1\] SUCCEEDED \(\d+ ms\)$/),
      expect.stringMatching(/^Release: stage 'Check precondition \(expression\)' \[2<2\] STOPPED \(\d+ ms\): precondition expression '\$\{ parameters.holds == 'yes' \}' is false$/),
    ]);
  });

  it('refuses a clusterSize precondition that names no cluster when its stage names none either', () => {
    const parsed = parsePipeline(pipelineWith({ preconditions: [{ type: 'clusterSize', context: { credentials: 'mem', regions: ['us-east-1'] } }] }));
    expect(parsed.issues.filter((issue) => issue.severity === 'error').map((issue) => `${issue.pointer}: ${issue.message}`)).toEqual([
      "/stages/1/preconditions/0/context/cluster: 'cluster' is required; add the cluster to count, e.g. 'hello-prod', in the precondition's context or on the stage",
    ]);
  });
});
