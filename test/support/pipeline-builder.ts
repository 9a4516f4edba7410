/**
 * Builds parsed pipelines for compiler and execution tests without going through the parser:
 * each stage says its own steps, and the builder hands back a planner that returns them, so
 * tests pin the compiler's structure independently of the stage types' plans.
 */
import type { ExecutionWindow, FailurePolicy, Pipeline, TaskStep } from '../../core/pipeline/model.ts';
import type { Stage } from '../../core/pipeline/stage-types/index.ts';
import type { StagePlanner } from '../../statemachines/index.ts';

export interface TestStage {
  readonly refId: string;
  /** Default: `Stage <refId>`. */
  readonly name?: string;
  /** Default: `evaluateVariables`. */
  readonly type?: string;
  readonly requisiteStageRefIds?: readonly string[];
  /** Default: halt-pipeline (Spinnaker's failPipeline default). */
  readonly failurePolicy?: FailurePolicy;
  /** Default: one `run` step named after the type. */
  readonly steps?: readonly TaskStep[];
  /** `true` for a weekday-hours window. */
  readonly executionWindow?: boolean | ExecutionWindow;
  readonly stageTimeoutMs?: number;
}

export interface TestPipelineOptions {
  readonly name?: string;
  readonly application?: string;
  /** Stages run in array order (their requisiteStageRefIds are ignored). */
  readonly legacyOrder?: boolean;
}

export interface BuiltPipeline {
  readonly pipeline: Pipeline;
  /** Returns each stage's `steps`. */
  readonly planStage: StagePlanner;
}

export const run = (name: string): TaskStep => ({ name, kind: 'run' });
export const poll = (name: string, maxPolls?: number): TaskStep =>
  maxPolls === undefined ? { name, kind: 'poll' } : { name, kind: 'poll', maxPolls };
export const callback = (name: string, timeoutSeconds?: number): TaskStep =>
  timeoutSeconds === undefined ? { name, kind: 'callback' } : { name, kind: 'callback', timeoutSeconds };

const WEEKDAY_HOURS: ExecutionWindow = {
  whitelist: [{ startHour: 9, startMin: 0, endHour: 17, endMin: 0 }],
  days: [2, 3, 4, 5, 6],
};

/** A parsed pipeline with the given stages, in the given array order. */
export function testPipeline(stages: readonly TestStage[], options: TestPipelineOptions = {}): BuiltPipeline {
  const steps = new Map<string, readonly TaskStep[]>();
  const built = stages.map((spec, index): Stage => {
    const type = spec.type ?? 'evaluateVariables';
    steps.set(spec.refId, spec.steps ?? [run(type)]);
    const window = spec.executionWindow === true ? WEEKDAY_HOURS : spec.executionWindow || undefined;
    const stage = {
      type,
      refId: spec.refId,
      requisiteStageRefIds: options.legacyOrder ? [] : [...(spec.requisiteStageRefIds ?? [])],
      name: spec.name ?? `Stage ${spec.refId}`,
      index,
      failurePolicy: spec.failurePolicy ?? 'halt-pipeline',
      ...(spec.stageTimeoutMs !== undefined ? { stageTimeoutMs: spec.stageTimeoutMs } : {}),
      ...(window ? { executionWindow: window } : {}),
      failOnFailedExpressions: false,
      notifications: [],
      config: {},
      raw: { type, refId: spec.refId, name: spec.name ?? `Stage ${spec.refId}` },
    };
    // Test stages carry no type-specific config; the compiler reads only the common fields.
    return stage as unknown as Stage;
  });
  const name = options.name ?? 'test pipeline';
  const application = options.application ?? 'testapp';
  const pipeline: Pipeline = {
    application,
    name,
    stages: built,
    triggers: [],
    parameterConfig: [],
    limitConcurrent: false,
    keepWaitingPipelines: false,
    maxConcurrentExecutions: 0,
    expectedArtifacts: [],
    notifications: [],
    spelEvaluator: 'v4',
    disabled: false,
    legacyOrder: options.legacyOrder ?? false,
    raw: { application, name, stages: built.map((stage) => stage.raw) },
  };
  const planStage: StagePlanner = (stage) => {
    const planned = steps.get(stage.refId);
    if (!planned) throw new Error(`no steps for stage ${stage.refId}`);
    return planned;
  };
  return { pipeline, planStage };
}
