/**
 * `bake` on the image store (core/ports/artifact-store.ts). `createBake` bakes `package` from
 * `artifact` with `tags` (the local store copies a directory or a git tree: seconds at most, so
 * the step does it rather than start it); `monitorBake` reads the image back and writes
 * Spinnaker's outputs: `deploymentDetails` (one entry per region, what a later deploy reads),
 * `imageId`/`ami`, `imageName`/`amiName`, `artifact`, `previouslyBaked`.
 *
 * Accepted (read from the context as evaluated at stage start): `package` (required),
 * `artifact: { type: 'directory' | 'git', reference, version? }` (required), `tags`, `rebake`,
 * `regions` | `region` (default `["local"]`), `cloudProviderType` (absent or `local`).
 */
import type { ArtifactReference } from '../deploy/model.ts';
import type { BakeStage } from '../pipeline/stage-types/index.ts';
import type { ArtifactStore, Image } from '../ports/artifact-store.ts';
import type { JsonObject } from '../ports/execution-store.ts';
import { booleanFrom, failed, objectAt, succeeded, type TaskInput, type TaskResult } from './task-result.ts';

export interface ArtifactTaskDeps {
  readonly artifacts: ArtifactStore;
}

/** The cloud provider of every image detail the local store answers. */
export const LOCAL_CLOUD_PROVIDER = 'local';

const IMAGE_ID = 'bakedImageId';

/**
 * One entry of `deploymentDetails` / `amiDetails`: Spinnaker's fields (`ami`, `imageId`,
 * `imageName`, `amiName`, `region`, `cloudProvider`, `package`) plus `artifact`, the reference a
 * deploy hands to its target.
 */
export function imageDetails(image: Image, region: string, extra: JsonObject = {}): JsonObject {
  return {
    ami: image.imageId,
    imageId: image.imageId,
    imageName: image.imageName,
    amiName: image.imageName,
    region,
    cloudProvider: LOCAL_CLOUD_PROVIDER,
    package: image.package,
    version: image.version,
    tags: { ...image.tags },
    createdTime: image.createdTime,
    artifact: { ...image.artifact },
    ...extra,
  };
}

/** The outputs of a stage that produced or found `image`: the details per region, and the image itself. */
export function imageOutputs(image: Image, regions: readonly string[], detailsKeys: readonly string[], extra: JsonObject = {}): JsonObject {
  const details = regions.map((region) => imageDetails(image, region, extra));
  return {
    ...Object.fromEntries(detailsKeys.map((key) => [key, details])),
    imageId: image.imageId,
    ami: image.imageId,
    imageName: image.imageName,
    amiName: image.imageName,
    artifact: { ...image.artifact },
    artifacts: [{ ...image.artifact }],
  };
}

/** `regions`, else `region`, else `["local"]`: a local image serves every region. */
export function regionsOf(context: JsonObject): string[] {
  const regions = Array.isArray(context.regions) ? context.regions.filter((item): item is string => typeof item === 'string' && item.trim() !== '') : [];
  if (regions.length > 0) return regions;
  return typeof context.region === 'string' && context.region.trim() !== '' ? [context.region] : [LOCAL_CLOUD_PROVIDER];
}

/** A provider field that must be absent or `local`; the message when it is not. */
export function localOnly(stageName: string, field: string, value: unknown, what: string): string | undefined {
  if (value === undefined || value === null || value === '' || value === LOCAL_CLOUD_PROVIDER) return undefined;
  return `stage '${stageName}': ${field} ${JSON.stringify(value)} is not supported yet: Gennaker ${what} with ${field} "local" only; remove ${field} or set it to "local"`;
}

/** A tag map from the evaluated context: string values only. */
export function tagsFrom(stageName: string, field: string, value: unknown): { ok: true; tags: Record<string, string> } | { ok: false; message: string } {
  if (value === undefined || value === null) return { ok: true, tags: {} };
  if (typeof value !== 'object' || Array.isArray(value)) return { ok: false, message: `stage '${stageName}': ${field} is ${JSON.stringify(value)}; give an object of tag values, e.g. {"release": "stable"}` };
  const tags: Record<string, string> = {};
  for (const [key, tag] of Object.entries(value)) {
    if (typeof tag === 'number' || typeof tag === 'boolean') tags[key] = String(tag);
    else if (typeof tag === 'string') tags[key] = tag;
    else return { ok: false, message: `stage '${stageName}': ${field}.${key} is ${JSON.stringify(tag)}; a tag value must be a string` };
  }
  return { ok: true, tags };
}

/** Runs one step of a bake stage. */
export async function runBakeTask(input: TaskInput<BakeStage>, deps: ArtifactTaskDeps): Promise<TaskResult> {
  switch (input.task) {
    case 'createBake':
      return createBake(input, deps);
    case 'monitorBake':
      return monitorBake(input, deps);
    default:
      return failed(`stage '${input.stage.name}' (bake) has no step '${input.task}'`);
  }
}

async function createBake(input: TaskInput<BakeStage>, deps: ArtifactTaskDeps): Promise<TaskResult> {
  const name = input.stage.name;
  const context = input.record.context;
  const provider = localOnly(name, 'cloudProviderType', context.cloudProviderType, 'bakes images');
  if (provider !== undefined) return failed(provider);
  const packageName = context.package;
  if (typeof packageName !== 'string' || packageName.trim() === '') {
    return failed(`stage '${name}': package is ${JSON.stringify(packageName)}; set it to the image's package name, e.g. "hello"`);
  }
  const source = objectAt(context, 'artifact');
  if (typeof source.type !== 'string' || typeof source.reference !== 'string' || source.reference.trim() === '') {
    return failed(
      `stage '${name}': artifact is ${JSON.stringify(context.artifact)}; set what to bake, e.g. {"type": "directory", "reference": "examples/service", "version": "1.2.0"} or {"type": "git", "reference": "/path/to/repo", "version": "main"}`,
    );
  }
  const version = typeof source.version === 'string' && source.version.trim() !== '' ? source.version : undefined;
  const tags = tagsFrom(name, 'tags', context.tags);
  if (!tags.ok) return failed(tags.message);
  const isGit = source.type === 'git';
  const reference: ArtifactReference = { type: source.type, reference: source.reference, ...(isGit && version !== undefined ? { version } : {}) };
  const baked = await deps.artifacts.bake({
    package: packageName,
    source: reference,
    ...(!isGit && version !== undefined ? { version } : {}),
    tags: tags.tags,
    rebake: booleanFrom(context.rebake) === true,
  });
  if (!baked.ok) return failed(`stage '${name}': the bake failed: ${baked.message}`);
  const image = baked.image;
  return succeeded(undefined, {
    runtime: { [IMAGE_ID]: image.imageId },
    context: { imageId: image.imageId, imageName: image.imageName, ami: image.imageId, amiName: image.imageName, previouslyBaked: baked.reused },
  });
}

async function monitorBake(input: TaskInput<BakeStage>, deps: ArtifactTaskDeps): Promise<TaskResult> {
  const imageId = input.record.runtime[IMAGE_ID];
  if (typeof imageId !== 'string') return failed(`stage '${input.stage.name}': monitorBake ran before createBake baked an image; restart the stage`);
  const image = await deps.artifacts.getImage(imageId);
  if (!image) return failed(`stage '${input.stage.name}': image ${imageId} was baked but is no longer in the image store; restart the stage to bake it again`);
  const context = input.record.context;
  return succeeded({ ...imageOutputs(image, regionsOf(context), ['deploymentDetails']), previouslyBaked: context.previouslyBaked === true });
}
