/**
 * Where Spinnaker's Kubernetes manifest stages act (reference/cloud-targets.md §6.1): an account
 * (`account`, or `credentials`), a namespace (`location`), and either one object by name
 * (`mode: static`, `manifestName: "deployment web"`) or one picked when the stage runs from a
 * moniker cluster (`mode: dynamic`, `cluster: "replicaSet web"`, `criteria`: newest,
 * second_newest, oldest, largest, smallest — clouddriver's ManifestController). Deck writes
 * `manifestName: " "` in dynamic mode and `kind` beside `cluster`; both are accepted.
 */
import { anyText, isTemplate, oneOf, optional, withDefault } from '../fields.ts';
import { showValue } from '../../issues.ts';
import type { ConfigIssue } from '../zod-issues.ts';
import { error } from './definition.ts';

export const MANIFEST_MODES = ['static', 'dynamic'] as const;
export type ManifestMode = (typeof MANIFEST_MODES)[number];

/** clouddriver's dynamic target criteria. */
export const MANIFEST_CRITERIA = ['newest', 'second_newest', 'oldest', 'largest', 'smallest'] as const;
export type ManifestCriteria = (typeof MANIFEST_CRITERIA)[number];

/** The fields every manifest stage shares. */
export interface ManifestTargetConfig {
  readonly account?: string;
  readonly credentials?: string;
  readonly cloudProvider?: string;
  /** The application the moniker cluster belongs to (dynamic mode). */
  readonly app?: string;
  /** The namespace; absent: the account's default namespace. */
  readonly location?: string;
  /** @default 'static' */
  readonly mode: ManifestMode;
  /** Static: `<kind> <name>`, as Spinnaker writes it. */
  readonly manifestName?: string;
  /** Dynamic: the moniker cluster, `<kind> <name>`. */
  readonly cluster?: string;
  readonly kind?: string;
  readonly criteria?: ManifestCriteria;
}

export const manifestTargetFields = {
  account: optional(anyText('the account')),
  credentials: optional(anyText('the account')),
  cloudProvider: optional(anyText('the cloud provider')),
  app: optional(anyText('the application')),
  location: optional(anyText("the namespace, e.g. 'default'")),
  mode: withDefault(oneOf(MANIFEST_MODES, 'how the object is chosen'), 'static'),
  manifestName: optional(anyText("the object, e.g. 'deployment web'")),
  cluster: optional(anyText("the cluster, e.g. 'replicaSet web'")),
  kind: optional(anyText("the kind, e.g. 'replicaSet'")),
  criteria: optional(oneOf(MANIFEST_CRITERIA, 'which object of the cluster')),
};

/** Whether a value reads as Spinnaker's `<kind> <name>` (or is an expression, known only at run time). */
export function isKindAndName(value: string): boolean {
  return isTemplate(value) || /^\s*[A-Za-z][A-Za-z0-9.]*\s+\S+\s*$/.test(value);
}

/** The account, the static name or the dynamic cluster and criteria, each named with its fix. */
export function checkManifestTarget(config: ManifestTargetConfig, options: { readonly dynamic?: boolean } = {}): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const named = [config.account, config.credentials].some((value) => value !== undefined && value.trim() !== '');
  if (!named) issues.push(error(['account'], 'required', "'account' is required; add the Kubernetes account the object lives in, e.g. \"k8s-prod\""));
  if (config.mode === 'dynamic') {
    if (options.dynamic === false) {
      issues.push(error(['mode'], 'invalid-value', `mode is 'dynamic', which this stage does not take (Spinnaker acts on a named object here); set mode to 'static' and name the object in manifestName`, 'dynamic'));
      return issues;
    }
    const cluster = config.cluster?.trim() ?? '';
    if (cluster === '') {
      issues.push(error(['cluster'], 'required', "'cluster' is required in dynamic mode; add the moniker cluster as '<kind> <name>', e.g. \"replicaSet web\""));
    } else if (!isKindAndName(cluster)) {
      issues.push(error(['cluster'], 'invalid-value', `cluster is ${showValue(cluster)}; write it as '<kind> <name>', e.g. "replicaSet ${cluster}"`, cluster));
    }
    if (config.criteria === undefined) {
      issues.push(error(['criteria'], 'required', `'criteria' is required in dynamic mode; add one of ${MANIFEST_CRITERIA.join(', ')}`));
    }
    return issues;
  }
  const name = config.manifestName?.trim() ?? '';
  if (name === '') {
    issues.push(error(['manifestName'], 'required', "'manifestName' is required; add the object as '<kind> <name>', e.g. \"deployment web\" (or set mode to 'dynamic' with cluster and criteria)"));
  } else if (!isKindAndName(name)) {
    issues.push(error(['manifestName'], 'invalid-value', `manifestName is ${showValue(name)}; write it as '<kind> <name>', e.g. "deployment ${name}"`, name));
  }
  return issues;
}

/** Seconds between looks at an object settling, as Orca's WaitForManifestStableTask (5 s backoff). */
export const MANIFEST_STABLE_POLL_SECONDS = 5;

/** Polls of waitForManifestToStabilize: Orca's 30-minute timeout at a growing interval (5 s, then 10% of the time waited, at most 60 s). */
export const MANIFEST_STABLE_MAX_POLLS = 120;

/** Polls of a task that changes something: a lost race or a busy object costs one more call, never many. */
export const MANIFEST_ACTION_MAX_POLLS = 10;
