/**
 * What Orca resolves in a cluster entry before clouddriver sees it (its per-cloud
 * ServerGroupCreator): values only the execution knows — a bound artifact, the trigger's image —
 * written into the provider fields the target reads. Pure; the target fetches any content itself
 * (through core/ports/artifact-content.ts), as clouddriver downloads what Orca bound.
 *
 * ECS (Orca's EcsServerGroupCreator):
 * - `useTaskDefinitionArtifact`: `taskDefinitionArtifact.artifactId` becomes the artifact bound to
 *   that expected artifact (core/deploy/expected-artifacts.ts), handed over as
 *   `resolvedTaskDefinitionArtifact` with its `artifactAccount` defaulting to the entry's
 *   `taskDefinitionArtifactAccount`; an artifact written inline (`taskDefinitionArtifact.artifact`)
 *   reaches the target as written, which reads it the same way.
 * - An image described `fromTrigger` without a tag (the top-level `imageDescription`, or each of
 *   `containerMappings` with a task-definition artifact) takes the tag of the execution's docker
 *   trigger when its account and repository match; Gennaker also takes a `docker/image` artifact
 *   of the trigger named `<registry>/<repository>` (a manual start can bring one). When neither
 *   is there and the deploy has no docker/image artifact of its own, the deploy fails naming the field.
 * Other clouds' entries pass unchanged.
 */
import { boundArtifactFor } from '../deploy/expected-artifacts.ts';
import type { JsonObject } from '../ports/execution-store.ts';

type Read<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

export interface ProviderBindingContext {
  /** The entry's cloud provider (`ecs`, `aws`...), when it says. */
  readonly cloudProvider?: string;
  /** Where the entry is, for messages: `clusters[0]`. */
  readonly at: string;
  readonly trigger: JsonObject;
  /** Outputs of the stage's ancestors, nearest first (expected artifacts bound by earlier stages). */
  readonly ancestorOutputs: readonly JsonObject[];
  /** The deploy has its own docker/image artifact (`artifact`, or a bake's): a trigger image is not needed. */
  readonly hasArtifact: boolean;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);
const isTrue = (value: unknown) => value === true || value === 'true';

/** The provider fields a target receives for one cluster entry (see the module comment). */
export function bindProviderFields(raw: Readonly<Record<string, unknown>>, context: ProviderBindingContext): Read<Readonly<Record<string, unknown>>> {
  if (context.cloudProvider !== 'ecs') return { ok: true, value: raw };
  return bindEcs(raw, context);
}

function bindEcs(raw: Readonly<Record<string, unknown>>, context: ProviderBindingContext): Read<Readonly<Record<string, unknown>>> {
  const bound: Record<string, unknown> = { ...raw };
  const usesArtifact = isTrue(raw['useTaskDefinitionArtifact']);
  if (usesArtifact) {
    const given = raw['taskDefinitionArtifact'];
    // An artifact written inline reaches the target as written, so its messages name the field the author wrote.
    if (isObject(given) && !isObject(given['artifact']) && text(given['artifactId']) !== undefined) {
      const found = boundArtifactFor(text(given['artifactId'])!, `${context.at}.taskDefinitionArtifact.artifactId`, context.trigger, context.ancestorOutputs);
      if (!found.ok) return found;
      const artifact: Record<string, unknown> = { ...found.artifact };
      const account = text(raw['taskDefinitionArtifactAccount']);
      if (text(artifact['artifactAccount']) === undefined && account !== undefined) artifact['artifactAccount'] = account;
      bound['resolvedTaskDefinitionArtifact'] = artifact;
    }
    if (Array.isArray(raw['containerMappings'])) {
      const mappings: unknown[] = [];
      for (const [index, mapping] of raw['containerMappings'].entries()) {
        if (!isObject(mapping) || !isObject(mapping['imageDescription'])) {
          mappings.push(mapping);
          continue;
        }
        const image = bindTriggerImage(mapping['imageDescription'], `${context.at}.containerMappings[${index}].imageDescription`, context);
        if (!image.ok) return image;
        mappings.push({ ...mapping, imageDescription: image.value });
      }
      bound['containerMappings'] = mappings;
    }
  } else if (isObject(raw['imageDescription']) && text(raw['dockerImageAddress']) === undefined) {
    const image = bindTriggerImage(raw['imageDescription'], `${context.at}.imageDescription`, context);
    if (!image.ok) return image;
    bound['imageDescription'] = image.value;
  }
  return { ok: true, value: bound };
}

/** `fromTrigger` without a tag: the trigger's tag for this repository (Orca's getImageAddressFromDescription). */
function bindTriggerImage(description: Record<string, unknown>, field: string, context: ProviderBindingContext): Read<Record<string, unknown>> {
  if (!isTrue(description['fromTrigger']) || text(description['tag']) !== undefined) return { ok: true, value: description };
  const repository = text(description['repository']);
  const registry = text(description['registry']);
  const trigger = context.trigger;
  if (trigger['type'] === 'docker' && repository !== undefined && text(trigger['repository']) === repository && text(trigger['account']) === text(description['account'])) {
    const tag = text(trigger['tag']);
    if (tag !== undefined) return { ok: true, value: { ...description, tag } };
  }
  const name = registry !== undefined && repository !== undefined ? `${registry}/${repository}` : repository;
  const artifacts = Array.isArray(trigger['artifacts']) ? trigger['artifacts'].filter(isObject) : [];
  const image = name === undefined ? undefined : artifacts.find((artifact) => artifact['type'] === 'docker/image' && text(artifact['name']) === name);
  const tag = image === undefined ? undefined : (text(image['version']) ?? tagOf(text(image['reference'])));
  if (tag !== undefined) return { ok: true, value: { ...description, tag } };
  // The deploy's own docker/image artifact runs instead (the target's fallback).
  if (context.hasArtifact) return { ok: true, value: description };
  const kind = text(trigger['type']) ?? 'unknown';
  return {
    ok: false,
    message: `${field}.tag is empty and ${field}.fromTrigger asks for the trigger's image of ${name ?? 'its repository'}, but this execution's ${kind} trigger brought none; run the pipeline from its docker trigger (or start it with a docker/image artifact named ${name ?? '<registry>/<repository>'}), or set ${field}.tag, e.g. "1.2.0"`,
  };
}

/** The tag of an image reference (`registry:5000/repo:1.2` → `1.2`); none for a digest or an untagged name. */
function tagOf(reference: string | undefined): string | undefined {
  if (reference === undefined || reference.includes('@')) return undefined;
  const last = reference.slice(reference.lastIndexOf('/') + 1);
  const at = last.lastIndexOf(':');
  return at > 0 ? last.slice(at + 1) || undefined : undefined;
}
