/**
 * Emission: IR to Amazon States Language (JSONPath), following the contract in README.md.
 * Every object is built in one fixed key order and states are added in execution order, so
 * the same IR always gives the same JSON bytes.
 */
import { RETRYABLE_ERROR_NAMES } from '../core/errors.ts';
import {
  COMPLETE_TASK,
  EXECUTION_FAILED_ERROR,
  FAULT_TASK,
  PIPELINE_HALTED_ERROR,
} from '../core/execution/runner-contract.ts';
import type {
  AslBranch,
  AslCatcher,
  AslChoiceRule,
  AslDefinition,
  AslRetrier,
  AslState,
  AslTaskState,
} from './asl.ts';
import type { IrNode, IrPipeline, IrStage } from './ir.ts';
import { childMachinePlaceholder } from './children.ts';
import { INTERNAL_NAMES, nameStages, type StageStateNames } from './names.ts';

/** The Resource of callback Tasks (manual judgment). */
export const WAIT_FOR_TASK_TOKEN_RESOURCE = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

/** The Resource of the Task that runs a stage's child state machine and waits for it (output as JSON). */
export const START_CHILD_SYNC_RESOURCE = 'arn:aws:states:::states:startExecution.sync:2';

/**
 * The child Task's TimeoutSeconds: Step Functions' largest. The child's stage runner enforces
 * the stage timeout and poll budgets itself; the local interpreter would otherwise stop a Task
 * after 60 s.
 */
const CHILD_TIMEOUT_SECONDS = 99_999_999;

/** What a state is for; `refId` and `task` in the state map say for which stage and step. */
export type StateRole =
  /** A stage step's Task. */
  | 'task'
  /** The Choice after a step's Task, or after the completion Task. */
  | 'route'
  /** A poll step's Wait. */
  | 'wait'
  /** A stage's fault Task. */
  | 'fault'
  /** The parent's Task that runs a stage's child state machine. */
  | 'child'
  /** A child state machine's end state. */
  | 'child-end'
  /** A Parallel state. */
  | 'parallel'
  /** The Succeed state that ends a Parallel branch. */
  | 'branch'
  /** The Fail state a halting stage goes to inside a Parallel branch. */
  | 'halt'
  /** The completion Task. */
  | 'complete'
  /** The execution's final Succeed state. */
  | 'succeed'
  /** The execution's final Fail state. */
  | 'fail';

/** What the state map says about one state. */
export interface StateInfo {
  readonly refId?: string;
  readonly task?: string;
  readonly role: StateRole;
}

/** How to emit: the stage runner's ARN and the definition's comment. */
export interface EmitOptions {
  readonly stageRunnerArn: string;
  readonly comment?: string;
  /** The comment of a child's definition. @default none */
  readonly childComment?: (stage: IrStage) => string;
}

/** The definition of a stage run as a child state machine. */
export interface EmittedChild {
  readonly key: string;
  readonly refId: string;
  readonly definition: AslDefinition;
  readonly stateMap: Readonly<Record<string, StateInfo>>;
}

/** The definition, its state map and each stage's states. */
export interface EmitResult {
  readonly definition: AslDefinition;
  readonly stateMap: Readonly<Record<string, StateInfo>>;
  /** The names of each stage's states in the parent, by refId (for per-stage budgets). */
  readonly stageStates: ReadonlyMap<string, readonly string[]>;
  /** The child state machines, in the order their stages appear in the body. */
  readonly children: readonly EmittedChild[];
}

/** Retry for every Task: the catalog's retryable errors, full jitter (DESIGN.md §4). */
export const TASK_RETRY: AslRetrier = {
  ErrorEquals: [...RETRYABLE_ERROR_NAMES],
  IntervalSeconds: 1,
  MaxAttempts: 6,
  BackoffRate: 2,
  MaxDelaySeconds: 30,
  JitterStrategy: 'FULL',
};

const RESULT_PATH = '$.result';
const FAULT_PATH = '$.fault';
const STATUS_PATH = '$.result.status';
const WAIT_SECONDS_PATH = '$.result.waitSeconds';
/** In a child Task's result (DescribeExecution's, with `Output` as JSON): the child's last answer. */
const CHILD_STATUS_PATH = '$.Output.result.status';

/** Where a fragment goes when a stage halts the pipeline, and where its states are put. */
interface Scope {
  readonly states: Record<string, AslState>;
  /** Returns the state a TERMINAL answer goes to (creating the branch's Fail state on first use). */
  readonly halt: () => string;
  /** Where a failing fault Task goes. @default halt */
  readonly faultHalt?: () => string;
  readonly topLevel: boolean;
  /** The state map of the machine the states belong to (the parent's, or a child's). */
  readonly stateMap: Map<string, StateInfo>;
}

/** Renders the IR as a state machine definition and its state map. */
export function emitAsl(ir: IrPipeline, options: EmitOptions): EmitResult {
  const names = nameStages(ir.stages);
  // A Map while building: thousands of keys added one by one are slow on a plain object.
  const stateMap = new Map<string, StateInfo>();
  const stageStates = new Map<string, string[]>();
  const parallelNumbers = numberParallels(ir.body);
  const retry = [TASK_RETRY];
  const arn = options.stageRunnerArn;

  const children: EmittedChild[] = [];

  const add = (scope: Scope, name: string, state: AslState, info: StateInfo) => {
    if (scope.stateMap.has(name)) throw new Error(`emitAsl: state name '${name}' is not unique`);
    scope.states[name] = state;
    scope.stateMap.set(name, info);
    if (info.refId !== undefined && scope.stateMap === stateMap) stageStates.get(info.refId)?.push(name);
  };

  const startOf = (node: IrNode): string => {
    switch (node.kind) {
      case 'stage': {
        const stageNames = names.get(node.stage.refId)!;
        return stageNames.child?.task ?? stageNames.tasks[0]!;
      }
      case 'series':
        return startOf(node.items[0]!);
      case 'parallel':
        return INTERNAL_NAMES.parallel(parallelNumbers.get(node)!);
      default: {
        const unknownNode: never = node;
        throw new Error(`emitAsl: unknown node ${JSON.stringify(unknownNode)}`);
      }
    }
  };

  const stageTask = (stage: IrStage, task: string, catcher: AslCatcher, next: string, extra?: Record<string, unknown>): AslTaskState => ({
    Type: 'Task',
    Resource: arn,
    Parameters: { 'executionId.$': '$.executionId', stageRefId: stage.refId, task, ...extra },
    ResultPath: RESULT_PATH,
    Retry: retry,
    Catch: [catcher],
    Next: next,
  });

  /** A stage run as a child: in the parent, the Task that runs the child and routes on its answer, and the fault Task. */
  const emitChildStage = (stage: IrStage, next: string, scope: Scope) => {
    const stateNames: StageStateNames = names.get(stage.refId)!;
    const child = stateNames.child!;
    stageStates.set(stage.refId, []);
    const info = (role: StateRole): StateInfo => ({ refId: stage.refId, role });
    add(
      scope,
      child.task,
      {
        Type: 'Task',
        Resource: START_CHILD_SYNC_RESOURCE,
        Parameters: {
          StateMachineArn: `\${${childMachinePlaceholder(stage.child!.key)}}`,
          // The child machine is the stage's own, so the parent's execution id names its one child
          // run: a retried start finds the same execution instead of starting a second one.
          'Name.$': '$.executionId',
          Input: { 'executionId.$': '$.executionId', 'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$': '$$.Execution.Id' },
        },
        TimeoutSeconds: CHILD_TIMEOUT_SECONDS,
        ResultSelector: { 'status.$': CHILD_STATUS_PATH },
        ResultPath: RESULT_PATH,
        Retry: retry,
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: FAULT_PATH, Next: stateNames.fault }],
        Next: child.route,
      },
      info('child'),
    );
    add(
      scope,
      child.route,
      { Type: 'Choice', Choices: [{ Variable: STATUS_PATH, StringEquals: 'TERMINAL', Next: scope.halt() }], Default: next },
      info('route'),
    );
    const faultCatch: AslCatcher = { ErrorEquals: ['States.ALL'], ResultPath: FAULT_PATH, Next: scope.halt() };
    add(scope, stateNames.fault, stageTask(stage, FAULT_TASK, faultCatch, child.route, { 'fault.$': FAULT_PATH }), {
      refId: stage.refId,
      task: FAULT_TASK,
      role: 'fault',
    });
    children.push(emitChild(stage));
  };

  /**
   * The child's definition: the stage's fragment exactly as inline, ending in a Succeed whose
   * output carries the last answer (`result.status`, TERMINAL included) for the parent to route
   * on, or in a Fail when even the fault Task failed (the parent then catches it).
   */
  const emitChild = (stage: IrStage): EmittedChild => {
    const states: Record<string, AslState> = {};
    const childMap = new Map<string, StateInfo>();
    const scope: Scope = {
      states,
      halt: () => INTERNAL_NAMES.childFinished,
      faultHalt: () => INTERNAL_NAMES.childFailed,
      topLevel: false,
      stateMap: childMap,
    };
    emitStageStates(stage, INTERNAL_NAMES.childFinished, scope);
    add(scope, INTERNAL_NAMES.childFinished, { Type: 'Succeed' }, { role: 'child-end' });
    add(
      scope,
      INTERNAL_NAMES.childFailed,
      { Type: 'Fail', Error: PIPELINE_HALTED_ERROR, Cause: "The stage's fault could not be recorded; the parent's fault Task records it." },
      { role: 'child-end' },
    );
    const comment = options.childComment?.(stage);
    return {
      key: stage.child!.key,
      refId: stage.refId,
      definition: { ...(comment !== undefined ? { Comment: comment } : {}), StartAt: names.get(stage.refId)!.tasks[0]!, States: states },
      stateMap: Object.fromEntries(childMap),
    };
  };

  const emitStage = (stage: IrStage, next: string, scope: Scope) => {
    if (stage.child) {
      emitChildStage(stage, next, scope);
      return;
    }
    stageStates.set(stage.refId, []);
    emitStageStates(stage, next, scope);
  };

  const emitStageStates = (stage: IrStage, next: string, scope: Scope) => {
    const stateNames: StageStateNames = names.get(stage.refId)!;
    const toFault: AslCatcher = { ErrorEquals: ['States.ALL'], ResultPath: FAULT_PATH, Next: stateNames.fault };
    stage.steps.forEach((step, i) => {
      const taskName = stateNames.tasks[i]!;
      const routeName = stateNames.routes[i]!;
      const info = (role: StateRole): StateInfo => ({ refId: stage.refId, task: step.name, role });
      if (step.kind === 'callback') {
        add(
          scope,
          taskName,
          {
            Type: 'Task',
            Resource: WAIT_FOR_TASK_TOKEN_RESOURCE,
            Parameters: {
              FunctionName: arn,
              Payload: { 'executionId.$': '$.executionId', stageRefId: stage.refId, task: step.name, 'taskToken.$': '$$.Task.Token' },
            },
            TimeoutSeconds: step.timeoutSeconds!,
            ResultPath: RESULT_PATH,
            Retry: retry,
            Catch: [toFault],
            Next: routeName,
          },
          info('task'),
        );
      } else {
        add(scope, taskName, stageTask(stage, step.name, toFault, routeName), info('task'));
      }
      const choices: AslChoiceRule[] = [];
      if (step.kind === 'poll') choices.push({ Variable: STATUS_PATH, StringEquals: 'RUNNING', Next: stateNames.waits[i]! });
      if (i < stage.steps.length - 1) choices.push({ Variable: STATUS_PATH, StringEquals: 'NEXT', Next: stateNames.tasks[i + 1]! });
      choices.push({ Variable: STATUS_PATH, StringEquals: 'TERMINAL', Next: scope.halt() });
      add(scope, routeName, { Type: 'Choice', Choices: choices, Default: next }, info('route'));
      if (step.kind === 'poll') {
        add(scope, stateNames.waits[i]!, { Type: 'Wait', SecondsPath: WAIT_SECONDS_PATH, Next: taskName }, info('wait'));
      }
    });
    // A failing fault Task means the failure could not even be recorded: halt.
    const faultCatch: AslCatcher = { ErrorEquals: ['States.ALL'], ResultPath: FAULT_PATH, Next: (scope.faultHalt ?? scope.halt)() };
    add(
      scope,
      stateNames.fault,
      stageTask(stage, FAULT_TASK, faultCatch, stateNames.routes[stage.steps.length - 1]!, { 'fault.$': FAULT_PATH }),
      { refId: stage.refId, task: FAULT_TASK, role: 'fault' },
    );
  };

  const emitNode = (node: IrNode, next: string, scope: Scope): void => {
    switch (node.kind) {
      case 'stage':
        emitStage(node.stage, next, scope);
        return;
      case 'series':
        node.items.forEach((item, i) => emitNode(item, i + 1 < node.items.length ? startOf(node.items[i + 1]!) : next, scope));
        return;
      case 'parallel': {
        const number = parallelNumbers.get(node)!;
        const name = INTERNAL_NAMES.parallel(number);
        // Reserve the Parallel's place before its branches' states exist (they live inside it).
        const branches = node.branches.map((branch, b) => emitBranch(branch, number, b + 1));
        const catchers: AslCatcher[] = scope.topLevel
          ? [{ ErrorEquals: ['States.ALL'], ResultPath: FAULT_PATH, Next: INTERNAL_NAMES.complete }]
          : [];
        add(
          scope,
          name,
          {
            Type: 'Parallel',
            ResultPath: null,
            ...(catchers.length > 0 ? { Catch: catchers } : {}),
            Next: next,
            Branches: branches,
          },
          { role: 'parallel' },
        );
        return;
      }
      default: {
        const unknownNode: never = node;
        throw new Error(`emitAsl: unknown node ${JSON.stringify(unknownNode)}`);
      }
    }
  };

  const emitBranch = (node: IrNode, parallel: number, branch: number): AslBranch => {
    const states: Record<string, AslState> = {};
    const haltName = INTERNAL_NAMES.branchHalt(parallel, branch);
    let halts = false;
    const scope: Scope = {
      states,
      halt: () => {
        halts = true;
        return haltName;
      },
      topLevel: false,
      stateMap,
    };
    const doneName = INTERNAL_NAMES.branchDone(parallel, branch);
    emitNode(node, doneName, scope);
    add(scope, doneName, { Type: 'Succeed' }, { role: 'branch' });
    if (halts) {
      add(
        scope,
        haltName,
        { Type: 'Fail', Error: PIPELINE_HALTED_ERROR, Cause: 'A stage ended TERMINAL; the pipeline halts and its other branches stop.' },
        { role: 'halt' },
      );
    }
    return { StartAt: startOf(node), States: states };
  };

  const top: Record<string, AslState> = {};
  const topScope: Scope = { states: top, halt: () => INTERNAL_NAMES.complete, topLevel: true, stateMap };
  if (ir.body) emitNode(ir.body, INTERNAL_NAMES.complete, topScope);
  add(
    topScope,
    INTERNAL_NAMES.complete,
    {
      Type: 'Task',
      Resource: arn,
      Parameters: { 'executionId.$': '$.executionId', task: COMPLETE_TASK },
      ResultPath: RESULT_PATH,
      Retry: retry,
      Next: INTERNAL_NAMES.completeRoute,
    },
    { task: COMPLETE_TASK, role: 'complete' },
  );
  add(
    topScope,
    INTERNAL_NAMES.completeRoute,
    {
      Type: 'Choice',
      Choices: [{ Variable: STATUS_PATH, StringEquals: 'SUCCEEDED', Next: INTERNAL_NAMES.succeeded }],
      Default: INTERNAL_NAMES.failed,
    },
    { task: COMPLETE_TASK, role: 'route' },
  );
  add(topScope, INTERNAL_NAMES.succeeded, { Type: 'Succeed' }, { role: 'succeed' });
  add(
    topScope,
    INTERNAL_NAMES.failed,
    { Type: 'Fail', Error: EXECUTION_FAILED_ERROR, Cause: 'The execution ended in a status other than SUCCEEDED; the execution store has it.' },
    { role: 'fail' },
  );

  const definition: AslDefinition = {
    ...(options.comment !== undefined ? { Comment: options.comment } : {}),
    StartAt: ir.body ? startOf(ir.body) : INTERNAL_NAMES.complete,
    States: top,
  };
  return { definition, stateMap: Object.fromEntries(stateMap), stageStates, children };
}

/** Numbers Parallel nodes 1, 2, … in pre-order, so names follow reading order. */
function numberParallels(body: IrNode | undefined): Map<IrNode, number> {
  const numbers = new Map<IrNode, number>();
  const visit = (node: IrNode) => {
    if (node.kind === 'parallel') {
      numbers.set(node, numbers.size + 1);
      node.branches.forEach(visit);
    } else if (node.kind === 'series') {
      node.items.forEach(visit);
    }
  };
  if (body) visit(body);
  return numbers;
}
