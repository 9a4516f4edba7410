/**
 * `pipeline`: run another pipeline as a child and, by default, wait for it (Orca's PipelineStage).
 * The child's result becomes this stage's status.
 */
import { z } from 'zod';
import type { StageBase, TaskStep } from '../model.ts';
import { anyObject, flag, text, withDefault } from '../fields.ts';
import { defineStageType } from './definition.ts';

export interface PipelineStageConfig {
  readonly application: string;
  /** The child pipeline's config id (or a template resolving to it, e.g. `${#pipelineId('Deploy')}`). */
  readonly pipeline: string;
  readonly pipelineParameters: Readonly<Record<string, unknown>>;
  readonly waitForCompletion: boolean;
}

export type PipelineStage = StageBase<'pipeline', PipelineStageConfig>;

const schema: z.ZodType<PipelineStageConfig> = z.looseObject({
  application: text('the application of the pipeline to run'),
  pipeline: text("the id of the pipeline to run (or an expression such as ${#pipelineId('Deploy')})"),
  pipelineParameters: withDefault(anyObject('parameters for the child pipeline'), {}),
  waitForCompletion: withDefault(flag(), true),
});

export const pipelineStageType = defineStageType({
  type: 'pipeline',
  description: 'Starts another pipeline and, by default, waits for it to finish.',
  schema,
  expressionFields: ['application', 'pipeline', 'pipelineParameters'],
  plan: (stage) => {
    const steps: TaskStep[] = [{ name: 'startPipeline', kind: 'run' }];
    if (stage.config.waitForCompletion) steps.push({ name: 'monitorPipeline', kind: 'poll' });
    return steps;
  },
});
