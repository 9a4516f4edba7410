/**
 * The save-time check of a GCE cluster entry (core/ports/cluster-checks.ts), pure: every bad
 * provider field (config.ts's schema and rules, in the words a create would use), and a deploy
 * with no image to run — no `image`, no artifact, and no bake, findImage or findImageFromTags
 * stage upstream (a warning when one may still hand it an image). What the entry names in the
 * project is looked up by the target itself (`checkCluster` of gce-target.ts).
 */
import type { ClusterCheckContext, ClusterFieldIssue } from '../../../core/ports/cluster-checks.ts';
import { namesAnArtifact, providerFieldIssues } from '../provider-field-issues.ts';
import { gceProviderFieldsSchema, parseGceClusterConfig, problem } from './config.ts';

const IMAGE_FIX = 'set the image to boot (image: its name), or run a bake, findImage or findImageFromTags stage before this deploy (in its requisiteStageRefIds)';
const IMAGE_MAYBE =
  'no bake, findImage or findImageFromTags stage runs before this deploy (in its requisiteStageRefIds), so unless one does (or a parent pipeline hands it an image) the deploy has no image to run; set image, or make such a stage run before it';

const given = (value: unknown) => value !== undefined && value !== null && !(typeof value === 'string' && value.trim() === '');

/** The pure check of a GCE cluster entry, for the execution service's save (composition roots pass it as `gce`). */
export function checkGceClusterEntry(entry: Readonly<Record<string, unknown>>, context: ClusterCheckContext): ClusterFieldIssue[] {
  const issues = providerFieldIssues(entry, { schema: gceProviderFieldsSchema, parse: parseGceClusterConfig, problem, regions: context.regions });
  if (!given(entry['image']) && !namesAnArtifact(entry) && context.upstreamImage !== 'yes') {
    const certain = context.upstreamImage === 'no';
    issues.push({ path: ['image'], code: 'required', message: problem('image', undefined, certain ? IMAGE_FIX : IMAGE_MAYBE), severity: certain ? 'error' : 'warning' });
  }
  return issues;
}
