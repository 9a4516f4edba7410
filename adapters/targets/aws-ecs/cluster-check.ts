/**
 * The save-time check of an ECS cluster entry (core/ports/cluster-checks.ts), pure: every bad
 * provider field (config.ts's schema and rules, in the words a create would use), and a deploy
 * with no image to run — no `imageDescription`, `dockerImageAddress`, task-definition artifact,
 * container mappings or artifact, and no image stage upstream (a warning when one may still hand
 * it one). What only the run knows is not judged here: an expected artifact the deploy stage binds
 * (`taskDefinitionArtifact.artifactId`), a trigger's image tag (`fromTrigger`).
 */
import type { ClusterCheckContext, ClusterFieldIssue } from '../../../core/ports/cluster-checks.ts';
import { namesAnArtifact, providerFieldIssues } from '../provider-field-issues.ts';
import { ecsProviderFieldsSchema, parseEcsClusterConfig, problem } from './config.ts';

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The entry as the target will receive it, as far as the save can tell: an expected artifact's id
 * stands for the artifact the deploy stage binds to it (core/stages/provider-bindings.ts).
 */
export function boundAtSave(entry: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  const given = entry['taskDefinitionArtifact'];
  const usesArtifact = entry['useTaskDefinitionArtifact'] === true || entry['useTaskDefinitionArtifact'] === 'true';
  if (!usesArtifact || !isObject(given) || isObject(given['artifact']) || entry['resolvedTaskDefinitionArtifact'] !== undefined) return entry;
  if (typeof given['artifactId'] !== 'string' || given['artifactId'].trim() === '') return entry;
  return { ...entry, resolvedTaskDefinitionArtifact: { type: 'expected/artifact', reference: `bound at run: ${given['artifactId']}` } };
}

const IMAGE_FIX = 'set the image to run: imageDescription {"repository": "...", "tag": "..."}, dockerImageAddress, or a docker/image artifact';

const given = (value: unknown) => value !== undefined && value !== null && value !== false && !(typeof value === 'string' && value.trim() === '');

/** The pure check of an ECS cluster entry, for the execution service's save (composition roots pass it as `ecs`). */
export function checkEcsClusterEntry(entry: Readonly<Record<string, unknown>>, context: ClusterCheckContext): ClusterFieldIssue[] {
  const issues = providerFieldIssues(boundAtSave(entry), { schema: ecsProviderFieldsSchema, parse: parseEcsClusterConfig, problem, regions: context.regions });
  // Nothing to run, whatever else is wrong: read from the fields as written.
  const mappings = Array.isArray(entry['containerMappings']) && entry['containerMappings'].length > 0;
  const image = given(entry['imageDescription']) || given(entry['dockerImageAddress']) || mappings || namesAnArtifact(entry);
  if (!image && context.upstreamImage !== 'yes') {
    const certain = context.upstreamImage === 'no';
    const fix = certain ? IMAGE_FIX : `${IMAGE_FIX}; no bake, findImage or findImageFromTags stage runs before this deploy (in its requisiteStageRefIds), so unless one does it has no image to run`;
    issues.push({ path: ['imageDescription'], code: 'required', message: problem('imageDescription', undefined, fix), severity: certain ? 'error' : 'warning' });
  }
  // ECS moves the traffic of an ecs-native cluster: a Spinnaker strategy would fight it.
  const strategy = entry['strategy'];
  if (entry['deploymentMode'] === 'ecs-native' && typeof strategy === 'string' && strategy !== '' && strategy !== 'none') {
    issues.push({
      path: ['strategy'],
      code: 'invalid-value',
      message: problem('strategy', strategy, 'with deploymentMode "ecs-native" ECS shifts the traffic itself (ecsNativeDeployment.strategy); set the deploy strategy to "none" or leave it empty'),
      severity: 'error',
    });
  }
  return issues;
}
