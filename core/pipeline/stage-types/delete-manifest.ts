/**
 * `deleteManifest` (Orca's DeleteManifestStage, clouddriver's KubernetesDeleteManifestOperation):
 * delete one object (`mode: static`, `manifestName: "<kind> <name>"`), the object a moniker
 * cluster's `criteria` picks (`mode: dynamic`), or every object of `kinds` matching
 * `labelSelectors`, in `location` (the namespace); `options.cascading` true propagates in the
 * background, false orphans the dependents; then wait until they are gone. The runtime is
 * core/stages/manifest-delete.ts.
 */
import { z } from 'zod';
import { parseManifestName, SELECTOR_KINDS, TARGET_CRITERIA } from '../../deploy/kubernetes/index.ts';
import { showValue } from '../../issues.ts';
import type { StageBase } from '../model.ts';
import { anyText, isTemplate, numberOrExpression, optional, textList, withDefault, type Expression } from '../fields.ts';
import type { ConfigIssue } from '../zod-issues.ts';
import { defineStageType, error } from './definition.ts';
import { MANIFEST_ACTION_MAX_POLLS, MANIFEST_STABLE_MAX_POLLS } from './manifest-target.ts';

export interface ManifestSelectorConfig {
  readonly key: string;
  readonly kind: string;
  readonly values: readonly string[];
}

export interface DeleteManifestConfig {
  readonly account?: string;
  readonly credentials?: string;
  readonly cloudProvider?: string;
  readonly app?: string;
  /** `static` (manifestName), `dynamic` (cluster + criteria), or absent with kinds + labelSelectors. */
  readonly mode?: string;
  /** The namespace. */
  readonly location?: string;
  readonly manifestName?: string;
  readonly cluster?: string;
  readonly criteria?: string;
  /** The kind a dynamic target is (`replicaSet`). */
  readonly kind?: string;
  readonly kinds: readonly string[];
  readonly labelSelectors?: { readonly selectors: readonly ManifestSelectorConfig[] };
  readonly options: { readonly cascading?: boolean | string; readonly gracePeriodSeconds?: number | Expression };
  readonly gracePeriodSeconds?: number | Expression;
}

export type DeleteManifestStage = StageBase<'deleteManifest', DeleteManifestConfig>;

/** Spinnaker's `labelSelectors: {selectors: [{key, kind, values}]}` (deleteManifest, deployManifest). */
export const labelSelectorsSchema = z.looseObject({
  selectors: withDefault(z.array(z.looseObject({ key: anyText('the label key'), kind: anyText('the selector kind'), values: withDefault(textList('label values'), []) })), []),
});

/** One issue per selector whose kind is not one of KubernetesSelector's. */
export function selectorKindIssues(labelSelectors: { readonly selectors: readonly ManifestSelectorConfig[] } | undefined): ConfigIssue[] {
  return (labelSelectors?.selectors ?? []).flatMap((selector, index) =>
    (SELECTOR_KINDS as readonly string[]).includes(selector.kind)
      ? []
      : [error(['labelSelectors', 'selectors', index, 'kind'], 'invalid-value', `labelSelectors.selectors[${index}].kind is ${showValue(selector.kind)}; use one of ${SELECTOR_KINDS.join(', ')}`)],
  );
}

const schema: z.ZodType<DeleteManifestConfig> = z.looseObject({
  account: optional(anyText('the account')),
  credentials: optional(anyText('the account')),
  cloudProvider: optional(anyText('the cloud provider')),
  app: optional(anyText('the application')),
  mode: optional(anyText("the mode, 'static' or 'dynamic'")),
  location: optional(anyText('the namespace')),
  manifestName: optional(anyText("the manifest, e.g. 'replicaSet my-app'")),
  cluster: optional(anyText("the moniker cluster, e.g. 'replicaSet my-app'")),
  criteria: optional(anyText('the criteria')),
  kind: optional(anyText('the kind')),
  kinds: withDefault(textList("kinds, e.g. ['deployment']"), []),
  labelSelectors: optional(labelSelectorsSchema),
  options: withDefault(
    z.looseObject({
      cascading: optional(z.union([z.boolean(), anyText('true or false')])),
      gracePeriodSeconds: optional(numberOrExpression('a number of seconds', { min: 0, integer: true })),
    }),
    {},
  ),
  gracePeriodSeconds: optional(numberOrExpression('a number of seconds', { min: 0, integer: true })),
}) as unknown as z.ZodType<DeleteManifestConfig>;

/** Which form of target a delete stage uses. */
export function deleteTargetMode(config: Pick<DeleteManifestConfig, 'mode' | 'manifestName' | 'kinds' | 'labelSelectors' | 'cluster' | 'criteria'>): 'static' | 'dynamic' | 'selector' {
  if (config.mode === 'dynamic') return 'dynamic';
  const named = config.manifestName !== undefined && config.manifestName.trim() !== '';
  if (!named && config.kinds.length > 0) return 'selector';
  return 'static';
}

function check(config: DeleteManifestConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const named = [config.account, config.credentials].some((value) => value !== undefined && value.trim() !== '');
  if (!named) issues.push(error(['account'], 'required', "'account' is required; add the Kubernetes account to delete in"));
  const mode = deleteTargetMode(config);
  if (mode === 'static') {
    const name = config.manifestName;
    if (name === undefined || name.trim() === '') issues.push(error(['manifestName'], 'required', "'manifestName' is required; add the object to delete, e.g. 'deployment my-app', or set kinds and labelSelectors"));
    else if (!isTemplate(name)) {
      const parsed = parseManifestName(name);
      if (!parsed.ok) issues.push(error(['manifestName'], 'invalid-value', parsed.message));
    }
  } else if (mode === 'dynamic') {
    if (config.cluster === undefined || config.cluster.trim() === '') issues.push(error(['cluster'], 'required', "'cluster' is required with mode 'dynamic'; add the moniker cluster, e.g. 'replicaSet my-app'"));
    const criteria = config.criteria;
    if (criteria === undefined || (!isTemplate(criteria) && !(TARGET_CRITERIA as readonly string[]).includes(criteria))) {
      issues.push(error(['criteria'], criteria === undefined ? 'required' : 'invalid-value', `criteria is ${showValue(criteria)}; use one of ${TARGET_CRITERIA.join(', ')}`));
    }
  } else {
    issues.push(...selectorKindIssues(config.labelSelectors));
  }
  return issues;
}

export const deleteManifestStageType = defineStageType({
  type: 'deleteManifest',
  description: 'Deletes Kubernetes objects (by name, by cluster and criteria, or by kind and label selector) and waits until they are gone.',
  schema,
  expressionFields: ['manifestName', 'location', 'cluster', 'criteria', 'account'],
  plan: () => [
    { name: 'deleteManifest', kind: 'poll', maxPolls: MANIFEST_ACTION_MAX_POLLS },
    { name: 'waitForManifestToBeDeleted', kind: 'poll', maxPolls: MANIFEST_STABLE_MAX_POLLS },
  ],
  check,
});
