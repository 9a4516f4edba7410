/**
 * The world a pipeline assumes, read from its JSON: which accounts it deploys to and on which
 * cloud, and the cloud resources its stages name without creating (AMIs, subnets of a
 * `subnetType`, security groups, target groups, ECS clusters, IAM roles, Lambda functions), the
 * artifacts its deploys read through artifact accounts, and the images they take from a trigger.
 * `gennaker run --sandbox` seeds exactly these into the simulated clouds before the run, and
 * reports them, so a production pipeline runs offline unchanged; anything else the pipeline
 * names stays unknown and fails as the cloud would fail it.
 */

import { LAMBDA_DEPLOYMENT_TYPES } from '../../core/pipeline/stage-types/lambda-deployment.ts';
import { LAMBDA_TRAFFIC_ROUTING_TYPES } from '../../core/pipeline/stage-types/lambda-traffic-routing.ts';
import { LAMBDA_UPDATE_CODE_TYPES } from '../../core/pipeline/stage-types/lambda-update-code.ts';
import { qualifiedFunctionName } from '../../core/stages/lambda-common.ts';

/** The cloud a stage deploys to, as the sandbox serves it. */
export type SandboxCloud = 'aws' | 'ecs' | 'lambda';

/** An account a pipeline names, with its cloud and the regions it uses. */
export interface AssumedAccount {
  readonly name: string;
  readonly cloud: SandboxCloud;
  readonly regions: readonly string[];
}

/** Target groups a deploy names (by name), with the container port when ECS says. */
export interface AssumedTargetGroup {
  readonly name: string;
  readonly port?: number;
  readonly targetType: 'instance' | 'ip';
}

/** One region's resources. */
export interface AssumedRegion {
  readonly region: string;
  /** AMI ids (`ami-…`) or names the stages use. */
  readonly images: Set<string>;
  /** `subnetType` (purpose) → availability zones. */
  readonly subnets: Map<string, Set<string>>;
  /** Security group names or ids (`sg-…`). */
  readonly securityGroups: Set<string>;
  readonly targetGroups: Map<string, AssumedTargetGroup>;
  readonly ecsClusters: Set<string>;
  /**
   * Listener rules ECS blue/green shifts (an ecs-native entry's productionListenerRule and
   * testListenerRule), by ARN: the production and the alternate target group they forward to.
   */
  readonly listenerRules: Map<string, { readonly production: string; readonly alternate: string }>;
  readonly iamRoles: Set<string>;
  /** S3 objects Lambda stages deploy code from (`s3bucket`/`s3key`), as `bucket/key`. */
  readonly codeObjects: Set<string>;
}

/** A CodeBuild project an awsCodeBuild stage builds; without a region, in each of its account's regions. */
export interface AssumedBuildProject {
  readonly account: string;
  readonly region?: string;
  readonly projectName: string;
}

/**
 * A cluster a replacing strategy (red/black, rolling red/black, highlander) deploys to: the
 * strategy assumes a server group serves it already, so the sandbox starts one (`-v000`, the
 * entry's own fields and capacity) before the run, and the run shows the whole replacement.
 */
export interface AssumedServingGroup {
  readonly account: string;
  readonly cloud: SandboxCloud;
  readonly region: string;
  readonly application: string;
  readonly stack?: string;
  readonly detail?: string;
  readonly capacity: { readonly min: number; readonly max: number; readonly desired: number };
  /** The cluster entry as the pipeline writes it: the provider fields the server group is made from. */
  readonly entry: Readonly<Record<string, unknown>>;
  /** The pipeline's name and expected artifacts, which the entry's artifact ids refer to. */
  readonly pipeline: { readonly name: string; readonly expectedArtifacts: readonly Readonly<Record<string, unknown>>[] };
}

/**
 * A task-definition artifact an ECS deploy reads through an artifact account (the default artifact
 * of the expected artifact its `taskDefinitionArtifact.artifactId` names, or an artifact written
 * inline with an account): the sandbox serves it from a store it seeds with a task definition
 * made from the cluster entry.
 */
export interface AssumedArtifact {
  readonly artifactAccount: string;
  readonly type: string;
  readonly reference: string;
  readonly name?: string;
  readonly version?: string;
  /** The cluster entry that reads it: what the task definition must agree with. */
  readonly entry: Readonly<Record<string, unknown>>;
}

/**
 * A function whose alias a traffic-routing stage moves (a weighted or blue/green rollout): the
 * rollout assumes a live version behind the alias, so the sandbox creates the function with the
 * deploy stage's settings, publishes version 1 and points the alias at it before the run.
 */
export interface AssumedLiveFunction {
  readonly account: string;
  readonly region: string;
  /** As the stages name it (`<application>-<functionName>`). */
  readonly functionName: string;
  readonly alias: string;
  /** The deploy stage's settings: `runtime`, `handler`, `role`... */
  readonly settings: Readonly<Record<string, unknown>>;
}

/** The shape of AWS's region names (`us-west-2`, `ap-southeast-5`, `us-gov-east-1`). */
const AWS_REGION = /^(us|us-gov|af|ap|ca|cn|eu|il|me|mx|sa)-(north|south|east|west|central|northeast|northwest|southeast|southwest)-\d{1,2}$/;

/** Strategies that replace a serving server group. */
const REPLACING_STRATEGIES = new Set(['redblack', 'rollingredblack', 'highlander']);

/** A cluster a deploy stage deploys to, in one region. */
export interface AssumedCluster {
  readonly account: string;
  readonly cloud: SandboxCloud;
  readonly region: string;
  readonly application: string;
  readonly stack?: string;
  readonly detail?: string;
}

export interface AssumedWorld {
  readonly accounts: readonly AssumedAccount[];
  /** Every cluster the deploy stages deploy to (one per account, region and name). */
  readonly clusters: readonly AssumedCluster[];
  readonly serving: readonly AssumedServingGroup[];
  readonly liveFunctions: readonly AssumedLiveFunction[];
  readonly regions: ReadonlyMap<string, AssumedRegion>;
  /** Artifacts deploys read through artifact accounts. */
  readonly artifacts: readonly AssumedArtifact[];
  /**
   * Images deploys take from their docker trigger (`imageDescription.fromTrigger` without a tag),
   * as `<registry>/<repository>`: a manual run has no trigger image, so the sandbox supplies one.
   */
  readonly triggerImages: readonly string[];
  /** The CodeBuild projects awsCodeBuild stages build. @default none */
  readonly buildProjects?: readonly AssumedBuildProject[];
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' && !value.includes('${') ? value.trim() : undefined);
const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(text).filter((entry): entry is string => entry !== undefined) : []);

/** Values such as `None (No IAM role)` are Deck's placeholders for "not set". */
const placeholder = (value: string) => /^none\b/i.test(value);

/** The cloud of a cluster or stage: `provider`/`cloudProvider` as Spinnaker writes them. */
export function cloudOf(entry: Record<string, unknown>): SandboxCloud | undefined {
  const provider = text(entry['cloudProvider']) ?? text(entry['provider']);
  if (provider === 'aws' || provider === 'ecs' || provider === 'lambda') return provider;
  return undefined;
}

/** The regions a cluster deploys to: `availabilityZones` keys, else `region`/`regions`. */
function regionsOf(entry: Record<string, unknown>): string[] {
  const zones = entry['availabilityZones'];
  if (isObject(zones) && Object.keys(zones).length > 0) return Object.keys(zones);
  const region = text(entry['region']);
  if (region) return [region];
  return strings(entry['regions']);
}

function zonesOf(entry: Record<string, unknown>, region: string): string[] {
  const zones = entry['availabilityZones'];
  const listed = isObject(zones) ? strings(zones[region]) : [];
  return listed.length > 0 ? listed : [`${region}a`, `${region}b`];
}

/** `${parameters.name}`, `${parameters['name']}` or `${parameters["name"]}`: a value a run knows before it starts. */
const PARAMETER = /\$\{\s*parameters(?:\.([A-Za-z_][\w-]*)|\[\s*(?:'([^']*)'|"([^"]*)")\s*\])\s*\}/g;

/**
 * The pipeline with every parameter reference replaced by its value: the run's, else the
 * parameter's default. Other expressions stay, and values holding them are not seeded.
 */
export function withParameters(pipeline: unknown, given: Readonly<Record<string, string>>): unknown {
  const values: Record<string, string> = {};
  const configs = isObject(pipeline) && Array.isArray(pipeline['parameterConfig']) ? pipeline['parameterConfig'] : [];
  for (const config of configs) {
    if (isObject(config) && typeof config['name'] === 'string' && config['default'] !== undefined && config['default'] !== null) values[config['name']] = String(config['default']);
  }
  Object.assign(values, given);
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') {
      return value.replace(PARAMETER, (whole, dotted: string | undefined, single: string | undefined, double: string | undefined) => values[dotted ?? single ?? double ?? ''] ?? whole);
    }
    if (Array.isArray(value)) return value.map(walk);
    if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, walk(entry)]));
    return value;
  };
  return walk(pipeline);
}

/** Spinnaker's Lambda stage types (Deck's `Aws.Lambda…Stage` and Orca's `lambda…`). */
const oneOf = (types: readonly string[]) => (type: unknown) => typeof type === 'string' && types.includes(type);
const isLambdaStage = oneOf([...LAMBDA_DEPLOYMENT_TYPES, ...LAMBDA_UPDATE_CODE_TYPES]);
const isTrafficRoutingStage = oneOf(LAMBDA_TRAFFIC_ROUTING_TYPES);
const isDeploymentStage = oneOf(LAMBDA_DEPLOYMENT_TYPES);

/**
 * The resources every stage of these pipelines assumes, by region, and the accounts they name;
 * `parameters` are the run's (`--param`), over each pipeline's defaults.
 */
export function assumedWorld(pipelines: readonly unknown[], parameters: Readonly<Record<string, string>> = {}): AssumedWorld {
  const accounts = new Map<string, { cloud: SandboxCloud; regions: Set<string> }>();
  const regions = new Map<string, AssumedRegion>();
  const regionNamed = (region: string): AssumedRegion => {
    let found = regions.get(region);
    if (!found) {
      found = { region, images: new Set(), subnets: new Map(), securityGroups: new Set(), targetGroups: new Map(), ecsClusters: new Set(), listenerRules: new Map(), iamRoles: new Set(), codeObjects: new Set() };
      regions.set(region, found);
    }
    return found;
  };
  const account = (name: string | undefined, cloud: SandboxCloud, inRegions: readonly string[]) => {
    if (!name) return;
    const entry = accounts.get(name) ?? { cloud, regions: new Set<string>() };
    // A name that is no AWS region stays out of the account, so its deploy fails as it would on AWS.
    for (const region of inRegions) if (AWS_REGION.test(region)) entry.regions.add(region);
    accounts.set(name, entry);
  };

  const serving: AssumedServingGroup[] = [];
  const liveFunctions: AssumedLiveFunction[] = [];
  const deployed: AssumedCluster[] = [];
  const artifacts: AssumedArtifact[] = [];
  const triggerImages = new Set<string>();
  const buildProjects: AssumedBuildProject[] = [];
  let expectedArtifacts: Record<string, unknown>[] = [];
  let pipelineName = '';
  const cluster = (entry: Record<string, unknown>, deploys: boolean) => {
    const cloud = cloudOf(entry);
    if (!cloud || cloud === 'lambda') return;
    const inRegions = regionsOf(entry);
    const accountName = text(entry['account']) ?? text(entry['credentials']);
    account(accountName, cloud, inRegions);
    const application = text(entry['application']) ?? (isObject(entry['moniker']) ? text(entry['moniker']['app']) : undefined);
    const strategy = text(entry['strategy']);
    const stack = text(entry['stack']);
    const detail = text(entry['freeFormDetails']);
    if (deploys && accountName && application) {
      for (const region of inRegions) deployed.push({ account: accountName, cloud, region, application, ...(stack ? { stack } : {}), ...(detail ? { detail } : {}) });
    }
    // ECS blue/green replaces the revision serving the service, whatever the deploy's strategy says.
    const native = cloud === 'ecs' && entry['deploymentMode'] === 'ecs-native' && isObject(entry['ecsNativeDeployment']) ? entry['ecsNativeDeployment'] : undefined;
    if (deploys && accountName && application && ((strategy && REPLACING_STRATEGIES.has(strategy)) || native)) {
      const capacity = capacityOf(entry['capacity']);
      for (const region of inRegions) {
        serving.push({ account: accountName, cloud, region, application, ...(stack ? { stack } : {}), ...(detail ? { detail } : {}), capacity, entry, pipeline: { name: pipelineName, expectedArtifacts } });
      }
    }
    if (cloud === 'ecs') ecsArtifacts(entry);
    for (const region of inRegions) {
      const world = regionNamed(region);
      const subnetType = text(entry['subnetType']);
      if (subnetType) {
        const zones = world.subnets.get(subnetType) ?? new Set<string>();
        for (const zone of zonesOf(entry, region)) zones.add(zone);
        world.subnets.set(subnetType, zones);
      }
      for (const group of [...strings(entry['securityGroups']), ...strings(entry['securityGroupNames'])]) world.securityGroups.add(group);
      const iamRole = text(entry['iamRole']);
      if (iamRole && !placeholder(iamRole)) world.iamRoles.add(iamRole);
      if (cloud === 'aws') {
        const image = text(entry['amiName']) ?? text(entry['imageId']);
        if (image) world.images.add(image);
        for (const name of strings(entry['targetGroups'])) world.targetGroups.set(name, { name, targetType: 'instance' });
      } else {
        const ecsCluster = text(entry['ecsClusterName']);
        if (ecsCluster) world.ecsClusters.add(ecsCluster);
        const port = typeof entry['containerPort'] === 'number' ? entry['containerPort'] : undefined;
        const legacy = text(entry['targetGroup']);
        if (legacy) world.targetGroups.set(legacy, { name: legacy, targetType: 'ip', ...(port !== undefined ? { port } : {}) });
        for (const mapping of Array.isArray(entry['targetGroupMappings']) ? entry['targetGroupMappings'] : []) {
          if (!isObject(mapping)) continue;
          const name = text(mapping['targetGroup']);
          const mappedPort = typeof mapping['containerPort'] === 'number' ? mapping['containerPort'] : port;
          if (name) world.targetGroups.set(name, { name, targetType: 'ip', ...(mappedPort !== undefined ? { port: mappedPort } : {}) });
        }
        const mappings = Array.isArray(entry['targetGroupMappings']) ? entry['targetGroupMappings'].filter(isObject) : [];
        const production = world.targetGroups.get(text(mappings[0]?.['targetGroup']) ?? '');
        const alternate = native ? text(native['alternateTargetGroup']) : undefined;
        if (native && production && alternate) {
          world.targetGroups.set(alternate, { ...production, name: alternate });
          for (const rule of [text(native['productionListenerRule']), text(native['testListenerRule'])]) if (rule) world.listenerRules.set(rule, { production: production.name, alternate });
        }
      }
    }
  };

  /** What an ECS entry reads besides the cloud: its task-definition artifact and trigger images. */
  const ecsArtifacts = (entry: Record<string, unknown>) => {
    const usesArtifact = entry['useTaskDefinitionArtifact'] === true || entry['useTaskDefinitionArtifact'] === 'true';
    const descriptions = usesArtifact
      ? (Array.isArray(entry['containerMappings']) ? entry['containerMappings'] : []).map((mapping) => (isObject(mapping) ? mapping['imageDescription'] : undefined))
      : text(entry['dockerImageAddress']) === undefined
        ? [entry['imageDescription']]
        : [];
    for (const description of descriptions) {
      if (!isObject(description) || (description['fromTrigger'] !== true && description['fromTrigger'] !== 'true') || text(description['tag'])) continue;
      const repository = text(description['repository']);
      const registry = text(description['registry']);
      if (repository) triggerImages.add(registry ? `${registry}/${repository}` : repository);
    }
    if (!usesArtifact || !isObject(entry['taskDefinitionArtifact'])) return;
    const given = entry['taskDefinitionArtifact'];
    const id = text(given['artifactId']);
    const expected = id === undefined ? undefined : expectedArtifacts.find((candidate) => candidate['id'] === id);
    // A manual run binds an expected artifact to its default only; one the trigger must bring stays unbound, as in Spinnaker.
    const artifact = expected !== undefined ? (expected['useDefaultArtifact'] === true && isObject(expected['defaultArtifact']) ? expected['defaultArtifact'] : undefined) : isObject(given['artifact']) ? given['artifact'] : undefined;
    if (artifact === undefined) return;
    const type = text(artifact['type']);
    const reference = text(artifact['reference']);
    const artifactAccount = text(artifact['artifactAccount']) ?? text(entry['taskDefinitionArtifactAccount']);
    if (!type || type === 'embedded/base64' || !reference || !artifactAccount) return;
    const name = text(artifact['name']);
    const version = text(artifact['version']);
    artifacts.push({ artifactAccount, type, reference, ...(name ? { name } : {}), ...(version ? { version } : {}), entry });
  };

  for (const given of pipelines) {
    const pipeline = withParameters(given, parameters);
    expectedArtifacts = isObject(pipeline) && Array.isArray(pipeline['expectedArtifacts']) ? pipeline['expectedArtifacts'].filter(isObject) : [];
    pipelineName = isObject(pipeline) ? (text(pipeline['name']) ?? '') : '';
    const stages = isObject(pipeline) && Array.isArray(pipeline['stages']) ? pipeline['stages'] : [];
    for (const stage of stages) {
      if (!isObject(stage)) continue;
      const deploys = stage['type'] === 'deploy';
      for (const entry of Array.isArray(stage['clusters']) ? stage['clusters'] : []) if (isObject(entry)) cluster(entry, deploys);
      if (isObject(stage['cluster'])) cluster(stage['cluster'], false);
      // Server-group and cluster stages name their account as `credentials` and their regions.
      const cloud = cloudOf(stage);
      if (cloud && !Array.isArray(stage['clusters'])) {
        account(text(stage['credentials']) ?? text(stage['account']), cloud, [...strings(stage['regions']), ...(text(stage['region']) ? [text(stage['region'])!] : [])]);
      }
      // A Lambda deploy names its code's S3 object; the function itself it creates when missing.
      const region = text(stage['region']);
      const application = isObject(pipeline) ? text(pipeline['application']) : undefined;
      const alias = text(stage['aliasName']);
      const functionName = text(stage['functionName']);
      const accountName = text(stage['account']) ?? text(stage['credentials']);
      if (isTrafficRoutingStage(stage['type']) && region && application && alias && functionName && accountName) {
        const qualified = qualifiedFunctionName(application, functionName);
        const deploy = stages.find((other) => isObject(other) && isDeploymentStage(other['type']) && text(other['functionName']) === functionName);
        if (!liveFunctions.some((live) => live.account === accountName && live.region === region && live.functionName === qualified)) {
          liveFunctions.push({ account: accountName, region, functionName: qualified, alias, settings: isObject(deploy) ? deploy : {} });
        }
      }
      // An awsCodeBuild stage builds a project of an aws account (in its region, else the account's first).
      const projectName = text(stage['projectName']);
      if (stage['type'] === 'awsCodeBuild' && accountName) {
        account(accountName, 'aws', region ? [region] : []);
        if (projectName && !buildProjects.some((known) => known.account === accountName && known.region === region && known.projectName === projectName)) {
          buildProjects.push({ account: accountName, ...(region ? { region } : {}), projectName });
        }
      }
      if (isLambdaStage(stage['type']) && region) {
        const bucket = text(stage['s3bucket']) ?? text(stage['s3Bucket']);
        const key = text(stage['s3key']) ?? text(stage['s3Key']);
        if (bucket && key) regionNamed(region).codeObjects.add(`${bucket}/${key}`);
      }
    }
  }
  return {
    accounts: [...accounts.entries()].map(([name, entry]) => ({ name, cloud: entry.cloud, regions: [...entry.regions] })).sort((a, b) => a.name.localeCompare(b.name)),
    clusters: deployed.filter((group, index) => deployed.findIndex((other) => sameCluster(other, group)) === index),
    regions,
    // One serving server group per cluster and region, however many stages deploy to it.
    serving: serving.filter((group, index) => serving.findIndex((other) => sameCluster(other, group)) === index),
    liveFunctions,
    // One document per artifact: the first entry that reads it says what it holds.
    artifacts: artifacts.filter((artifact, index) => artifacts.findIndex((other) => sameArtifact(other, artifact)) === index),
    triggerImages: [...triggerImages],
    buildProjects,
  };
}

function sameArtifact(a: AssumedArtifact, b: AssumedArtifact): boolean {
  return a.artifactAccount === b.artifactAccount && a.type === b.type && a.reference === b.reference && a.version === b.version;
}

function sameCluster(a: AssumedCluster, b: AssumedCluster): boolean {
  return a.account === b.account && a.region === b.region && a.application === b.application && a.stack === b.stack && a.detail === b.detail;
}

/** `capacity` as written (numbers or numeric strings); what is missing is 1. */
function capacityOf(value: unknown): AssumedServingGroup['capacity'] {
  const read = (key: string): number | undefined => {
    const raw = isObject(value) ? value[key] : undefined;
    const number = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : undefined;
    return number !== undefined && Number.isInteger(number) && number >= 0 ? number : undefined;
  };
  const desired = read('desired') ?? read('min') ?? 1;
  return { min: read('min') ?? desired, max: read('max') ?? Math.max(desired, 1), desired };
}
