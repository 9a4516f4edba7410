/**
 * `bake`: build a machine image (Orca's BakeStage via Rosco). Skipped at runtime when an identical
 * bake exists, unless `rebake`. Provider fields (`baseOs`, `vmType`, `extendedAttributes`...)
 * pass through for the baker.
 *
 * For the local image store (core/stages/bake.ts) the image is `package` baked from `artifact`
 * (`{ type: 'directory' | 'git', reference, version? }`), tagged with `tags`: both are Gennaker's
 * own fields, Rosco takes its sources from its package repositories instead.
 */
import { z } from 'zod';
import type { StageBase } from '../model.ts';
import { anyObject, anyText, flag, optional, text, textList, withDefault } from '../fields.ts';
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
  /** What the local store bakes: a directory, or a git repository with the ref in `version`. */
  readonly artifact?: BakeSource;
  /** Tags of the baked image (local store). */
  readonly tags: Readonly<Record<string, string>>;
}

export interface BakeSource {
  readonly type: string;
  readonly reference: string;
  /** A directory's image version (default: its content hash), or a git ref (default HEAD). */
  readonly version?: string;
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
  artifact: optional(
    z.looseObject({
      type: text("the artifact type, 'directory' or 'git'"),
      reference: text("the directory or git repository to bake, e.g. 'examples/service'"),
      version: optional(anyText('a version or git ref')),
    }),
  ),
  tags: withDefault(z.record(z.string(), anyText('a tag value')), {}),
});

export const bakeStageType = defineStageType({
  type: 'bake',
  description: 'Bakes a machine image with the configured packages.',
  schema,
  expressionFields: ['package', 'extendedAttributes', 'artifact', 'tags'],
  plan: () => [
    { name: 'createBake', kind: 'run' },
    { name: 'monitorBake', kind: 'poll' },
  ],
});
