/**
 * An in-memory stage runner for tests. It keeps the runner contract of statemachines/README.md
 * exactly — join rule, stageEnabled, failure policies, fault handling, final status — with
 * core/execution/semantics.ts over an in-memory status table; what each stage's steps do is
 * scripted per test. Like the store, a complete status never changes again.
 */
import { ERROR_CATALOG, GennakerError, type ErrorName } from '../../core/errors.ts';
import {
  COMPLETE_TASK,
  FAULT_TASK,
  stageSteps,
  type CompleteAnswer,
  type StageAnswer,
  type StageRunnerRequest,
} from '../../core/execution/runner-contract.ts';
import { canStart, executionStatus, failureStatus, upstreamIndex } from '../../core/execution/semantics.ts';
import { isComplete, type ExecutionStatus } from '../../core/execution/status.ts';
import type { Pipeline, TaskStep } from '../../core/pipeline/model.ts';
import type { StagePlanner } from '../../statemachines/index.ts';
import type { AslInvokeRequest } from '../../local/asl-engine.ts';

/** What a stage does when it runs. */
export interface StageScript {
  /** `false`: the stageEnabled expression evaluated false, so the stage is SKIPPED. */
  readonly enabled?: boolean;
  /** The step fails (an expected failure: a value, not an error) and the failure policy applies. */
  readonly fails?: boolean;
  /** Which step fails or throws; default: the last one. */
  readonly at?: string;
  /** The step throws an error of this name (a fault): retryable catalog names are retried by the state machine. */
  readonly throws?: string;
  /** How many times it throws before behaving (default: always). */
  readonly throwTimes?: number;
  /** Poll steps answer RUNNING this many times before they finish (default 0). */
  readonly polls?: number;
  /** Milliseconds the handler takes for each call. */
  readonly delayMs?: number;
}

export interface RunnerCall {
  readonly refId?: string;
  readonly task: string;
  readonly answer?: string;
}

export interface ScriptedRunner {
  /** The stage runner: bind it to the engine's `invoke`. */
  readonly invoke: (request: AslInvokeRequest) => Promise<unknown>;
  /** Every call, in order, with the status answered. */
  readonly calls: readonly RunnerCall[];
  status(refId: string): ExecutionStatus;
  statuses(): Record<string, ExecutionStatus>;
  /** The final status the completion computed, once it ran. */
  finalStatus(): ExecutionStatus | undefined;
  /** The token a callback step of `refId` stored (as the runner stores it with the stage). */
  token(refId: string): string | undefined;
  /**
   * The judgment API's side of a manual judgment: records the decision and returns the answer
   * to send with SendTaskSuccess (continue: the stage succeeds; stop: it fails under its policy).
   */
  judge(refId: string, judgment: 'continue' | 'stop'): StageAnswer;
}

interface StageRecord {
  status: ExecutionStatus;
  readonly polls: Map<string, number>;
  readonly throwsLeft: Map<string, number>;
  token?: string;
}

export function createScriptedRunner(
  pipeline: Pipeline,
  planStage: StagePlanner,
  scripts: Readonly<Record<string, StageScript>> = {},
): ScriptedRunner {
  const stages = new Map(pipeline.stages.map((stage) => [stage.refId, stage] as const));
  const steps = new Map<string, readonly TaskStep[]>(pipeline.stages.map((stage) => [stage.refId, stageSteps(stage, planStage(stage))]));
  const records = new Map<string, StageRecord>(
    pipeline.stages.map((stage) => [stage.refId, { status: 'NOT_STARTED', polls: new Map(), throwsLeft: new Map() }]),
  );
  const calls: RunnerCall[] = [];
  let final: ExecutionStatus | undefined;

  const record = (refId: string): StageRecord => {
    const found = records.get(refId);
    if (!found) throw new GennakerError('Gennaker.InvariantViolated', `no stage ${refId}`);
    return found;
  };
  /** Like a conditional store write: a complete status is final. */
  const setStatus = (refId: string, status: ExecutionStatus) => {
    const current = record(refId);
    if (!isComplete(current.status)) current.status = status;
  };
  const stageStates = () =>
    pipeline.stages.map((stage) => ({
      refId: stage.refId,
      requisiteStageRefIds: pipeline.legacyOrder ? legacyParents(stage.refId) : stage.requisiteStageRefIds,
      status: record(stage.refId).status,
      failurePolicy: stage.failurePolicy,
    }));
  const legacyParents = (refId: string): string[] => {
    const ordered = [...pipeline.stages].sort((a, b) => a.index - b.index);
    const position = ordered.findIndex((stage) => stage.refId === refId);
    return position > 0 ? [ordered[position - 1]!.refId] : [];
  };
  /** The answer for a failed stage: TERMINAL halts, anything else finishes the stage. */
  const fail = (refId: string): StageAnswer => {
    setStatus(refId, failureStatus(stages.get(refId)!.failurePolicy));
    const status = record(refId).status;
    return { status: status === 'TERMINAL' ? 'TERMINAL' : (status as StageAnswer['status']) };
  };
  const answerWith = (status: ExecutionStatus): StageAnswer => ({ status: status as StageAnswer['status'] });

  /**
   * A stage step's first half, before the work: the join rule and stageEnabled on the stage's
   * first call, then RUNNING. Returns the answer when the step must not do its work.
   */
  const enterStep = (refId: string, task: string): StageAnswer | undefined => {
    const current = record(refId);
    const stage = stages.get(refId)!;
    if (!steps.get(refId)!.some((step) => step.name === task)) {
      throw new GennakerError('Gennaker.InvariantViolated', `stage ${refId} has no step ${task}`);
    }
    if (isComplete(current.status)) return answerWith(current.status);
    if (current.status === 'NOT_STARTED') {
      const decision = canStart(upstreamIndex(stageStates())(refId));
      if (decision === 'blocked') return { status: 'NOT_STARTED' };
      if (decision === 'wait') {
        throw new GennakerError('Gennaker.InvariantViolated', `stage ${refId} was reached before its parents finished (${stage.requisiteStageRefIds.join(', ')})`);
      }
      if (scripts[refId]?.enabled === false) {
        setStatus(refId, 'SKIPPED');
        return { status: 'SKIPPED' };
      }
      current.status = 'RUNNING';
    }
    return undefined;
  };

  /** A stage step's second half: the scripted work and its answer. */
  const runStep = (refId: string, task: string, taskToken: string | undefined): StageAnswer => {
    const current = record(refId);
    const script = scripts[refId] ?? {};
    const plan = steps.get(refId)!;
    const position = plan.findIndex((step) => step.name === task);
    const step = plan[position]!;
    // Canceled (or otherwise finished) while the work ran: the store keeps the first status.
    if (isComplete(current.status)) return answerWith(current.status);

    const scripted = (script.at ?? plan[plan.length - 1]!.name) === task;
    if (scripted && script.throws !== undefined) {
      const left = current.throwsLeft.get(task) ?? script.throwTimes ?? Number.POSITIVE_INFINITY;
      if (left > 0) {
        current.throwsLeft.set(task, left - 1);
        const message = `scripted fault in stage ${refId}, step ${task}`;
        if (script.throws in ERROR_CATALOG) throw new GennakerError(script.throws as ErrorName, message);
        const error = new Error(message);
        error.name = script.throws;
        throw error;
      }
    }
    if (step.kind === 'poll') {
      const done = current.polls.get(task) ?? 0;
      if (done < (script.polls ?? 0)) {
        current.polls.set(task, done + 1);
        return { status: 'RUNNING', waitSeconds: 0 };
      }
    }
    if (step.kind === 'callback') {
      // The runner stores the token with the stage; the judgment API answers it.
      current.token = taskToken;
      return { status: 'RUNNING' };
    }
    if (scripted && script.fails) return fail(refId);
    if (position < plan.length - 1) return { status: 'NEXT' };
    setStatus(refId, 'SUCCEEDED');
    return answerWith(record(refId).status);
  };

  const handle = async (request: StageRunnerRequest, taskToken: string | undefined): Promise<StageAnswer | CompleteAnswer> => {
    if (request.task === COMPLETE_TASK) {
      const status = executionStatus(stageStates(), { final: true });
      if (status !== 'SUCCEEDED') {
        for (const current of records.values()) if (current.status === 'RUNNING') current.status = 'CANCELED';
      }
      final = status;
      return { status };
    }
    if (!('stageRefId' in request)) throw new GennakerError('Gennaker.InvariantViolated', 'a stage task without stageRefId');
    const refId = request.stageRefId;
    if (request.task === FAULT_TASK) {
      const current = record(refId);
      return isComplete(current.status) ? answerWith(current.status) : fail(refId);
    }
    const early = enterStep(refId, request.task);
    if (early) return early;
    const delay = scripts[refId]?.delayMs;
    if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
    return runStep(refId, request.task, taskToken);
  };

  return {
    invoke: async (invocation) => {
      const request = invocation.payload as StageRunnerRequest;
      const refId = 'stageRefId' in request ? request.stageRefId : undefined;
      const call = { ...(refId !== undefined ? { refId } : {}), task: request.task };
      try {
        const answer = await handle(request, invocation.taskToken);
        calls.push({ ...call, answer: answer.status });
        return answer;
      } catch (error) {
        calls.push({ ...call, answer: `threw ${(error as Error).name}` });
        throw error;
      }
    },
    calls,
    status: (refId) => record(refId).status,
    statuses: () => Object.fromEntries([...records].map(([refId, current]) => [refId, current.status])),
    finalStatus: () => final,
    token: (refId) => record(refId).token,
    judge: (refId, judgment) => {
      if (judgment === 'stop') return fail(refId);
      const plan = steps.get(refId)!;
      const waiting = plan.findIndex((step) => step.kind === 'callback');
      if (waiting < plan.length - 1) return { status: 'NEXT' };
      setStatus(refId, 'SUCCEEDED');
      return answerWith(record(refId).status);
    },
  };
}
