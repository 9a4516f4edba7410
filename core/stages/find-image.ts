/**
 * `findImageFromTags` (Orca's FindImageFromTagsTask) and `findImage` (FindImageFromClusterTask).
 *
 * findImageFromTags: the newest image of `packageName` (`*` wildcards allowed) carrying every
 * one of `tags`, from the image store. findImage: in each region, the server group of `cluster`
 * chosen by `selectionStrategy` among the enabled ones (`onlyEnabled`, default true), and the
 * image it runs — the image store's record when it has one (the server group was deployed from
 * a baked image), else the server group's own artifact. `imageNamePattern` (`*` wildcards)
 * narrows the server groups to those whose image name matches.
 *
 * Both write `amiDetails` and `deploymentDetails` (one entry per region, each with `artifact`:
 * what a later deploy runs), plus `imageId`, `imageName`, `artifact` of the first region.
 */
import type { ServerGroup } from '../deploy/model.ts';
import { selectImageServerGroup } from '../deploy/targeting.ts';
import type { FindImageFromTagsStage, FindImageStage, ImageSelectionStrategy } from '../pipeline/stage-types/index.ts';
import { IMAGE_SELECTION_STRATEGIES } from '../pipeline/stage-types/find-image.ts';
import { matchesPattern, type ArtifactStore, type Image } from '../ports/artifact-store.ts';
import type { JsonObject } from '../ports/execution-store.ts';
import { imageDetails, imageOutputs, LOCAL_CLOUD_PROVIDER, localOnly, regionsOf, tagsFrom, type ArtifactTaskDeps } from './bake.ts';
import { stageScope, targetFor, type DeployTaskDeps } from './deploy-scope.ts';
import { describeCluster } from './step-executor.ts';
import { booleanFrom, failed, succeeded, type TaskInput, type TaskResult } from './task-result.ts';

const DETAILS_KEYS = ['amiDetails', 'deploymentDetails'] as const;

/** The one step of findImageFromTags. */
export async function runFindImageFromTags(input: TaskInput<FindImageFromTagsStage>, deps: ArtifactTaskDeps): Promise<TaskResult> {
  const name = input.stage.name;
  const context = input.record.context;
  const provider = localOnly(name, 'cloudProvider', context.cloudProvider ?? context.cloudProviderType, 'finds images');
  if (provider !== undefined) return failed(provider);
  const packageName = context.packageName;
  if (typeof packageName !== 'string' || packageName.trim() === '') {
    return failed(`stage '${name}': packageName is ${JSON.stringify(packageName)}; set the image's package name, e.g. "hello"`);
  }
  const tags = tagsFrom(name, 'tags', context.tags);
  if (!tags.ok) return failed(tags.message);
  const found = await deps.artifacts.findImages({ packageName, tags: tags.tags });
  const image = found[0];
  if (!image) {
    const ofPackage = (await deps.artifacts.findImages({ packageName })).slice(0, 5);
    const known = ofPackage.length === 0 ? `there is no image of package '${packageName}' at all; bake one first` : `newest images of '${packageName}': ${ofPackage.map((candidate) => `${candidate.imageName} ${JSON.stringify(candidate.tags)}`).join(', ')}`;
    return failed(`stage '${name}': could not find a tagged image for package '${packageName}' and tags ${JSON.stringify(tags.tags)}; ${known}`);
  }
  return succeeded(imageOutputs(image, regionsOf(context), DETAILS_KEYS));
}

/** The image a server group runs, as the store knows it when it does. */
async function imageOf(serverGroup: ServerGroup, artifacts: ArtifactStore | undefined): Promise<Image | undefined> {
  const artifact = serverGroup.artifact;
  if (!artifacts || artifact?.name === undefined || artifact.version === undefined) return undefined;
  const images = await artifacts.findImages({ version: artifact.version });
  // The deploy target keeps the artifact's name and version; a baked image's tree is its reference.
  return images.find((image) => image.package === artifact.name && (image.location === artifact.reference || image.artifact.reference === artifact.reference)) ?? images.find((image) => image.package === artifact.name);
}

/** The details of what a server group runs, from the store's image or its own artifact. */
async function detailsOf(serverGroup: ServerGroup, region: string, artifacts: ArtifactStore | undefined): Promise<JsonObject | undefined> {
  const image = await imageOf(serverGroup, artifacts);
  if (image) return imageDetails(image, region, { serverGroup: serverGroup.name });
  const artifact = serverGroup.artifact;
  if (!artifact) return undefined;
  const imageName = serverGroup.image ?? [artifact.name ?? artifact.reference, artifact.version].filter((part) => part !== undefined).join('-');
  return {
    ami: imageName,
    imageId: imageName,
    imageName,
    amiName: imageName,
    region,
    cloudProvider: LOCAL_CLOUD_PROVIDER,
    ...(artifact.name !== undefined ? { package: artifact.name } : {}),
    ...(artifact.version !== undefined ? { version: artifact.version } : {}),
    artifact: { ...artifact },
    serverGroup: serverGroup.name,
  };
}

/** The one step of findImage. */
export async function runFindImage(input: TaskInput<FindImageStage>, deps: DeployTaskDeps & { readonly artifacts?: ArtifactStore }): Promise<TaskResult> {
  const name = input.stage.name;
  const context = input.record.context;
  const scoped = stageScope(input);
  if (!scoped.ok) return failed(scoped.message);
  const scope = scoped.scope;
  const found = targetFor(scope, deps, name);
  if (!found.ok) return failed(found.message);
  const strategy = typeof context.selectionStrategy === 'string' ? context.selectionStrategy : input.stage.config.selectionStrategy;
  if (!(IMAGE_SELECTION_STRATEGIES as readonly string[]).includes(strategy)) {
    return failed(`stage '${name}': selectionStrategy is ${JSON.stringify(strategy)}; use one of ${IMAGE_SELECTION_STRATEGIES.join(', ')}`);
  }
  const onlyEnabled = booleanFrom(context.onlyEnabled) ?? input.stage.config.onlyEnabled;
  const pattern = typeof context.imageNamePattern === 'string' && context.imageNamePattern.trim() !== '' ? context.imageNamePattern : undefined;

  const details: JsonObject[] = [];
  for (const location of scope.locations) {
    const current = await describeCluster(found.target, { account: scope.account, location, cluster: scope.cluster });
    if (!current.ok) return failed(`stage '${name}': ${current.message}`);
    const state = current.state;
    let serverGroups: readonly ServerGroup[] = state.serverGroups;
    const described = new Map<string, JsonObject | undefined>();
    for (const serverGroup of serverGroups) described.set(serverGroup.name, await detailsOf(serverGroup, location, deps.artifacts));
    if (pattern !== undefined) {
      serverGroups = serverGroups.filter((serverGroup) => {
        const imageName = described.get(serverGroup.name)?.imageName;
        return typeof imageName === 'string' && matchesPattern(pattern, imageName);
      });
      if (serverGroups.length === 0) {
        return failed(`stage '${name}': no server group of cluster '${scope.cluster}' in ${location} runs an image matching imageNamePattern '${pattern}'; check the pattern (images: [${[...described.values()].map((detail) => detail?.imageName).join(', ')}])`);
      }
    }
    const chosen = selectImageServerGroup(serverGroups, strategy as ImageSelectionStrategy, { onlyEnabled, location, cluster: scope.cluster });
    if (!chosen.ok) return failed(`stage '${name}': ${chosen.message}`);
    const detail = described.get(chosen.serverGroup.name);
    if (!detail) return failed(`stage '${name}': server group ${chosen.serverGroup.name} in ${location} reports no artifact, so its image is unknown`);
    details.push(detail);
  }
  const first = details[0] as JsonObject;
  return succeeded({
    amiDetails: details,
    deploymentDetails: details,
    imageId: first.imageId,
    ami: first.ami,
    imageName: first.imageName,
    amiName: first.amiName,
    artifact: first.artifact,
    artifacts: details.map((detail) => detail.artifact),
  });
}
