/**
 * The step executor's persisted progress, parsed (STYLE §4): what a stage keeps in its runtime
 * between two calls is read back through this schema, never cast. A progress written by an older
 * release that no longer parses fails the stage with a message asking for a restart, instead of
 * running on a half-understood plan.
 */
import { z } from 'zod';
import type { DeployStep } from '../strategies/steps.ts';

const capacity = z.object({ min: z.number(), max: z.number(), desired: z.number() });
const name = z.string().min(1);

/** Every DeployStep kind (core/strategies/steps.ts); `satisfies` keeps the two in step. */
const deployStep = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('createServerGroup'),
    serverGroup: name,
    capacity,
    disabled: z.boolean().optional(),
    savedCapacity: capacity.optional(),
    source: z.object({ account: name, location: z.string(), serverGroup: name }).optional(),
  }),
  z.object({ kind: z.literal('waitForHealthy'), serverGroup: name, targetHealthyPercentage: z.number() }),
  z.object({ kind: z.literal('enableServerGroup'), serverGroup: name, targetHealthyPercentage: z.number().optional() }),
  z.object({ kind: z.literal('disableServerGroup'), serverGroup: name, desiredPercentage: z.number().optional() }),
  z.object({ kind: z.literal('resizeServerGroup'), serverGroup: name, capacity, targetHealthyPercentage: z.number().optional() }),
  z.object({ kind: z.literal('destroyServerGroup'), serverGroup: name }),
  z.object({ kind: z.literal('continueRollout'), serverGroup: name, pauseId: name, action: z.enum(['continue', 'rollback']) }),
  z.object({ kind: z.literal('pinServerGroup'), serverGroup: name, capacity }),
  z.object({ kind: z.literal('unpinServerGroup'), serverGroup: name, min: z.number() }),
  z.object({ kind: z.literal('captureCapacity'), serverGroup: name, capacity }),
  z.object({ kind: z.literal('setTrafficWeights'), weights: z.record(z.string(), z.number()) }),
  z.object({ kind: z.literal('wait'), seconds: z.number(), label: z.string() }),
  z.object({ kind: z.literal('runPipeline'), label: z.string(), application: name, pipelineId: name, parameters: z.record(z.string(), z.unknown()) }),
  z.object({
    kind: z.literal('shrinkCluster'),
    shrinkToSize: z.number(),
    allowDeleteActive: z.boolean(),
    retainLargerOverNewer: z.boolean(),
    deployedServerGroup: z.string().optional(),
  }),
  z.object({ kind: z.literal('disableCluster'), remainingEnabledServerGroups: z.number(), preferLargerOverNewer: z.boolean(), deployedServerGroup: z.string().optional() }),
  z.object({
    kind: z.literal('scaleDownCluster'),
    remainingFullSizeServerGroups: z.number(),
    allowScaleDownActive: z.boolean(),
    preferLargerOverNewer: z.boolean(),
    deployedServerGroup: z.string().optional(),
  }),
]);

/** A step's status as Orca shows a synthetic stage's. */
export const STEP_STATUSES = ['NOT_STARTED', 'RUNNING', 'SUCCEEDED', 'TERMINAL', 'SKIPPED'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

const plannedStep = z.object({
  /** Stable within the plan: the owner token of every side effect of the step ends with it. */
  id: name,
  /** The compiled task (state machine step) that starts it and, unless `awaitTask`, waits for it. */
  task: name,
  awaitTask: z.string().optional(),
  location: z.string(),
  step: deployStep,
  /** Part of the rollback of a failed deploy. */
  rollback: z.boolean().optional(),
  /** A cluster-wide step replaced, when it started, by the steps it expanded to (listed right after it). */
  expanded: z.boolean().optional(),
  /** The id of the cluster-wide step this one was expanded from. */
  parent: z.string().optional(),
  status: z.enum(STEP_STATUSES),
  startTime: z.number().optional(),
  endTime: z.number().optional(),
  /** The child execution of a runPipeline step. */
  childExecutionId: z.string().optional(),
  /** Why it failed, for the synthetic stage. */
  failure: z.string().optional(),
});

export type PlannedStep = Omit<z.infer<typeof plannedStep>, 'step'> & { step: DeployStep };

const progress = z.object({
  version: z.literal(1),
  steps: z.array(plannedStep),
  /** The cursor: index of the first step not done. */
  next: z.number().int().min(0),
  /** Set once a step failed: the rollback steps now after the cursor run, then the stage fails with it. */
  failure: z.string().optional(),
  plannedAt: z.number(),
});

export type StepProgress = Omit<z.infer<typeof progress>, 'steps'> & { steps: PlannedStep[] };

// The schema and the union must describe the same steps.
type SchemaStep = z.infer<typeof deployStep>;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const stepsAgree: Same<SchemaStep['kind'], DeployStep['kind']> = true;
void stepsAgree;

/** Reads a persisted progress; undefined when absent, a message when it does not parse. */
export function parseStepProgress(value: unknown): { ok: true; progress: StepProgress | undefined } | { ok: false; message: string } {
  if (value === undefined || value === null) return { ok: true, progress: undefined };
  const parsed = progress.safeParse(value);
  if (parsed.success) return { ok: true, progress: parsed.data as StepProgress };
  const issue = parsed.error.issues[0];
  return { ok: false, message: `its saved plan does not parse (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}); restart the stage` };
}
