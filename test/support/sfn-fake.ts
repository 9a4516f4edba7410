/**
 * A stateful fake of the AWS Step Functions API, for running Gennaker's cloud functions without
 * an AWS account. It keeps state machines, their versions and aliases, and executions, and it
 * RUNS each execution's definition on the local ASL interpreter (local/asl-engine.ts), invoking
 * the "Lambda functions" it was given by ARN — so a published pipeline really runs.
 *
 * Spec (what it implements, as Step Functions documents it; reference/aws-and-peers.md §1.3-1.7, §1.17):
 * - CreateStateMachine: names 1-80 chars without whitespace or `<>{}[]?*"#%\^|~`$&,;:/`;
 *   definitions must pass asl-validator (else InvalidDefinition); an existing name is
 *   StateMachineAlreadyExists. `publish: true` creates version 1 with `versionDescription`.
 * - UpdateStateMachine: unknown ARN is StateMachineDoesNotExist; `publish: true` creates the next
 *   version, unless definition and role are unchanged since the latest version, which is returned.
 * - Aliases: CreateStateMachineAlias (ConflictException when the name exists),
 *   UpdateStateMachineAlias / DescribeStateMachineAlias (ResourceNotFound when unknown).
 * - ListStateMachineVersions newest first; DescribeStateMachine of a machine or version ARN.
 * - StartExecution on a machine, version or alias ARN: same name and same input as a RUNNING
 *   execution returns it again; otherwise a used name is ExecutionAlreadyExists.
 * - StopExecution: ExecutionDoesNotExist when unknown; an ended execution stays as it ended.
 * - SendTaskSuccess / SendTaskFailure: TaskDoesNotExist for an unknown or answered token.
 * - `arn:aws:states:::states:startExecution.sync:2` Tasks start the child named by
 *   `StateMachineArn` (machine, version or alias ARN) as an execution of this fake, named `Name`,
 *   with `Input`, and wait for its end (the Task's own `TimeoutSeconds` still applies). Success
 *   returns DescribeExecution's fields in PascalCase with `Input` and `Output` as JSON (`:2`);
 *   a child that fails, times out or is aborted fails the Task with `States.TaskFailed`, the
 *   child's description as the cause. Stopping a parent stops its running children (Step
 *   Functions does so for `.sync` integrations); children emit their own status-change events.
 * - Each execution's end emits a "Step Functions Execution Status Change" event (EventBridge shape).
 * - `throttle(command, n)`: the next n calls of that command fail with ThrottlingException.
 */
import {
  ConflictException,
  CreateStateMachineAliasCommand,
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineAliasCommand,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidDefinition,
  InvalidName,
  ListStateMachineVersionsCommand,
  ResourceNotFound,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNServiceException,
  StartExecutionCommand,
  StateMachineAlreadyExists,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  TaskDoesNotExist,
  UpdateStateMachineAliasCommand,
  UpdateStateMachineCommand,
  ValidationException,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { createAslEngine, type AslEngine, type AslExecution } from '../../local/asl-engine.ts';
import type { AslDefinition, AslState } from '../../statemachines/asl.ts';
import { START_CHILD_SYNC_RESOURCE } from '../../statemachines/emit.ts';
import { validateAsl } from './asl.ts';

/** A Lambda function as the fake invokes it: the event in, the result out; throw to fail the Task. */
export type FakeLambda = (event: unknown) => Promise<unknown>;

export interface SfnFakeOptions {
  /** Functions by ARN: what Task states invoke. */
  readonly functions?: Readonly<Record<string, FakeLambda>>;
  readonly region?: string;
  readonly accountId?: string;
  /** Every Wait state sleeps this long instead (ms). */
  readonly waitOverrideMs?: number;
  /** Every Task retry waits this long instead of its backoff (ms). */
  readonly retryDelayMs?: number;
}

/** The EventBridge event a Standard execution's status change produces. */
export interface StatusChangeEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': 'Step Functions Execution Status Change';
  readonly source: 'aws.states';
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: {
    readonly executionArn: string;
    readonly stateMachineArn: string;
    readonly name: string;
    readonly status: FakeExecutionStatus;
    readonly startDate: number;
    readonly stopDate: number | null;
    readonly input: string;
    readonly output: string | null;
    readonly inputDetails: { readonly included: boolean };
    readonly outputDetails: { readonly included: boolean } | null;
    readonly error: string | null;
    readonly cause: string | null;
  };
}

export type FakeExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

interface Version {
  readonly arn: string;
  readonly number: number;
  readonly definition: string;
  readonly roleArn: string;
  readonly description?: string;
  readonly revisionId: string;
}

interface Machine {
  readonly name: string;
  readonly arn: string;
  definition: string;
  roleArn: string;
  revisionId: string;
  readonly versions: Version[];
  readonly aliases: Map<string, { arn: string; description?: string; routing: Array<{ stateMachineVersionArn: string; weight: number }> }>;
}

export interface FakeExecution {
  readonly arn: string;
  readonly name: string;
  readonly machineArn: string;
  /** The ARN it was started on (machine, version or alias). */
  readonly startedOn: string;
  readonly versionArn?: string;
  readonly input: string;
  readonly definition: string;
  status: FakeExecutionStatus;
  readonly startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  run?: AslExecution;
  /** Settles when the execution has ended and its status-change event was delivered. */
  done: Promise<void>;
}

/** Step Functions' name rule (names of machines, aliases, executions). */
const INVALID_NAME_CHARS = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;

function serviceError<T extends SFNServiceException>(Kind: new (options: { message: string; $metadata: object }) => T, message: string): T {
  return new Kind({ message, $metadata: { httpStatusCode: 400 } });
}

function throttlingError(command: string): Error {
  return Object.assign(new Error(`Rate exceeded (${command})`), { name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

type Handler = (input: never) => unknown;

/** The resource the fake gives `startExecution.sync:2` Tasks, so their calls reach `invoke` (and this fake) instead of the interpreter's own child runner. */
const FAKE_CHILD_RESOURCE = 'arn:aws:lambda:fake:000000000000:function:sfn-fake-start-execution-sync-2';

/** `definition` with every `startExecution.sync:2` Task (branches included) sent to the fake. */
function routeChildTasks(definition: AslDefinition): AslDefinition {
  const states = Object.fromEntries(
    Object.entries(definition.States).map(([name, state]): [string, AslState] => {
      if (state.Type === 'Task' && state.Resource === START_CHILD_SYNC_RESOURCE) return [name, { ...state, Resource: FAKE_CHILD_RESOURCE }];
      if (state.Type === 'Parallel') return [name, { ...state, Branches: state.Branches.map((branch) => routeChildTasks(branch as AslDefinition)) }];
      return [name, state];
    }),
  );
  return { ...definition, States: states } as AslDefinition;
}

function taskFailed(cause: string): Error {
  return Object.assign(new Error(cause), { name: 'States.TaskFailed' });
}

export class SfnFake {
  readonly region: string;
  readonly accountId: string;
  /** Every call, in order: the command's name and its input. */
  readonly calls: Array<{ readonly command: string; readonly input: unknown }> = [];
  private readonly machines = new Map<string, Machine>();
  private readonly executions = new Map<string, FakeExecution>();
  /** Running children of `.sync:2` Tasks, by the parent's execution ARN. */
  private readonly childrenOf = new Map<string, Set<string>>();
  private readonly throttled = new Map<string, number>();
  private readonly listeners = new Set<(event: StatusChangeEvent) => void | Promise<void>>();
  private readonly functions: Map<string, FakeLambda>;
  private readonly asl: AslEngine;
  private revisions = 0;
  private events = 0;
  private clock = 1_700_000_000_000;

  constructor(options: SfnFakeOptions = {}) {
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '123456789012';
    this.functions = new Map(Object.entries(options.functions ?? {}));
    this.asl = createAslEngine({
      invoke: async (request) => {
        if (request.resource === FAKE_CHILD_RESOURCE) return this.runChild(request.executionId, request.stateName, request.payload);
        const arn = request.functionName ?? request.resource;
        const lambda = this.functions.get(arn);
        if (!lambda) throw Object.assign(new Error(`Function not found: ${arn}`), { name: 'Lambda.ResourceNotFoundException' });
        return lambda(request.payload);
      },
      ...(options.waitOverrideMs !== undefined ? { waitOverrideMs: options.waitOverrideMs } : {}),
      ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
    });
  }

  /** Binds (or rebinds) a function ARN. */
  setFunction(arn: string, lambda: FakeLambda): void {
    this.functions.set(arn, lambda);
  }

  /** The next `times` calls of `command` (e.g. 'UpdateStateMachine') fail with ThrottlingException. */
  throttle(command: string, times: number): void {
    this.throttled.set(command, (this.throttled.get(command) ?? 0) + times);
  }

  /** Receives every status-change event (the reconciler's EventBridge rule). */
  onStatusChange(listener: (event: StatusChangeEvent) => void | Promise<void>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The SDK client face: `engine({ client: fake.client })`. */
  get client(): Pick<SFNClient, 'send'> {
    return { send: ((command: { input: unknown }) => this.send(command)) as unknown as SFNClient['send'] };
  }

  stateMachine(arn: string): { readonly definition: string; readonly versions: readonly Version[]; readonly aliases: ReadonlyMap<string, { description?: string; routing: ReadonlyArray<{ stateMachineVersionArn: string }> }> } | undefined {
    return this.machines.get(arn);
  }

  execution(name: string): FakeExecution | undefined {
    return [...this.executions.values()].find((execution) => execution.name === name);
  }

  /** Callback tasks waiting for a token (what a manual judgment waits on). */
  pendingTokens(executionName?: string): string[] {
    // The interpreter knows executions by ARN (`$$.Execution.Id`); a parent and its children share the name.
    return this.asl
      .pendingCallbacks()
      .filter((pending) => executionName === undefined || this.executions.get(pending.executionId)?.name === executionName)
      .map((pending) => pending.taskToken);
  }

  /** Settles when every execution started so far has ended and its event was delivered. */
  async settled(): Promise<void> {
    let seen = -1;
    while (seen !== this.executions.size) {
      seen = this.executions.size;
      await Promise.all([...this.executions.values()].map((execution) => execution.done));
    }
  }

  private async send(command: { input: unknown }): Promise<unknown> {
    const handlers = new Map<unknown, Handler>([
      [CreateStateMachineCommand, (input: CreateStateMachineCommand['input']) => this.createStateMachine(input)],
      [UpdateStateMachineCommand, (input: UpdateStateMachineCommand['input']) => this.updateStateMachine(input)],
      [DescribeStateMachineCommand, (input: DescribeStateMachineCommand['input']) => this.describeStateMachine(input)],
      [ListStateMachineVersionsCommand, (input: ListStateMachineVersionsCommand['input']) => this.listVersions(input)],
      [CreateStateMachineAliasCommand, (input: CreateStateMachineAliasCommand['input']) => this.createAlias(input)],
      [UpdateStateMachineAliasCommand, (input: UpdateStateMachineAliasCommand['input']) => this.updateAlias(input)],
      [DescribeStateMachineAliasCommand, (input: DescribeStateMachineAliasCommand['input']) => this.describeAlias(input)],
      [StartExecutionCommand, (input: StartExecutionCommand['input']) => this.startExecution(input)],
      [StopExecutionCommand, (input: StopExecutionCommand['input']) => this.stopExecution(input)],
      [DescribeExecutionCommand, (input: DescribeExecutionCommand['input']) => this.describeExecution(input)],
      [SendTaskSuccessCommand, (input: SendTaskSuccessCommand['input']) => this.sendTaskSuccess(input)],
      [SendTaskFailureCommand, (input: SendTaskFailureCommand['input']) => this.sendTaskFailure(input)],
    ]);
    const handler = handlers.get(command.constructor);
    const name = command.constructor.name.replace(/Command$/, '');
    if (!handler) throw new Error(`the Step Functions fake does not implement ${name}`);
    this.calls.push({ command: name, input: command.input });
    const throttled = this.throttled.get(name) ?? 0;
    if (throttled > 0) {
      this.throttled.set(name, throttled - 1);
      throw throttlingError(name);
    }
    // A real call is asynchronous: let other work interleave as it would.
    await Promise.resolve();
    return { $metadata: { httpStatusCode: 200 }, ...(handler(command.input as never) as object) };
  }

  private arnPrefix(kind: 'stateMachine' | 'execution'): string {
    return `arn:aws:states:${this.region}:${this.accountId}:${kind}:`;
  }

  private checkName(name: string | undefined, what: string): string {
    if (!name || name.length > 80 || INVALID_NAME_CHARS.test(name)) throw serviceError(InvalidName, `Invalid ${what} name: '${name}'`);
    return name;
  }

  private checkDefinition(definition: string | undefined): string {
    let parsed: unknown;
    try {
      parsed = JSON.parse(definition ?? '');
    } catch {
      throw serviceError(InvalidDefinition, 'Invalid State Machine Definition: not JSON');
    }
    const problems = validateAsl(parsed);
    if (problems.length > 0) throw serviceError(InvalidDefinition, `Invalid State Machine Definition: ${problems.join('; ')}`);
    return definition!;
  }

  private machine(arn: string | undefined): Machine {
    const machine = arn === undefined ? undefined : this.machines.get(arn);
    if (!machine) throw serviceError(StateMachineDoesNotExist, `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  private publishVersion(machine: Machine, description: string | undefined): Version {
    const latest = machine.versions.at(-1);
    if (latest && latest.revisionId === machine.revisionId) return latest;
    const number = (latest?.number ?? 0) + 1;
    const version: Version = {
      arn: `${machine.arn}:${number}`,
      number,
      definition: machine.definition,
      roleArn: machine.roleArn,
      revisionId: machine.revisionId,
      ...(description !== undefined ? { description } : {}),
    };
    machine.versions.push(version);
    return version;
  }

  private createStateMachine(input: CreateStateMachineCommand['input']) {
    const name = this.checkName(input.name, 'state machine');
    if (input.type !== undefined && input.type !== 'STANDARD') throw serviceError(ValidationException, 'the fake only runs STANDARD state machines');
    const definition = this.checkDefinition(input.definition);
    const arn = `${this.arnPrefix('stateMachine')}${name}`;
    if (this.machines.has(arn)) throw serviceError(StateMachineAlreadyExists, `State Machine Already Exists: '${arn}'`);
    const machine: Machine = { name, arn, definition, roleArn: input.roleArn ?? '', revisionId: `r${++this.revisions}`, versions: [], aliases: new Map() };
    this.machines.set(arn, machine);
    const version = input.publish ? this.publishVersion(machine, input.versionDescription) : undefined;
    return { stateMachineArn: arn, creationDate: new Date(this.clock), ...(version ? { stateMachineVersionArn: version.arn } : {}) };
  }

  private updateStateMachine(input: UpdateStateMachineCommand['input']) {
    const machine = this.machine(input.stateMachineArn);
    const definition = input.definition === undefined ? machine.definition : this.checkDefinition(input.definition);
    const roleArn = input.roleArn ?? machine.roleArn;
    if (definition !== machine.definition || roleArn !== machine.roleArn) {
      machine.definition = definition;
      machine.roleArn = roleArn;
      machine.revisionId = `r${++this.revisions}`;
    }
    const version = input.publish ? this.publishVersion(machine, input.versionDescription) : undefined;
    return { updateDate: new Date(this.clock), revisionId: machine.revisionId, ...(version ? { stateMachineVersionArn: version.arn } : {}) };
  }

  /** The machine and version an ARN names (machine, `machine:3` version, or `machine:live` alias). */
  private resolve(arn: string | undefined): { machine: Machine; version?: Version } {
    const direct = arn === undefined ? undefined : this.machines.get(arn);
    if (direct) return { machine: direct };
    const cut = arn?.lastIndexOf(':') ?? -1;
    const machine = cut > 0 ? this.machines.get(arn!.slice(0, cut)) : undefined;
    if (!machine) throw serviceError(StateMachineDoesNotExist, `State Machine Does Not Exist: '${arn}'`);
    const qualifier = arn!.slice(cut + 1);
    if (/^\d+$/.test(qualifier)) {
      const version = machine.versions.find((candidate) => candidate.number === Number(qualifier));
      if (!version) throw serviceError(ResourceNotFound, `Resource not found: '${arn}'`);
      return { machine, version };
    }
    const alias = machine.aliases.get(qualifier);
    if (!alias) throw serviceError(ResourceNotFound, `Resource not found: '${arn}'`);
    const version = machine.versions.find((candidate) => candidate.arn === alias.routing[0]!.stateMachineVersionArn);
    return version ? { machine, version } : { machine };
  }

  private describeStateMachine(input: DescribeStateMachineCommand['input']) {
    const { machine, version } = this.resolve(input.stateMachineArn);
    return {
      stateMachineArn: version?.arn ?? machine.arn,
      name: machine.name,
      status: 'ACTIVE',
      definition: version?.definition ?? machine.definition,
      roleArn: version?.roleArn ?? machine.roleArn,
      type: 'STANDARD',
      revisionId: version?.revisionId ?? machine.revisionId,
      ...(version?.description !== undefined ? { description: version.description } : {}),
      creationDate: new Date(this.clock),
    };
  }

  private listVersions(input: ListStateMachineVersionsCommand['input']) {
    const machine = this.machine(input.stateMachineArn);
    const newestFirst = [...machine.versions].reverse().slice(0, input.maxResults ?? 1000);
    return { stateMachineVersions: newestFirst.map((version) => ({ stateMachineVersionArn: version.arn, creationDate: new Date(this.clock) })) };
  }

  private checkRouting(routing: CreateStateMachineAliasCommand['input']['routingConfiguration']): { machine: Machine; routing: Array<{ stateMachineVersionArn: string; weight: number }> } {
    if (!routing || routing.length < 1 || routing.length > 2) throw serviceError(ValidationException, 'routingConfiguration must name one or two versions');
    const resolved = routing.map((entry) => ({ entry, target: this.resolve(entry.stateMachineVersionArn) }));
    const machine = resolved[0]!.target.machine;
    if (resolved.some(({ target }) => target.machine !== machine || !target.version)) throw serviceError(ValidationException, 'routingConfiguration must name versions of one state machine');
    if (routing.reduce((sum, entry) => sum + (entry.weight ?? 0), 0) !== 100) throw serviceError(ValidationException, 'routing weights must add up to 100');
    return { machine, routing: routing.map((entry) => ({ stateMachineVersionArn: entry.stateMachineVersionArn!, weight: entry.weight ?? 0 })) };
  }

  private createAlias(input: CreateStateMachineAliasCommand['input']) {
    const name = this.checkName(input.name, 'alias');
    if (/^\d+$/.test(name)) throw serviceError(ValidationException, 'an alias name cannot be a number');
    const { machine, routing } = this.checkRouting(input.routingConfiguration);
    if (machine.aliases.has(name)) throw serviceError(ConflictException, `Alias ${name} already exists`);
    const arn = `${machine.arn}:${name}`;
    machine.aliases.set(name, { arn, routing, ...(input.description !== undefined ? { description: input.description } : {}) });
    return { stateMachineAliasArn: arn, creationDate: new Date(this.clock) };
  }

  private aliasOf(arn: string | undefined) {
    const cut = arn?.lastIndexOf(':') ?? -1;
    const machine = cut > 0 ? this.machines.get(arn!.slice(0, cut)) : undefined;
    const alias = machine?.aliases.get(arn!.slice(cut + 1));
    if (!alias) throw serviceError(ResourceNotFound, `Resource not found: '${arn}'`);
    return alias;
  }

  private updateAlias(input: UpdateStateMachineAliasCommand['input']) {
    const alias = this.aliasOf(input.stateMachineAliasArn);
    if (input.routingConfiguration) alias.routing = this.checkRouting(input.routingConfiguration).routing;
    if (input.description !== undefined) alias.description = input.description;
    return { updateDate: new Date(this.clock) };
  }

  private describeAlias(input: DescribeStateMachineAliasCommand['input']) {
    const alias = this.aliasOf(input.stateMachineAliasArn);
    return { stateMachineAliasArn: alias.arn, name: alias.arn.slice(alias.arn.lastIndexOf(':') + 1), routingConfiguration: alias.routing, ...(alias.description !== undefined ? { description: alias.description } : {}) };
  }

  private startExecution(input: StartExecutionCommand['input'], parentArn?: string) {
    const { machine, version } = this.resolve(input.stateMachineArn);
    const name = this.checkName(input.name, 'execution');
    const arn = `${this.arnPrefix('execution')}${machine.name}:${name}`;
    const body = input.input ?? '{}';
    const existing = this.executions.get(arn);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === body) return { executionArn: arn, startDate: new Date(existing.startDate) };
      throw serviceError(ExecutionAlreadyExists, `Execution Already Exists: '${arn}'`);
    }
    let parsedInput: Record<string, unknown>;
    try {
      parsedInput = JSON.parse(body) as Record<string, unknown>;
    } catch {
      throw serviceError(ValidationException, 'the input is not JSON');
    }
    const definition = version?.definition ?? machine.definition;
    const execution: FakeExecution = {
      arn,
      name,
      machineArn: machine.arn,
      startedOn: input.stateMachineArn!,
      ...(version ? { versionArn: version.arn } : {}),
      input: body,
      definition,
      status: 'RUNNING',
      startDate: ++this.clock,
      done: Promise.resolve(),
    };
    this.executions.set(arn, execution);
    if (parentArn !== undefined) {
      const siblings = this.childrenOf.get(parentArn) ?? new Set<string>();
      this.childrenOf.set(parentArn, siblings.add(arn));
    }
    const run = this.asl.start(routeChildTasks(JSON.parse(definition) as AslDefinition), parsedInput, { executionId: arn });
    execution.run = run;
    execution.done = run.result.then(async (outcome) => {
      execution.stopDate ??= ++this.clock;
      if (execution.status === 'RUNNING') {
        execution.status = outcome.status;
        if (outcome.status === 'SUCCEEDED') execution.output = JSON.stringify(outcome.output ?? null);
        if (outcome.status === 'FAILED') {
          execution.error = outcome.error;
          execution.cause = outcome.cause;
        }
      }
      if (parentArn !== undefined) this.childrenOf.get(parentArn)?.delete(arn);
      // A parent that ended any other way than stopping leaves no child behind (the Task's timeout, a failed branch).
      for (const child of this.childrenOf.get(arn) ?? []) this.stopExecution({ executionArn: child, error: 'States.Runtime', cause: 'the parent execution ended' });
      this.childrenOf.delete(arn);
      await this.emit(execution);
    });
    return { executionArn: arn, startDate: new Date(execution.startDate) };
  }

  /**
   * A `startExecution.sync:2` Task of the execution `parentArn`: starts the child and
   * answers as Step Functions does once the child has ended.
   */
  private async runChild(parentArn: string, stateName: string, payload: unknown): Promise<unknown> {
    const parent = this.executions.get(parentArn);
    if (!parent) throw taskFailed(`no execution '${parentArn}' owns Task '${stateName}'`);
    const { StateMachineArn, Name, Input } = (payload ?? {}) as { StateMachineArn?: unknown; Name?: unknown; Input?: unknown };
    if (typeof StateMachineArn !== 'string') throw Object.assign(new Error(`Task '${stateName}' names no StateMachineArn`), { name: 'States.Runtime' });
    let started: { executionArn: string };
    try {
      started = this.startExecution(
        {
          stateMachineArn: StateMachineArn,
          ...(typeof Name === 'string' ? { name: Name } : { name: `${parent.name}-${stateName}`.replace(INVALID_NAME_CHARS, '_').slice(0, 80) }),
          input: typeof Input === 'string' ? Input : JSON.stringify(Input ?? {}),
        },
        parent.arn,
      );
    } catch (error) {
      // Step Functions prefixes a service's errors with its name in the Task's error.
      throw Object.assign(new Error((error as Error).message), { name: `StepFunctions.${(error as Error).name}Exception`.replace(/ExceptionException$/, 'Exception') });
    }
    const child = this.executions.get(started.executionArn)!;
    await child.done;
    const description = {
      ExecutionArn: child.arn,
      StateMachineArn: child.machineArn,
      Name: child.name,
      Status: child.status,
      StartDate: child.startDate,
      StopDate: child.stopDate ?? null,
      Input: JSON.parse(child.input) as unknown,
      InputDetails: { Included: true },
    };
    if (child.status === 'SUCCEEDED') return { ...description, Output: JSON.parse(child.output ?? 'null') as unknown, OutputDetails: { Included: true } };
    throw taskFailed(JSON.stringify({ ...description, ...(child.error !== undefined ? { Error: child.error } : {}), ...(child.cause !== undefined ? { Cause: child.cause } : {}) }));
  }

  private findExecution(arn: string | undefined): FakeExecution {
    const execution = arn === undefined ? undefined : this.executions.get(arn);
    if (!execution) throw serviceError(ExecutionDoesNotExist, `Execution Does Not Exist: '${arn}'`);
    return execution;
  }

  private stopExecution(input: StopExecutionCommand['input']) {
    const execution = this.findExecution(input.executionArn);
    if (execution.status === 'RUNNING') {
      execution.status = 'ABORTED';
      execution.stopDate = ++this.clock;
      if (input.error !== undefined) execution.error = input.error;
      if (input.cause !== undefined) execution.cause = input.cause;
      execution.run?.abort();
      // Step Functions stops the children of a stopped parent's `.sync` Tasks.
      for (const child of this.childrenOf.get(execution.arn) ?? []) this.stopExecution({ executionArn: child, error: 'States.Runtime', cause: 'the parent execution was stopped' });
      for (const token of this.asl.pendingCallbacks(execution.arn).map((pending) => pending.taskToken)) {
        try {
          this.asl.sendTaskFailure(token, 'States.Runtime', 'the execution was stopped');
        } catch {
          // Answered meanwhile.
        }
      }
    }
    return { stopDate: new Date(execution.stopDate ?? this.clock) };
  }

  private describeExecution(input: DescribeExecutionCommand['input']) {
    const execution = this.findExecution(input.executionArn);
    return {
      executionArn: execution.arn,
      stateMachineArn: execution.machineArn,
      ...(execution.versionArn ? { stateMachineVersionArn: execution.versionArn } : {}),
      ...(execution.startedOn.endsWith(':live') ? { stateMachineAliasArn: execution.startedOn } : {}),
      name: execution.name,
      status: execution.status,
      startDate: new Date(execution.startDate),
      ...(execution.stopDate !== undefined ? { stopDate: new Date(execution.stopDate) } : {}),
      input: execution.input,
      ...(execution.output !== undefined ? { output: execution.output } : {}),
      ...(execution.error !== undefined ? { error: execution.error } : {}),
      ...(execution.cause !== undefined ? { cause: execution.cause } : {}),
    };
  }

  private answer(taskToken: string | undefined, answer: (token: string) => void) {
    try {
      answer(taskToken ?? '');
    } catch (error) {
      if ((error as { name?: string }).name === 'TaskDoesNotExist') throw serviceError(TaskDoesNotExist, `Task Does Not Exist: '${taskToken}'`);
      throw error;
    }
    return {};
  }

  private sendTaskSuccess(input: SendTaskSuccessCommand['input']) {
    let output: unknown;
    try {
      output = JSON.parse(input.output ?? '');
    } catch {
      throw serviceError(ValidationException, 'output is not JSON');
    }
    return this.answer(input.taskToken, (token) => this.asl.sendTaskSuccess(token, output));
  }

  private sendTaskFailure(input: SendTaskFailureCommand['input']) {
    return this.answer(input.taskToken, (token) => this.asl.sendTaskFailure(token, input.error ?? '', input.cause ?? ''));
  }

  private async emit(execution: FakeExecution): Promise<void> {
    const event: StatusChangeEvent = {
      version: '0',
      id: `fake-event-${++this.events}`,
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      account: this.accountId,
      time: new Date(execution.stopDate ?? this.clock).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.region,
      resources: [execution.arn],
      detail: {
        executionArn: execution.arn,
        stateMachineArn: execution.machineArn,
        name: execution.name,
        status: execution.status,
        startDate: execution.startDate,
        stopDate: execution.stopDate ?? null,
        input: execution.input,
        output: execution.output ?? null,
        inputDetails: { included: true },
        outputDetails: execution.output === undefined ? null : { included: true },
        error: execution.error ?? null,
        cause: execution.cause ?? null,
      },
    };
    for (const listener of this.listeners) await listener(event);
  }
}
