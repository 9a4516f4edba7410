/**
 * Spinnaker's expected artifacts (`reference/spinnaker.md` §1.12): a pipeline declares the
 * artifacts it needs (`expectedArtifacts[]`), each execution binds them when it starts, and stages
 * name them by id (`taskDefinitionArtifact.artifactId`, `manifestArtifactId`, `requiredArtifactIds`).
 *
 * Binding at start is Orca's `ArtifactUtils.resolveArtifacts` with kork's `ArtifactResolver`:
 * - which expected artifacts: those the trigger names (`expectedArtifactIds`), and every one that
 *   may bind without the trigger (`useDefaultArtifact`, `usePriorArtifact`);
 * - how: the one artifact the trigger brought (`trigger.artifacts`) that `matchArtifact` matches,
 *   else (`usePriorArtifact`) the one the pipeline's previous execution had, else
 *   (`useDefaultArtifact`) `defaultArtifact`; none, or two matches, refuses the start;
 * - what is recorded: `trigger.resolvedExpectedArtifacts` (each with its `boundArtifact`) and the
 *   bound artifacts added to `trigger.artifacts`.
 * A match is kork's `ExpectedArtifact.matches`: every non-empty field of `matchArtifact` among
 * type, name, version, location and reference equals the artifact's, or matches all of it as a
 * regular expression (run on the bounded engine that trigger patterns use).
 *
 * Pure: the previous execution's artifacts are read by the caller, only when an expected artifact
 * needs them (`needsPriorArtifacts`).
 */
import type { JsonObject } from '../ports/execution-store.ts';
import { fullMatch } from '../triggers/match.ts';
import { stageDepths } from '../execution/stage-depths.ts';

/** The fields of `matchArtifact` that take part in a match (kork's ExpectedArtifact.matches). */
const MATCHED_FIELDS = ['type', 'name', 'version', 'location', 'reference'] as const;

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const objects = (value: unknown): JsonObject[] => (Array.isArray(value) ? value.filter(isObject) : []);

/** An artifact for a one-line message: `github/file demo-task-def.json`. */
export function describeArtifact(artifact: JsonObject | undefined): string {
  if (!artifact) return 'nothing';
  const type = text(artifact['type']) ?? 'an artifact';
  const name = text(artifact['name']) ?? text(artifact['reference']);
  return name === undefined ? type : `${type} ${name}`;
}

/** Whether `artifact` answers `match` (kork's ExpectedArtifact.matches / patternMatches). */
export function artifactMatches(match: JsonObject, artifact: JsonObject): boolean {
  for (const field of MATCHED_FIELDS) {
    const wanted = text(match[field]);
    if (wanted === undefined) continue;
    const actual = text(artifact[field]) ?? '';
    if (wanted !== actual && !fullMatch(wanted, actual)) return false;
  }
  return true;
}

/** The expected artifacts an execution binds at start, given its trigger. */
function consideredArtifacts(expectedArtifacts: readonly JsonObject[], trigger: JsonObject): JsonObject[] {
  const named = new Set((Array.isArray(trigger['expectedArtifactIds']) ? trigger['expectedArtifactIds'] : []).filter((id): id is string => typeof id === 'string'));
  return expectedArtifacts.filter((expected) => (typeof expected['id'] === 'string' && named.has(expected['id'])) || expected['useDefaultArtifact'] === true || expected['usePriorArtifact'] === true);
}

/** The artifacts of `candidates` that `expected.matchArtifact` matches (none without a matchArtifact). */
function matching(expected: JsonObject, candidates: readonly JsonObject[]): JsonObject[] {
  const match = expected['matchArtifact'];
  if (!isObject(match)) return [];
  return candidates.filter((candidate) => artifactMatches(match, candidate));
}

/**
 * Whether binding needs the previous execution's artifacts: an expected artifact that may use a
 * prior artifact and that the trigger's artifacts do not bind.
 */
export function needsPriorArtifacts(expectedArtifacts: readonly JsonObject[], trigger: JsonObject): boolean {
  const received = objects(trigger['artifacts']);
  return consideredArtifacts(expectedArtifacts, trigger).some((expected) => expected['usePriorArtifact'] === true && matching(expected, received).length === 0);
}

/** The trigger fields binding adds: every artifact the execution has, and the expected artifacts with what they bound. */
export interface BoundTriggerArtifacts {
  readonly artifacts: JsonObject[];
  readonly resolvedExpectedArtifacts: JsonObject[];
}

export type ResolveExpectedArtifactsResult = { readonly ok: true; readonly value: BoundTriggerArtifacts } | { readonly ok: false; readonly message: string };

/** The same artifact written twice (a trigger's and a default that is the same) counts once. */
function sameArtifact(a: JsonObject, b: JsonObject): boolean {
  return ['type', 'name', 'version', 'location', 'reference', 'artifactAccount'].every((field) => (a[field] ?? null) === (b[field] ?? null));
}

/**
 * Binds a pipeline's expected artifacts for a new execution (see the module comment). `prior`
 * holds the artifacts of the pipeline's previous execution, when `needsPriorArtifacts` asked for them.
 */
export function resolveExpectedArtifacts(pipeline: { readonly name: string; readonly expectedArtifacts: readonly JsonObject[] }, trigger: JsonObject, prior: readonly JsonObject[] = []): ResolveExpectedArtifactsResult {
  const received: JsonObject[] = [];
  for (const artifact of objects(trigger['artifacts'])) if (!received.some((known) => sameArtifact(known, artifact))) received.push(artifact);
  const resolved: JsonObject[] = [];
  const artifacts = [...received];
  for (const expected of consideredArtifacts(pipeline.expectedArtifacts, trigger)) {
    const id = text(expected['id']) ?? '(no id)';
    const label = text(expected['displayName']) !== undefined ? `'${id}' (${String(expected['displayName'])})` : `'${id}'`;
    const fromTrigger = matching(expected, received);
    if (fromTrigger.length > 1) {
      return { ok: false, message: `pipeline '${pipeline.name}': Expected artifact ${label} matches multiple artifacts of the trigger (${fromTrigger.map(describeArtifact).join(', ')}); make its matchArtifact match exactly one` };
    }
    let bound = fromTrigger[0];
    if (bound === undefined && expected['usePriorArtifact'] === true) bound = matching(expected, prior).at(-1);
    if (bound === undefined && expected['useDefaultArtifact'] === true && isObject(expected['defaultArtifact'])) bound = expected['defaultArtifact'];
    if (bound === undefined) return { ok: false, message: unmatchedMessage(pipeline.name, label, expected, received) };
    resolved.push({ ...expected, boundArtifact: bound });
    if (!artifacts.some((known) => sameArtifact(known, bound))) artifacts.push(bound);
  }
  return { ok: true, value: { artifacts, resolvedExpectedArtifacts: resolved } };
}

/**
 * Orca's refusal of a start that leaves an expected artifact unbound ("Unmatched expected
 * artifact ... could not be resolved.", kork's ArtifactResolver), with what it matches, what
 * arrived and the fix.
 */
function unmatchedMessage(pipeline: string, label: string, expected: JsonObject, received: readonly JsonObject[]): string {
  const match = isObject(expected['matchArtifact']) ? describeArtifact(expected['matchArtifact']) : 'nothing (it has no matchArtifact)';
  const given = received.length === 0 ? 'the trigger brought no artifact' : `the trigger brought ${received.map(describeArtifact).join(', ')}`;
  const fallback = expected['useDefaultArtifact'] === true ? 'give its defaultArtifact' : 'set useDefaultArtifact with a defaultArtifact';
  return `Unmatched expected artifact ${label} could not be resolved: pipeline '${pipeline}' expects ${match}, and ${given}; supply a matching artifact (gennaker run --artifact '<json>', or "artifacts" in the start request), or ${fallback}`;
}

/** The artifacts an execution holds for the next one's `usePriorArtifact`: its trigger's, then each stage's `artifacts` output. */
export function executionArtifacts(execution: { readonly trigger: JsonObject; readonly stages: ReadonlyArray<{ readonly outputs: JsonObject }> }): JsonObject[] {
  return [...objects(execution.trigger['artifacts']), ...execution.stages.flatMap((stage) => objects(stage.outputs['artifacts']))];
}

export type BoundArtifactResult = { readonly ok: true; readonly artifact: JsonObject } | { readonly ok: false; readonly message: string };

/**
 * The artifact an expected artifact's id is bound to in this execution (Orca's
 * getBoundArtifactForId): from the trigger's `resolvedExpectedArtifacts`, then from those ancestor
 * stages output (nearest first). `field` names the stage field that holds the id, for the message.
 */
export function boundArtifactFor(id: string, field: string, trigger: JsonObject, ancestorOutputs: readonly JsonObject[] = []): BoundArtifactResult {
  const resolved = [...objects(trigger['resolvedExpectedArtifacts']), ...ancestorOutputs.flatMap((outputs) => objects(outputs['resolvedExpectedArtifacts']))];
  const found = resolved.find((expected) => expected['id'] === id);
  if (found && isObject(found['boundArtifact'])) return { ok: true, artifact: found['boundArtifact'] };
  const known = resolved.map((expected) => text(expected['id'])).filter((known): known is string => known !== undefined);
  const bound = known.length === 0 ? 'none is bound' : `bound: ${known.join(', ')}`;
  return {
    ok: false,
    message: `${field} is "${id}"; no expected artifact of that id is bound in this execution (${bound}); declare it in the pipeline's expectedArtifacts with useDefaultArtifact and a defaultArtifact, or a matchArtifact the trigger supplies`,
  };
}

/** A stage of an execution, as much as its artifacts need. */
interface ArtifactStage {
  readonly refId: string;
  readonly requisiteStageRefIds: readonly string[];
  readonly parentStageId?: string;
  readonly outputs: JsonObject;
}

/**
 * Every artifact an execution holds, newest first, as Orca's ArtifactUtils.getAllArtifacts reads
 * them for `findArtifactFromExecution`: what its stages output (`artifacts`, and the manifest
 * stages' `createdArtifacts`), later stages of the graph first, then its trigger's artifacts and
 * the artifacts its expected artifacts bound. The same artifact written twice counts once.
 * `withoutStage` leaves out one stage's outputs (a pipeline that finds artifacts in its own
 * executions never finds what the finding stage itself wrote last time).
 */
export function artifactsOfExecution(execution: { readonly trigger: JsonObject; readonly stages: readonly ArtifactStage[] }, options: { readonly withoutStage?: string } = {}): JsonObject[] {
  const stages = execution.stages.filter((stage) => stage.refId !== options.withoutStage);
  const depth = stageDepths(stages);
  // Deepest first; among equals, the later one in the execution first (its stages keep the pipeline's order).
  const ordered = stages.map((stage, index) => ({ stage, index })).sort((a, b) => (depth.get(b.stage.refId) ?? 0) - (depth.get(a.stage.refId) ?? 0) || b.index - a.index);
  const found: JsonObject[] = [];
  const add = (artifact: JsonObject) => {
    if (!found.some((known) => sameArtifact(known, artifact))) found.push(artifact);
  };
  for (const { stage } of ordered) for (const artifact of [...objects(stage.outputs['artifacts']), ...objects(stage.outputs['createdArtifacts'])]) add(artifact);
  for (const artifact of objects(execution.trigger['artifacts'])) add(artifact);
  for (const expected of objects(execution.trigger['resolvedExpectedArtifacts'])) if (isObject(expected['boundArtifact'])) add(expected['boundArtifact']);
  return found;
}

/**
 * Binds expected artifacts against a list of artifacts, as kork's ArtifactResolver does for
 * `findArtifactFromExecution` (unique matches not required): the first artifact each
 * `matchArtifact` matches, else its `defaultArtifact` when `useDefaultArtifact`; one that binds
 * nothing refuses the whole binding with Orca's message. `where` says what was searched, for it.
 */
export function bindExpectedArtifacts(expectedArtifacts: readonly JsonObject[], candidates: readonly JsonObject[], where: string): ResolveExpectedArtifactsResult {
  const artifacts: JsonObject[] = [];
  const resolvedExpectedArtifacts: JsonObject[] = [];
  for (const expected of expectedArtifacts) {
    let bound: JsonObject | undefined = matching(expected, candidates)[0];
    if (bound === undefined && expected['useDefaultArtifact'] === true && isObject(expected['defaultArtifact'])) bound = expected['defaultArtifact'];
    if (bound === undefined) {
      const id = text(expected['id']) ?? '(no id)';
      const match = isObject(expected['matchArtifact']) ? describeArtifact(expected['matchArtifact']) : 'nothing (it has no matchArtifact)';
      const seen = candidates.length === 0 ? 'which holds no artifact' : `which holds ${candidates.slice(0, 5).map(describeArtifact).join(', ')}${candidates.length > 5 ? ` and ${candidates.length - 5} more` : ''}`;
      return {
        ok: false,
        message: `Unmatched expected artifact '${id}' could not be resolved: it expects ${match}, and nothing matches in ${where}, ${seen}; fix its matchArtifact, or set useDefaultArtifact with a defaultArtifact`,
      };
    }
    resolvedExpectedArtifacts.push({ ...expected, boundArtifact: bound });
    if (!artifacts.some((known) => sameArtifact(known, bound))) artifacts.push(bound);
  }
  return { ok: true, value: { artifacts, resolvedExpectedArtifacts } };
}

/**
 * Every expected artifact id a pipeline declares, for save-time checks of the fields that name
 * one (`manifestArtifactId`, `requiredArtifactIds`): the pipeline's `expectedArtifacts`, and those
 * its stages bind as they run (a stage's own `expectedArtifacts`, as deployManifest declares what
 * it creates; findArtifactFromExecution's `expectedArtifact` or `expectedArtifacts`).
 */
export function declaredExpectedArtifactIds(pipeline: { readonly expectedArtifacts?: unknown; readonly stages?: unknown }): Set<string> {
  const ids = new Set<string>();
  const add = (list: unknown) => {
    for (const expected of objects(list)) {
      const id = text(expected['id']);
      if (id !== undefined) ids.add(id);
    }
  };
  add(pipeline.expectedArtifacts);
  for (const stage of objects(pipeline.stages)) {
    add(stage['expectedArtifacts']);
    if (isObject(stage['expectedArtifact'])) add([stage['expectedArtifact']]);
  }
  return ids;
}
