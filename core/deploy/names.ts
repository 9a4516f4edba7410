/**
 * Frigga names (reference/spinnaker.md §1.7), exactly: `app[-stack[-detail]]-vNNN` for server
 * groups, the same without `-vNNN` for clusters. Parsing uses Frigga's own regexes
 * (Netflix/frigga Names.java, NameConstants.java); building follows NameBuilder; the next
 * sequence follows clouddriver's AbstractServerGroupNameResolver.
 */
import type { ServerGroup } from './model.ts';

/** Frigga's NAME_CHARS (app, stack) and NAME_HYPHEN_CHARS (detail). */
const NAME_CHARS = 'a-zA-Z0-9._';
const NAME_HYPHEN_CHARS = '-a-zA-Z0-9._';
const PUSH_PATTERN = new RegExp(`^([${NAME_HYPHEN_CHARS}]*)-(v([0-9]{3}))$`);
const NAME_PATTERN = new RegExp(`^([${NAME_CHARS}]+)(?:-([${NAME_CHARS}]*)(?:-([${NAME_HYPHEN_CHARS}]*?))?)?$`);
const LABELED_VARIABLES_PATTERN = /^(.*?)((?:(?:^|-)[a-zA-Z][0][a-zA-Z0-9]+)+)$/;

/** Spinnaker's namespace of sequence numbers: 000 to 999. */
export const SEQUENCE_NAMESPACE_SIZE = 1000;

/** Frigga's labeled variables, `-c0us-d0prod...` at the end of the detail. */
export interface LabeledVariables {
  readonly countries?: string;
  readonly devPhase?: string;
  readonly hardware?: string;
  readonly partners?: string;
  readonly revision?: string;
  readonly usedBy?: string;
  readonly redBlackSwap?: string;
  readonly zone?: string;
}

const LABELS: ReadonlyArray<readonly [keyof LabeledVariables, string]> = [
  ['countries', 'c'],
  ['devPhase', 'd'],
  ['hardware', 'h'],
  ['partners', 'p'],
  ['revision', 'r'],
  ['usedBy', 'u'],
  ['redBlackSwap', 'w'],
  ['zone', 'z'],
];

export interface ParsedClusterName {
  readonly cluster: string;
  readonly app: string;
  /** Absent when empty, as Frigga's `checkEmpty`: `app--detail` has no stack. */
  readonly stack?: string;
  readonly detail?: string;
}

export interface ParsedServerGroupName extends ParsedClusterName {
  /** The whole name (Frigga's `group`). */
  readonly group: string;
  /** `v003`; absent when the name has no push suffix. */
  readonly push?: string;
  readonly sequence?: number;
}

function withoutEmpty(parts: { cluster: string; app: string; stack: string | undefined; detail: string | undefined }): ParsedClusterName {
  return {
    cluster: parts.cluster,
    app: parts.app,
    ...(parts.stack ? { stack: parts.stack } : {}),
    ...(parts.detail ? { detail: parts.detail } : {}),
  };
}

/**
 * A cluster name's parts by Frigga's NAME_PATTERN, or undefined when it does not match
 * (`hello-prod-canary-x` → app hello, stack prod, detail canary-x).
 */
export function parseClusterName(name: string): ParsedClusterName | undefined {
  const match = NAME_PATTERN.exec(name);
  if (!match) return undefined;
  return withoutEmpty({ cluster: name, app: match[1] as string, stack: match[2], detail: match[3] });
}

/**
 * A server group name's parts (Frigga's `Names.parseName`): the `-vNNN` suffix is optional, so a
 * cluster name parses too, without sequence. Undefined for blank names and names Frigga rejects.
 */
export function parseServerGroupName(name: string): ParsedServerGroupName | undefined {
  if (name.trim() === '') return undefined;
  const push = PUSH_PATTERN.exec(name);
  const cluster = push ? (push[1] as string) : name;
  const parts = parseClusterName(cluster);
  if (!parts) return undefined;
  return {
    group: name,
    ...parts,
    ...(push ? { push: push[2] as string, sequence: Number(push[3]) } : {}),
  };
}

/** The labeled variables of a cluster name (`app-stack-c0us-d0prod`), each absent when not set. */
export function parseLabeledVariables(cluster: string): LabeledVariables {
  const match = LABELED_VARIABLES_PATTERN.exec(cluster);
  if (!match) return {};
  const labeled = match[2] as string;
  const found: Record<string, string> = {};
  for (const [key, label] of LABELS) {
    const value = new RegExp(`-?${label}0([a-zA-Z0-9]+)`).exec(labeled);
    if (value) found[key] = value[1] as string;
  }
  return found;
}

/**
 * Frigga's `combineAppStackDetail`: detail present → `app-stack-detail` (so `app--detail` when
 * the stack is empty); else stack present → `app-stack`; else `app`.
 */
export function clusterName(app: string, stack?: string, detail?: string): string {
  const theStack = stack ?? '';
  if (detail !== undefined && detail !== '') return `${app}-${theStack}-${detail}`;
  if (theStack !== '') return `${app}-${theStack}`;
  return app;
}

/** `%s-v%03d`. */
export function serverGroupName(cluster: string, sequence: number): string {
  return `${cluster}-v${String(sequence).padStart(3, '0')}`;
}

/** A problem with one part of a name, for the pipeline author. */
export interface NameIssue {
  readonly field: 'application' | 'stack' | 'freeFormDetails';
  readonly value: string;
  readonly message: string;
}

const APP_OR_STACK = new RegExp(`^[${NAME_CHARS}]+$`);
const DETAIL = new RegExp(`^[${NAME_HYPHEN_CHARS}]+$`);

/**
 * Frigga's validation (NameValidation, AutoScalingGroupNameBuilder): the application is required
 * and, like the stack, uses letters, digits, dots and underscores; the detail may also use
 * hyphens. Spinnaker says only "(Use alphanumeric characters only)"; these name the field.
 */
export function validateNameParts(parts: { readonly application: string; readonly stack?: string; readonly detail?: string }): NameIssue[] {
  const issues: NameIssue[] = [];
  if (parts.application === '') {
    issues.push({ field: 'application', value: '', message: "application is empty; set the application, e.g. 'hello'" });
  } else if (!APP_OR_STACK.test(parts.application)) {
    issues.push({
      field: 'application',
      value: parts.application,
      message: `application '${parts.application}' may use only letters, digits, '.' and '_'; rename it, e.g. '${suggest(parts.application, false)}'`,
    });
  }
  if (parts.stack !== undefined && parts.stack !== '' && !APP_OR_STACK.test(parts.stack)) {
    issues.push({
      field: 'stack',
      value: parts.stack,
      message: `stack '${parts.stack}' may use only letters, digits, '.' and '_' (a hyphen would move the rest into the detail); use e.g. '${suggest(parts.stack, false)}'`,
    });
  }
  if (parts.detail !== undefined && parts.detail !== '' && !DETAIL.test(parts.detail)) {
    issues.push({
      field: 'freeFormDetails',
      value: parts.detail,
      message: `freeFormDetails '${parts.detail}' may use only letters, digits, '.', '_' and '-'; use e.g. '${suggest(parts.detail, true)}'`,
    });
  }
  return issues;
}

function suggest(value: string, hyphens: boolean): string {
  const replaced = value.replace(hyphens ? /[^-a-zA-Z0-9._]+/g : /[^a-zA-Z0-9._]+/g, hyphens ? '-' : '_');
  return replaced === '' ? 'x' : replaced;
}

export type NextNameResult =
  | { readonly ok: true; readonly name: string; readonly sequence: number }
  | { readonly ok: false; readonly message: string };

/** A taken slot: a server group of the cluster, as the name resolver reads it. */
export type TakenSlot = Pick<ServerGroup, 'name' | 'createdTime'> & { readonly sequence?: number };

/**
 * The next server group name of a cluster (clouddriver's AbstractServerGroupNameResolver): the
 * most recently CREATED server group's sequence + 1, modulo 1000 (not the highest sequence: after
 * v999 comes v000), stepping over taken numbers, and failing when all 1000 are taken.
 * `existing` is the cluster's server groups in one location; others are ignored.
 */
export function nextServerGroupName(
  cluster: string,
  existing: readonly TakenSlot[],
  options: { readonly location?: string; readonly ignoreSequence?: boolean } = {},
): NextNameResult {
  const slots = existing
    .map((slot) => ({ slot, parsed: parseServerGroupName(slot.name) }))
    .filter(({ parsed }) => parsed?.cluster === cluster)
    .map(({ slot, parsed }) => ({ createdTime: slot.createdTime, sequence: slot.sequence ?? parsed?.sequence }));
  let next = 0;
  const latest = slots.reduce<(typeof slots)[number] | undefined>((newest, slot) => (newest === undefined || slot.createdTime > newest.createdTime ? slot : newest), undefined);
  if (latest) next = ((latest.sequence ?? 0) + 1) % SEQUENCE_NAMESPACE_SIZE;
  const taken = new Set(slots.map((slot) => slot.sequence).filter((sequence) => sequence !== undefined));
  let steps = 0;
  while (taken.has(next) && ++steps < SEQUENCE_NAMESPACE_SIZE) {
    next = (next + 1) % SEQUENCE_NAMESPACE_SIZE;
  }
  if (steps === SEQUENCE_NAMESPACE_SIZE) {
    return {
      ok: false,
      message: `All server group names for cluster ${cluster} in ${options.location ?? 'this location'} are taken. Destroy server groups of the cluster that are no longer needed to free a sequence number.`,
    };
  }
  return { ok: true, name: options.ignoreSequence ? cluster : serverGroupName(cluster, next), sequence: next };
}
