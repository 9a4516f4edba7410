/**
 * The step executor (DESIGN.md §6, STYLE §17): the one loop behind every stage that changes a
 * cluster — deploy with each strategy, the server-group and cluster stages, the rollbacks, the
 * canary. Plan, persist, then act:
 *
 * 1. The first call plans with the pure planners (core/strategies) and saves the plan, with the
 *    names it chose, *before* the first side effect. Two deliveries of that call race on a
 *    conditional write; the loser adopts the winner's plan.
 * 2. Each step is started once through the ports (core/ports/server-groups.ts, traffic.ts) with an
 *    owner token `<execution>/<stage>/<key>/<step id>`, so a repeated start — a retried task, a
 *    duplicate delivery, a restart after a crash — finds its own work and changes nothing.
 *    Traffic guards are checked against the cluster as it is just before any disable, destroy or
 *    downsize; cluster-wide steps are expanded then, against that same cluster, and saved.
 * 3. Then it is polled with `describeCluster` (never waited for) until the cluster shows the step's
 *    target state or its deadline passes, and the cursor advances.
 *
 * A failed step runs the stage's rollback steps (deploy's `rollback.onFailure`) through the same
 * loop, then the stage fails with the first failure and what was rolled back. A target that is
 * throttled or down (`unavailable`) raises the retryable `Gennaker.TargetUnavailable`: the state
 * machine retries the task with backoff and the step starts again, harmlessly.
 *
 * Every step keeps Orca's synthetic-stage view of itself (status, start and end time, failure), so
 * the execution document shows each sub-step (core/execution/orca-shape.ts).
 */
import type { ClusterState, ServerGroup } from '../deploy/model.ts';
import { findServerGroup } from '../deploy/model.ts';
import { checkStep, type TrafficGuardRule } from '../deploy/traffic-guards.ts';
import { GennakerError } from '../errors.ts';
import { isComplete } from '../execution/status.ts';
import type { ChildPipelines } from '../ports/child-pipelines.ts';
import type { ExecutionStore, JsonObject } from '../ports/execution-store.ts';
import type { ClusterDescription, ClusterRef, CreateServerGroupRequest, OperationResult, PortFailure, ServerGroupRef } from '../ports/server-groups.ts';
import type { Target } from '../ports/target.ts';
import { expandStep } from '../strategies/cluster-cleanup.ts';
import type { DeployStep } from '../strategies/steps.ts';
import { DEFAULT_TARGET_HEALTHY_PERCENTAGE } from '../strategies/steps.ts';
import { deployPollSeconds } from '../pipeline/stage-types/deploy.ts';
import { backoffSeconds, deadlineWaitSeconds } from './polling.ts';
import { parseStepProgress, type PlannedStep, type StepProgress } from '../deploy/step-progress.ts';
import { failed, running, succeeded, type TaskInput, type TaskResult } from './task-result.ts';

export type { PlannedStep, StepProgress };

/** Saves `runtime[key]` if the stage is as this call last saw it; otherwise answers what is saved there now. */
export type RuntimeSaver = (key: string, value: JsonObject) => Promise<{ readonly ok: true } | { readonly ok: false; readonly current: unknown }>;

/** The I/O the executor does, handed in by the stage. */
export interface StepExecutorDeps {
  readonly target: Target;
  readonly guards: readonly TrafficGuardRule[];
  readonly children: ChildPipelines;
  readonly store: Pick<ExecutionStore, 'getExecution'>;
  readonly saveRuntime: RuntimeSaver;
}

/** Where the steps act: one account and cluster; each step names its location. */
export interface StepScope {
  readonly account: string;
  readonly cluster: string;
  readonly cloudProvider?: string;
}

/** A step as a planner hands it over: the executor adds the id and the status. */
export type StepDraft = Pick<PlannedStep, 'task' | 'location' | 'step'> & { readonly awaitTask?: string; readonly rollback?: boolean };

export type Planned = { readonly ok: true; readonly steps: readonly StepDraft[] } | { readonly ok: false; readonly message: string };

/** One call of the executor: which stage, which compiled task, and the stage's own decisions. */
export interface StepRun {
  readonly input: TaskInput;
  /** The runtime key the progress lives under (one per cluster of a deploy). */
  readonly key: string;
  /** The compiled task now running: it works through the steps bound to it, from the cursor. */
  readonly task: string;
  readonly scope: StepScope;
  readonly deps: StepExecutorDeps;
  /** Calls left in this task's poll budget. */
  readonly pollsLeft: number;
  /** Plans when nothing is saved yet; absent for tasks that must find a plan. */
  readonly plan?: () => Promise<Planned>;
  /** The create request of a createServerGroup step (artifact, provider fields), without the owner. */
  readonly createRequest?: (planned: PlannedStep) => { ok: true; request: Omit<CreateServerGroupRequest, 'owner'> } | { ok: false; message: string };
  /**
   * Steps that undo a failed plan (deploy's rollback.onFailure), and a note for the failure
   * message when nothing applies; no rollback when absent.
   */
  readonly rollback?: (progress: StepProgress, failedTask: string) => Promise<{ readonly steps: readonly StepDraft[]; readonly note?: string }>;
  /** Seconds a step that waits for instances may wait. @default 600 */
  readonly healthTimeoutSeconds?: number;
  /** Outputs when the task's steps are done. */
  readonly outputs?: (progress: StepProgress) => JsonObject;
  /** Context fields kept up to date on every call (Orca's `deploy.server.groups`...). */
  readonly context?: (progress: StepProgress) => JsonObject;
  /**
   * The task is a `run` step of the state machine: each of its steps is done once the target
   * accepted it, and a later task waits for the effect (createServerGroup, then waitForUpInstances).
   */
  readonly once?: boolean;
  /** Prefix of failure messages. @default `stage '<name>'` */
  readonly label?: string;
}

/** Steps that wait for instances to be Up, bounded by the health timeout. */
const WAITS_FOR_HEALTH = new Set<DeployStep['kind']>(['waitForHealthy', 'resizeServerGroup', 'enableServerGroup', 'pinServerGroup']);
/** Rollout states in which traffic went, or goes, back to the previous version. */
const BACK = new Set(['rolling-back', 'rolled-back', 'failed']);
/** Steps done once the port accepted them. */
const RUN_ONCE = new Set<DeployStep['kind']>(['captureCapacity']);
/**
 * How long one call may wait in-call for a target that tells of changes (the local target): long
 * enough for a local instance to start or drain, short against the task's timeout.
 */
const IN_CALL_WAIT_MS = 5_000;
/** At most this many looks again in one call (a cluster whose health flaps wakes the call often). */
const MAX_IN_CALL_LOOKS = 100;
/** A step that is not a health wait gives up after this long (a drain, a destroy, a resize down). */
const DEFAULT_STEP_DEADLINE_SECONDS = 900;

/** The owner token of a step's side effects. */
export function ownerToken(input: Pick<TaskInput, 'execution' | 'record'>, key: string, stepId: string): string {
  return `${input.execution.id}/${input.record.id}/${key}/${stepId}`;
}

/** Numbers the drafts of a plan (`1`, `2`...) or of an addition after `after` steps. */
function toPlanned(drafts: readonly StepDraft[], firstId: number): PlannedStep[] {
  return drafts.map((draft, index) => ({
    id: String(firstId + index),
    task: draft.task,
    location: draft.location,
    step: draft.step,
    ...(draft.awaitTask !== undefined ? { awaitTask: draft.awaitTask } : {}),
    ...(draft.rollback ? { rollback: true } : {}),
    status: 'NOT_STARTED',
  }));
}

/** A step the cursor moves past. */
function isDone(step: PlannedStep): boolean {
  return step.expanded === true || step.status === 'SUCCEEDED' || step.status === 'SKIPPED' || step.status === 'TERMINAL';
}

/** Moves the cursor past the steps that are done. */
function advance(progress: StepProgress): StepProgress {
  let next = progress.next;
  while (next < progress.steps.length && isDone(progress.steps[next] as PlannedStep)) next += 1;
  return next === progress.next ? progress : { ...progress, next };
}

function nextId(progress: StepProgress): number {
  return progress.steps.reduce((max, step) => Math.max(max, Number.parseInt(step.id, 10) || 0), 0) + 1;
}

function clusterRef(scope: StepScope, location: string): ClusterRef {
  return { account: scope.account, location, cluster: scope.cluster };
}

function serverGroupRef(scope: StepScope, location: string, serverGroup: string): ServerGroupRef {
  return { account: scope.account, location, serverGroup };
}

/** The cluster as planners read it. */
export function stateOf(description: ClusterDescription): ClusterState {
  return { account: description.account, location: description.location, cluster: description.cluster, serverGroups: description.serverGroups as readonly ServerGroup[] };
}

/** Describes a cluster; `unavailable` raises the retryable catalog error, other failures are messages. */
export async function describeCluster(target: Target, ref: ClusterRef): Promise<{ ok: true; description: ClusterDescription; state: ClusterState } | { ok: false; message: string }> {
  const described = await target.serverGroups.describeCluster(ref);
  if (!described.ok) {
    raiseIfUnavailable(described, `describing cluster '${ref.cluster}' in ${ref.location}`);
    return { ok: false, message: `describing cluster '${ref.cluster}' in ${ref.location} failed: ${described.message}` };
  }
  return { ok: true, description: described.cluster, state: stateOf(described.cluster) };
}

function raiseIfUnavailable(failure: PortFailure, what: string): void {
  if (failure.reason === 'unavailable') throw new GennakerError('Gennaker.TargetUnavailable', `${what}: ${failure.message}; retrying`, { cause: failure.cause });
}

/**
 * Instances Up; with `inTraffic`, only those also in traffic: an enable is not done while its
 * instances are Up but out of their load balancer (a registration the cloud refused), or the
 * disable that follows it would leave the cluster without a healthy instance in traffic.
 */
function upCount(serverGroup: ServerGroup, inTraffic = false): number {
  return serverGroup.instances.filter((instance) => instance.health === 'Up' && !(inTraffic && instance.outOfService === true)).length;
}

/** Orca's waitForUpInstances target: the desired count scaled by the percentage, rounded up (0% waits for none). */
function neededUp(serverGroup: ServerGroup, percentage: number | undefined): number {
  return Math.ceil((serverGroup.capacity.desired * (percentage ?? DEFAULT_TARGET_HEALTHY_PERCENTAGE)) / 100);
}

function healthyEnough(serverGroup: ServerGroup, percentage: number | undefined, inTraffic = false): boolean {
  return upCount(serverGroup, inTraffic) >= neededUp(serverGroup, percentage);
}

function isDraining(serverGroup: ServerGroup): boolean {
  const described = serverGroup as ServerGroup & { readonly draining?: boolean };
  return described.draining === true;
}

/** What the stage waits for, for the pipeline author (the context's `waitingFor`). */
export function describeWaiting(planned: Pick<PlannedStep, 'location' | 'step'>): string {
  const { step, location } = planned;
  switch (step.kind) {
    case 'createServerGroup':
      return `${step.serverGroup} in ${location} to be created`;
    case 'enableServerGroup':
      return `${step.serverGroup} in ${location} to be enabled with its instances Up`;
    case 'disableServerGroup':
      return `${step.serverGroup} in ${location} to be out of traffic and drained`;
    case 'resizeServerGroup':
    case 'pinServerGroup':
      return `${step.serverGroup} in ${location} to run ${step.capacity.desired} instances, Up`;
    case 'unpinServerGroup':
      return `${step.serverGroup} in ${location} to have min ${step.min}`;
    case 'destroyServerGroup':
      return `${step.serverGroup} in ${location} to be destroyed`;
    case 'waitForHealthy':
      return `${step.serverGroup} in ${location} to be healthy`;
    case 'continueRollout':
      return `the rollout of ${step.serverGroup} in ${location} to ${step.action === 'continue' ? 'go on' : 'roll back'}`;
    case 'setTrafficWeights':
      return `traffic in ${location} to be split ${Object.entries(step.weights).map(([name, weight]) => `${name} ${weight}%`).join(', ')}`;
    case 'wait':
      return `${step.label} (${step.seconds} s) in ${location}`;
    case 'runPipeline':
      return `${step.label} '${step.pipelineId}' to complete`;
    default:
      return `${step.kind} in ${location}`;
  }
}

/** What a done step did, for messages ("rolled back: disabled app-v002 in local"). */
export function describeDone(planned: Pick<PlannedStep, 'location' | 'step'>): string {
  const { step, location } = planned;
  switch (step.kind) {
    case 'enableServerGroup':
      return `enabled ${step.serverGroup} in ${location}`;
    case 'disableServerGroup':
      return `disabled ${step.serverGroup} in ${location}`;
    case 'destroyServerGroup':
      return `destroyed ${step.serverGroup} in ${location}`;
    case 'unpinServerGroup':
      return `unpinned ${step.serverGroup} in ${location}`;
    case 'resizeServerGroup':
    case 'pinServerGroup':
      return `resized ${step.serverGroup} in ${location}`;
    case 'continueRollout':
      return `${step.action === 'continue' ? 'continued' : 'rolled back'} the rollout of ${step.serverGroup} in ${location}`;
    default:
      return `${step.kind} in ${location}`;
  }
}

type Outcome = { ok: true } | { ok: false; message: string };

/** Runs the steps of `run.task` from the cursor (see the module comment). */
export async function runSteps(run: StepRun): Promise<TaskResult> {
  const { input, key, deps } = run;
  const label = run.label ?? `stage '${input.stage.name}'`;
  const saved = parseStepProgress(input.record.runtime[key]);
  if (!saved.ok) return failed(`${label}: ${saved.message}`);
  let progress = saved.progress;

  const save = async (next: StepProgress): Promise<StepProgress> => {
    const written = await deps.saveRuntime(key, next as unknown as JsonObject);
    if (written.ok) return next;
    // Another delivery of this task saved first: carry on from what it saved.
    const theirs = parseStepProgress(written.current);
    if (theirs.ok && theirs.progress) return theirs.progress;
    throw new GennakerError('Gennaker.WriteConflict', `${label}: its plan changed while this call ran; retrying`);
  };

  if (!progress) {
    if (!run.plan) return failed(`${label}: step '${run.task}' ran before the stage was planned; restart the stage`);
    const planned = await run.plan();
    if (!planned.ok) return failed(`${label}: ${planned.message}`);
    progress = await save({ version: 1, steps: toPlanned(planned.steps, 1), next: 0, plannedAt: input.now });
  } else {
    progress = { ...progress, steps: progress.steps.map((step) => ({ ...step })) };
  }
  return new Executor(run, label, save).loop(progress);
}

class Executor {
  /** Milliseconds this call waited in-call for a change (awaitChange), on top of `input.now`. */
  private waitedMs = 0;
  /** The looks this call took after a change: bounded, whatever the target answers. */
  private looks = 0;

  constructor(
    private readonly run: StepRun,
    private readonly label: string,
    private readonly save: (progress: StepProgress) => Promise<StepProgress>,
  ) {}

  /** The time of this call: its start plus what it waited in-call. */
  private get now(): number {
    return this.run.input.now + this.waitedMs;
  }

  /**
   * Waits in-call for the cluster to change, when the target tells of changes as they happen and
   * this call's budget is not spent: true when it may be worth looking again now. Waits, child
   * pipelines and targets without awaitChange (every cloud) answer false at once: the state
   * machine's Wait state waits instead.
   */
  private async awaitChange(planned: PlannedStep): Promise<boolean> {
    const port = this.run.deps.target.serverGroups;
    if (port.awaitChange === undefined || planned.step.kind === 'wait' || planned.step.kind === 'runPipeline') return false;
    const left = IN_CALL_WAIT_MS - this.waitedMs;
    if (left <= 0 || this.looks >= MAX_IN_CALL_LOOKS) return false;
    this.looks += 1;
    const waited = await port.awaitChange(clusterRef(this.run.scope, planned.location), left);
    // A target that did not wait at all (closing, say) tells nothing: the Wait state waits instead.
    if (!(waited > 0)) return false;
    this.waitedMs += Math.max(1, Math.round(waited));
    return true;
  }

  private belongs(planned: PlannedStep): boolean {
    return planned.task === this.run.task || planned.awaitTask === this.run.task;
  }

  private result(progress: StepProgress, waiting: readonly string[]): { runtime: JsonObject; context: JsonObject; exclusive: true } {
    return { runtime: { [this.run.key]: progress as unknown as JsonObject }, context: { ...this.run.context?.(progress), waitingFor: [...waiting] }, exclusive: true };
  }

  async loop(initial: StepProgress): Promise<TaskResult> {
    let progress = advance(initial);
    // `i` scans from the cursor: steps started here but awaited by a later task are passed over.
    let i = progress.next;
    while (i < progress.steps.length) {
      const planned = progress.steps[i] as PlannedStep;
      if (isDone(planned)) {
        i += 1;
        continue;
      }
      if (!this.belongs(planned)) break;
      if (planned.status === 'RUNNING' && planned.awaitTask !== undefined && planned.awaitTask !== this.run.task) {
        i += 1;
        continue;
      }
      const described = await describeCluster(this.run.deps.target, clusterRef(this.run.scope, planned.location));
      if (!described.ok) {
        ({ progress, i } = await this.fail(progress, i, described.message));
        continue;
      }
      const { state } = described;
      if (planned.status === 'NOT_STARTED') {
        if (planned.step.kind === 'shrinkCluster' || planned.step.kind === 'disableCluster' || planned.step.kind === 'scaleDownCluster') {
          const guard = checkStep(planned.step, state, this.run.deps.guards);
          if (!guard.ok) {
            ({ progress, i } = await this.fail(progress, i, guard.message));
            continue;
          }
          progress = await this.expand(progress, i, state);
          continue;
        }
        const guard = checkStep(planned.step, state, this.run.deps.guards);
        if (!guard.ok) {
          ({ progress, i } = await this.fail(progress, i, guard.message));
          continue;
        }
        const started = await this.start(planned, state);
        if (!started.ok) {
          ({ progress, i } = await this.fail(progress, i, started.message));
          continue;
        }
        progress = this.update(progress, planned.id, { status: 'RUNNING', startTime: this.now, ...(started.childExecutionId ? { childExecutionId: started.childExecutionId } : {}) });
        if (planned.awaitTask !== undefined && planned.awaitTask !== this.run.task) {
          // Started here, awaited by a later task: start the next ones too.
          i += 1;
          continue;
        }
        if (this.run.once || RUN_ONCE.has(planned.step.kind)) {
          // Done once accepted: a later task waits for the effect.
          progress = this.finish(progress, planned.id);
          continue;
        }
        // Read the cluster again: many steps are reached as soon as they are accepted.
        const after = await describeCluster(this.run.deps.target, clusterRef(this.run.scope, planned.location));
        if (!after.ok) {
          ({ progress, i } = await this.fail(progress, i, after.message));
          continue;
        }
        const current = progress.steps[i] as PlannedStep;
        const verdict = await this.reached(current, after.state);
        if (verdict.ok === false) {
          ({ progress, i } = await this.fail(progress, i, verdict.message));
          continue;
        }
        if (verdict.reached) {
          progress = this.finish(progress, current.id);
          continue;
        }
        if (await this.awaitChange(current)) continue;
        return running(this.pollSeconds(current), this.result(progress, [describeWaiting(current)]));
      }
      // RUNNING: has the cluster reached the step's target state?
      const gone = this.vanished(planned, state);
      if (gone !== undefined) {
        ({ progress, i } = await this.fail(progress, i, gone));
        continue;
      }
      const verdict = await this.reached(planned, state);
      if (verdict.ok === false) {
        ({ progress, i } = await this.fail(progress, i, verdict.message));
        continue;
      }
      if (verdict.reached) {
        progress = this.finish(progress, planned.id);
        continue;
      }
      const late = this.deadlinePassed(planned, described.description);
      if (late !== undefined) {
        ({ progress, i } = await this.fail(progress, i, late));
        continue;
      }
      if (await this.awaitChange(planned)) continue;
      return running(this.pollSeconds(planned), this.result(progress, [describeWaiting(planned)]));
    }
    if (progress.failure !== undefined) {
      const undone = progress.steps.filter((step) => step.rollback && step.status === 'SUCCEEDED').map(describeDone);
      const rolledBack = undone.length > 0 ? `; rolled back: ${undone.join(', ')}` : '';
      return failed(`${this.label}: ${progress.failure}${rolledBack}`, this.result(progress, []));
    }
    // Waited in-call: the stage goes on in a call of its own, so whatever it does next reads
    // the time from the call's `now`, not from a start seconds ago.
    if (this.waitedMs > 0) return running(0, this.result(progress, []));
    return succeeded(this.run.outputs?.(progress), this.result(progress, []));
  }

  private update(progress: StepProgress, id: string, change: Partial<PlannedStep>): StepProgress {
    return { ...progress, steps: progress.steps.map((step) => (step.id === id ? { ...step, ...change } : step)) };
  }

  private finish(progress: StepProgress, id: string): StepProgress {
    const done = this.update(progress, id, { status: 'SUCCEEDED', endTime: this.now });
    // A cluster-wide step is done once its last expanded step is.
    const step = done.steps.find((candidate) => candidate.id === id);
    let next = done;
    if (step?.parent !== undefined) {
      const siblings = next.steps.filter((candidate) => candidate.parent === step.parent);
      if (siblings.every((sibling) => sibling.status === 'SUCCEEDED')) next = this.update(next, step.parent, { status: 'SUCCEEDED', endTime: this.now });
    }
    return advance(next);
  }

  /** Replaces a cluster-wide step by the steps it means for the cluster as it is now, guards checked on the whole. */
  private async expand(progress: StepProgress, index: number, state: ClusterState): Promise<StepProgress> {
    const planned = progress.steps[index] as PlannedStep;
    const now = this.now;
    const children = expandStep(planned.step, state).map(
      (step, index): PlannedStep => ({
        id: `${planned.id}.${index + 1}`,
        task: planned.task,
        location: planned.location,
        step,
        parent: planned.id,
        ...(planned.rollback ? { rollback: true } : {}),
        status: 'NOT_STARTED',
      }),
    );
    const steps = [...progress.steps];
    steps.splice(index, 1, { ...planned, expanded: true, status: children.length === 0 ? 'SUCCEEDED' : 'RUNNING', startTime: now, ...(children.length === 0 ? { endTime: now } : {}) }, ...children);
    return this.save(advance({ ...progress, steps }));
  }

  /**
   * Records the failure of the step at `index` and queues the rollback right after it (once); a
   * failure while rolling back ends the stage with both messages. Answers where to scan next.
   */
  private async fail(progress: StepProgress, index: number, message: string): Promise<{ progress: StepProgress; i: number }> {
    const now = this.now;
    const planned = progress.steps[index] as PlannedStep;
    let next = this.update(progress, planned.id, { status: 'TERMINAL', failure: message, endTime: now, ...(planned.startTime === undefined ? { startTime: now } : {}) });
    if (planned.parent !== undefined) next = this.update(next, planned.parent, { status: 'TERMINAL', endTime: now });
    // What was planned after the failed step will not run.
    const skipped = next.steps.map((step, at) => (at > index && step.status === 'NOT_STARTED' ? { ...step, status: 'SKIPPED' as const } : step));
    if (progress.failure !== undefined) {
      const saved = await this.save({ ...next, steps: skipped, failure: `${progress.failure}; the rollback failed too: ${message}`, next: skipped.length });
      return { progress: saved, i: saved.steps.length };
    }
    const undo = this.run.rollback ? await this.run.rollback({ ...next, steps: skipped }, this.run.task) : { steps: [] };
    // The rollback runs in the failed task, right after the failed step.
    const rollback = toPlanned(
      undo.steps.map((draft) => ({ ...draft, task: this.run.task, rollback: true })),
      nextId(next),
    );
    const steps = [...skipped.slice(0, index + 1), ...rollback, ...skipped.slice(index + 1)];
    const saved = await this.save(advance({ ...next, steps, failure: `${message}${undo.note ?? ''}` }));
    return { progress: saved, i: index + 1 };
  }

  private owner(planned: PlannedStep): string {
    return ownerToken(this.run.input, this.run.key, planned.id);
  }

  private portOutcome(result: OperationResult, what: string): Outcome {
    if (result.ok) return { ok: true };
    raiseIfUnavailable(result, what);
    return { ok: false, message: `${what} failed: ${result.message}` };
  }

  /** Starts one step through the ports. */
  private async start(planned: PlannedStep, state: ClusterState): Promise<Outcome & { childExecutionId?: string }> {
    const { step, location } = planned;
    const { target } = this.run.deps;
    const scope = this.run.scope;
    const owner = this.owner(planned);
    switch (step.kind) {
      case 'createServerGroup': {
        if (!this.run.createRequest) return { ok: false, message: `a '${step.kind}' step cannot run in this stage` };
        const built = this.run.createRequest(planned);
        if (!built.ok) return built;
        const request: CreateServerGroupRequest = { ...built.request, owner, ...(step.disabled !== undefined ? { disabled: step.disabled } : {}) };
        return this.portOutcome(await target.serverGroups.create(request), `creating ${step.serverGroup} in ${location}`);
      }
      case 'enableServerGroup':
        return this.portOutcome(await target.traffic.enable(serverGroupRef(scope, location, step.serverGroup), { owner }), `enabling ${step.serverGroup} in ${location}`);
      case 'disableServerGroup': {
        const share = step.desiredPercentage;
        if (share !== undefined && share < 100) {
          if (!target.traffic.capabilities.partialDisable) {
            return { ok: false, message: `account '${scope.account}' cannot take ${share}% of ${step.serverGroup} out of traffic: its deploy target disables only whole server groups; use the redblack strategy` };
          }
          return this.portOutcome(
            await target.traffic.disable(serverGroupRef(scope, location, step.serverGroup), { owner, desiredPercentage: share }),
            `disabling ${share}% of ${step.serverGroup} in ${location}`,
          );
        }
        return this.portOutcome(await target.traffic.disable(serverGroupRef(scope, location, step.serverGroup), { owner }), `disabling ${step.serverGroup} in ${location}`);
      }
      case 'resizeServerGroup':
      case 'pinServerGroup':
        if (!target.serverGroups.capabilities.resize) return { ok: false, message: `account '${scope.account}' cannot resize server groups (its deploy target has no resize capability)` };
        return this.portOutcome(await target.serverGroups.resize(serverGroupRef(scope, location, step.serverGroup), step.capacity, { owner }), `resizing ${step.serverGroup} in ${location}`);
      case 'unpinServerGroup': {
        const current = findServerGroup(state, step.serverGroup);
        if (!current) return { ok: false, message: `unpinning ${step.serverGroup} in ${location} failed: it is no longer in cluster '${scope.cluster}'` };
        const capacity = { ...current.capacity, min: Math.min(step.min, current.capacity.desired) };
        return this.portOutcome(await target.serverGroups.resize(serverGroupRef(scope, location, step.serverGroup), capacity, { owner }), `unpinning ${step.serverGroup} in ${location}`);
      }
      case 'destroyServerGroup':
        // Already gone (a rollback of a half-made deploy, a repeated cleanup): nothing to destroy.
        if (!findServerGroup(state, step.serverGroup)) return { ok: true };
        return this.portOutcome(await target.serverGroups.destroy(serverGroupRef(scope, location, step.serverGroup), { owner }), `destroying ${step.serverGroup} in ${location}`);
      case 'setTrafficWeights': {
        const caps = target.traffic.capabilities;
        const weighted = Object.values(step.weights).filter((weight) => weight > 0).length;
        if (!caps.weights) return { ok: false, message: `account '${scope.account}' cannot split traffic by weight: its router has no weights; use a strategy without weights` };
        if (weighted > caps.maxWeightedServerGroups) {
          return { ok: false, message: `account '${scope.account}' can weigh at most ${caps.maxWeightedServerGroups} server groups at once, and this step weighs ${weighted}` };
        }
        return this.portOutcome(await target.traffic.setWeights(clusterRef(scope, location), step.weights, { owner }), `setting traffic weights in ${location}`);
      }
      case 'runPipeline': {
        const { input } = this.run;
        const user = input.execution.trigger.user;
        // One child per step: the port is idempotent per (parent execution, parent stage id).
        const parentStageId = planned.awaitTask === undefined ? `${input.record.id}:${planned.task}` : input.record.id;
        const started = await this.run.deps.children.start({
          application: step.application,
          pipeline: step.pipelineId,
          parameters: step.parameters,
          parentExecutionId: input.execution.id,
          parentStageId,
          ...(typeof user === 'string' ? { user } : {}),
        });
        if (!started.ok) return { ok: false, message: `${step.label}: could not start pipeline '${step.pipelineId}' of application '${step.application}': ${started.message}` };
        return { ok: true, childExecutionId: started.executionId };
      }
      case 'continueRollout': {
        const answer = target.serverGroups.continueRollout;
        if (answer === undefined) return { ok: false, message: `account '${scope.account}' runs no rollouts of its own, so there is none of ${step.serverGroup} to continue` };
        return this.portOutcome(
          await answer(serverGroupRef(scope, location, step.serverGroup), { pauseId: step.pauseId, action: step.action }, { owner }),
          `${step.action === 'continue' ? 'continuing' : 'rolling back'} the rollout of ${step.serverGroup} in ${location}`,
        );
      }
      case 'waitForHealthy':
      case 'captureCapacity':
      case 'wait':
        return { ok: true };
      case 'shrinkCluster':
      case 'disableCluster':
      case 'scaleDownCluster':
        return { ok: false, message: `a '${step.kind}' step must be expanded before it starts` };
      default: {
        const unreachable: never = step;
        return unreachable;
      }
    }
  }

  /** Whether the cluster shows the step's target state; a child pipeline that ended badly is a failure. */
  private async reached(planned: PlannedStep, state: ClusterState): Promise<{ ok: true; reached: boolean } | { ok: false; message: string }> {
    const { step } = planned;
    const serverGroup = 'serverGroup' in step ? findServerGroup(state, step.serverGroup) : undefined;
    const yes = (reached: boolean) => ({ ok: true as const, reached });
    switch (step.kind) {
      case 'createServerGroup':
        return yes(serverGroup !== undefined);
      case 'enableServerGroup':
        return yes(serverGroup !== undefined && !serverGroup.disabled && healthyEnough(serverGroup, step.targetHealthyPercentage, true));
      case 'disableServerGroup':
        if (serverGroup === undefined) return yes(true);
        if (step.desiredPercentage !== undefined && step.desiredPercentage < 100 && !serverGroup.disabled) {
          const out = serverGroup.instances.filter((instance) => instance.outOfService === true).length;
          return yes(out >= Math.ceil((serverGroup.instances.length * step.desiredPercentage) / 100));
        }
        return yes(serverGroup.disabled && !isDraining(serverGroup));
      case 'resizeServerGroup':
      case 'pinServerGroup': {
        if (!serverGroup) return yes(false);
        const { min, max, desired } = step.capacity;
        const matches = serverGroup.capacity.min === min && serverGroup.capacity.max === max && serverGroup.capacity.desired === desired;
        const healthy = step.kind === 'resizeServerGroup' ? step.targetHealthyPercentage : undefined;
        return yes(matches && serverGroup.instances.length === desired && healthyEnough(serverGroup, healthy));
      }
      case 'unpinServerGroup':
        return yes(serverGroup !== undefined && serverGroup.capacity.min === Math.min(step.min, serverGroup.capacity.desired));
      case 'destroyServerGroup':
        return yes(serverGroup === undefined);
      case 'waitForHealthy': {
        // A rollout the cloud runs: done once it serves or waits for the pipeline; traffic sent back ends the wait.
        const rollout = serverGroup?.rollout;
        if (rollout !== undefined && BACK.has(rollout.state)) return { ok: false, message: `${step.serverGroup} in ${planned.location}: ${rollout.message ?? `its rollout ended ${rollout.state}`}` };
        if (rollout?.state === 'running') return yes(false);
        return yes(serverGroup !== undefined && healthyEnough(serverGroup, step.targetHealthyPercentage));
      }
      case 'continueRollout': {
        const rollout = serverGroup?.rollout;
        if (step.action === 'rollback') return yes(serverGroup === undefined || rollout === undefined || (BACK.has(rollout.state) && rollout.state !== 'rolling-back'));
        if (rollout === undefined || rollout.state === 'succeeded') return yes(serverGroup !== undefined);
        if (BACK.has(rollout.state)) return { ok: false, message: `${step.serverGroup} in ${planned.location}: ${rollout.message ?? `its rollout ended ${rollout.state}`}` };
        return yes(rollout.state === 'paused' && rollout.pauseId !== step.pauseId);
      }
      case 'wait':
        return yes(this.now >= (planned.startTime ?? this.now) + step.seconds * 1000);
      case 'captureCapacity':
        return yes(true);
      case 'setTrafficWeights': {
        const verified = await this.run.deps.target.traffic.verifyWeights(clusterRef(this.run.scope, planned.location), step.weights);
        if (!verified.ok) {
          raiseIfUnavailable(verified, `reading the traffic weights in ${planned.location}`);
          return { ok: false, message: `reading the traffic weights in ${planned.location} failed: ${verified.message}` };
        }
        return yes(verified.matches);
      }
      case 'runPipeline': {
        const executionId = planned.childExecutionId;
        if (executionId === undefined) return { ok: false, message: `${step.label}: the child execution was not recorded; restart the stage` };
        const child = await this.run.deps.store.getExecution(executionId);
        if (!child) return { ok: false, message: `${step.label}: child execution ${executionId} does not exist` };
        if (!isComplete(child.status)) return yes(false);
        if (child.status === 'SUCCEEDED') return yes(true);
        return { ok: false, message: `${step.label} '${child.name}' (execution ${executionId}) ended ${child.status}` };
      }
      case 'shrinkCluster':
      case 'disableCluster':
      case 'scaleDownCluster':
        return yes(false);
      default: {
        const unreachable: never = step;
        return unreachable;
      }
    }
  }

  /** Why waiting is pointless: the server group the step waits to see enabled, resized or healthy is gone. */
  private vanished(planned: PlannedStep, state: ClusterState): string | undefined {
    const { step, location } = planned;
    if (!('serverGroup' in step) || step.kind === 'destroyServerGroup' || step.kind === 'disableServerGroup' || step.kind === 'captureCapacity') return undefined;
    if (step.kind === 'createServerGroup') return undefined;
    if (findServerGroup(state, step.serverGroup)) return undefined;
    return `${step.serverGroup} is no longer in cluster '${state.cluster}' in ${location}: it was destroyed while the stage waited for it`;
  }

  /** The failure message once a step waited past its deadline. */
  private deadlinePassed(planned: PlannedStep, description: ClusterDescription): string | undefined {
    const { step, location } = planned;
    const startedAt = planned.startTime ?? this.now;
    const elapsed = this.now - startedAt;
    if (step.kind === 'wait' || step.kind === 'runPipeline') return undefined;
    if (WAITS_FOR_HEALTH.has(step.kind) && 'serverGroup' in step) {
      const limit = this.run.healthTimeoutSeconds ?? 600;
      if (elapsed < limit * 1000) return undefined;
      const group = description.serverGroups.find((candidate) => candidate.name === step.serverGroup) as ServerGroup | undefined;
      if (group?.rollout?.state === 'running') {
        return `${step.serverGroup} in ${location}: the cloud's rollout was still at ${group.rollout.stage ?? 'work'} after ${limit} s; raise waitForHealthyTimeoutSec to cover its bake times`;
      }
      const instances = group?.instances ?? [];
      const inTraffic = step.kind === 'enableServerGroup';
      const up = group ? upCount(group, inTraffic) : 0;
      const percentage = 'targetHealthyPercentage' in step && step.targetHealthyPercentage !== undefined ? step.targetHealthyPercentage : DEFAULT_TARGET_HEALTHY_PERCENTAGE;
      const needed = group ? neededUp(group, percentage) : 0;
      const healths = instances.map((instance) => (instance.outOfService === true ? `${instance.health} out of traffic` : instance.health)).join(', ');
      return `${step.serverGroup} in ${location} did not become healthy${inTraffic ? ' in traffic' : ''} within ${limit} s (${up} of the ${needed} instances needed are Up${inTraffic ? ' in traffic' : ''}; instances: ${healths || 'none'}); fix its health check, or raise waitForHealthyTimeoutSec`;
    }
    if (elapsed < DEFAULT_STEP_DEADLINE_SECONDS * 1000) return undefined;
    return `${describeWaiting(planned)} did not happen within ${DEFAULT_STEP_DEADLINE_SECONDS} s`;
  }

  /** Seconds to the next look: a wait's deadline, a child pipeline's backoff, else quick looks that back off. */
  private pollSeconds(planned: PlannedStep): number {
    const elapsed = this.now - (planned.startTime ?? this.now);
    const { step } = planned;
    if (step.kind === 'wait') return deadlineWaitSeconds(step.seconds - elapsed / 1000, this.run.pollsLeft, 30);
    if (step.kind === 'runPipeline') return backoffSeconds(elapsed);
    return deployPollSeconds(elapsed);
  }
}
