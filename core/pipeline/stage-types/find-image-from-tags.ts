/** `findImageFromTags`: the newest image of a package carrying the given tags. */
import { z } from 'zod';
import type { StageBase } from '../model.ts';
import { anyText, optional, text, textList, withDefault } from '../fields.ts';
import { defineStageType } from './definition.ts';

export interface FindImageFromTagsConfig {
  readonly packageName: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly regions: readonly string[];
  readonly cloudProvider?: string;
  readonly cloudProviderType?: string;
}

export type FindImageFromTagsStage = StageBase<'findImageFromTags', FindImageFromTagsConfig>;

const schema: z.ZodType<FindImageFromTagsConfig> = z.looseObject({
  packageName: text("the image's package name"),
  tags: withDefault(z.record(z.string(), anyText('a tag value')), {}),
  regions: withDefault(textList('regions'), []),
  cloudProvider: optional(anyText('the cloud provider')),
  cloudProviderType: optional(anyText('the cloud provider')),
});

export const findImageFromTagsStageType = defineStageType({
  type: 'findImageFromTags',
  description: 'Finds the newest image of a package with the given tags.',
  schema,
  expressionFields: ['packageName', 'tags'],
  plan: () => [{ name: 'findImageFromTags', kind: 'run' }],
});
