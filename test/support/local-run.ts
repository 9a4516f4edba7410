/**
 * Runs real pipelines on one machine for tests: compile with compilePipeline → create the
 * execution records (newExecutionFromPipeline) in an ExecutionStore → run the ASL on the local
 * engine with every Task bound to the REAL stage runner → return the final execution.
 *
 * Time is virtual: the runner's clock starts at `startAt` and jumps forward by every
 * `waitSeconds` the runner answers, while the engine's Wait states sleep `waitOverrideMs`. So
 * waits, poll budgets and timeouts behave as they would in real time, in milliseconds. A
 * simulated cloud's clock can be handed in instead (`clock`), so the runner's waits are what move
 * the cloud on.
 * Child pipelines (`pipeline` stages) are created and run on the same engine.
 */
import { parsePipeline, type Pipeline } from '../../core/pipeline/index.ts';
import { newExecutionFromPipeline } from '../../core/execution/new-execution.ts';
import { createStageRunner, type StageRunner, type StageRunnerDeps } from '../../core/execution/stage-runner.ts';
import type { StageAnswer, StageRunnerRequest } from '../../core/execution/runner-contract.ts';
import type { ChildPipelines } from '../../core/ports/child-pipelines.ts';
import type { TargetLookup } from '../../core/ports/target.ts';
import type { Execution, ExecutionStore, JsonObject, PipelineConfigVersion } from '../../core/ports/execution-store.ts';
import type { HttpClient } from '../../core/ports/http-client.ts';
import type { ManualJudgmentStage } from '../../core/pipeline/stage-types/index.ts';
import { applyJudgment, type JudgmentInput } from '../../core/stages/manual-judgment.ts';
import { createAslEngine, type AslEngine, type AslOutcome } from '../../local/asl-engine.ts';
import { compilePipeline } from '../../statemachines/index.ts';

const RUNNER_ARN = 'arn:aws:lambda:local:000000000000:function:gennaker-stage-runner';

export interface LocalRunOptions {
  readonly store: ExecutionStore;
  /** @default an HttpClient that refuses every request */
  readonly http?: HttpClient;
  /** Virtual epoch milliseconds at the start. @default 2024-01-01T12:00:00Z (a Monday) */
  readonly startAt?: number;
  /** The runner's clock, moved by every wait it answers (e.g. a simulator's). @default a virtual clock from `startAt` */
  readonly clock?: { now(): number; advance(ms: number): void };
  /** Real milliseconds each Wait state sleeps. @default 2 */
  readonly waitOverrideMs?: number;
  /**
   * Every Task is delivered twice at the same time, as Step Functions may (at-least-once): the
   * engine goes on with the first answer, or with the other when one lost a race.
   */
  readonly deliverTwice?: boolean;
  readonly random?: () => number;
  /** Deploy targets for server-group and cluster stages. @default none: those stages cannot run */
  readonly targets?: TargetLookup;
  /** The image store for bake and findImageFromTags. */
  readonly artifacts?: StageRunnerDeps['artifacts'];
  /** The job runner for runJob. */
  readonly jobs?: StageRunnerDeps['jobs'];
  /** The artifact accounts, for stages that read a document from an artifact. */
  readonly artifactContent?: StageRunnerDeps['artifactContent'];
}

export interface StartOptions {
  readonly executionId?: string;
  readonly trigger?: JsonObject;
  readonly parameters?: JsonObject;
}

export interface Started {
  readonly executionId: string;
  readonly outcome: Promise<AslOutcome>;
}

export interface Finished {
  readonly outcome: AslOutcome;
  readonly execution: Execution;
  /** refId → status. */
  readonly statuses: Record<string, string>;
}

export interface RunnerCallRecord {
  readonly request: StageRunnerRequest;
  readonly answer?: unknown;
  readonly error?: string;
}

export interface LocalRun {
  readonly store: ExecutionStore;
  readonly engine: AslEngine;
  /** The real stage runner (not recording, not moving the virtual clock). */
  readonly runner: StageRunner;
  readonly children: ChildPipelines;
  readonly calls: RunnerCallRecord[];
  now(): number;
  /** Saves a pipeline config (JSON as a user writes it) and returns the saved version. */
  save(config: JsonObject): Promise<PipelineConfigVersion>;
  /** Creates the execution of the latest version of a saved pipeline and starts it. */
  start(pipelineConfigId: string, options?: StartOptions): Promise<Started>;
  /** Waits for a started execution and returns its records. */
  finish(started: Started): Promise<Finished>;
  /** save + start + finish. */
  run(config: JsonObject, options?: StartOptions): Promise<Finished>;
  /** The judgment API's part: waits for the stage's token, applies the judgment, resumes the engine. */
  judge(executionId: string, refId: string, judgment: JudgmentInput): Promise<ReturnType<typeof applyJudgment>>;
}

/**
 * The targets without `awaitChange`: time here is virtual and moves only by the waits the runner
 * answers, so a call must never wait in real time for a change (a release that never turns
 * healthy would take its whole timeout in real seconds). The state machine's waits stand in.
 */
function withoutInCallWaits(targets: TargetLookup): TargetLookup {
  return (query) => {
    const target = targets(query);
    if (target?.serverGroups.awaitChange === undefined) return target;
    const { awaitChange: _inCall, ...serverGroups } = target.serverGroups;
    return { ...target, serverGroups };
  };
}

export function createLocalRun(options: LocalRunOptions): LocalRun {
  const { store } = options;
  let virtual = options.startAt ?? Date.UTC(2024, 0, 1, 12, 0, 0);
  const clock = options.clock ?? {
    now: () => virtual,
    advance: (ms: number) => {
      virtual += ms;
    },
  };
  const calls: RunnerCallRecord[] = [];
  const definitions = new Map<string, { pipeline: Pipeline; definition: ReturnType<typeof compilePipeline>['definition'] }>();

  const loadCompiled = async (saved: PipelineConfigVersion) => {
    const key = `${saved.id}@${saved.version}`;
    const cached = definitions.get(key);
    if (cached) return cached;
    const parsed = parsePipeline(saved.config);
    if (!parsed.pipeline) throw new Error(`pipeline ${key} is invalid: ${JSON.stringify(parsed.issues)}`);
    const compiled = compilePipeline(parsed.pipeline, { stageRunnerArn: RUNNER_ARN });
    const errors = compiled.issues.filter((issue) => issue.severity === 'error');
    if (errors.length > 0) throw new Error(`pipeline ${key} does not compile: ${JSON.stringify(errors)}`);
    const entry = { pipeline: parsed.pipeline, definition: compiled.definition };
    definitions.set(key, entry);
    return entry;
  };

  const children: ChildPipelines = {
    async start(request) {
      const saved = await store.getPipelineConfig(request.pipeline);
      if (!saved) return { ok: false, message: `no pipeline with id '${request.pipeline}'` };
      const started = await startSaved(saved, {
        executionId: `${request.parentExecutionId}.${request.parentStageId}.child`,
        trigger: { type: 'pipeline', parentExecution: { id: request.parentExecutionId }, parentPipelineStageId: request.parentStageId, ...(request.user ? { user: request.user } : {}) },
        parameters: request.parameters as JsonObject,
      });
      return { ok: true, executionId: started.executionId };
    },
  };

  const runner = createStageRunner({
    store,
    clock,
    http: options.http ?? { send: async () => ({ ok: false, failure: { kind: 'refused-by-allowlist', message: 'no HTTP in this test' } }) },
    children,
    ...(options.random ? { random: options.random } : {}),
    ...(options.targets ? { targets: withoutInCallWaits(options.targets) } : {}),
    ...(options.artifacts ? { artifacts: options.artifacts } : {}),
    ...(options.jobs ? { jobs: options.jobs } : {}),
    ...(options.artifactContent ? { artifactContent: options.artifactContent } : {}),
    // As the runtimes do: a callback Task the runner does not leave waiting is resumed through the engine.
    callbacks: { sendTaskSuccess: async (taskToken, output) => engine.sendTaskSuccess(taskToken, output) },
  });

  const engine: AslEngine = createAslEngine({
    waitOverrideMs: options.waitOverrideMs ?? 2,
    retryDelayMs: 0,
    invoke: async ({ payload }) => {
      const request = payload as StageRunnerRequest;
      try {
        const answer = options.deliverTwice ? await firstAnswer(runner(request), runner(request)) : await runner(request);
        calls.push({ request, answer });
        const waitSeconds = (answer as StageAnswer).waitSeconds;
        // A callback's answer is ignored by the engine; only poll waits move time.
        if (answer.status === 'RUNNING' && !('taskToken' in request && request.taskToken) && typeof waitSeconds === 'number') clock.advance(waitSeconds * 1000);
        return answer;
      } catch (error) {
        calls.push({ request, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
        throw error;
      }
    },
  });

  const startSaved = async (saved: PipelineConfigVersion, startOptions: StartOptions): Promise<Started> => {
    const { pipeline, definition } = await loadCompiled(saved);
    const executionId = startOptions.executionId ?? `execution-${Math.random().toString(36).slice(2, 10)}`;
    const draft = newExecutionFromPipeline(pipeline, {
      id: executionId,
      version: saved.version,
      pipelineConfigId: saved.id,
      trigger: startOptions.trigger ?? { type: 'manual', user: 'tester' },
      parameters: startOptions.parameters ?? {},
      buildTime: clock.now(),
    });
    const created = await store.createExecution(draft);
    if (!created.ok && created.reason !== 'exists') throw new Error(`could not create execution ${executionId}: ${created.reason}`);
    await store.updateExecution(executionId, { expect: ['NOT_STARTED'], set: { status: 'RUNNING', startTime: clock.now() } });
    const run = engine.start(definition, { executionId }, { executionId });
    return { executionId, outcome: run.result };
  };

  const save = async (config: JsonObject): Promise<PipelineConfigVersion> => {
    const id = typeof config.id === 'string' ? config.id : String(config.name);
    const saved = await store.savePipelineConfig({ id, application: String(config.application), name: String(config.name), config: { ...config, id } });
    if (!saved.ok) throw new Error(`could not save pipeline ${id}: ${saved.reason}`);
    return saved.saved;
  };

  const finish = async (started: Started): Promise<Finished> => {
    const outcome = await started.outcome;
    const execution = await store.getExecution(started.executionId);
    if (!execution) throw new Error(`execution ${started.executionId} vanished`);
    return { outcome, execution, statuses: Object.fromEntries(execution.stages.map((stage) => [stage.refId, stage.status])) };
  };

  const start = async (pipelineConfigId: string, startOptions: StartOptions = {}): Promise<Started> => {
    const saved = await store.getPipelineConfig(pipelineConfigId);
    if (!saved) throw new Error(`no pipeline ${pipelineConfigId}`);
    return startSaved(saved, startOptions);
  };

  return {
    store,
    engine,
    runner,
    children,
    calls,
    now: () => clock.now(),
    save,
    start,
    finish,
    run: async (config, startOptions) => {
      const saved = await save(config);
      return finish(await startSaved(saved, startOptions ?? {}));
    },
    judge: async (executionId, refId, judgment) => {
      let token: string | undefined;
      for (let attempt = 0; attempt < 500 && token === undefined; attempt++) {
        token = (await store.getTaskToken(executionId, refId))?.token;
        if (token === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      if (token === undefined) throw new Error(`stage ${refId} of ${executionId} never waited for a judgment`);
      const execution = await store.getExecution(executionId);
      const saved = execution && (await store.getPipelineConfig(execution.pipelineConfigId, execution.pipelineVersion));
      const stage = saved && (await loadCompiled(saved)).pipeline.stages.find((candidate) => candidate.refId === refId);
      const record = execution?.stages.find((candidate) => candidate.refId === refId);
      if (!stage || stage.type !== 'manualJudgment' || !record) throw new Error(`stage ${refId} is not a manual judgment`);
      const decision = applyJudgment(stage as ManualJudgmentStage, judgment);
      if (!decision.ok) return decision;
      await store.updateStage(executionId, record.id, {
        expect: ['RUNNING'],
        set: { context: { ...record.context, ...decision.context }, ...(decision.status ? { status: decision.status, endTime: clock.now() } : {}) },
      });
      const taken = await store.takeTaskToken(executionId, record.id);
      engine.sendTaskSuccess(taken?.token ?? token, decision.answer);
      return decision;
    },
  };
}

/** The first answer of two deliveries of one Task; an error only when both failed (the first one's). */
async function firstAnswer<T>(first: Promise<T>, second: Promise<T>): Promise<T> {
  const [a, b] = await Promise.allSettled([first, second]);
  if (a.status === 'fulfilled') return a.value;
  if (b.status === 'fulfilled') return b.value;
  throw a.reason;
}
