/**
 * Drives one stage's compiled tasks in memory as the stage runner would, for fast tests of the
 * step executor and the stages built on it: the record's runtime is written back after each call
 * (conditioned on its revision once a task saved mid-call, as the runner does), a RUNNING answer
 * moves the memory target's clock by the seconds asked, and a lost race is retried as the state
 * machine retries `Gennaker.WriteConflict`. Options deliver every call twice, concurrently, or
 * drop a call's final write (a crash after the side effects).
 */
import { isGennakerError } from '../../core/errors.ts';
import { parsePipeline, planStage, type Stage, type TaskStep } from '../../core/pipeline/index.ts';
import type { Application, ApplicationStore, Execution, JsonObject, StageRecord, TrafficGuard } from '../../core/ports/execution-store.ts';
import type { TaskInput, TaskResult } from '../../core/stages/task-result.ts';
import type { MemoryClock } from '../../adapters/targets/memory/memory-target.ts';

export type StageTask = (input: TaskInput) => Promise<TaskResult>;

export interface DriveOptions {
  /** Every call is delivered twice at once (Step Functions is at-least-once). */
  readonly twice?: boolean;
  /**
   * Calls (1-based, counted over the whole stage) that die after acting and before their final
   * write, as when the process is killed: the state machine delivers the call again.
   */
  readonly loseWritesOf?: readonly number[];
  /** Retries of a retryable error before giving up. @default 10 */
  readonly maxRetries?: number;
  /** The execution's trigger (its bound artifacts, say). @default a manual trigger by anna */
  readonly trigger?: JsonObject;
}

export interface DriveResult {
  /** SUCCEEDED, or the failed task's message. */
  readonly status: 'SUCCEEDED' | 'TERMINAL';
  readonly message?: string;
  readonly record: StageRecord;
  /** Retryable errors the calls raised, by name. */
  readonly retried: readonly string[];
  readonly calls: number;
}

/** A stage record for `stage` whose context is its config, as evaluated at stage start. */
export function stageOf(stageJson: JsonObject, application = 'hello'): { stage: Stage; record: StageRecord; tasks: readonly TaskStep[]; execution: Execution } {
  const parsed = parsePipeline({ application, name: 'p', stages: [{ refId: '1', name: 'Stage', ...stageJson }] });
  if (!parsed.pipeline) throw new Error(`invalid stage: ${JSON.stringify(parsed.issues)}`);
  const stage = parsed.pipeline.stages[0] as Stage;
  const { refId: _refId, name: _name, ...context } = { refId: '1', name: 'Stage', ...stageJson };
  const record: StageRecord = {
    id: 's1',
    refId: '1',
    type: stage.type,
    name: stage.name,
    requisiteStageRefIds: [],
    status: 'RUNNING',
    context,
    outputs: {},
    runtime: {},
    awaitingCallback: false,
    revision: 1,
    lastModified: 0,
  } as StageRecord;
  const execution = { id: 'e1', application, name: 'p', status: 'RUNNING', stages: [record], trigger: { type: 'manual', user: 'anna' } } as unknown as Execution;
  return { stage, record, tasks: planStage(stage), execution };
}

/** The application store of a driven stage: its application `hello` with `trafficGuards`, or no record at all. */
export function guardedApplications(trafficGuards: readonly TrafficGuard[] | undefined): Pick<ApplicationStore, 'getApplication'> {
  if (!trafficGuards) return { getApplication: async () => undefined };
  const application: Application = { name: 'hello', accounts: [], trafficGuards, permissions: {}, raw: {}, revision: 1, createdAt: 0, updatedAt: 0 };
  return { getApplication: async (name) => (name === 'hello' ? application : undefined) };
}

/** Runs every task of the stage to its end. */
export async function driveStage(stageJson: JsonObject, run: StageTask, clock: MemoryClock, options: DriveOptions = {}): Promise<DriveResult> {
  const { stage, tasks, execution: made } = stageOf(stageJson);
  const execution = options.trigger ? ({ ...made, trigger: options.trigger } as Execution) : made;
  let record = stageOf(stageJson).record;
  const retried: string[] = [];
  let calls = 0;
  const maxRetries = options.maxRetries ?? 10;

  /** One delivery of one call: a save mid-call and the final write, both at the revision it saw. */
  const deliver = async (task: TaskStep, poll: number): Promise<TaskResult | 'conflict' | 'lost'> => {
    const seen = record;
    let saved: StageRecord | undefined;
    const input: TaskInput = {
      stage,
      record: seen,
      execution: { ...execution, stages: [seen] },
      task: task.name,
      now: clock.now(),
      poll,
      expressions: {} as TaskInput['expressions'],
      saveRuntime: async (key, value) => {
        const base = saved ?? seen;
        if (record.revision !== base.revision) {
          saved = record;
          return { ok: false, current: record.runtime[key] };
        }
        record = { ...record, runtime: { ...record.runtime, [key]: value }, revision: record.revision + 1 };
        saved = record;
        return { ok: true };
      },
    };
    calls += 1;
    const call = calls;
    const result = await run(input);
    if (options.loseWritesOf?.includes(call)) return 'lost';
    const base = saved ?? seen;
    // The runner conditions the write on the revision once the call saved, or when the result asks.
    if ((saved !== undefined || result.exclusive === true) && record.revision !== base.revision) return 'conflict';
    record = {
      ...record,
      runtime: { ...base.runtime, ...result.runtime },
      context: { ...record.context, ...result.context },
      ...(result.kind === 'succeeded' && result.outputs ? { outputs: { ...record.outputs, ...result.outputs } } : {}),
      revision: record.revision + 1,
    };
    return result;
  };

  for (const task of tasks) {
    let poll = 1;
    let attempts = 0;
    for (;;) {
      let results: Array<TaskResult | 'conflict' | 'lost'>;
      try {
        results = options.twice ? await Promise.all([deliver(task, poll), deliver(task, poll)]) : [await deliver(task, poll)];
      } catch (error) {
        if (!isGennakerError(error) || !error.retryable || attempts >= maxRetries) throw error;
        retried.push(error.name);
        attempts += 1;
        clock.advance(1_000);
        continue;
      }
      if (results.includes('lost')) {
        retried.push('lost');
        continue;
      }
      const answers = results.filter((result): result is TaskResult => result !== 'conflict' && result !== 'lost');
      const answer = answers[0];
      if (!answer) {
        retried.push('Gennaker.WriteConflict');
        continue;
      }
      if (answer.kind === 'failed') return { status: 'TERMINAL', message: answer.message, record, retried, calls };
      if (answer.kind === 'succeeded') break;
      if (task.kind !== 'poll') throw new Error(`the run step ${task.name} answered RUNNING`);
      poll += 1;
      if (poll > (task.maxPolls ?? 100)) throw new Error(`${task.name} is still running after ${poll} polls`);
      clock.advance(Math.max(1, answer.waitSeconds) * 1000);
    }
  }
  return { status: 'SUCCEEDED', record, retried, calls };
}
