/**
 * `patchManifest` (Orca's PatchManifestStage): patch one live object, chosen by name or
 * dynamically, with `kubectl patch --type strategic|merge|json` semantics, then wait until it is
 * stable. The body is `patchBody` (`source: text`: one object for strategic and merge patches, a
 * list of RFC 6902 operations for json; Deck 1.17+ writes a list in every case, older Deck an
 * object), or the content of an artifact (`source: artifact`, `manifestArtifactId` or an inline
 * `manifestArtifact`). `options.record` (default true) records the change cause in the
 * `kubernetes.io/change-cause` annotation as `kubectl --record` did. The runtime is
 * core/stages/manifest-patch.ts.
 */
import { z } from 'zod';
import { showValue } from '../../issues.ts';
import type { StageBase } from '../model.ts';
import { anyText, flag, isTemplate, oneOf, optional, textList, withDefault } from '../fields.ts';
import type { ConfigIssue } from '../zod-issues.ts';
import { defineStageType, error } from './definition.ts';
import {
  MANIFEST_ACTION_MAX_POLLS,
  MANIFEST_STABLE_MAX_POLLS,
  checkManifestTarget,
  manifestTargetFields,
  type ManifestTargetConfig,
} from './manifest-target.ts';

export const PATCH_MERGE_STRATEGIES = ['strategic', 'json', 'merge'] as const;
export type PatchMergeStrategy = (typeof PATCH_MERGE_STRATEGIES)[number];

export const MANIFEST_SOURCES = ['text', 'artifact'] as const;
export type ManifestSource = (typeof MANIFEST_SOURCES)[number];

/** RFC 6902's operations. */
export const JSON_PATCH_OPS = ['add', 'remove', 'replace', 'move', 'copy', 'test'] as const;

export interface PatchManifestConfig extends ManifestTargetConfig {
  /** @default 'text' */
  readonly source: ManifestSource;
  /** An object, or a list (of one object, or of JSON patch operations); may hold expressions. */
  readonly patchBody?: unknown;
  readonly manifestArtifactId?: string;
  readonly manifestArtifact?: Readonly<Record<string, unknown>>;
  readonly manifestArtifactAccount?: string;
  readonly requiredArtifactIds: readonly string[];
  readonly options: { readonly mergeStrategy: PatchMergeStrategy; readonly record: boolean };
  readonly skipExpressionEvaluation: boolean;
}

export type PatchManifestStage = StageBase<'patchManifest', PatchManifestConfig>;

const optionsSchema = z.looseObject({
  mergeStrategy: withDefault(oneOf(PATCH_MERGE_STRATEGIES, 'the patch type'), 'strategic'),
  record: withDefault(flag(), true),
});

const schema: z.ZodType<PatchManifestConfig> = z.looseObject({
  ...manifestTargetFields,
  source: withDefault(oneOf(MANIFEST_SOURCES, 'where the patch comes from'), 'text'),
  patchBody: optional(z.unknown()),
  manifestArtifactId: optional(anyText('the expected artifact holding the patch')),
  manifestArtifact: optional(z.record(z.string(), z.unknown())),
  manifestArtifactAccount: optional(anyText('the artifact account')),
  requiredArtifactIds: withDefault(textList('expected artifact ids'), []),
  options: withDefault(optionsSchema, {}),
  skipExpressionEvaluation: withDefault(flag(), false),
});

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The patch body as Orca reads it (PatchManifestContext.getManifests): a list of objects, or why not. */
export function patchEntries(body: unknown): { ok: true; entries: readonly unknown[] } | { ok: false; message: string } {
  if (body === undefined || body === null) return { ok: true, entries: [] };
  if (Array.isArray(body)) return { ok: true, entries: body };
  if (isObject(body)) return { ok: true, entries: [body] };
  if (isTemplate(body)) return { ok: true, entries: [body] };
  return { ok: false, message: `patchBody is ${showValue(body)}; give an object (strategic or merge patch) or a list of JSON patch operations` };
}

/** Problems of a patch body for its merge strategy, each one line (empty: fine). Expressions are left to run time. */
export function patchBodyProblems(body: unknown, strategy: PatchMergeStrategy): string[] {
  const read = patchEntries(body);
  if (!read.ok) return [read.message];
  const entries = read.entries;
  if (entries.length === 0) {
    return ["patchBody is empty; the Patch (Manifest) stage needs a patch body: add one inline, e.g. {\"spec\": {\"replicas\": 2}}, or set source to 'artifact' with manifestArtifactId"];
  }
  if (strategy !== 'json') {
    if (entries.length > 1) return [`patchBody has ${entries.length} objects; only one patch object is valid with the '${strategy}' merge strategy: merge them into one, or set options.mergeStrategy to 'json' for a list of operations`];
    const [only] = entries;
    if (!isObject(only) && !isTemplate(only)) return [`patchBody[0] is ${showValue(only)}; a ${strategy} patch is one object, e.g. {"metadata": {"labels": {"tier": "web"}}}`];
    return [];
  }
  const problems: string[] = [];
  for (const [index, operation] of entries.entries()) {
    if (isTemplate(operation)) continue;
    if (!isObject(operation)) {
      problems.push(`patchBody[${index}] is ${showValue(operation)}; a json patch is a list of operations, e.g. {"op": "replace", "path": "/spec/replicas", "value": 2}`);
      continue;
    }
    const op = operation['op'];
    if (typeof op !== 'string' || !(JSON_PATCH_OPS as readonly string[]).includes(op)) {
      problems.push(`patchBody[${index}].op is ${showValue(op)}; use one of ${JSON_PATCH_OPS.join(', ')}`);
    }
    const path = operation['path'];
    if (typeof path !== 'string' || (path !== '' && !path.startsWith('/') && !isTemplate(path))) {
      problems.push(`patchBody[${index}].path is ${showValue(path)}; give a JSON pointer, e.g. "/spec/replicas"`);
    }
  }
  return problems;
}

function check(config: PatchManifestConfig): ConfigIssue[] {
  const issues = checkManifestTarget(config);
  if (config.source === 'artifact') {
    if ((config.manifestArtifactId?.trim() ?? '') === '' && config.manifestArtifact === undefined) {
      issues.push(error(['manifestArtifactId'], 'required', "'manifestArtifactId' is required with source 'artifact'; name the expected artifact that holds the patch, or set source to 'text' with patchBody"));
    }
    return issues;
  }
  for (const problem of patchBodyProblems(config.patchBody, config.options.mergeStrategy)) issues.push(error(['patchBody'], 'invalid-value', problem));
  return issues;
}

export const patchManifestStageType = defineStageType({
  type: 'patchManifest',
  description: 'Patches a live Kubernetes object (strategic, merge or JSON patch) and waits until it is stable.',
  schema,
  expressionFields: ['manifestName', 'location', 'cluster', 'patchBody'],
  verbatimFields: ['patchBody'],
  plan: () => [
    { name: 'resolveTargetManifest', kind: 'run' },
    { name: 'resolvePatchSourceManifest', kind: 'run' },
    { name: 'patchManifest', kind: 'poll', maxPolls: MANIFEST_ACTION_MAX_POLLS },
    { name: 'waitForManifestToStabilize', kind: 'poll', maxPolls: MANIFEST_STABLE_MAX_POLLS },
  ],
  check,
});
