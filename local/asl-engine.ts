/**
 * The local engine: runs a compiled definition, unchanged, on `aws-local-stepfunctions` 3.0.0
 * (DESIGN.md §9). Every Task state is bound by its name to one `invoke` function (the same
 * stage runner handler the Lambda runs), and `.waitForTaskToken` Tasks wait until someone
 * answers their token with `sendTaskSuccess` / `sendTaskFailure` (the judgment API).
 *
 * What the interpreter does not do, and how this engine makes up for it:
 * - `$$.Task.Token` is not provided: the run gets a placeholder token in its context, and the
 *   callback handler swaps it for a real one (unique per execution, state and attempt) before
 *   invoking, so the runner stores a token the engine can resolve.
 * - `Promise.withResolvers` is missing on Node 20: polyfilled when an engine is created.
 * - Timers above Node's maximum (about 24.8 days) would fire at once: larger TimeoutSeconds are
 *   clamped to it for the local run only.
 * - Task states without TimeoutSeconds time out after 60 s locally (the interpreter's default;
 *   on AWS a Lambda Task is bounded by the function's own timeout): stage runner calls are short.
 * - A Parallel branch that fails stops its siblings at their next state, while a sibling's
 *   handler already running finishes (as on AWS, where running Lambdas are not stopped).
 * - `states:startExecution.sync:2` Tasks (a stage run as a child state machine) run the child's
 *   definition (`childDefinition`) as an execution of this engine and return what Step Functions
 *   returns: DescribeExecution's fields with `Output` as JSON; a child that fails, times out or
 *   is aborted fails the Task with `States.TaskFailed`. Aborting the parent aborts its children.
 */
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  StateMachine,
  type RunOptions,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import type { AslBranch, AslDefinition, AslState } from '../statemachines/asl.ts';
import { START_CHILD_SYNC_RESOURCE } from '../statemachines/emit.ts';

/** One call of a Task state's resource. */
export interface AslInvokeRequest {
  readonly executionId: string;
  /** The Task state's name (unique across the machine). */
  readonly stateName: string;
  /** The Task's `Resource` (after substitutions). */
  readonly resource: string;
  /** For `lambda:invoke` integrations: the `FunctionName` parameter. */
  readonly functionName?: string;
  /** What the function receives: the Task's Parameters, or the `Payload` of an integration. */
  readonly payload: unknown;
  /** For `.waitForTaskToken` Tasks: the token, also placed in the payload where the definition asked for `$$.Task.Token`. */
  readonly taskToken?: string;
}

export interface AslEngineOptions {
  /** Runs a Task: the result becomes the Task's result (ignored for callbacks, which wait for their token). Throw to fail it: the error's `name` is what Retry and Catch match. */
  readonly invoke: (request: AslInvokeRequest) => Promise<unknown>;
  /** Every Wait state sleeps this many milliseconds instead of its own duration (tests). */
  readonly waitOverrideMs?: number;
  /** Every retry waits this many milliseconds instead of its backoff (tests). */
  readonly retryDelayMs?: number;
  /** `${Name}` placeholders to resolve in the definition, as Step Functions' definition substitutions. */
  readonly substitutions?: Readonly<Record<string, string>>;
  /** A new execution id when the input carries none. */
  readonly newExecutionId?: () => string;
  /** Called with every event of every execution, as it happens. */
  readonly onEvent?: (event: AslEvent) => void;
  /** The definition a `startExecution.sync:2` Task's `StateMachineArn` names (after substitutions); undefined fails the Task. */
  readonly childDefinition?: (stateMachineArn: string) => AslDefinition | undefined;
}

/** How an execution ended, in Step Functions' execution statuses. */
export type AslOutcome =
  | { readonly status: 'SUCCEEDED'; readonly output: unknown }
  | { readonly status: 'FAILED'; readonly error: string; readonly cause: string }
  | { readonly status: 'ABORTED' }
  | { readonly status: 'TIMED_OUT' };

/** One entry of an execution's history (the interpreter's event log, flattened). */
export interface AslEvent {
  readonly executionId: string;
  /** The interpreter's event type: StateEntered, StateExited, StateFailed, StateRetried, StateCaught, ExecutionSucceeded… */
  readonly type: string;
  readonly stateName?: string;
  readonly stateType?: string;
  readonly error?: string;
  readonly timestamp: number;
}

export interface AslExecution {
  readonly executionId: string;
  /** Settles when the execution ends; never rejects. */
  readonly result: Promise<AslOutcome>;
  /** Ends the execution at once (a running handler finishes, nothing after it runs). */
  abort(): void;
  /** The history so far. */
  readonly events: readonly AslEvent[];
}

/** A callback Task waiting for its token to be answered. */
export interface PendingCallback {
  readonly taskToken: string;
  readonly executionId: string;
  readonly stateName: string;
  readonly payload: unknown;
}

export interface AslEngine {
  /** Starts an execution of `definition`. Throws when the definition is invalid. */
  start(definition: AslDefinition, input: Readonly<Record<string, unknown>>, options?: { readonly executionId?: string }): AslExecution;
  /** Resumes a callback Task with `output` as its result. Throws TaskDoesNotExist for an unknown or finished token. */
  sendTaskSuccess(taskToken: string, output: unknown): void;
  /** Fails a callback Task with `error` (what Retry and Catch match) and `cause`. */
  sendTaskFailure(taskToken: string, error: string, cause?: string): void;
  /** Callback Tasks waiting for an answer, oldest first (of one execution and its children when given). */
  pendingCallbacks(executionId?: string): PendingCallback[];
}

/** What `$$.Task.Token` reads as inside the interpreter; replaced by a real token before invoking. */
const TOKEN_PLACEHOLDER = 'gennaker-local-task-token-placeholder';

/** Node's setTimeout maximum, in whole seconds. */
const MAX_TIMER_SECONDS = Math.floor(2_147_483_647 / 1000);

type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A definition ready to run: the interpreter's machine and the states to bind. */
interface Loaded {
  readonly machine: StateMachine;
  readonly tasks: ReadonlyMap<string, AslState & { Type: 'Task' }>;
  readonly waits: readonly string[];
}

interface Pending extends PendingCallback {
  readonly resolve: (output: unknown) => void;
  readonly reject: (error: Error) => void;
}

/** Creates an engine; executions it starts share its callback registry. */
export function createAslEngine(options: AslEngineOptions): AslEngine {
  installPromiseWithResolvers();
  const pending = new Map<string, Pending>();
  // Child executions in progress, by their parent's execution id.
  const childRuns = new Map<string, Set<AslExecution>>();
  let executions = 0;
  let tokens = 0;

  /** Tokens of a finished execution can no longer be answered (Step Functions: TaskTimedOut). */
  const dropCallbacks = (executionId: string) => {
    for (const [token, entry] of pending) if (entry.executionId === executionId) pending.delete(token);
  };

  // Validating a definition takes the interpreter tens of milliseconds: once per definition.
  const loaded = new WeakMap<AslDefinition, Loaded>();
  const load = (definition: AslDefinition): Loaded => {
    const cached = loaded.get(definition);
    if (cached) return cached;
    const prepared = prepareDefinition(definition, options.substitutions ?? {});
    const tasks = new Map<string, AslState & { Type: 'Task' }>();
    const waits: string[] = [];
    collectStates(prepared, tasks, waits);
    const entry = { machine: new StateMachine(prepared as unknown as StateMachineDefinition), tasks, waits };
    loaded.set(definition, entry);
    return entry;
  };

  const start: AslEngine['start'] = (definition, input, startOptions = {}) => {
    const executionId =
      startOptions.executionId ??
      (typeof input.executionId === 'string' ? input.executionId : (options.newExecutionId?.() ?? `local-execution-${++executions}`));
    const { machine, tasks, waits } = load(definition);

    const handlers: Record<string, (input: unknown) => Promise<JsonValue>> = {};
    for (const [stateName, state] of tasks) {
      const resource = state.Resource;
      if (resource === START_CHILD_SYNC_RESOURCE) {
        handlers[stateName] = (taskInput) => runChild(executionId, stateName, taskInput);
        continue;
      }
      handlers[stateName] = resource.endsWith('.waitForTaskToken')
        ? async (taskInput) => {
            const { FunctionName, Payload } = (taskInput ?? {}) as { FunctionName?: unknown; Payload?: unknown };
            const taskToken = `local:${executionId}:${++tokens}`;
            const payload = replaceDeep(Payload ?? taskInput, TOKEN_PLACEHOLDER, taskToken);
            // The interpreter fails the Task after TimeoutSeconds; the token then expires with it.
            const expiry = setTimeout(() => pending.delete(taskToken), Math.min(state.TimeoutSeconds ?? 60, MAX_TIMER_SECONDS) * 1000);
            expiry.unref?.();
            const answer = new Promise<unknown>((resolve, reject) => {
              pending.set(taskToken, { taskToken, executionId, stateName, payload, resolve, reject });
            }).finally(() => clearTimeout(expiry));
            // An answer may come (even a failure) before the invocation returns: handled below.
            answer.catch(() => undefined);
            try {
              await options.invoke({
                executionId,
                stateName,
                resource,
                ...(typeof FunctionName === 'string' ? { functionName: FunctionName } : {}),
                payload,
                taskToken,
              });
            } catch (error) {
              pending.delete(taskToken);
              clearTimeout(expiry);
              throw asNamedError(error);
            }
            return toJson(await answer);
          }
        : async (taskInput) => {
            try {
              return toJson(await options.invoke({ executionId, stateName, resource, payload: taskInput }));
            } catch (error) {
              throw asNamedError(error);
            }
          };
    }

    const runOptions: RunOptions = {
      overrides: {
        taskResourceLocalHandlers: handlers as NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers'],
        ...(options.waitOverrideMs !== undefined
          ? { waitTimeOverrides: Object.fromEntries(waits.map((name) => [name, options.waitOverrideMs!])) }
          : {}),
        ...(options.retryDelayMs !== undefined
          ? { retryIntervalOverrides: Object.fromEntries([...tasks.keys()].map((name) => [name, options.retryDelayMs!])) }
          : {}),
      },
      context: { Execution: { Id: executionId, Name: executionId }, Task: { Token: TOKEN_PLACEHOLDER } },
    };
    const run = machine.run(toJson(input), runOptions);

    const events: AslEvent[] = [];
    void (async () => {
      for await (const raw of run.eventLogs) {
        const event = flattenEvent(executionId, raw);
        events.push(event);
        options.onEvent?.(event);
      }
    })();

    const result: Promise<AslOutcome> = run.result.then(
      (output): AslOutcome => ({ status: 'SUCCEEDED', output }),
      (error: unknown): AslOutcome => {
        if (error instanceof ExecutionAbortedError) return { status: 'ABORTED' };
        if (error instanceof ExecutionTimeoutError) return { status: 'TIMED_OUT' };
        const failure = error instanceof ExecutionError && error.cause instanceof Error ? error.cause : error;
        return failure instanceof Error
          ? { status: 'FAILED', error: failure.name, cause: failure.message }
          : { status: 'FAILED', error: 'States.Runtime', cause: String(failure) };
      },
    );
    void result.then(() => dropCallbacks(executionId));
    const abort = () => {
      run.abort();
      for (const child of childRuns.get(executionId) ?? []) child.abort();
    };
    return { executionId, result, abort, events };
  };

  /**
   * A `startExecution.sync:2` Task: runs the child to its end, as Step Functions waits for it.
   * The child's id is the parent's and the Task's name, so its callbacks belong to the parent.
   */
  const runChild = async (parentId: string, stateName: string, taskInput: unknown): Promise<JsonValue> => {
    const { StateMachineArn, Name, Input } = (taskInput ?? {}) as { StateMachineArn?: unknown; Name?: unknown; Input?: unknown };
    const definition = typeof StateMachineArn === 'string' ? options.childDefinition?.(StateMachineArn) : undefined;
    if (!definition) throw namedError('StepFunctions.StateMachineDoesNotExistException', `state machine ${String(StateMachineArn)} does not exist`);
    const input = (typeof Input === 'string' ? JSON.parse(Input) : (Input ?? {})) as Record<string, unknown>;
    const child = start(definition, input, { executionId: `${parentId}/${stateName}` });
    const siblings = childRuns.get(parentId) ?? new Set<AslExecution>();
    childRuns.set(parentId, siblings.add(child));
    const outcome = await child.result.finally(() => {
      siblings.delete(child);
      if (siblings.size === 0) childRuns.delete(parentId);
    });
    const described = { ExecutionArn: `${StateMachineArn}:${String(Name)}`, Name, StateMachineArn, Input: input, Status: outcome.status };
    if (outcome.status === 'SUCCEEDED') return toJson({ ...described, Output: outcome.output });
    // Step Functions fails a .sync Task whose child did not succeed with States.TaskFailed, the child's description as the cause.
    throw namedError('States.TaskFailed', JSON.stringify(outcome.status === 'FAILED' ? { ...described, Error: outcome.error, Cause: outcome.cause } : described));
  };

  const take = (taskToken: string): Pending => {
    const entry = pending.get(taskToken);
    if (!entry) {
      const error = new Error(`no callback Task is waiting for token ${taskToken}`);
      error.name = 'TaskDoesNotExist';
      throw error;
    }
    pending.delete(taskToken);
    return entry;
  };

  return {
    start,
    sendTaskSuccess: (taskToken, output) => take(taskToken).resolve(output),
    sendTaskFailure: (taskToken, error, cause = '') => {
      const failure = new Error(cause);
      failure.name = error;
      take(taskToken).reject(failure);
    },
    pendingCallbacks: (executionId) =>
      [...pending.values()]
        .filter((entry) => executionId === undefined || entry.executionId === executionId || entry.executionId.startsWith(`${executionId}/`))
        .map(({ taskToken, executionId: id, stateName, payload }) => ({ taskToken, executionId: id, stateName, payload })),
  };
}

/** Adds `Promise.withResolvers` where the runtime lacks it (Node 20); the interpreter needs it. */
function installPromiseWithResolvers(): void {
  const promise = Promise as unknown as { withResolvers?: unknown };
  if (typeof promise.withResolvers === 'function') return;
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const created = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise: created, resolve, reject };
    },
  });
}

/** A copy with substitutions applied and timeouts clamped to what Node's timers can hold. */
function prepareDefinition(definition: AslDefinition, substitutions: Readonly<Record<string, string>>): AslDefinition {
  const text = JSON.stringify(definition, (key, value: unknown) => {
    if (typeof value === 'string') return value.replace(/\$\{([^}]+)\}/g, (whole, name: string) => substitutions[name] ?? whole);
    if (key === 'TimeoutSeconds' && typeof value === 'number') return Math.min(value, MAX_TIMER_SECONDS);
    return value;
  });
  return JSON.parse(text) as AslDefinition;
}

/** Every Task state by name, and every Wait state's name, branches included. */
function collectStates(branch: AslBranch, tasks: Map<string, AslState & { Type: 'Task' }>, waits: string[]): void {
  for (const [name, state] of Object.entries(branch.States)) {
    if (state.Type === 'Task') tasks.set(name, state);
    else if (state.Type === 'Wait') waits.push(name);
    else if (state.Type === 'Parallel') for (const child of state.Branches) collectStates(child, tasks, waits);
  }
}

function replaceDeep(value: unknown, from: string, to: string): unknown {
  if (value === from) return to;
  if (Array.isArray(value)) return value.map((item) => replaceDeep(item, from, to));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, replaceDeep(item, from, to)]));
  }
  return value;
}

/** What a Lambda's JSON round trip would give: `undefined` becomes null. */
function toJson(value: unknown): JsonValue {
  return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as JsonValue);
}

function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** Errors keep their `name` (what Retry and Catch match); anything thrown that is not an Error becomes one. */
function asNamedError(error: unknown): Error {
  if (error instanceof Error) return error;
  const wrapped = new Error(typeof error === 'string' ? error : JSON.stringify(error));
  wrapped.name = 'Error';
  return wrapped;
}

function flattenEvent(executionId: string, raw: unknown): AslEvent {
  const event = raw as { type: string; timestamp: number; state?: { name?: string; type?: string }; Error?: string };
  return {
    executionId,
    type: event.type,
    timestamp: event.timestamp,
    ...(event.state?.name !== undefined ? { stateName: event.state.name } : {}),
    ...(event.state?.type !== undefined ? { stateType: event.state.type } : {}),
    ...(event.Error !== undefined ? { error: event.Error } : {}),
  };
}
