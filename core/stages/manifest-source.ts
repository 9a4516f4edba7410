/**
 * The artifact a manifest stage reads its document from (`source: artifact`): the one
 * `manifestArtifactId` names, bound in this execution (core/deploy/expected-artifacts.ts), or the
 * inline `manifestArtifact`; its text decoded (`embedded/base64`) or fetched through the artifact
 * accounts (core/ports/artifact-content.ts), as Orca's ManifestEvaluator hands clouddriver.
 */
import { decodeBase64, decodeUtf8 } from '../expressions/base64.ts';
import { boundArtifactFor, describeArtifact } from '../deploy/expected-artifacts.ts';
import type { ArtifactContentPort } from '../ports/artifact-content.ts';
import type { JsonObject } from '../ports/execution-store.ts';
import { manifestFailure, oneLine, textAt } from './manifest-common.ts';
import { failed, type TaskInput, type TaskResult } from './task-result.ts';

/** What reading an artifact needs: a reader of artifact content, when one is wired in. */
export interface ArtifactTaskDeps {
  readonly artifactContent?: ArtifactContentPort;
}

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The text of the stage's manifest artifact (`what` says what it holds, for messages), or the result that fails the stage. */
export async function manifestArtifactText(input: TaskInput, deps: ArtifactTaskDeps, label: string, what: string): Promise<{ ok: true; text: string; what: string } | { ok: false; result: TaskResult }> {
  const context = input.record.context;
  let artifact: JsonObject | undefined = isObject(context.manifestArtifact) ? context.manifestArtifact : undefined;
  const id = textAt(context, 'manifestArtifactId');
  if (artifact === undefined && id !== undefined) {
    const ancestors = input.execution.stages.filter((stage) => stage.id !== input.record.id).map((stage) => stage.outputs);
    const bound = boundArtifactFor(id, 'manifestArtifactId', input.execution.trigger ?? {}, ancestors);
    if (!bound.ok) return { ok: false, result: failed(`${label}: ${bound.message}`) };
    artifact = bound.artifact;
  }
  if (artifact === undefined) return { ok: false, result: failed(`${label}: source is 'artifact' but neither manifestArtifactId nor manifestArtifact names one; name the expected artifact holding the ${what}`) };
  const described = describeArtifact(artifact);
  const reference = typeof artifact['reference'] === 'string' ? artifact['reference'] : '';
  if (artifact['type'] === 'embedded/base64') {
    const decoded = decodeBase64(reference.trim());
    if (typeof decoded === 'string') return { ok: false, result: failed(`${label}: the ${what} artifact ${described} is not base64 (${decoded}); encode its content, e.g. with 'base64 -w0'`) };
    return { ok: true, text: decodeUtf8(decoded), what: described };
  }
  if (!deps.artifactContent) {
    return { ok: false, result: failed(`${label}: the ${what} artifact ${described} cannot be read: Gennaker has no artifact accounts wired in; embed it as an embedded/base64 artifact, or set source to 'text'`) };
  }
  const account = textAt(context, 'manifestArtifactAccount');
  const text = (key: string) => (typeof artifact[key] === 'string' ? { [key]: artifact[key] } : {});
  const fetched = await deps.artifactContent.fetch({
    type: String(artifact['type'] ?? ''),
    reference,
    ...text('name'),
    ...text('version'),
    ...text('location'),
    ...(typeof artifact['artifactAccount'] === 'string' ? { artifactAccount: artifact['artifactAccount'] } : account !== undefined ? { artifactAccount: account } : {}),
  });
  if (!fetched.ok) {
    if (fetched.reason === 'unavailable') return { ok: false, result: manifestFailure({ ok: false, reason: 'unavailable', message: fetched.message }, `reading the ${what} artifact ${described}`, label) };
    return { ok: false, result: failed(`${label}: reading the ${what} artifact ${described} failed: ${oneLine(fetched.message)}`) };
  }
  return { ok: true, text: fetched.text, what: described };
}
