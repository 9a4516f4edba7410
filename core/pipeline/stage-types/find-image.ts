/** `findImage` (Orca's FindImageFromClusterStage): pick the image a cluster currently runs. */
import { z } from 'zod';
import type { StageBase } from '../model.ts';
import { anyText, flag, oneOf, optional, withDefault } from '../fields.ts';
import { defineStageType } from './definition.ts';
import type { ClusterLocation } from './server-group-target.ts';
import { checkRegions, clusterLocationFields } from './server-group-target.ts';

export const IMAGE_SELECTION_STRATEGIES = ['LARGEST', 'NEWEST', 'OLDEST', 'FAIL'] as const;
export type ImageSelectionStrategy = (typeof IMAGE_SELECTION_STRATEGIES)[number];

export interface FindImageConfig extends ClusterLocation {
  /** Which server group's image when several match; FAIL fails the stage instead of choosing. */
  readonly selectionStrategy: ImageSelectionStrategy;
  readonly onlyEnabled: boolean;
  readonly imageNamePattern?: string;
}

export type FindImageStage = StageBase<'findImage', FindImageConfig>;

const schema: z.ZodType<FindImageConfig> = z.looseObject({
  ...clusterLocationFields,
  selectionStrategy: withDefault(oneOf(IMAGE_SELECTION_STRATEGIES, 'how to choose among server groups'), 'NEWEST'),
  onlyEnabled: withDefault(flag(), true),
  imageNamePattern: optional(anyText('an image name pattern')),
});

export const findImageStageType = defineStageType({
  type: 'findImage',
  description: 'Finds the image a cluster currently runs.',
  schema,
  expressionFields: ['cluster'],
  plan: () => [{ name: 'findImage', kind: 'run' }],
  check: (config) => checkRegions(config),
});
