/**
 * `bake`: build a machine image (Orca's BakeStage via Rosco). Skipped at runtime when an identical
 * bake exists, unless `rebake`. Provider fields (`baseOs`, `vmType`, `extendedAttributes`...)
 * pass through for the baker.
 */
import { z } from 'zod';
import type { StageBase } from '../model.ts';
import { anyObject, anyText, flag, optional, textList, withDefault } from '../fields.ts';
import { defineStageType } from './definition.ts';

export interface BakeConfig {
  readonly package?: string;
  readonly baseOs?: string;
  readonly baseLabel?: string;
  readonly regions: readonly string[];
  readonly region?: string;
  readonly vmType?: string;
  readonly storeType?: string;
  readonly templateFileName?: string;
  readonly cloudProviderType?: string;
  readonly extendedAttributes: Readonly<Record<string, unknown>>;
  readonly rebake: boolean;
}

export type BakeStage = StageBase<'bake', BakeConfig>;

const schema: z.ZodType<BakeConfig> = z.looseObject({
  package: optional(anyText('the packages to install')),
  baseOs: optional(anyText('the base OS')),
  baseLabel: optional(anyText('the base label')),
  regions: withDefault(textList('regions'), []),
  region: optional(anyText('a region')),
  vmType: optional(anyText('the VM type')),
  storeType: optional(anyText('the store type')),
  templateFileName: optional(anyText('the Packer template')),
  cloudProviderType: optional(anyText('the cloud provider')),
  extendedAttributes: withDefault(anyObject('extended attributes'), {}),
  rebake: withDefault(flag(), false),
});

export const bakeStageType = defineStageType({
  type: 'bake',
  description: 'Bakes a machine image with the configured packages.',
  schema,
  expressionFields: ['package', 'extendedAttributes'],
  plan: () => [
    { name: 'createBake', kind: 'run' },
    { name: 'monitorBake', kind: 'poll' },
  ],
});
