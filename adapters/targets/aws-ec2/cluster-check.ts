/**
 * The save-time check of an EC2 cluster entry (core/ports/cluster-checks.ts), pure: every bad
 * provider field (config.ts's schema and rules, in the words a create would use), a cluster that
 * names no subnets and no zones, an artifact EC2 cannot run, and a deploy with no image to run —
 * no `amiName`/`imageId`, no artifact, and no bake, findImage or findImageFromTags stage upstream
 * (a warning when one may still hand it an image). What the entry names in the account is looked
 * up by the target itself (`checkCluster` of ec2-target.ts).
 */
import type { ClusterCheckContext, ClusterFieldIssue } from '../../../core/ports/cluster-checks.ts';
import { expressionAlong, namesAnArtifact, providerFieldIssues } from '../provider-field-issues.ts';
import { ec2ProviderFieldsSchema, parseEc2ClusterConfig, problem } from './config.ts';

/** `AWS_IMAGE_ARTIFACT` of ec2-target.ts, written here so the API's bundle stays free of the SDK clients. */
const AWS_IMAGE_ARTIFACT = 'aws/image';

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const IMAGE_FIX = 'set the AMI to run (amiName: an AMI name or id), or run a bake, findImage or findImageFromTags stage before this deploy (in its requisiteStageRefIds)';
const IMAGE_MAYBE =
  'no bake, findImage or findImageFromTags stage runs before this deploy (in its requisiteStageRefIds), so unless one does (or a parent pipeline hands it an image) the deploy has no image to run; set amiName, or make such a stage run before it';

const given = (value: unknown) => value !== undefined && value !== null && !(typeof value === 'string' && value.trim() === '');

/** The pure check of an EC2 cluster entry, for the execution service's save (composition roots pass it as `aws`). */
export function checkEc2ClusterEntry(entry: Readonly<Record<string, unknown>>, context: ClusterCheckContext): ClusterFieldIssue[] {
  const issues = providerFieldIssues(entry, { schema: ec2ProviderFieldsSchema, parse: parseEc2ClusterConfig, problem, regions: context.regions });

  // Nothing to run, whatever else is wrong: read from the fields as written.
  if (!given(entry['amiName']) && !given(entry['imageId']) && !namesAnArtifact(entry) && context.upstreamImage !== 'yes') {
    const certain = context.upstreamImage === 'no';
    issues.push({ path: ['amiName'], code: 'required', message: problem('amiName', undefined, certain ? IMAGE_FIX : IMAGE_MAYBE), severity: certain ? 'error' : 'warning' });
  }
  if (issues.some((issue) => issue.severity === 'error')) return issues;

  const artifact = entry['artifact'];
  if (isObject(artifact) && typeof artifact['type'] === 'string' && artifact['type'] !== AWS_IMAGE_ARTIFACT && !expressionAlong(entry, ['artifact'])) {
    issues.push({
      path: ['artifact', 'type'],
      code: 'invalid-value',
      message: `artifact type '${artifact['type']}' cannot run on EC2; deploy an ${AWS_IMAGE_ARTIFACT} (an AMI from a bake or findImage stage), or set amiName`,
      severity: 'error',
      value: artifact['type'],
    });
  }
  for (const region of context.regions) {
    const parsed = parseEc2ClusterConfig(entry, region);
    if (!parsed.ok) continue;
    const config = parsed.config;
    if (config.subnetIds.length === 0 && config.subnetType === undefined && config.availabilityZones.length === 0) {
      issues.push({ path: ['subnetType'], code: 'required', message: problem('subnetType', undefined, `set subnetType (the subnets' purpose), subnetIds, or availabilityZones["${region}"]`), severity: 'error' });
      break;
    }
  }
  return issues;
}
