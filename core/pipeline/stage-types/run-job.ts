/**
 * `runJob`: run a container or job to completion (Orca's RunJobStage); with `propertyFile`, the
 * job's property file is read into the stage outputs. Provider fields pass through.
 */
import { z } from 'zod';
import type { StageBase } from '../model.ts';
import { anyText, optional, withDefault, flag } from '../fields.ts';
import { defineStageType } from './definition.ts';

export interface RunJobConfig {
  readonly account?: string;
  readonly credentials?: string;
  readonly cloudProvider?: string;
  readonly propertyFile?: string;
  readonly skipExpressionEvaluation: boolean;
}

export type RunJobStage = StageBase<'runJob', RunJobConfig>;

const schema: z.ZodType<RunJobConfig> = z.looseObject({
  account: optional(anyText('the account')),
  credentials: optional(anyText('the account')),
  cloudProvider: optional(anyText('the cloud provider')),
  propertyFile: optional(anyText('the property file to read')),
  skipExpressionEvaluation: withDefault(flag(), false),
});

export const runJobStageType = defineStageType({
  type: 'runJob',
  description: 'Runs a job to completion and captures its outputs.',
  schema,
  plan: () => [
    { name: 'runJob', kind: 'run' },
    { name: 'waitOnJobCompletion', kind: 'poll' },
  ],
});
