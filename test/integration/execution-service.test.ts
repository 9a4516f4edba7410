/**
 * The execution service on the real local runtime: dynalite as DynamoDB, the compiled ASL on
 * the local engine, every Task bound to the real stage runner. Starting, canceling, judging,
 * restarting, crash recovery, and the concurrency rules of `reference/spinnaker.md` §1.4 under
 * a burst of starts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUPERSEDED_CANCELLATION_REASON } from '../../core/execution/concurrency.ts';
import type { Caller } from '../../core/execution/execution-service-api.ts';
import { isComplete } from '../../core/execution/status.ts';
import type { GennakerEvent } from '../../core/ports/event-bus.ts';
import type { Execution } from '../../core/ports/execution-store.ts';
import { createLocalRuntime, type LocalRuntime } from '../../local/wiring.ts';

const caller: Caller = { user: 'ana', roles: ['deployers'] };
const APPLICATION = 'itest';

let runtime: LocalRuntime;
const events: GennakerEvent[] = [];

beforeAll(async () => {
  runtime = await createLocalRuntime({ retryDelayMs: 5 });
  runtime.bus.subscribe((event) => {
    events.push(event);
  });
});

afterAll(async () => {
  await runtime?.close();
});

let counter = 0;
/** A pipeline of its own for each test, so slots and queues never mix. */
function pipeline(stages: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  counter += 1;
  return { application: APPLICATION, name: `pipeline ${counter} ${extra['name'] ?? ''}`.trim(), stages, ...extra };
}

const judgment = (refId: string, parents: string[] = [], extra: Record<string, unknown> = {}) => ({
  refId,
  requisiteStageRefIds: parents,
  type: 'manualJudgment',
  name: `Approve ${refId}`,
  ...extra,
});
const variables = (refId: string, parents: string[] = [], value = 'x') => ({
  refId,
  requisiteStageRefIds: parents,
  type: 'evaluateVariables',
  name: `Variables ${refId}`,
  variables: [{ key: `v${refId}`, value }],
});
const wait = (refId: string, parents: string[] = [], waitTime = 0) => ({ refId, requisiteStageRefIds: parents, type: 'wait', name: `Wait ${refId}`, waitTime });

async function save(rt: LocalRuntime, config: Record<string, unknown>): Promise<string> {
  const saved = await rt.service.savePipeline({ config }, caller);
  if (!saved.ok) throw new Error(`save failed: ${JSON.stringify(saved)}`);
  return saved.saved.id;
}

async function start(rt: LocalRuntime, pipelineId: string, trigger: Record<string, unknown> = {}, idempotencyKey?: string) {
  const started = await rt.service.startPipeline(
    { application: APPLICATION, pipeline: pipelineId, trigger: { type: 'manual', ...trigger }, ...(idempotencyKey ? { idempotencyKey } : {}) },
    caller,
  );
  if (!started.ok) throw new Error(`start failed: ${JSON.stringify(started)}`);
  return started;
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function finished(rt: LocalRuntime, executionId: string, timeoutMs = 10_000): Promise<Execution> {
  const execution = await until(`execution ${executionId} to complete`, async () => {
    const found = await rt.store.getExecution(executionId);
    return found && isComplete(found.status) ? found : undefined;
  }, timeoutMs);
  await rt.idle();
  return (await rt.store.getExecution(executionId)) ?? execution;
}

async function awaitingJudgment(rt: LocalRuntime, executionId: string, refId: string): Promise<Execution> {
  return until(`stage ${refId} of ${executionId} to wait for a judgment`, async () => {
    const found = await rt.store.getExecution(executionId);
    const stage = found?.stages.find((candidate) => candidate.refId === refId);
    return stage?.status === 'RUNNING' && stage.awaitingCallback ? found : undefined;
  });
}

const statuses = (execution: Execution) => Object.fromEntries(execution.stages.map((stage) => [stage.refId, stage.status]));

describe('starting and finishing', () => {
  it('runs a pipeline to SUCCEEDED and announces its completion', async () => {
    // given
    const id = await save(runtime, pipeline([variables('1'), wait('2', ['1']), variables('3', ['1']), variables('4', ['2', '3'])]));
    // when
    const started = await start(runtime, id);
    const execution = await finished(runtime, started.executionId);
    // then
    expect(started).toMatchObject({ status: 'RUNNING', duplicate: false });
    expect(execution.status).toBe('SUCCEEDED');
    expect(statuses(execution)).toEqual({ 1: 'SUCCEEDED', 2: 'SUCCEEDED', 3: 'SUCCEEDED', 4: 'SUCCEEDED' });
    expect(execution.trigger).toMatchObject({ type: 'manual', user: 'ana' });
    expect(events).toContainEqual(expect.objectContaining({ type: 'Pipeline Execution Completed', executionId: started.executionId, status: 'SUCCEEDED' }));
  });

  it('refuses a pipeline whose compile or validation fails, changing nothing', async () => {
    const saved = await runtime.service.savePipeline({ config: pipeline([variables('1', ['9'])]) }, caller);
    expect(saved).toMatchObject({ ok: false, reason: 'invalid' });
  });

  it('refuses to start a disabled pipeline and one with stages that cannot run yet', async () => {
    const disabled = await save(runtime, pipeline([variables('1')], { disabled: true }));
    const deploy = await save(runtime, pipeline([{ refId: '1', type: 'findImageFromTags', name: 'Find', packageName: 'app', tags: { stack: 'prod' } }]));
    const refusedDisabled = await runtime.service.startPipeline({ application: APPLICATION, pipeline: disabled, trigger: { type: 'manual' } }, caller);
    const refusedType = await runtime.service.startPipeline({ application: APPLICATION, pipeline: deploy, trigger: { type: 'manual' } }, caller);
    expect(refusedDisabled).toMatchObject({ ok: false, reason: 'disabled' });
    expect(refusedType).toMatchObject({ ok: false, reason: 'invalid' });
    if (!refusedType.ok) expect(refusedType.message).toMatch(/'Find' \(refId 1, type findImageFromTags\)/);
  });

  it('starts once per idempotency key and once per running correlation id', async () => {
    const id = await save(runtime, pipeline([judgment('1')]));
    const first = await start(runtime, id, {}, 'event-1');
    const again = await start(runtime, id, {}, 'event-1');
    expect(again).toEqual({ ok: true, executionId: first.executionId, status: 'RUNNING', duplicate: true });

    const correlated = await start(runtime, id, { correlationId: 'c-1' });
    const correlatedAgain = await start(runtime, id, { correlationId: 'c-1' });
    expect(correlatedAgain).toMatchObject({ executionId: correlated.executionId, duplicate: true });

    for (const executionId of [first.executionId, correlated.executionId]) await runtime.service.cancelExecution(executionId, caller);
    await finished(runtime, correlated.executionId);
    // A completed correlated execution lets a new one start (Orca's checkForCorrelatedExecution).
    const after = await start(runtime, id, { correlationId: 'c-1' });
    expect(after.executionId).not.toBe(correlated.executionId);
    await runtime.service.cancelExecution(after.executionId, caller);
    await finished(runtime, after.executionId);
  });
});

describe('canceling', () => {
  it('cancels a running execution: CANCELED with who and why, its waiting stage closed', async () => {
    const id = await save(runtime, pipeline([judgment('1'), variables('2', ['1'])]));
    const started = await start(runtime, id);
    await awaitingJudgment(runtime, started.executionId, '1');
    // when
    const canceled = await runtime.service.cancelExecution(started.executionId, caller, { reason: 'wrong build' });
    const execution = await finished(runtime, started.executionId);
    // then
    expect(canceled).toEqual({ ok: true });
    expect(execution).toMatchObject({ status: 'CANCELED', canceled: true, canceledBy: 'ana', cancellationReason: 'wrong build' });
    expect(statuses(execution)).toEqual({ 1: 'CANCELED', 2: 'NOT_STARTED' });
    expect(await runtime.service.cancelExecution(started.executionId, caller)).toMatchObject({ ok: false, reason: 'conflict' });
  });

  it('cancels a queued execution and leaves the running one alone', async () => {
    const id = await save(runtime, pipeline([judgment('1')], { limitConcurrent: true, keepWaitingPipelines: true }));
    const running = await start(runtime, id);
    const queued = await start(runtime, id);
    expect(queued.status).toBe('NOT_STARTED');
    // when
    expect(await runtime.service.cancelExecution(queued.executionId, caller)).toEqual({ ok: true });
    // then
    const canceled = await runtime.store.getExecution(queued.executionId);
    expect(canceled).toMatchObject({ status: 'CANCELED', canceledBy: 'ana' });
    expect(await runtime.store.listWaiting(id)).toEqual([]);
    await awaitingJudgment(runtime, running.executionId, '1');
    expect(await runtime.service.judgeStage(running.executionId, '1', { judgmentStatus: 'continue' }, caller)).toEqual({ ok: true });
    expect((await finished(runtime, running.executionId)).status).toBe('SUCCEEDED');
    expect(await runtime.store.getSlotHolders(id)).toEqual([]);
  });
});

describe('manual judgment', () => {
  it('continues on continue and records who judged', async () => {
    const id = await save(runtime, pipeline([judgment('1', [], { judgmentInputs: [{ value: 'ship' }] }), variables('2', ['1'])]));
    const started = await start(runtime, id);
    await awaitingJudgment(runtime, started.executionId, '1');
    const judged = await runtime.service.judgeStage(started.executionId, '1', { judgmentStatus: 'continue', judgmentInput: 'ship' }, caller);
    const execution = await finished(runtime, started.executionId);
    expect(judged).toEqual({ ok: true });
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.stages[0]!.context).toMatchObject({ judgmentStatus: 'continue', judgmentInput: 'ship', lastModifiedBy: 'ana' });
  });

  it('halts the pipeline on stop', async () => {
    const id = await save(runtime, pipeline([judgment('1'), variables('2', ['1'])]));
    const started = await start(runtime, id);
    await awaitingJudgment(runtime, started.executionId, '1');
    await runtime.service.judgeStage(started.executionId, '1', { judgmentStatus: 'stop' }, caller);
    const execution = await finished(runtime, started.executionId);
    expect(execution.status).toBe('TERMINAL');
    expect(statuses(execution)).toEqual({ 1: 'TERMINAL', 2: 'NOT_STARTED' });
  });

  it('accepts exactly one of two concurrent judgments; the other gets conflict', async () => {
    const id = await save(runtime, pipeline([judgment('1')]));
    const started = await start(runtime, id);
    const execution = await awaitingJudgment(runtime, started.executionId, '1');
    const stageId = execution.stages[0]!.id;
    const results = await Promise.all([
      runtime.service.judgeStage(started.executionId, stageId, { judgmentStatus: 'continue' }, caller),
      runtime.service.judgeStage(started.executionId, stageId, { judgmentStatus: 'stop' }, { user: 'bob', roles: [] }),
    ]);
    expect(results.filter((result) => result.ok)).toHaveLength(1);
    expect(results.filter((result) => !result.ok)).toEqual([expect.objectContaining({ ok: false, reason: 'conflict' })]);
    const ended = await finished(runtime, started.executionId);
    expect(['SUCCEEDED', 'TERMINAL']).toContain(ended.status);
  });

  it('refuses a judge without the roles the stage requires', async () => {
    const id = await save(runtime, pipeline([judgment('1', [], { selectedStageRoles: ['release-managers'] })]));
    const started = await start(runtime, id);
    await awaitingJudgment(runtime, started.executionId, '1');
    const refused = await runtime.service.judgeStage(started.executionId, '1', { judgmentStatus: 'continue' }, caller);
    expect(refused).toMatchObject({ ok: false, reason: 'forbidden' });
    await runtime.service.cancelExecution(started.executionId, caller);
    await finished(runtime, started.executionId);
  });
});

describe('skip wait', () => {
  it('sets skipRemainingWait in the running wait stage', async () => {
    const id = await save(runtime, pipeline([wait('1', [], 120)]));
    const started = await start(runtime, id);
    await until('the wait to run', async () => (await runtime.store.getExecution(started.executionId))?.stages[0]?.status === 'RUNNING');
    expect(await runtime.service.skipWait(started.executionId, '1', caller)).toEqual({ ok: true });
    expect((await runtime.store.getExecution(started.executionId))!.stages[0]!.context).toMatchObject({ skipRemainingWait: true });
    await runtime.service.cancelExecution(started.executionId, caller);
    await finished(runtime, started.executionId);
  });
});

describe('restarting', () => {
  it('restarts a stage in a new execution that keeps the stages that succeeded outside its downstream', async () => {
    // given: 1 succeeds, 2 is stopped by its judge, 3 never starts
    const id = await save(runtime, pipeline([variables('1', [], 'first'), judgment('2', ['1']), variables('3', ['2'])]));
    const original = await start(runtime, id);
    await awaitingJudgment(runtime, original.executionId, '2');
    await runtime.service.judgeStage(original.executionId, '2', { judgmentStatus: 'stop' }, caller);
    const failed = await finished(runtime, original.executionId);
    expect(statuses(failed)).toEqual({ 1: 'SUCCEEDED', 2: 'TERMINAL', 3: 'NOT_STARTED' });
    // when
    const restarted = await runtime.service.restartStage(original.executionId, failed.stages[1]!.id, caller);
    if (!restarted.ok) throw new Error(restarted.message);
    await awaitingJudgment(runtime, restarted.executionId, '2');
    await runtime.service.judgeStage(restarted.executionId, '2', { judgmentStatus: 'continue' }, caller);
    const rerun = await finished(runtime, restarted.executionId);
    // then
    expect(restarted.executionId).not.toBe(original.executionId);
    expect(rerun.status).toBe('SUCCEEDED');
    expect(statuses(rerun)).toEqual({ 1: 'SUCCEEDED', 2: 'SUCCEEDED', 3: 'SUCCEEDED' });
    const kept = rerun.stages[0]!;
    expect(kept.startTime).toBe(failed.stages[0]!.startTime);
    expect(kept.outputs).toEqual(failed.stages[0]!.outputs);
    expect(rerun.trigger).toMatchObject({ restartedFrom: { executionId: original.executionId, stageId: failed.stages[1]!.id } });
  });

  it('restarts a stage downstream of a judged manualJudgment: the kept judgment is passed, not waited for again', async () => {
    // given: 1 is judged continue, 2 (after it) is judged stop
    const id = await save(runtime, pipeline([judgment('1'), judgment('2', ['1']), variables('3', ['2'])]));
    const original = await start(runtime, id);
    await awaitingJudgment(runtime, original.executionId, '1');
    await runtime.service.judgeStage(original.executionId, '1', { judgmentStatus: 'continue' }, caller);
    await awaitingJudgment(runtime, original.executionId, '2');
    await runtime.service.judgeStage(original.executionId, '2', { judgmentStatus: 'stop' }, caller);
    const failed = await finished(runtime, original.executionId);
    expect(statuses(failed)).toEqual({ 1: 'SUCCEEDED', 2: 'TERMINAL', 3: 'NOT_STARTED' });
    // when: 2 is restarted
    const restarted = await runtime.service.restartStage(original.executionId, failed.stages[1]!.id, caller);
    if (!restarted.ok) throw new Error(restarted.message);
    // then: it waits for its own judgment (the state machine went past the kept one) and finishes
    await awaitingJudgment(runtime, restarted.executionId, '2');
    await runtime.service.judgeStage(restarted.executionId, '2', { judgmentStatus: 'continue' }, caller);
    const rerun = await finished(runtime, restarted.executionId);
    expect(rerun.status).toBe('SUCCEEDED');
    expect(statuses(rerun)).toEqual({ 1: 'SUCCEEDED', 2: 'SUCCEEDED', 3: 'SUCCEEDED' });
    expect(rerun.stages[0]!.context).toMatchObject({ judgmentStatus: 'continue' });
  });

  it('passes a manualJudgment that its stageEnabled skips, instead of waiting for a judgment no one can give', async () => {
    const id = await save(runtime, pipeline([judgment('1', [], { stageEnabled: { type: 'expression', expression: 'false' } }), variables('2', ['1'])]));
    const execution = await finished(runtime, (await start(runtime, id)).executionId);
    expect(execution.status).toBe('SUCCEEDED');
    expect(statuses(execution)).toEqual({ 1: 'SKIPPED', 2: 'SUCCEEDED' });
  });
});

describe('crash recovery', () => {
  it('resumes executions a stopped process left running where they stopped, and what waited behind them runs after', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gennaker-recovery-'));
    try {
      // given: one execution waiting for a judgment and one queued behind it, then the process stops
      const first = await createLocalRuntime({ dataDir });
      const id = await save(first, pipeline([variables('1'), judgment('2', ['1'])], { limitConcurrent: true, keepWaitingPipelines: true }));
      const interrupted = await start(first, id);
      const queued = await start(first, id);
      await awaitingJudgment(first, interrupted.executionId, '2');
      const before = await first.store.getExecution(interrupted.executionId);
      await first.close();

      // when: a new process opens the same data
      const second = await createLocalRuntime({ dataDir });
      try {
        // then the interrupted execution runs on, from the judgment it waited at
        expect(second.recovered).toEqual({ resumed: [interrupted.executionId], terminated: [] });
        await awaitingJudgment(second, interrupted.executionId, '2');
        await second.service.judgeStage(interrupted.executionId, '2', { judgmentStatus: 'continue' }, caller);
        // (not `finished`: the queued execution starts next and waits for its own judgment, so the runtime is never idle here)
        const resumed = await until('the resumed execution to complete', async () => {
          const found = await second.store.getExecution(interrupted.executionId);
          return found && isComplete(found.status) ? found : undefined;
        });
        expect(resumed.status).toBe('SUCCEEDED');
        // the stage done before the stop did not run again
        expect(resumed.stages[0]!.startTime).toBe(before!.stages[0]!.startTime);
        expect(resumed.stages[0]!.endTime).toBe(before!.stages[0]!.endTime);
        // nothing lost: the queued execution got the slot after it and runs
        await awaitingJudgment(second, queued.executionId, '2');
        await second.service.judgeStage(queued.executionId, '2', { judgmentStatus: 'continue' }, caller);
        expect((await finished(second, queued.executionId)).status).toBe('SUCCEEDED');
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('concurrency under a burst of 50 starts (limitConcurrent)', () => {
  /** Fires 50 starts at once; checks that one runs and the rest wait. */
  async function burst(keepWaitingPipelines: boolean) {
    const id = await save(runtime, pipeline([judgment('1')], { limitConcurrent: true, keepWaitingPipelines }));
    const results = await Promise.all(Array.from({ length: 50 }, () => start(runtime, id)));
    const running = results.filter((result) => result.status === 'RUNNING');
    expect(running).toHaveLength(1);
    expect(results.filter((result) => result.status === 'NOT_STARTED')).toHaveLength(49);
    const page = await runtime.store.listExecutions({ pipelineConfigId: id }, { limit: 100 });
    expect(page.items.filter((header) => header.status === 'RUNNING')).toHaveLength(1);
    return { id, results, first: running[0]!.executionId };
  }

  /** The RUNNING executions of the pipeline, sampled while the test runs. */
  function sampleRunning(id: string) {
    let max = 0;
    let stopped = false;
    const loop = (async () => {
      while (!stopped) {
        const page = await runtime.store.listExecutions({ pipelineConfigId: id, statuses: ['RUNNING', 'PAUSED'] }, { limit: 100 });
        max = Math.max(max, page.items.length);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    return {
      async stop() {
        stopped = true;
        await loop;
        return max;
      },
    };
  }

  /** No two executions' [startTime, endTime] overlap. */
  function expectSerial(executions: readonly Execution[]) {
    const ran = executions.filter((execution) => execution.startTime !== undefined).sort((a, b) => a.startTime! - b.startTime!);
    for (let i = 1; i < ran.length; i++) expect(ran[i]!.startTime!).toBeGreaterThanOrEqual(ran[i - 1]!.endTime!);
  }

  it('runs the newest waiting execution next and cancels the older ones as superseded (keepWaitingPipelines false)', async () => {
    const { id, results, first } = await burst(false);
    const sampler = sampleRunning(id);
    const waiting = await runtime.store.listWaiting(id);
    expect(waiting).toHaveLength(49);
    const newest = [...waiting].sort((a, b) => a.sequence - b.sequence).at(-1)!.executionId;
    // when the running one finishes
    await awaitingJudgment(runtime, first, '1');
    await runtime.service.judgeStage(first, '1', { judgmentStatus: 'continue' }, caller);
    await awaitingJudgment(runtime, newest, '1');
    await runtime.service.judgeStage(newest, '1', { judgmentStatus: 'continue' }, caller);
    await finished(runtime, newest);
    // then
    const all = await Promise.all(results.map((result) => finished(runtime, result.executionId)));
    expect(await sampler.stop()).toBeLessThanOrEqual(1);
    const byId = new Map(all.map((execution) => [execution.id, execution]));
    expect(byId.get(first)!.status).toBe('SUCCEEDED');
    expect(byId.get(newest)!.status).toBe('SUCCEEDED');
    const superseded = all.filter((execution) => execution.id !== first && execution.id !== newest);
    expect(superseded).toHaveLength(48);
    for (const execution of superseded) {
      expect(execution).toMatchObject({ status: 'CANCELED', canceledBy: 'spinnaker', cancellationReason: SUPERSEDED_CANCELLATION_REASON });
      expect(execution.startTime).toBeUndefined();
    }
    expectSerial(all);
    expect(await runtime.store.listWaiting(id)).toEqual([]);
    expect(await runtime.store.getSlotHolders(id)).toEqual([]);
  }, 120_000);

  it('runs the waiting executions one at a time in arrival order (keepWaitingPipelines true)', async () => {
    const { id, results, first } = await burst(true);
    const sampler = sampleRunning(id);
    const order = [...(await runtime.store.listWaiting(id))].sort((a, b) => a.sequence - b.sequence).map((entry) => entry.executionId);
    expect(order).toHaveLength(49);
    // when each running execution is judged in turn
    const ranInOrder: string[] = [];
    let current = first;
    for (let i = 0; i < 50; i++) {
      await awaitingJudgment(runtime, current, '1');
      ranInOrder.push(current);
      await runtime.service.judgeStage(current, '1', { judgmentStatus: 'continue' }, caller);
      if (i < 49) current = order[i]!;
    }
    // then
    const all = await Promise.all(results.map((result) => finished(runtime, result.executionId)));
    expect(await sampler.stop()).toBeLessThanOrEqual(1);
    expect(ranInOrder).toEqual([first, ...order]);
    expect(all.every((execution) => execution.status === 'SUCCEEDED')).toBe(true);
    expectSerial(all);
    expect(await runtime.store.getSlotHolders(id)).toEqual([]);
  }, 120_000);
});
