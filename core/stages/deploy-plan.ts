/**
 * The pure half of the `deploy` stage: reading one `clusters[]` entry as evaluated at stage start
 * into what the strategy planners need, and the artifact it deploys. core/stages/deploy.ts runs
 * the plan through the step executor.
 *
 * What a cluster entry may hold (Spinnaker's deploy stage context, plus the local target's fields):
 * - `account` (or `credentials`), `cloudProvider` | `provider`; `application` (default: the
 *   execution's), `stack`, `freeFormDetails` → the Frigga cluster name;
 * - the locations: `availabilityZones` keys (`{"us-east-1": [...]}`), else `regions`, else `region`;
 * - `capacity {min, max, desired}` (min and max default to desired);
 * - the strategy fields (core/pipeline/stage-types/deploy.ts), `targetHealthyDeployPercentage`,
 *   `waitForHealthyTimeoutSec`;
 * - what to run: `artifact {type, reference, name?, version?}` (for the local target a
 *   `directory` or a `git` reference), else the `artifact` of the nearest ancestor stage's
 *   `deploymentDetails[]` entry for the location (what a bake or findImage stage outputs);
 * - every other field (`env`, `healthCheck`, `instanceType`, `subnetType`, a task definition...) is
 *   a provider field: it reaches the target unchanged, and the target's adapter parses it.
 */
import type { Target } from '../ports/target.ts';
import { clusterName, validateNameParts } from '../deploy/names.ts';
import type { ArtifactReference, Capacity } from '../deploy/model.ts';
import type { DeployClusterConfig } from '../pipeline/stage-types/deploy.ts';
import type { JsonObject, StageRecord } from '../ports/execution-store.ts';
import { boundArtifactFor } from '../deploy/expected-artifacts.ts';
import type { StrategyRequest } from '../strategies/deploy-strategies.ts';
import { ancestorsOf } from '../execution/evaluation-context.ts';
import { numberFrom } from './task-result.ts';

/** What the deploy of one cluster needs, read from its evaluated entry. */
export interface ClusterSettings {
  readonly account: string;
  readonly cloudProvider?: string;
  readonly application: string;
  readonly cluster: string;
  readonly locations: readonly string[];
  readonly capacity: Capacity;
  readonly targetHealthyDeployPercentage?: number;
}

type Read<T> = { ok: true; value: T } | { ok: false; message: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** The locations of a cluster entry: availabilityZones keys, else regions, else region. */
export function locationsOf(raw: Readonly<Record<string, unknown>>): string[] {
  if (isObject(raw.availabilityZones)) return Object.keys(raw.availabilityZones).filter((key) => key.trim() !== '');
  if (Array.isArray(raw.regions)) return raw.regions.filter((region): region is string => text(region) !== undefined);
  const region = text(raw.region);
  return region === undefined ? [] : [region];
}

function capacityOf(config: DeployClusterConfig, at: string): Read<Capacity> {
  const desired = numberFrom(config.capacity.desired);
  if (desired === undefined) {
    return { ok: false, message: `${at}.capacity.desired is ${JSON.stringify(config.capacity.desired)}; set capacity, e.g. {"min": 1, "max": 3, "desired": 2}` };
  }
  const min = config.capacity.min === undefined ? desired : numberFrom(config.capacity.min);
  const max = config.capacity.max === undefined ? desired : numberFrom(config.capacity.max);
  if (min === undefined || max === undefined) {
    const field = min === undefined ? 'min' : 'max';
    return { ok: false, message: `${at}.capacity.${field} is ${JSON.stringify(config.capacity[field])} after evaluation; set a whole number` };
  }
  if (!(min <= desired && desired <= max)) return { ok: false, message: `${at}.capacity ${JSON.stringify({ min, max, desired })} is inconsistent; use min ≤ desired ≤ max` };
  return { ok: true, value: { min, max, desired } };
}

/**
 * Everything but the strategy fields of one evaluated cluster entry; `at` names it in messages
 * (`clusters[0]`), `defaultApplication` is the execution's application.
 */
export function readClusterSettings(config: DeployClusterConfig, raw: Readonly<Record<string, unknown>>, at: string, defaultApplication: string): Read<ClusterSettings> {
  const account = text(config.account) ?? text(raw.credentials);
  if (account === undefined) return { ok: false, message: `${at}.account is ${JSON.stringify(config.account)}; set the account to deploy to, e.g. "local"` };
  const application = text(config.application) ?? defaultApplication;
  const named = validateNameParts({ application, ...(config.stack !== undefined ? { stack: config.stack } : {}), ...(config.freeFormDetails !== undefined ? { detail: config.freeFormDetails } : {}) });
  if (named.length > 0) return { ok: false, message: `${at}: ${named[0]!.message}` };
  const locations = locationsOf(raw);
  if (locations.length === 0) return { ok: false, message: `${at} names no location to deploy to; set availabilityZones, e.g. {"local": []}, or region` };
  const capacity = capacityOf(config, at);
  if (!capacity.ok) return capacity;
  const healthy = raw.targetHealthyDeployPercentage === undefined ? undefined : numberFrom(raw.targetHealthyDeployPercentage);
  if (raw.targetHealthyDeployPercentage !== undefined && (healthy === undefined || healthy < 0 || healthy > 100)) {
    return { ok: false, message: `${at}.targetHealthyDeployPercentage is ${JSON.stringify(raw.targetHealthyDeployPercentage)}; set a percentage between 0 and 100` };
  }
  const cloudProvider = text(config.cloudProvider) ?? text(config.provider);
  return {
    ok: true,
    value: {
      account,
      ...(cloudProvider !== undefined ? { cloudProvider } : {}),
      application,
      cluster: clusterName(application, config.stack, config.freeFormDetails),
      locations,
      capacity: capacity.value,
      ...(healthy !== undefined ? { targetHealthyDeployPercentage: healthy } : {}),
    },
  };
}

function artifactFrom(value: unknown): ArtifactReference | undefined {
  if (!isObject(value)) return undefined;
  const type = text(value.type);
  const reference = text(value.reference);
  if (type === undefined || reference === undefined) return undefined;
  const name = text(value.name);
  const version = text(value.version);
  return { type, reference, ...(name !== undefined ? { name } : {}), ...(version !== undefined ? { version } : {}) };
}

/** Whether a deploy to this target may go without an artifact (it runs what the provider fields name). */
export function artifactOptions(target: Target): { readonly optional: boolean } {
  return { optional: target.serverGroups.capabilities.imageFromProviderFields === true };
}

/**
 * What the new server group in `location` runs: the entry's `artifact`, else the `artifact` of
 * the nearest ancestor's `deploymentDetails[]` entry whose `region` is the location (or unset);
 * `optional` when the target can run what the entry's provider fields name. An entry with
 * `imageSource: "artifact"` runs the artifact bound to its `imageArtifactId` (in the `trigger`'s
 * or an ancestor's resolved expected artifacts) and nothing else, as Orca binds it for clouddriver.
 */
export function resolveArtifact(
  raw: Readonly<Record<string, unknown>>,
  location: string,
  at: string,
  stage: StageRecord,
  stages: readonly StageRecord[],
  options: { readonly optional?: boolean; readonly trigger?: JsonObject } = {},
): Read<ArtifactReference | undefined> {
  // Spinnaker's GCE entries name their image by an expected artifact: that one, bound, or none.
  const imageArtifactId = raw.imageSource === 'artifact' ? text(raw.imageArtifactId) : undefined;
  if (imageArtifactId !== undefined) {
    const found = boundArtifactFor(imageArtifactId, `${at}.imageArtifactId`, options.trigger ?? {}, ancestorsOf(stage, stages).map((ancestor) => ancestor.outputs));
    if (!found.ok) return found;
    const artifact = artifactFrom(found.artifact);
    if (artifact) return { ok: true, value: artifact };
    return { ok: false, message: `${at}.imageArtifactId is "${imageArtifactId}"; the artifact bound to it has no type or reference (${JSON.stringify(found.artifact)}); give the expected artifact's artifact both, e.g. {"type": "gce/image", "reference": "<image selfLink>"}` };
  }
  if (raw.artifact !== undefined) {
    const artifact = artifactFrom(raw.artifact);
    if (artifact) return { ok: true, value: artifact };
    return { ok: false, message: `${at}.artifact is ${JSON.stringify(raw.artifact)}; set {"type": "directory", "reference": "<path>"} (type and reference are required)` };
  }
  for (const ancestor of ancestorsOf(stage, stages)) {
    const details = ancestor.outputs.deploymentDetails;
    if (!Array.isArray(details)) continue;
    for (const detail of details) {
      if (!isObject(detail)) continue;
      const region = text(detail.region);
      const artifact = artifactFrom(detail.artifact);
      if (artifact && (region === undefined || region === location)) return { ok: true, value: artifact };
    }
  }
  // The target runs what the entry's own fields name (amiName...) and says so itself when they name nothing.
  if (options.optional) return { ok: true, value: undefined };
  return {
    ok: false,
    message: `${at} has no artifact to deploy in ${location}; set artifact, e.g. {"type": "directory", "reference": "examples/service"}, or run a bake or findImage stage before this one`,
  };
}

/** The strategy request of one cluster entry, with expressions evaluated; custom needs the parent ids. */
export function strategyRequestOf(
  config: DeployClusterConfig,
  settings: ClusterSettings,
  parent: { readonly executionId: string; readonly stageId: string },
): StrategyRequest | { readonly unsupported: string } {
  const strategy = config.strategy;
  if (strategy === 'canary') return { unsupported: 'canary' };
  if (strategy === 'custom') {
    return {
      strategy: 'custom',
      application: settings.application,
      strategyApplication: config.strategyApplication ?? settings.application,
      strategyPipeline: config.strategyPipeline ?? '',
      pipelineParameters: config.pipelineParameters,
      parentPipelineId: parent.executionId,
      parentStageId: parent.stageId,
    };
  }
  const seconds = (value: unknown) => numberFrom(value);
  const delayBeforeDisableSec = seconds(config.delayBeforeDisableSec);
  const delayBeforeCleanup = seconds(config.delayBeforeCleanup);
  const delayBeforeScaleDownSec = seconds(config.delayBeforeScaleDownSec);
  return {
    strategy,
    capacity: settings.capacity,
    ...(settings.targetHealthyDeployPercentage !== undefined ? { targetHealthyDeployPercentage: settings.targetHealthyDeployPercentage } : {}),
    ...(config.maxRemainingAsgs !== undefined ? { maxRemainingAsgs: config.maxRemainingAsgs } : {}),
    scaleDown: config.scaleDown,
    ...(delayBeforeDisableSec !== undefined ? { delayBeforeDisableSec } : {}),
    ...(delayBeforeCleanup !== undefined ? { delayBeforeCleanup } : {}),
    ...(delayBeforeScaleDownSec !== undefined ? { delayBeforeScaleDownSec } : {}),
    allowDeleteActive: config.allowDeleteActive,
    allowScaleDownActive: config.allowScaleDownActive,
    targetPercentages: config.targetPercentages,
    ...(config.pipelineBeforeCleanup ? { pipelineBeforeCleanup: config.pipelineBeforeCleanup } : {}),
  };
}
