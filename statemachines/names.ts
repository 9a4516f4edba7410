/**
 * State names. Step Functions limits a state name to 80 characters and rejects some
 * characters; the local interpreter binds Task handlers by state name, so names must be unique
 * across the whole machine, Parallel branches included. Names are also what people read in
 * the console, so they come from the stage: `Deploy to prod [2]`, `Deploy to prod [2]
 * waitForUpInstances`, `… wait`, `… route`, `… fault`.
 *
 * Uniqueness by construction:
 * - every stage-derived name contains exactly one `[refId]` label, and the label is unique per
 *   stage (refIds are unique; sanitized refIds that collide get a hash);
 * - within a stage, the suffixes are unique (step tokens have no spaces; a step token equal to
 *   a reserved suffix or to an earlier token gets `#n`);
 * - internal states (Parallel, branch ends, completion) have no `[` at all.
 */
import type { IrStage } from './ir.ts';

/** Step Functions' limit on a state name. */
export const MAX_STATE_NAME_LENGTH = 80;

/** The longest refId kept whole inside `[...]`; longer ones are cut and given a hash. */
const MAX_REF_LENGTH = 24;
/** The longest step token kept whole; longer ones are cut and given a hash. */
const MAX_STEP_LENGTH = 40;
/** Suffixes the compiler uses for a stage's own states; a step token must not equal one. */
const RESERVED_SUFFIXES: ReadonlySet<string> = new Set(['wait', 'route', 'fault']);

/**
 * Keeps ASCII letters, digits, space and `-_.()#:`; letters with accents lose the accent;
 * every other run of characters becomes one `_`; whitespace collapses to one space.
 */
export function sanitizeText(text: string): string {
  return (/^[\x20-\x7e]*$/.test(text) ? text : text.normalize('NFKD'))
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/\s+/g, ' ')
    .replace(/[^A-Za-z0-9 \-_.()#:]+/g, '_')
    .trim();
}

/** FNV-1a, 32 bits, as 6 hex digits: a short stable fingerprint for cut names. */
export function shortHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0').slice(0, 6);
}

/** Cuts `text` to `max` characters, replacing the tail with `#` and a hash of the whole original. */
function cutWithHash(text: string, max: number, original: string): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max - 7).trimEnd()}#${shortHash(original)}`;
}

/** The names of one stage's states. */
export interface StageStateNames {
  /** One per step, in step order. */
  readonly tasks: readonly string[];
  /** One per step (used only by poll steps). */
  readonly waits: readonly string[];
  /** One per step: the Choice after the step's Task. */
  readonly routes: readonly string[];
  readonly fault: string;
  /** Only for a stage run as a child: the parent's Task that starts it, and that Task's Choice. */
  readonly child?: { readonly task: string; readonly route: string };
}

/** Names for every stage, by refId. Deterministic: depends only on the stages' names, refIds and steps. */
export function nameStages(stages: readonly IrStage[]): ReadonlyMap<string, StageStateNames> {
  const refLabels = refLabelsOf(stages.map((stage) => stage.refId));
  const names = new Map<string, StageStateNames>();
  for (const stage of stages) names.set(stage.refId, nameStage(stage, refLabels.get(stage.refId)!));
  return names;
}

/** Sanitized, unique refId labels (the text inside `[...]`). */
function refLabelsOf(refIds: readonly string[]): Map<string, string> {
  const sorted = [...new Set(refIds)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const base = new Map(sorted.map((refId) => [refId, cutWithHash(sanitizeText(refId).replace(/ /g, '_'), MAX_REF_LENGTH, refId)] as const));
  const holders = new Map<string, string[]>();
  for (const [refId, label] of base) holders.set(label, [...(holders.get(label) ?? []), refId]);
  const labels = new Map<string, string>();
  const taken = new Set<string>();
  for (const refId of sorted) {
    let label = base.get(refId)!;
    // Different refIds that read the same once sanitized ('a/b', 'a_b') are told apart by a hash.
    if (holders.get(label)!.length > 1 || label === '') label = `${label.slice(0, MAX_REF_LENGTH - 7)}#${shortHash(refId)}`;
    for (let n = 2; taken.has(label); n++) label = `${label.slice(0, MAX_REF_LENGTH - 3)}#${n}`;
    taken.add(label);
    labels.set(refId, label);
  }
  return labels;
}

function nameStage(stage: IrStage, refLabel: string): StageStateNames {
  const single = stage.steps.length === 1;
  const tokens = single ? [''] : stepTokens(stage.steps.map((step) => step.name));
  const suffixes = tokens.flatMap((token) => [token, `${token} wait`, `${token} route`].map((suffix) => suffix.trim()));
  suffixes.push('fault');
  if (stage.child) suffixes.push('child route');
  const longestSuffix = Math.max(...suffixes.map((suffix) => (suffix === '' ? 0 : suffix.length + 1)));
  const refPart = `[${refLabel}]`;
  const room = MAX_STATE_NAME_LENGTH - longestSuffix - refPart.length - 1;
  const stageName = sanitizeText(stage.name).slice(0, Math.max(0, room)).trimEnd();
  const label = stageName === '' ? refPart : `${stageName} ${refPart}`;
  const join = (...parts: string[]) => [label, ...parts.filter((part) => part !== '')].join(' ');
  return {
    tasks: tokens.map((token) => join(token)),
    waits: tokens.map((token) => join(token, 'wait')),
    routes: tokens.map((token) => join(token, 'route')),
    fault: join('fault'),
    ...(stage.child ? { child: { task: join('child'), route: join('child route') } } : {}),
  };
}

/** Step names as name suffixes: sanitized, without spaces, short, unique within the stage. */
function stepTokens(stepNames: readonly string[]): string[] {
  const taken = new Set<string>();
  return stepNames.map((name) => {
    let token = cutWithHash(sanitizeText(name).replace(/ /g, '_'), MAX_STEP_LENGTH, name);
    if (token === '') token = 'step';
    const base = token;
    for (let n = 2; taken.has(token) || RESERVED_SUFFIXES.has(token); n++) token = `${base.slice(0, MAX_STEP_LENGTH - 3)}#${n}`;
    taken.add(token);
    return token;
  });
}

/** Names of the compiler's own states; none contains `[`, so none can equal a stage's. */
export const INTERNAL_NAMES = {
  complete: 'Complete execution',
  completeRoute: 'Complete execution route',
  succeeded: 'Execution succeeded',
  failed: 'Execution failed',
  parallel: (n: number) => `Parallel ${n}`,
  branchDone: (n: number, branch: number) => `Parallel ${n} branch ${branch} done`,
  branchHalt: (n: number, branch: number) => `Parallel ${n} branch ${branch} halt`,
  /** A child state machine's end after its stage routed on (its output carries the answer). */
  childFinished: 'Stage finished',
  /** A child state machine's end when its stage's fault could not be recorded. */
  childFailed: 'Stage failed',
} as const;
