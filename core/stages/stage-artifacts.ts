/**
 * Artifacts as a stage uses them (the manifest stages, and any stage that reads a document or an
 * image from an artifact): which artifact a stage field means, and what it holds.
 *
 * `boundStageArtifact` is Orca's ArtifactUtils.getBoundArtifactForStage: a field naming an
 * expected artifact by id (`manifestArtifactId`, `requiredArtifactIds[]`) answers the artifact
 * it is bound to in this execution — from `trigger.resolvedExpectedArtifacts`, then from what
 * ancestor stages output as `resolvedExpectedArtifacts` (`findArtifactFromExecution`, a deploy
 * that binds the artifacts it created), nearest first — with the expected artifact's
 * `matchArtifact.artifactAccount` when the bound one names none; an inline artifact
 * (`manifestArtifact`) answers itself. Expressions inside it are evaluated in the stage's
 * context, and a stage's own account field (`manifestArtifactAccount`) wins over the artifact's.
 *
 * `readArtifactText` answers an artifact's content by kind:
 * - `docker/image`: none; the reference is the image a manifest runs;
 * - `embedded/base64`: the base64-decoded `reference`, here, with no account;
 * - `kubernetes/*`: none; the reference names a live object in a cluster;
 * - anything else (`http/file`, `github/file`, `gcs/object`, `s3/object`...): read through the
 *   artifact-content port by an artifact account that serves the type (`http/file` and
 *   `github/file` go through the outbound allowlist), or refused naming the fix.
 *
 * Pure: content is read through the port the caller passes.
 */
import { decodeBase64, decodeUtf8 } from '../expressions/base64.ts';
import { evaluateDeep, type EvaluationContext } from '../expressions/index.ts';
import { artifactLabel, type ArtifactContentFailureReason, type ArtifactContentPort, type ArtifactToFetch } from '../ports/artifact-content.ts';
import type { Execution, JsonObject, StageRecord } from '../ports/execution-store.ts';
import { describeArtifact } from '../deploy/expected-artifacts.ts';
import { ancestorsOf } from '../execution/evaluation-context.ts';

/** Bytes of embedded content decoded at most: a manifest or task definition is far smaller. */
export const MAX_EMBEDDED_BYTES = 1_048_576;

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value : undefined);
const objects = (value: unknown): JsonObject[] => (Array.isArray(value) ? value.filter(isObject) : []);

/** Where a stage's artifact references are resolved: its execution's trigger and what its ancestors output. */
export interface ArtifactScope {
  readonly trigger: JsonObject;
  /** The outputs of the stage's ancestors, nearest first. */
  readonly ancestorOutputs: readonly JsonObject[];
  /** The stage's evaluation context, for expressions inside a bound artifact. @default not evaluated */
  readonly expressions?: EvaluationContext;
}

/** The scope of `record` in `execution` (a task passes its `TaskInput`). */
export function artifactScopeOf(input: { readonly execution: Execution; readonly record: StageRecord; readonly expressions?: EvaluationContext }): ArtifactScope {
  return {
    trigger: input.execution.trigger,
    ancestorOutputs: ancestorsOf(input.record, input.execution.stages).map((stage) => stage.outputs),
    ...(input.expressions ? { expressions: input.expressions } : {}),
  };
}

/** Which artifact a stage field means: an expected artifact's id, or an artifact written inline. */
export interface StageArtifactRef {
  /** The value of the id field (`manifestArtifactId`). */
  readonly id?: unknown;
  /** The value of the inline field (`manifestArtifact`). */
  readonly artifact?: unknown;
  /** The stage's account for it (`manifestArtifactAccount`); wins over the artifact's own. */
  readonly account?: unknown;
  /** How messages name the fields: `stage 'Deploy' manifestArtifactId`. */
  readonly idField: string;
  readonly artifactField?: string;
}

export type StageArtifactResult = { readonly ok: true; readonly artifact: JsonObject } | { readonly ok: false; readonly message: string };

/** The expected artifacts bound in this scope: the trigger's, then each ancestor's, nearest first. */
export function boundExpectedArtifacts(scope: ArtifactScope): JsonObject[] {
  return [...objects(scope.trigger['resolvedExpectedArtifacts']), ...scope.ancestorOutputs.flatMap((outputs) => objects(outputs['resolvedExpectedArtifacts']))];
}

/** The artifact a stage field means in this execution (see the module comment). */
export function boundStageArtifact(scope: ArtifactScope, ref: StageArtifactRef): StageArtifactResult {
  let artifact: JsonObject;
  const id = text(ref.id);
  if (id !== undefined) {
    const resolved = boundExpectedArtifacts(scope);
    const found = resolved.find((expected) => expected['id'] === id && isObject(expected['boundArtifact']));
    if (!found) {
      const known = [...new Set(resolved.map((expected) => text(expected['id'])).filter((known): known is string => known !== undefined))];
      const bound = known.length === 0 ? 'none is bound' : `bound: ${known.join(', ')}`;
      return {
        ok: false,
        message: `${ref.idField} is "${id}"; no expected artifact of that id is bound in this execution (${bound}); declare it in the pipeline's expectedArtifacts with a matchArtifact the trigger supplies (or useDefaultArtifact and a defaultArtifact), or bind it in an earlier findArtifactFromExecution stage`,
      };
    }
    artifact = found['boundArtifact'] as JsonObject;
    const matchAccount = isObject(found['matchArtifact']) ? text(found['matchArtifact']['artifactAccount']) : undefined;
    if (text(artifact['artifactAccount']) === undefined && matchAccount !== undefined) artifact = { ...artifact, artifactAccount: matchAccount };
  } else if (ref.artifact !== undefined && ref.artifact !== null) {
    const field = ref.artifactField ?? 'the artifact';
    if (!isObject(ref.artifact)) return { ok: false, message: `${field} is ${JSON.stringify(ref.artifact)}; write an artifact object, e.g. {"type": "embedded/base64", "reference": "<base64>"}` };
    if (text(ref.artifact['type']) === undefined) return { ok: false, message: `${field} has no type; set it, e.g. "type": "http/file"` };
    artifact = ref.artifact;
  } else {
    const inline = ref.artifactField !== undefined ? ` or ${ref.artifactField} to an artifact` : '';
    return { ok: false, message: `${ref.idField} is not set; set it to the id of an expected artifact${inline}` };
  }
  if (scope.expressions) {
    // A missing field of an artifact is null here, never its template's text.
    const evaluated = evaluateDeep(artifact, { ...scope.expressions, allowUnknownKeys: true, keepUnresolved: false }).value;
    if (isObject(evaluated)) artifact = evaluated;
  }
  const account = text(ref.account);
  return { ok: true, artifact: account !== undefined ? { ...artifact, artifactAccount: account } : artifact };
}

/** Every artifact `ids` name (`requiredArtifactIds`), bound; the first that is not refuses them all. */
export function boundStageArtifacts(scope: ArtifactScope, ids: unknown, field: string): { readonly ok: true; readonly artifacts: JsonObject[] } | { readonly ok: false; readonly message: string } {
  if (ids === undefined || ids === null) return { ok: true, artifacts: [] };
  if (!Array.isArray(ids)) return { ok: false, message: `${field} is ${JSON.stringify(ids)}; list expected artifact ids, e.g. ["app-image"]` };
  const artifacts: JsonObject[] = [];
  for (const [index, id] of ids.entries()) {
    const bound = boundStageArtifact(scope, { id, idField: `${field}[${index}]` });
    if (!bound.ok) return bound;
    artifacts.push(bound.artifact);
  }
  return { ok: true, artifacts };
}

/** What an artifact is, for what can be read from it. */
export type ArtifactKind =
  /** `docker/image`: the reference is an image; no content. */
  | 'image'
  /** `embedded/base64`: the content travels in the reference. */
  | 'embedded'
  /** `kubernetes/*`: a live object in a cluster; no content. */
  | 'live-object'
  /** Anything else: content an artifact account reads. */
  | 'remote';

/** The kind of an artifact type. */
export function artifactKind(type: string): ArtifactKind {
  if (type === 'docker/image') return 'image';
  if (type === 'embedded/base64') return 'embedded';
  if (type.startsWith('kubernetes/')) return 'live-object';
  return 'remote';
}

export type ArtifactTextResult = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly reason: ArtifactContentFailureReason; readonly message: string };

/** The artifact as the content port takes it; undefined without a type or reference. */
function toFetch(artifact: JsonObject): ArtifactToFetch | undefined {
  const type = text(artifact['type']);
  const reference = text(artifact['reference']);
  if (type === undefined || reference === undefined) return undefined;
  const name = text(artifact['name']);
  const version = text(artifact['version']);
  const account = text(artifact['artifactAccount']);
  const location = text(artifact['location']);
  return { type, reference, ...(name !== undefined ? { name } : {}), ...(version !== undefined ? { version } : {}), ...(account !== undefined ? { artifactAccount: account } : {}), ...(location !== undefined ? { location } : {}) };
}

/** An artifact's text content, by its kind (see the module comment). `port` reads remote kinds; without one, none is served. */
export async function readArtifactText(artifact: JsonObject, port: ArtifactContentPort | undefined, options: { readonly maxEmbeddedBytes?: number } = {}): Promise<ArtifactTextResult> {
  const type = text(artifact['type']);
  if (type === undefined) return { ok: false, reason: 'invalid', message: `artifact ${describeArtifact(artifact)} has no type; set it, e.g. "type": "embedded/base64"` };
  const fetchable = toFetch(artifact);
  if (fetchable === undefined) return { ok: false, reason: 'invalid', message: `artifact ${describeArtifact(artifact)} has no reference; set the reference it is read from` };
  const label = artifactLabel(fetchable);
  switch (artifactKind(type)) {
    case 'image':
      return { ok: false, reason: 'unsupported', message: `artifact ${label} is an image, which has no content to read; a manifest runs it by its reference, so name a manifest artifact here` };
    case 'live-object':
      return { ok: false, reason: 'unsupported', message: `artifact ${label} refers to a live object in a cluster, which has no content here; name a manifest artifact (embedded/base64, http/file, github/file...) instead` };
    case 'embedded': {
      const encoded = fetchable.reference.replace(/\s+/g, '');
      const max = options.maxEmbeddedBytes ?? MAX_EMBEDDED_BYTES;
      if (Math.floor((encoded.length * 3) / 4) > max) return { ok: false, reason: 'failed', message: `artifact ${label} holds more than ${max} bytes; keep artifacts under that size` };
      const bytes = decodeBase64(encoded);
      if (typeof bytes === 'string') return { ok: false, reason: 'invalid', message: `artifact ${label} is not base64 (${bytes}); set its reference to the base64 of the content` };
      return { ok: true, text: decodeUtf8(bytes) };
    }
    case 'remote': {
      if (!port || !port.types.includes(type)) {
        return { ok: false, reason: 'unsupported', message: `no artifact account serves ${type} ${fetchable.reference}; add one to accounts or use embedded/base64` };
      }
      return port.fetch(fetchable);
    }
  }
}
