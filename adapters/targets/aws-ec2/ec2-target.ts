/**
 * The `aws-ec2` deploy target: both ports of DESIGN.md §6 (core/ports/server-groups.ts,
 * core/ports/traffic.ts) on Auto Scaling groups, launch templates and ELBv2 target groups, making
 * the calls Spinnaker's clouddriver makes (`reference/cloud-targets.md` §2.2) through the real SDK
 * v3 clients the composition root builds. README.md beside this file lists the fields and calls.
 *
 * - A server group is an Auto Scaling group named with its Frigga name, launched from a launch
 *   template of the same name. The group carries clouddriver's tags plus `gennaker:owner` (the
 *   owner token): finding our own group is `already-done`, anyone else's is `already-exists`.
 * - Every input is resolved before the first side effect (image, target groups, security groups,
 *   subnets), so a bad field changes nothing; a refused CreateAutoScalingGroup deletes the launch
 *   template it was given.
 * - Traffic is Spinnaker's: disable suspends Launch, Terminate and AddToLoadBalancer and
 *   deregisters the running instances from the group's target groups (they drain for the target
 *   group's deregistration delay; describe shows `draining`); enable resumes them and registers the
 *   instances. *Disabled* means AddToLoadBalancer is suspended. A partial disable deregisters a
 *   share of the instances and suspends nothing, as clouddriver does with `desiredPercentage`
 *   (in weighted mode, after handing an explicit weight of the group to the shared target groups).
 * - Weighted mode (opt-in: `weightedTraffic` here and on the cluster, see config.ts) gives each
 *   server group a target group of its own and splits the listener's forward action by weight.
 * - A create with `source` (cloneServerGroup, clouddriver's CopyLastAsgAtomicOperation) reads the
 *   source group and its launch template version and makes the new group from them, as provider
 *   fields: instance type, image, key pair, instance profile, security groups, user data,
 *   monitoring, IMDS, subnets, target groups, health check settings, cooldown, termination
 *   policies and user tags (a new launch template of the clone's name holds the copied data).
 *   Suspended processes are not copied. Each provider field the request sets wins; an artifact
 *   replaces the image.
 * - Operations start and return; AWS errors become port failures (aws-errors.ts), throttling and
 *   5xx `unavailable` once the SDK's own retries are spent.
 */
import { createHash } from 'node:crypto';
import {
  CreateAutoScalingGroupCommand,
  DeleteAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  ResumeProcessesCommand,
  SuspendProcessesCommand,
  UpdateAutoScalingGroupCommand,
  type AutoScalingClient,
  type AutoScalingGroup,
  type Tag as AsgTag,
} from '@aws-sdk/client-auto-scaling';
import {
  CreateLaunchTemplateCommand,
  DeleteLaunchTemplateCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  TerminateInstancesCommand,
  type EC2Client,
  type _InstanceType,
  type Image as AwsImage,
  type Instance as Ec2Instance,
  type RequestLaunchTemplateData,
  type Subnet,
} from '@aws-sdk/client-ec2';
import {
  DeregisterTargetsCommand,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ModifyListenerCommand,
  ModifyRuleCommand,
  RegisterTargetsCommand,
  type Action,
  type ElasticLoadBalancingV2Client,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { parseServerGroupName } from '../../../core/deploy/names.ts';
import type { Clock } from '../../../core/ports/clock.ts';
import type { ClusterCheckRequest, ClusterFieldIssue } from '../../../core/ports/cluster-checks.ts';
import type {
  ArtifactReference,
  Capacity,
  ClusterCheckResult,
  ClusterRef,
  CreateServerGroupRequest,
  DescribeResult,
  InstanceDescription,
  OperationResult,
  OwnerToken,
  PortFailure,
  PortFailureReason,
  ServerGroupDescription,
  ServerGroupPort,
  ServerGroupRef,
} from '../../../core/ports/server-groups.ts';
import type { Target } from '../../../core/ports/target.ts';
import type { DisableOptions, TrafficCapabilities, TrafficPort, TrafficWeights, VerifyWeightsResult } from '../../../core/ports/traffic.ts';
import { awsFailure, Ec2PortFailure, fail } from './aws-errors.ts';
import { MAX_TARGET_GROUPS_PER_FORWARD, parseEc2ClusterConfig, problem, RESERVED_TAG_PREFIX, shown, type Ec2ClusterConfig, type WeightedTrafficConfig } from './config.ts';
import { combinedTargetGroupHealth, instanceHealth, platformHealth, targetGroupHealth, type HealthState } from './health.ts';

/** The SDK clients of one account and region, built by the composition root (only `send` is used). */
export interface Ec2TargetClients {
  readonly ec2: Pick<EC2Client, 'send'>;
  readonly autoScaling: Pick<AutoScalingClient, 'send'>;
  readonly elbv2: Pick<ElasticLoadBalancingV2Client, 'send'>;
}

export interface Ec2TargetOptions {
  /** The account's name as pipelines write it (`prod`). */
  readonly account: string;
  /** The region the clients talk to; the target serves this location only. */
  readonly region: string;
  readonly clients: Ec2TargetClients;
  /** Read only when AWS leaves a time out of an answer. @default the system clock */
  readonly clock?: Clock;
  /**
   * Weighted mode for this account: `setWeights` and `verifyWeights` work on clusters whose
   * deploy sets `weightedTraffic` (config.ts), and the capabilities say so. @default false
   */
  readonly weightedTraffic?: boolean;
}

/** The artifact type of an AMI (Rosco's bake output): `reference` is the AMI id or name. */
export const AWS_IMAGE_ARTIFACT = 'aws/image';

/** Tags this target writes on an Auto Scaling group (clouddriver's own are written too). */
export const EC2_TAGS = {
  owner: 'gennaker:owner',
  imageId: 'gennaker:image-id',
  imageName: 'gennaker:image-name',
  weightedListener: 'gennaker:weighted-listener',
  weightedRule: 'gennaker:weighted-rule',
  weightedTargetGroup: 'gennaker:weighted-target-group',
} as const;

/** What Spinnaker suspends to disable a group and resumes to enable it (AutoScalingProcessType.getDisableProcesses). */
const DISABLE_PROCESSES = ['Launch', 'Terminate', 'AddToLoadBalancer'] as const;

const DONE: OperationResult = { ok: true, outcome: 'done' };
const ALREADY_DONE: OperationResult = { ok: true, outcome: 'already-done' };

/** The tag value of an owner token (tag values hold 256 characters; longer tokens are hashed). */
export function ownerTagValue(owner: OwnerToken): string {
  return owner.length <= 256 ? owner : `sha256:${createHash('sha256').update(owner).digest('hex')}`;
}

/** CreateLaunchTemplate's ClientToken (at most 64 characters): the same step asks the same. */
export function launchTemplateClientToken(owner: OwnerToken, name: string): string {
  return createHash('sha256').update(`${owner}\n${name}`).digest('hex');
}

function capacityProblem(capacity: Capacity): string | undefined {
  const { min, max, desired } = capacity;
  if (![min, max, desired].every((n) => Number.isInteger(n) && n >= 0)) return `capacity ${JSON.stringify(capacity)} must hold whole numbers >= 0`;
  if (!(min <= desired && desired <= max)) return `capacity ${JSON.stringify(capacity)} must satisfy min <= desired <= max`;
  return undefined;
}

/** Weights without zero entries, sorted: two maps route alike when these are equal. */
function normalized(weights: TrafficWeights): string {
  return JSON.stringify(
    Object.entries(weights)
      .filter(([, weight]) => weight !== 0)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

/** Splits `total` over `keys` in proportion to `shares`, whole numbers summing to `total` (largest remainder). */
export function apportion(total: number, shares: ReadonlyMap<string, number>): Map<string, number> {
  const sum = [...shares.values()].reduce((a, b) => a + b, 0);
  const result = new Map<string, number>();
  if (sum <= 0 || shares.size === 0) return result;
  const exact = [...shares].map(([key, share]) => ({ key, value: (total * share) / sum }));
  for (const { key, value } of exact) result.set(key, Math.floor(value));
  let left = total - [...result.values()].reduce((a, b) => a + b, 0);
  for (const { key } of [...exact].sort((a, b) => b.value - Math.floor(b.value) - (a.value - Math.floor(a.value)) || a.key.localeCompare(b.key))) {
    if (left <= 0) break;
    result.set(key, (result.get(key) ?? 0) + 1);
    left -= 1;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// What one read of a group gives

interface TargetState {
  readonly targetGroupArn: string;
  readonly state: string | undefined;
}

interface InstanceView {
  readonly id: string;
  readonly lifecycle: string;
  readonly healthStatus: string | undefined;
  readonly ec2?: Ec2Instance;
  /** Its target in each of the group's target groups it is registered in. */
  readonly targets: readonly TargetState[];
}

interface GroupView {
  readonly asg: AutoScalingGroup;
  readonly name: string;
  readonly tags: ReadonlyMap<string, string>;
  readonly suspended: ReadonlySet<string>;
  readonly targetGroupArns: readonly string[];
  /** ForceDelete in progress (`Status: "Delete in progress"`). */
  readonly deleting: boolean;
  readonly instances: readonly InstanceView[];
}

/** The weighted-mode settings a group carries in its tags. */
interface WeightedTags {
  readonly listenerArn: string;
  readonly ruleArn?: string;
  readonly ownTargetGroupArn: string;
}

/** A forward action read back: target group ARN → weight, in order. */
interface Forward {
  readonly entries: ReadonlyMap<string, number>;
  readonly actions: readonly Action[];
  /** Index of the forward action in `actions`; -1 when there is none. */
  readonly index: number;
}

const isRunning = (lifecycle: string) => lifecycle === 'InService' || lifecycle.startsWith('Pending');
const inTraffic = (target: TargetState) => target.state !== 'draining' && target.state !== 'unused';

function weightedTagsOf(group: GroupView): WeightedTags | undefined {
  const listenerArn = group.tags.get(EC2_TAGS.weightedListener);
  const ownTargetGroupArn = group.tags.get(EC2_TAGS.weightedTargetGroup);
  if (!listenerArn || !ownTargetGroupArn) return undefined;
  const ruleArn = group.tags.get(EC2_TAGS.weightedRule);
  return { listenerArn, ownTargetGroupArn, ...(ruleArn ? { ruleArn } : {}) };
}

/** The forward action's key: a listener's default action, or one rule. */
const routerKey = (weighted: Pick<WeightedTags, 'listenerArn' | 'ruleArn'>) => weighted.ruleArn ?? weighted.listenerArn;

/** The value at a path of an entry, for an issue. */
function valueAtPath(input: unknown, path: readonly (string | number)[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}

/** Creates the EC2 target of one account and region. */
export function createEc2Target(options: Ec2TargetOptions): Target {
  const { account, region, clients } = options;
  const clock = options.clock ?? { now: () => Date.now() };
  const weightedMode = options.weightedTraffic ?? false;
  /** Who destroyed what, for a destroy asked again once the group is gone (this process only). */
  const destroyedBy = new Map<string, OwnerToken>();

  // -------------------------------------------------------------------------------------------
  // Calls

  /** One AWS call; its error becomes an Ec2PortFailure naming `what`. */
  async function aws<T>(what: string, call: () => Promise<T>, override?: (code: string, reason: PortFailureReason) => PortFailureReason | undefined): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof Ec2PortFailure) throw error;
      throw new Ec2PortFailure(awsFailure(error, what, override));
    }
  }

  /** Runs a port operation: failures thrown on the way are answered as values. */
  async function answer<R>(run: () => Promise<R>): Promise<R | PortFailure> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof Ec2PortFailure) return error.failure;
      throw error;
    }
  }

  /** Runs a side effect only when it carries the owner token that makes a repeat of it idempotent. */
  function owned<R>(owner: unknown, run: () => Promise<R>): Promise<R | PortFailure> {
    if (typeof owner !== 'string' || owner.trim() === '') {
      return Promise.resolve({ ok: false, reason: 'invalid', message: `owner is ${JSON.stringify(owner)}; every side effect carries the owner token of the step that asks for it` });
    }
    return answer(run);
  }

  function checkLocation(location: string, accountName: string): void {
    if (accountName !== account) fail('invalid', `account '${accountName}' is not served by the EC2 target of account '${account}'`);
    if (location !== region) fail('invalid', `region '${location}' is not served by account '${account}''s EC2 target for ${region}; add the region to the account`);
  }

  // -------------------------------------------------------------------------------------------
  // Reads

  async function getGroup(name: string): Promise<AutoScalingGroup | undefined> {
    const described = await aws(`describing Auto Scaling group ${name}`, () => clients.autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] })));
    return described.AutoScalingGroups?.find((group) => group.AutoScalingGroupName === name);
  }

  /** Every Auto Scaling group of the cluster (Frigga's cluster of its name), all pages. */
  async function listCluster(cluster: string): Promise<AutoScalingGroup[]> {
    const found: AutoScalingGroup[] = [];
    let token: string | undefined;
    do {
      const page = await aws(`listing the Auto Scaling groups of cluster '${cluster}'`, () =>
        clients.autoScaling.send(new DescribeAutoScalingGroupsCommand({ MaxRecords: 100, ...(token ? { NextToken: token } : {}) })),
      );
      for (const group of page.AutoScalingGroups ?? []) {
        const name = group.AutoScalingGroupName ?? '';
        if (parseServerGroupName(name)?.cluster === cluster) found.push(group);
      }
      token = page.NextToken;
    } while (token);
    return found;
  }

  /** EC2's view of the groups' instances (clouddriver's fallback lookup by the ASG's instance tag), all pages. */
  async function ec2Instances(groupNames: readonly string[]): Promise<Map<string, Ec2Instance>> {
    const byId = new Map<string, Ec2Instance>();
    for (let start = 0; start < groupNames.length; start += 200) {
      const names = groupNames.slice(start, start + 200);
      let token: string | undefined;
      do {
        const page = await aws('describing the instances', () =>
          clients.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:aws:autoscaling:groupName', Values: [...names] }], ...(token ? { NextToken: token } : {}) })),
        );
        for (const reservation of page.Reservations ?? []) for (const instance of reservation.Instances ?? []) if (instance.InstanceId) byId.set(instance.InstanceId, instance);
        token = page.NextToken;
      } while (token);
    }
    return byId;
  }

  /** DescribeTargetHealth of each target group; a target group deleted meanwhile reads as empty. */
  async function targetHealth(arns: readonly string[]): Promise<Map<string, TargetHealthDescription[]>> {
    const health = new Map<string, TargetHealthDescription[]>();
    for (const arn of new Set(arns)) {
      const described = await aws(`reading the target health of ${arn}`, () => clients.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn })), (code, reason) =>
        code === 'TargetGroupNotFound' || code === 'TargetGroupNotFoundException' ? 'not-found' : reason,
      ).catch((error: unknown) => {
        if (error instanceof Ec2PortFailure && error.failure.reason === 'not-found') return { TargetHealthDescriptions: [] };
        throw error;
      });
      health.set(arn, described.TargetHealthDescriptions ?? []);
    }
    return health;
  }

  /** A group without its instances: names, tags, processes, target groups. */
  function lightView(asg: AutoScalingGroup): GroupView {
    return {
      asg,
      name: asg.AutoScalingGroupName ?? '',
      tags: new Map((asg.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? ''])),
      suspended: new Set((asg.SuspendedProcesses ?? []).map((process) => process.ProcessName ?? '')),
      targetGroupArns: asg.TargetGroupARNs ?? [],
      deleting: asg.Status !== undefined && asg.Status !== null && asg.Status !== '',
      instances: [],
    };
  }

  /** The groups with their instances, EC2 states and target registrations. */
  async function view(groups: readonly AutoScalingGroup[]): Promise<GroupView[]> {
    const withInstances = groups.filter((group) => (group.Instances ?? []).length > 0);
    const ec2 = withInstances.length > 0 ? await ec2Instances(withInstances.map((group) => group.AutoScalingGroupName ?? '')) : new Map<string, Ec2Instance>();
    const health = await targetHealth(groups.flatMap((group) => group.TargetGroupARNs ?? []));
    return groups.map((asg) => {
      const light = lightView(asg);
      const targetGroupArns = light.targetGroupArns;
      const instances = (asg.Instances ?? []).map((instance): InstanceView => {
        const id = instance.InstanceId ?? '';
        const targets: TargetState[] = [];
        for (const arn of targetGroupArns) {
          const target = health.get(arn)?.find((description) => description.Target?.Id === id);
          if (target) targets.push({ targetGroupArn: arn, state: target.TargetHealth?.State });
        }
        const described = ec2.get(id);
        return { id, lifecycle: instance.LifecycleState ?? '', healthStatus: instance.HealthStatus, ...(described ? { ec2: described } : {}), targets };
      });
      return { ...light, instances };
    });
  }

  async function viewOne(name: string): Promise<GroupView | undefined> {
    const group = await getGroup(name);
    if (!group) return undefined;
    return (await view([group]))[0];
  }

  /** The forward action of a listener's default actions or of one rule. */
  async function readForward(router: Pick<WeightedTags, 'listenerArn' | 'ruleArn'>): Promise<Forward> {
    let actions: Action[];
    if (router.ruleArn) {
      const rules = await aws(`reading listener rule ${router.ruleArn}`, () => clients.elbv2.send(new DescribeRulesCommand({ RuleArns: [router.ruleArn!] })));
      actions = rules.Rules?.[0]?.Actions ?? [];
    } else {
      const listeners = await aws(`reading listener ${router.listenerArn}`, () => clients.elbv2.send(new DescribeListenersCommand({ ListenerArns: [router.listenerArn] })));
      actions = listeners.Listeners?.[0]?.DefaultActions ?? [];
    }
    const index = actions.findIndex((action) => action.Type === 'forward');
    const entries = new Map<string, number>();
    const forward = actions[index];
    if (forward) {
      const groups = forward.ForwardConfig?.TargetGroups ?? [];
      if (groups.length > 0) for (const group of groups) entries.set(group.TargetGroupArn ?? '', group.Weight ?? 1);
      else if (forward.TargetGroupArn) entries.set(forward.TargetGroupArn, 1);
    }
    return { entries, actions, index };
  }

  /** Writes the forward action (other actions kept); answers whether it changed. */
  async function writeForward(router: Pick<WeightedTags, 'listenerArn' | 'ruleArn'>, current: Forward, entries: ReadonlyMap<string, number>): Promise<boolean> {
    const same = current.entries.size === entries.size && [...entries].every(([arn, weight]) => current.entries.get(arn) === weight);
    if (same) return false;
    const previous = current.index >= 0 ? current.actions[current.index] : undefined;
    const forward: Action = {
      Type: 'forward',
      ...(previous?.Order !== undefined ? { Order: previous.Order } : {}),
      ForwardConfig: {
        TargetGroups: [...entries].map(([arn, weight]) => ({ TargetGroupArn: arn, Weight: weight })),
        ...(previous?.ForwardConfig?.TargetGroupStickinessConfig ? { TargetGroupStickinessConfig: previous.ForwardConfig.TargetGroupStickinessConfig } : {}),
      },
    };
    const actions = current.index >= 0 ? current.actions.map((action, at) => (at === current.index ? forward : action)) : [...current.actions.filter((action) => action.Type !== 'fixed-response'), forward];
    if (router.ruleArn) {
      await aws(`setting the weights of listener rule ${router.ruleArn}`, () => clients.elbv2.send(new ModifyRuleCommand({ RuleArn: router.ruleArn!, Actions: actions })));
    } else {
      await aws(`setting the weights of listener ${router.listenerArn}`, () => clients.elbv2.send(new ModifyListenerCommand({ ListenerArn: router.listenerArn, DefaultActions: actions })));
    }
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // Describe

  function describeInstance(group: GroupView, instance: InstanceView): InstanceDescription {
    const platform = platformHealth(instance.lifecycle, instance.healthStatus, instance.ec2?.State?.Name);
    const serving = instance.targets.filter(inTraffic);
    const lb = combinedTargetGroupHealth(serving.map((target) => targetGroupHealth(target.state)));
    const draining = instance.targets.some((target) => target.state === 'draining');
    // Enabled, running and in none of its target groups: taken out by a partial disable.
    const out = !group.suspended.has('AddToLoadBalancer') && group.targetGroupArns.length > 0 && instance.lifecycle === 'InService' && serving.length === 0;
    const launched = instance.ec2?.LaunchTime?.getTime() ?? group.asg.CreatedTime?.getTime() ?? clock.now();
    return {
      id: instance.id,
      health: instanceHealth(platform, lb),
      ...(instance.ec2?.PrivateIpAddress ? { address: instance.ec2.PrivateIpAddress } : {}),
      launchedTime: launched,
      ...(out ? { outOfService: true } : {}),
      ...(draining ? { draining: true } : {}),
    };
  }

  function describeGroup(group: GroupView, trafficWeight?: number): ServerGroupDescription {
    const parsed = parseServerGroupName(group.name);
    const imageId = group.tags.get(EC2_TAGS.imageId);
    const imageName = group.tags.get(EC2_TAGS.imageName);
    const owner = group.tags.get(EC2_TAGS.owner);
    const instances = group.instances.map((instance) => describeInstance(group, instance));
    const template = group.asg.LaunchTemplate ?? group.asg.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
    const artifact: ArtifactReference | undefined = imageId ? { type: AWS_IMAGE_ARTIFACT, reference: imageId, ...(imageName ? { name: imageName } : {}) } : undefined;
    return {
      name: group.name,
      cluster: parsed?.cluster ?? group.name,
      account,
      location: region,
      createdTime: group.asg.CreatedTime?.getTime() ?? clock.now(),
      capacity: { min: group.asg.MinSize ?? 0, max: group.asg.MaxSize ?? 0, desired: group.asg.DesiredCapacity ?? 0 },
      disabled: group.suspended.has('AddToLoadBalancer'),
      ...(instances.some((instance) => instance.draining) ? { draining: true } : {}),
      instances,
      ...(trafficWeight !== undefined ? { trafficWeight } : {}),
      ...(artifact ? { artifact } : {}),
      ...(owner !== undefined ? { owner } : {}),
      launchConfig: {
        ...(template ? { launchTemplate: { id: template.LaunchTemplateId, name: template.LaunchTemplateName, version: template.Version } } : {}),
        ...(group.asg.LaunchConfigurationName ? { launchConfigurationName: group.asg.LaunchConfigurationName } : {}),
        targetGroupArns: [...group.targetGroupArns],
        // Clouddriver names them (`targetGroups`): the name is the ARN's `targetgroup/<name>/<id>`.
        targetGroups: group.targetGroupArns.map((arn) => /:targetgroup\/([^/]+)\//.exec(arn)?.[1] ?? arn),
        healthCheckType: group.asg.HealthCheckType,
        suspendedProcesses: [...group.suspended],
        ...(group.asg.VPCZoneIdentifier ? { subnets: group.asg.VPCZoneIdentifier.split(',') } : {}),
        availabilityZones: [...(group.asg.AvailabilityZones ?? [])],
        ...(group.deleting ? { status: group.asg.Status } : {}),
      },
    };
  }

  /**
   * Traffic weights of a cluster in weighted mode, when the forward action holds explicit weights
   * (no weight on the shared target groups): each group's share of the listener. Undefined in the
   * default split, where traffic follows instance counts as it does in Spinnaker's mode.
   */
  async function explicitShares(groups: readonly GroupView[]): Promise<Map<string, number> | undefined> {
    const weighted = groups.map((group) => ({ group, tags: weightedTagsOf(group) })).filter((entry): entry is { group: GroupView; tags: WeightedTags } => entry.tags !== undefined && !entry.group.deleting);
    if (weighted.length === 0) return undefined;
    const router = weighted[weighted.length - 1]!.tags;
    const forward = await readForward(router);
    const own = new Map(weighted.map(({ group, tags }) => [tags.ownTargetGroupArn, group]));
    const total = [...forward.entries.values()].reduce((a, b) => a + b, 0);
    const shared = [...forward.entries].filter(([arn]) => !own.has(arn)).reduce((sum, [, weight]) => sum + weight, 0);
    if (total === 0 || shared > 0) return undefined;
    const shares = new Map<string, number>();
    for (const group of groups) shares.set(group.name, 0);
    for (const [arn, weight] of forward.entries) {
      const group = own.get(arn);
      if (group && !group.suspended.has('AddToLoadBalancer')) shares.set(group.name, Math.round((100 * weight) / total));
    }
    return shares;
  }

  async function describeClusterNow(ref: ClusterRef): Promise<DescribeResult> {
    checkLocation(ref.location, ref.account);
    const groups = await view(await listCluster(ref.cluster));
    const shares = weightedMode ? await explicitShares(groups) : undefined;
    const serverGroups = groups.map((group) => describeGroup(group, shares?.get(group.name))).sort((a, b) => a.createdTime - b.createdTime || a.name.localeCompare(b.name));
    return { ok: true, cluster: { account: ref.account, location: ref.location, cluster: ref.cluster, serverGroups } };
  }

  // -------------------------------------------------------------------------------------------
  // Create

  /** The AMI to run: the `aws/image` artifact, else `amiName`/`imageId`; the newest of that name. */
  async function resolveImage(request: Pick<CreateServerGroupRequest, 'artifact' | 'provider'>, config: Ec2ClusterConfig): Promise<AwsImage> {
    const fromArtifact = request.artifact?.type === AWS_IMAGE_ARTIFACT;
    const wanted = fromArtifact ? request.artifact!.reference : config.image;
    if (wanted === undefined || wanted.trim() === '') {
      fail('invalid', problem('amiName', undefined, 'set the AMI to run (amiName, or an aws/image artifact), or run a bake or findImage stage before this deploy'));
    }
    const byId = /^ami-[0-9a-f]+$/.test(wanted);
    const fix = `no image of that ${byId ? 'id' : 'name'} exists in ${region}; bake it, share it with the account, or fix the ${byId ? 'id' : 'name'}`;
    // AWS answers an unknown id with InvalidAMIID.NotFound and an unknown name with no images: both are this one line.
    const field = request.provider?.['amiName'] !== undefined ? 'amiName' : 'imageId';
    const missing = (): never => fail('invalid', fromArtifact ? `artifact reference is ${shown(wanted)} (${request.artifact!.type}); ${fix}` : problem(field, wanted, fix));
    const images = await aws(`finding image ${wanted}`, () => clients.ec2.send(new DescribeImagesCommand(byId ? { ImageIds: [wanted] } : { Filters: [{ Name: 'name', Values: [wanted] }] }))).catch((error: unknown) => {
      if (error instanceof Ec2PortFailure && error.failure.reason === 'not-found') return missing();
      throw error;
    });
    const newest = [...(images.Images ?? [])].sort((a, b) => (b.CreationDate ?? '').localeCompare(a.CreationDate ?? ''))[0];
    if (!newest?.ImageId) return missing();
    return newest;
  }

  async function resolveTargetGroups(names: readonly string[], field: string): Promise<Map<string, string>> {
    const arns = new Map<string, string>();
    if (names.length === 0) return arns;
    const notFound = (code: string, reason: PortFailureReason) => (reason === 'not-found' || code.startsWith('TargetGroupNotFound') ? 'invalid' : reason);
    const described = await aws(`finding target groups ${names.join(', ')} (provider field ${field})`, () => clients.elbv2.send(new DescribeTargetGroupsCommand({ Names: [...names] })), notFound);
    for (const group of described.TargetGroups ?? []) if (group.TargetGroupName && group.TargetGroupArn) arns.set(group.TargetGroupName, group.TargetGroupArn);
    const missing = names.filter((name) => !arns.has(name));
    if (missing.length > 0) fail('invalid', problem(field, names, `Unable to find target groups named ${missing.join(', ')} in ${region}; create them or fix the names`));
    return arns;
  }

  async function resolveSecurityGroups(groups: readonly string[]): Promise<string[]> {
    const names = groups.filter((group) => !/^sg-[0-9a-f]+$/.test(group));
    if (names.length === 0) return [...groups];
    const described = await aws(`finding security groups ${names.join(', ')}`, () => clients.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: names }] })), (_code, reason) =>
      reason === 'not-found' ? 'invalid' : reason,
    );
    const ids = new Map((described.SecurityGroups ?? []).map((group) => [group.GroupName ?? '', group.GroupId ?? '']));
    const missing = names.filter((name) => !ids.get(name));
    if (missing.length > 0) fail('invalid', problem('securityGroups', groups, `no security group named ${missing.join(', ')} in ${region}; create it or use its id (sg-...)`));
    return groups.map((group) => ids.get(group) ?? group);
  }

  /** The purpose of a subnet from its `immutable_metadata` tag (clouddriver's SubnetData), and its target. */
  function subnetPurpose(subnet: Subnet): { purpose?: string; target?: string } {
    const tag = subnet.Tags?.find((candidate) => candidate.Key === 'immutable_metadata')?.Value;
    if (!tag) return {};
    try {
      const parsed = JSON.parse(tag) as { purpose?: unknown; target?: unknown };
      return { ...(typeof parsed.purpose === 'string' ? { purpose: parsed.purpose } : {}), ...(typeof parsed.target === 'string' ? { target: parsed.target } : {}) };
    } catch {
      return {};
    }
  }

  /** VPCZoneIdentifier's subnets, or none (the group then takes AvailabilityZones). */
  async function resolveSubnets(config: Ec2ClusterConfig): Promise<string[]> {
    if (config.subnetIds.length > 0) {
      const described = await aws(`finding subnets ${config.subnetIds.join(', ')} (provider field subnetIds)`, () => clients.ec2.send(new DescribeSubnetsCommand({ SubnetIds: [...config.subnetIds] })), (_code, reason) =>
        reason === 'not-found' ? 'invalid' : reason,
      );
      const found = new Set((described.Subnets ?? []).map((subnet) => subnet.SubnetId));
      const missing = config.subnetIds.filter((id) => !found.has(id));
      if (missing.length > 0) fail('invalid', problem('subnetIds', config.subnetIds, `subnets ${missing.join(', ')} do not exist in ${region}`));
      return [...config.subnetIds];
    }
    if (config.subnetType === undefined) {
      if (config.availabilityZones.length === 0) fail('invalid', problem('subnetType', undefined, `set subnetType (the subnets' purpose), subnetIds, or availabilityZones["${region}"]`));
      return [];
    }
    const subnets: Subnet[] = [];
    let token: string | undefined;
    do {
      const page = await aws('listing the subnets', () => clients.ec2.send(new DescribeSubnetsCommand(token ? { NextToken: token } : {})));
      subnets.push(...(page.Subnets ?? []));
      token = page.NextToken;
    } while (token);
    const zones = new Set(config.availabilityZones);
    const chosen = subnets.filter((subnet) => {
      const { purpose, target } = subnetPurpose(subnet);
      return purpose === config.subnetType && (target === undefined || target === 'ec2') && (zones.size === 0 || zones.has(subnet.AvailabilityZone ?? ''));
    });
    if (chosen.length === 0) {
      const where = zones.size > 0 ? ` in zones ${[...zones].join(', ')}` : ` in ${region}`;
      fail('invalid', problem('subnetType', config.subnetType, `No suitable subnet was found for internal subnet purpose '${config.subnetType}'${where}; tag subnets immutable_metadata {"purpose": "${config.subnetType}", "target": "ec2"} or set subnetIds`));
    }
    return chosen.map((subnet) => subnet.SubnetId ?? '').sort();
  }

  /** The pool target group a new weighted server group takes: free, and holding no weight if any is. */
  async function chooseOwnTargetGroup(request: CreateServerGroupRequest, weighted: WeightedTrafficConfig): Promise<string> {
    const pool = await resolveTargetGroups(weighted.targetGroups, 'weightedTraffic.targetGroups');
    const taken = new Map<string, string>();
    for (const group of await listCluster(request.cluster)) for (const arn of group.TargetGroupARNs ?? []) taken.set(arn, group.AutoScalingGroupName ?? '');
    const free = weighted.targetGroups.map((name) => pool.get(name)!).filter((arn) => !taken.has(arn));
    if (free.length === 0) {
      fail('failed', `every target group of weightedTraffic.targetGroups (${weighted.targetGroups.join(', ')}) is taken by a server group of cluster '${request.cluster}' (${[...new Set(taken.values())].join(', ')}); destroy an old server group or add a target group to the pool`);
    }
    const forward = await readForward(weighted);
    return free.find((arn) => (forward.entries.get(arn) ?? 0) === 0) ?? free[0]!;
  }

  function launchTemplateData(request: CreateServerGroupRequest, config: Ec2ClusterConfig, imageId: string, securityGroups: readonly string[]): RequestLaunchTemplateData {
    const application = parseServerGroupName(request.name)?.app ?? request.cluster;
    return {
      ImageId: imageId,
      InstanceType: config.instanceType as RequestLaunchTemplateData['InstanceType'],
      ...(config.keyPair ? { KeyName: config.keyPair } : {}),
      ...(config.iamRole ? { IamInstanceProfile: { Name: config.iamRole } } : {}),
      ...(config.instanceMonitoring !== undefined ? { Monitoring: { Enabled: config.instanceMonitoring } } : {}),
      ...(config.ebsOptimized !== undefined ? { EbsOptimized: config.ebsOptimized } : {}),
      ...(config.userData ? { UserData: config.userData } : {}),
      NetworkInterfaces: [{ DeviceIndex: 0, ...(securityGroups.length > 0 ? { Groups: [...securityGroups] } : {}), AssociatePublicIpAddress: config.associatePublicIpAddress ?? false, Ipv6AddressCount: 0 }],
      ...(config.requireIMDSv2 ? { MetadataOptions: { HttpTokens: 'required' } } : {}),
      // clouddriver's DefaultAmazonResourceTagger: the volumes say whose they are.
      TagSpecifications: [
        {
          ResourceType: 'volume',
          Tags: [
            { Key: 'spinnaker:application', Value: application },
            { Key: 'spinnaker:cluster', Value: request.cluster },
          ],
        },
      ],
    };
  }

  /** The launch template for the group: created with a ClientToken, or found again when the same step made it. */
  async function launchTemplate(request: CreateServerGroupRequest, data: RequestLaunchTemplateData): Promise<{ id: string; version: string }> {
    const ownerValue = ownerTagValue(request.owner);
    try {
      const created = await clients.ec2.send(
        new CreateLaunchTemplateCommand({
          LaunchTemplateName: request.name,
          ClientToken: launchTemplateClientToken(request.owner, request.name),
          LaunchTemplateData: data,
          TagSpecifications: [{ ResourceType: 'launch-template', Tags: [{ Key: EC2_TAGS.owner, Value: ownerValue }] }],
        }),
      );
      const template = created.LaunchTemplate;
      if (!template?.LaunchTemplateId) fail('failed', `creating launch template ${request.name} failed: AWS answered without a launch template id`);
      return { id: template.LaunchTemplateId, version: String(template.LatestVersionNumber ?? 1) };
    } catch (error) {
      if (error instanceof Ec2PortFailure) throw error;
      const failure = awsFailure(error, `creating launch template ${request.name}`);
      if (failure.reason !== 'already-exists') throw new Ec2PortFailure(failure);
      // Made by the same step (another delivery of it), or by someone else.
      const found = await aws(`describing launch template ${request.name}`, () => clients.ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: [request.name] })));
      const template = found.LaunchTemplates?.[0];
      const owner = template?.Tags?.find((tag) => tag.Key === EC2_TAGS.owner)?.Value;
      if (!template?.LaunchTemplateId || owner !== ownerValue) {
        fail('already-exists', `launch template ${request.name} already exists in ${account}/${region} and ${owner ? 'was created by another step' : 'was made elsewhere (no owner)'}; server groups are immutable, create the next version`);
      }
      return { id: template.LaunchTemplateId, version: String(template.LatestVersionNumber ?? 1) };
    }
  }

  function groupTags(request: CreateServerGroupRequest, config: Ec2ClusterConfig, image: AwsImage, own: WeightedTags | undefined): AsgTag[] {
    const tag = (Key: string, Value: string, PropagateAtLaunch: boolean): AsgTag => ({ Key, Value, PropagateAtLaunch });
    return [
      ...Object.entries(config.tags).map(([key, value]) => tag(key, value, true)),
      ...(config.subnetIds.length > 0 ? [tag('SPINNAKER_SUBNET_ID_OVERRIDE', config.subnetIds.join(','), true)] : []),
      tag(EC2_TAGS.owner, ownerTagValue(request.owner), false),
      tag(EC2_TAGS.imageId, image.ImageId ?? '', false),
      ...(image.Name ? [tag(EC2_TAGS.imageName, image.Name.slice(0, 256), false)] : []),
      ...(own
        ? [tag(EC2_TAGS.weightedListener, own.listenerArn, false), ...(own.ruleArn ? [tag(EC2_TAGS.weightedRule, own.ruleArn, false)] : []), tag(EC2_TAGS.weightedTargetGroup, own.ownTargetGroupArn, false)]
        : []),
    ];
  }

  /** Puts a weighted group's own target group in the forward action at weight 0 (targets of a target group no listener uses stay `unused`). */
  async function attachToForward(group: WeightedTags, sharedArns: readonly string[]): Promise<void> {
    const forward = await readForward(group);
    if (forward.entries.has(group.ownTargetGroupArn) && sharedArns.every((arn) => forward.entries.has(arn))) return;
    const entries = new Map(forward.entries);
    const explicit = [...entries].some(([arn, weight]) => !sharedArns.includes(arn) && weight > 0) && sharedArns.every((arn) => (entries.get(arn) ?? 0) === 0);
    const missingShared = sharedArns.filter((arn) => !entries.has(arn));
    if (missingShared.length > 0) {
      const defaults = explicit ? new Map(missingShared.map((arn) => [arn, 0])) : apportion(100, new Map(sharedArns.map((arn) => [arn, 1])));
      for (const arn of missingShared) entries.set(arn, defaults.get(arn) ?? 0);
    }
    if (!entries.has(group.ownTargetGroupArn)) entries.set(group.ownTargetGroupArn, 0);
    await writeForward(group, forward, entries);
  }

  /** The same step's group found again: finish what the first delivery may not have (disabled, suspended processes, forward). */
  async function adopt(existing: AutoScalingGroup, request: CreateServerGroupRequest, config: Ec2ClusterConfig): Promise<OperationResult> {
    const owner = existing.Tags?.find((tag) => tag.Key === EC2_TAGS.owner)?.Value;
    if (owner !== ownerTagValue(request.owner)) {
      const whose = owner ? 'was created by another step' : 'was made elsewhere (no owner)';
      return { ok: false, reason: 'already-exists', message: `server group ${request.name} already exists in ${account}/${region} and ${whose}; server groups are immutable, create the next version` };
    }
    const [group] = await view([existing]);
    await suspendAfterCreate(group!, request, config);
    const own = weightedTagsOf(group!);
    if (own) await attachToForward(own, group!.targetGroupArns.filter((arn) => arn !== own.ownTargetGroupArn));
    return ALREADY_DONE;
  }

  /** `suspendedProcesses`, and AddToLoadBalancer for a group created out of traffic (its instances still launch). */
  async function suspendAfterCreate(group: GroupView, request: CreateServerGroupRequest, config: Ec2ClusterConfig): Promise<void> {
    const wanted = [...config.suspendedProcesses, ...(request.disabled ? ['AddToLoadBalancer'] : [])].filter((process, at, all) => all.indexOf(process) === at && !group.suspended.has(process));
    if (wanted.length > 0) {
      await aws(`suspending ${wanted.join(', ')} of ${request.name}`, () => clients.autoScaling.send(new SuspendProcessesCommand({ AutoScalingGroupName: request.name, ScalingProcesses: wanted })));
    }
    if (request.disabled) await deregister(group, group.instances.filter((instance) => instance.targets.some(inTraffic)).map((instance) => instance.id));
  }

  /** Whether a provider field of a clone request overrides the copied one: set, and not an empty list or object. */
  function isSet(value: unknown): boolean {
    if (value === undefined || value === null || value === '') return false;
    if (Array.isArray(value)) return value.length > 0;
    if (typeof value === 'object') return Object.keys(value).length > 0;
    return true;
  }

  /**
   * The request of a clone: the source group's settings as provider fields (see the module
   * comment), the request's own set fields over them. `ALREADY_DONE` when the source is gone but
   * this step's clone exists (it was made before the source went).
   */
  async function cloneRequest(request: CreateServerGroupRequest, source: ServerGroupRef): Promise<CreateServerGroupRequest | OperationResult> {
    if (source.account !== account || source.location !== region) {
      return { ok: false, reason: 'unsupported', message: `source ${source.serverGroup} is in ${source.account}/${source.location}; account '${account}''s EC2 target clones within ${region} only` };
    }
    const asg = await getGroup(source.serverGroup);
    if (!asg) {
      const existing = await getGroup(request.name);
      if (existing && existing.Tags?.find((tag) => tag.Key === EC2_TAGS.owner)?.Value === ownerTagValue(request.owner)) return ALREADY_DONE;
      return { ok: false, reason: 'not-found', message: `source server group ${source.serverGroup} does not exist in ${account}/${region}; clone an existing server group` };
    }
    const spec = asg.LaunchTemplate ?? asg.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
    if (!spec?.LaunchTemplateId && !spec?.LaunchTemplateName) {
      return { ok: false, reason: 'unsupported', message: `source ${source.serverGroup} runs from a launch configuration; clone a server group made from a launch template` };
    }
    const versions = await aws(`reading the launch template of ${source.serverGroup}`, () =>
      clients.ec2.send(
        new DescribeLaunchTemplateVersionsCommand({
          ...(spec.LaunchTemplateId ? { LaunchTemplateId: spec.LaunchTemplateId } : { LaunchTemplateName: spec.LaunchTemplateName }),
          Versions: [spec.Version ?? '$Default'],
        }),
      ),
    );
    const data = versions.LaunchTemplateVersions?.[0]?.LaunchTemplateData ?? {};
    const nic = data.NetworkInterfaces?.[0];
    const profile = data.IamInstanceProfile?.Name ?? data.IamInstanceProfile?.Arn?.split('/').pop();
    const tags = new Map((asg.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
    const ownTargetGroup = tags.get(EC2_TAGS.weightedTargetGroup);
    const userTags = Object.fromEntries([...tags].filter(([key]) => key !== '' && !key.startsWith('aws:') && !key.startsWith(RESERVED_TAG_PREFIX) && key !== 'SPINNAKER_SUBNET_ID_OVERRIDE'));
    const subnets = (asg.VPCZoneIdentifier ?? '').split(',').filter((subnet) => subnet.trim() !== '');
    const copied: Record<string, unknown> = {
      ...(data.InstanceType ? { instanceType: data.InstanceType } : {}),
      ...(tags.get(EC2_TAGS.imageId) || data.ImageId ? { imageId: tags.get(EC2_TAGS.imageId) || data.ImageId } : {}),
      ...(data.KeyName ? { keyPair: data.KeyName } : {}),
      ...(profile ? { iamRole: profile } : {}),
      securityGroups: [...(data.SecurityGroupIds ?? nic?.Groups ?? [])],
      ...(data.UserData ? { base64UserData: data.UserData } : {}),
      ...(data.Monitoring?.Enabled !== undefined ? { instanceMonitoring: data.Monitoring.Enabled } : {}),
      ...(data.EbsOptimized !== undefined ? { ebsOptimized: data.EbsOptimized } : {}),
      ...(nic?.AssociatePublicIpAddress !== undefined ? { associatePublicIpAddress: nic.AssociatePublicIpAddress } : {}),
      requireIMDSv2: data.MetadataOptions?.HttpTokens === 'required',
      ...(subnets.length > 0 ? { subnetIds: subnets } : { availabilityZones: { [region]: [...(asg.AvailabilityZones ?? [])] } }),
      // A weighted group's own target group stays its own: the clone takes one from the pool.
      targetGroups: (asg.TargetGroupARNs ?? []).filter((arn) => arn !== ownTargetGroup).map((arn) => /:targetgroup\/([^/]+)\//.exec(arn)?.[1] ?? arn),
      ...(asg.HealthCheckType ? { healthCheckType: asg.HealthCheckType } : {}),
      ...(asg.HealthCheckGracePeriod !== undefined ? { healthCheckGracePeriod: asg.HealthCheckGracePeriod } : {}),
      ...(asg.DefaultCooldown !== undefined ? { cooldown: asg.DefaultCooldown } : {}),
      ...(asg.TerminationPolicies?.length ? { terminationPolicies: [...asg.TerminationPolicies] } : {}),
      tags: userTags,
    };
    const overrides = Object.fromEntries(Object.entries(request.provider).filter(([, value]) => isSet(value)));
    // An override of one spelling replaces the copied other spelling (they may not both be set).
    if ('subnetType' in overrides || 'availabilityZones' in overrides) delete copied['subnetIds'];
    if ('amiName' in overrides || request.artifact) delete copied['imageId'];
    if ('userData' in overrides) delete copied['base64UserData'];
    return { ...request, provider: { ...copied, ...overrides } };
  }

  async function createNow(given: CreateServerGroupRequest): Promise<OperationResult> {
    checkLocation(given.location, given.account);
    let request = given;
    if (given.source) {
      if (given.artifact && given.artifact.type !== AWS_IMAGE_ARTIFACT) {
        return { ok: false, reason: 'unsupported', message: `artifact type '${given.artifact.type}' cannot run on EC2; deploy an ${AWS_IMAGE_ARTIFACT} (an AMI from a bake or findImage stage)` };
      }
      const cloned = await cloneRequest(given, given.source);
      if ('ok' in cloned) return cloned;
      request = cloned;
    }
    const capacity = capacityProblem(request.capacity);
    if (capacity) return { ok: false, reason: 'invalid', message: capacity };
    if (request.artifact && request.artifact.type !== AWS_IMAGE_ARTIFACT) {
      return { ok: false, reason: 'unsupported', message: `artifact type '${request.artifact.type}' cannot run on EC2; deploy an ${AWS_IMAGE_ARTIFACT} (an AMI from a bake or findImage stage)` };
    }
    const parsedName = parseServerGroupName(request.name);
    if (!parsedName || parsedName.cluster !== request.cluster) {
      return { ok: false, reason: 'invalid', message: `server group name '${request.name}' is not a Frigga name of cluster '${request.cluster}' (${request.cluster}-vNNN)` };
    }
    const parsed = parseEc2ClusterConfig(request.provider, region);
    if (!parsed.ok) return { ok: false, reason: parsed.reason, message: parsed.message };
    const config = parsed.config;
    if (config.weightedTraffic && !weightedMode) {
      return { ok: false, reason: 'unsupported', message: problem('weightedTraffic', config.weightedTraffic, `account '${account}' is not in weighted mode; turn weighted mode on for the account, or remove weightedTraffic`) };
    }

    const existing = await getGroup(request.name);
    if (existing) return adopt(existing, request, config);

    // Everything the group needs, resolved before the first side effect.
    const image = await resolveImage(request, config);
    const targetGroups = await resolveTargetGroups(config.targetGroups, 'targetGroups');
    const own = config.weightedTraffic ? await chooseOwnTargetGroup(request, config.weightedTraffic) : undefined;
    const securityGroups = await resolveSecurityGroups(config.securityGroups);
    const subnets = await resolveSubnets(config);
    const weighted: WeightedTags | undefined =
      config.weightedTraffic && own ? { listenerArn: config.weightedTraffic.listenerArn, ...(config.weightedTraffic.ruleArn ? { ruleArn: config.weightedTraffic.ruleArn } : {}), ownTargetGroupArn: own } : undefined;
    const targetGroupArns = [...config.targetGroups.map((name) => targetGroups.get(name)!), ...(own ? [own] : [])];

    const template = await launchTemplate(request, launchTemplateData(request, config, image.ImageId!, securityGroups));
    try {
      await clients.autoScaling.send(
        new CreateAutoScalingGroupCommand({
          AutoScalingGroupName: request.name,
          MinSize: request.capacity.min,
          MaxSize: request.capacity.max,
          DesiredCapacity: request.capacity.desired,
          LaunchTemplate: { LaunchTemplateId: template.id, Version: template.version },
          ...(subnets.length > 0 ? { VPCZoneIdentifier: subnets.join(',') } : { AvailabilityZones: [...config.availabilityZones] }),
          ...(targetGroupArns.length > 0 ? { TargetGroupARNs: targetGroupArns } : {}),
          HealthCheckType: config.healthCheckType,
          ...(config.healthCheckGracePeriod !== undefined ? { HealthCheckGracePeriod: config.healthCheckGracePeriod } : {}),
          ...(config.cooldown !== undefined ? { DefaultCooldown: config.cooldown } : {}),
          ...(config.terminationPolicies.length > 0 ? { TerminationPolicies: [...config.terminationPolicies] } : {}),
          Tags: groupTags(request, config, image, weighted),
        }),
      );
    } catch (error) {
      const failure = awsFailure(error, `creating Auto Scaling group ${request.name}`);
      if (failure.reason === 'already-exists') {
        const raced = await getGroup(request.name);
        if (raced) return adopt(raced, request, config);
      }
      // Refused for good: the launch template made for it goes too, so nothing else changed.
      if (failure.reason !== 'unavailable') {
        await clients.ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: template.id })).catch(() => undefined);
      }
      return failure;
    }
    if (request.disabled || config.suspendedProcesses.length > 0) {
      const created = await getGroup(request.name);
      if (created) await suspendAfterCreate((await view([created]))[0]!, request, config);
    }
    if (weighted) await attachToForward(weighted, config.targetGroups.map((name) => targetGroups.get(name)!));
    return DONE;
  }

  // -------------------------------------------------------------------------------------------
  // Checks at save

  /**
   * What a cluster entry names, looked up in this account and region without changing anything:
   * its image, instance type, target groups (each by name), security groups and subnets. A field
   * the entry gets wrong is the pure check's (cluster-check.ts); a lookup AWS cannot answer now
   * (throttled, denied, unreachable) makes the whole answer a failure when nothing else was found.
   */
  async function checkClusterNow(request: ClusterCheckRequest): Promise<ClusterCheckResult> {
    checkLocation(request.location, request.account);
    const parsed = parseEc2ClusterConfig(request.provider, region);
    if (!parsed.ok) return { ok: true, issues: [] };
    const config = parsed.config;
    const issues: ClusterFieldIssue[] = [];
    let unanswered: PortFailure | undefined;
    const look = async (path: readonly (string | number)[], run: () => Promise<unknown>): Promise<void> => {
      try {
        await run();
      } catch (error) {
        if (!(error instanceof Ec2PortFailure)) throw error;
        if (error.failure.reason === 'invalid') issues.push({ path, code: 'resource-not-found', message: error.failure.message, severity: 'error', value: valueAtPath(request.provider, path) });
        else unanswered ??= error.failure;
      }
    };
    if (config.image !== undefined) await look([request.provider['amiName'] !== undefined ? 'amiName' : 'imageId'], () => resolveImage({ provider: request.provider }, config));
    await look(['instanceType'], () => checkInstanceType(config.instanceType));
    for (const [field, names] of [['targetGroups', config.targetGroups], ['weightedTraffic.targetGroups', config.weightedTraffic?.targetGroups ?? []]] as const) {
      for (const [index, name] of names.entries()) {
        await look([...field.split('.'), index], () => checkTargetGroup(name, `${field}[${index}]`));
      }
    }
    await look(['securityGroups'], () => resolveSecurityGroups(config.securityGroups));
    await look([config.subnetIds.length > 0 ? 'subnetIds' : 'subnetType'], () => resolveSubnets(config));
    // Nothing retries a save's lookup: AWS's reason without the promise to try again.
    if (issues.length === 0 && unanswered) return { ...unanswered, message: unanswered.message.replace(/; it will be tried again$/, '') };
    return { ok: true, issues };
  }

  /** The instance type is one EC2 offers in the region (DescribeInstanceTypes). */
  async function checkInstanceType(instanceType: string): Promise<void> {
    await aws(`finding instance type ${instanceType}`, () => clients.ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: [instanceType as _InstanceType] }))).catch((error: unknown) => {
      if (error instanceof Ec2PortFailure && error.failure.reason === 'invalid') {
        fail('invalid', problem('instanceType', instanceType, `EC2 offers no such instance type in ${region} (${error.failure.message.replace(/^.*failed: /, '')}); use one it offers, e.g. "m5.large"`));
      }
      throw error;
    });
  }

  /** One target group exists by name (DescribeTargetGroups answers not-found for the whole call, so names are asked one by one). */
  async function checkTargetGroup(name: string, field: string): Promise<void> {
    const notFound = (code: string, reason: PortFailureReason) => (reason === 'not-found' || code.startsWith('TargetGroupNotFound') ? 'invalid' : reason);
    const described = await aws(`finding target group ${name}`, () => clients.elbv2.send(new DescribeTargetGroupsCommand({ Names: [name] })), notFound).catch((error: unknown) => {
      if (error instanceof Ec2PortFailure && error.failure.reason === 'invalid') return undefined;
      throw error;
    });
    if (!described?.TargetGroups?.some((group) => group.TargetGroupName === name)) {
      fail('invalid', problem(field, name, `no target group of that name exists in ${region} of account '${account}'; create it or fix the name`));
    }
  }

  // -------------------------------------------------------------------------------------------
  // Resize, destroy

  async function resizeNow(ref: ServerGroupRef, capacity: Capacity): Promise<OperationResult> {
    checkLocation(ref.location, ref.account);
    const problemText = capacityProblem(capacity);
    if (problemText) return { ok: false, reason: 'invalid', message: problemText };
    const group = await getGroup(ref.serverGroup);
    if (!group || group.Status) return { ok: false, reason: 'not-found', message: `server group ${ref.serverGroup} does not exist in ${ref.account}/${ref.location}${group ? ' (it is being deleted)' : ''}` };
    const unchanged = group.MinSize === capacity.min && group.MaxSize === capacity.max && group.DesiredCapacity === capacity.desired;
    if (!unchanged) {
      await aws(`resizing ${ref.serverGroup}`, () =>
        clients.autoScaling.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: ref.serverGroup, MinSize: capacity.min, MaxSize: capacity.max, DesiredCapacity: capacity.desired })),
      );
    }
    // Checked on every delivery, so a retry after a crash between the two calls still finishes the job.
    const terminated = await terminateSurplus(group, capacity.desired);
    return unchanged && terminated === 0 ? ALREADY_DONE : DONE;
  }

  /**
   * A disabled group has `Terminate` suspended (Spinnaker's disable), so Auto Scaling never scales
   * it in: the instances above `desired` are terminated here, as clouddriver terminates them after
   * a resize to 0. They are out of every target group already (disabled), so no request is lost;
   * with `Launch` suspended too, nothing replaces them. Answers how many were terminated.
   */
  async function terminateSurplus(group: AutoScalingGroup, desired: number): Promise<number> {
    const suspended = new Set((group.SuspendedProcesses ?? []).map((process) => process.ProcessName));
    if (!suspended.has('Terminate')) return 0;
    const live = (group.Instances ?? []).filter((instance) => instance.InstanceId && !(instance.LifecycleState ?? '').startsWith('Terminat'));
    const surplus = live.slice(desired).map((instance) => instance.InstanceId!);
    if (surplus.length === 0) return 0;
    await aws(`terminating ${surplus.length} instance(s) of ${group.AutoScalingGroupName}`, () => clients.ec2.send(new TerminateInstancesCommand({ InstanceIds: surplus }))).catch((error: unknown) => {
      // Terminated meanwhile: what was asked is done.
      if (error instanceof Ec2PortFailure && error.failure.reason === 'not-found') return undefined;
      throw error;
    });
    return surplus.length;
  }

  async function destroyNow(ref: ServerGroupRef, owner: OwnerToken): Promise<OperationResult> {
    checkLocation(ref.location, ref.account);
    const key = `${ref.account}/${ref.location}/${ref.serverGroup}`;
    const found = await getGroup(ref.serverGroup);
    if (!found) {
      if (destroyedBy.get(key) === owner) return ALREADY_DONE;
      return { ok: false, reason: 'not-found', message: `server group ${ref.serverGroup} does not exist in ${ref.account}/${ref.location}` };
    }
    if (found.Status) return ALREADY_DONE;
    await moveWeightAway(lightView(found));
    await aws(`deleting Auto Scaling group ${ref.serverGroup}`, () => clients.autoScaling.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: ref.serverGroup, ForceDelete: true })), (code, reason) =>
      reason === 'not-found' ? undefined : reason,
    ).catch((error: unknown) => {
      // Gone meanwhile: what was asked is done.
      if (error instanceof Ec2PortFailure && error.failure.reason === 'not-found') return undefined;
      throw error;
    });
    // Its launch template goes with it (spinnaker/spinnaker#6614): only one named after the group.
    const template = found.LaunchTemplate ?? found.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
    if (template?.LaunchTemplateId && (template.LaunchTemplateName === undefined || template.LaunchTemplateName.startsWith(ref.serverGroup))) {
      await aws(`deleting launch template ${template.LaunchTemplateName ?? template.LaunchTemplateId}`, () => clients.ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: template.LaunchTemplateId }))).catch((error: unknown) => {
        if (error instanceof Ec2PortFailure && error.failure.reason === 'not-found') return undefined;
        throw error;
      });
    }
    destroyedBy.set(key, owner);
    return DONE;
  }

  // -------------------------------------------------------------------------------------------
  // Traffic

  async function deregister(group: GroupView, instanceIds: readonly string[]): Promise<void> {
    if (instanceIds.length === 0) return;
    for (const arn of group.targetGroupArns) {
      await aws(`deregistering ${group.name}'s instances from ${arn}`, () => clients.elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: instanceIds.map((id) => ({ Id: id })) }))).catch(ignoreGoneTargets);
    }
  }

  async function register(group: GroupView, instanceIds: readonly string[]): Promise<void> {
    if (instanceIds.length === 0) return;
    for (const arn of group.targetGroupArns) {
      await aws(`registering ${group.name}'s instances in ${arn}`, () => clients.elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: instanceIds.map((id) => ({ Id: id })) }))).catch(ignoreGoneTargets);
    }
  }

  /** clouddriver logs and ignores TargetGroupNotFound and InvalidTarget while enabling or disabling. */
  function ignoreGoneTargets(error: unknown): void {
    if (error instanceof Ec2PortFailure) {
      const code = (error.failure.cause as { name?: string; Code?: string } | undefined)?.Code ?? (error.failure.cause as { name?: string } | undefined)?.name ?? '';
      if (/^(TargetGroupNotFound|InvalidTarget)/.test(code)) return;
    }
    throw error;
  }

  /** The running instances EC2 still calls pending or running (clouddriver filters them the same way). */
  function runningIds(group: GroupView): string[] {
    return group.instances
      .filter((instance) => isRunning(instance.lifecycle))
      .filter((instance) => {
        const state = instance.ec2?.State?.Name;
        return state === undefined || state === 'running' || state === 'pending';
      })
      .map((instance) => instance.id);
  }

  async function liveGroup(ref: ServerGroupRef): Promise<GroupView> {
    checkLocation(ref.location, ref.account);
    const group = await viewOne(ref.serverGroup);
    if (!group) fail('not-found', `server group ${ref.serverGroup} does not exist in ${ref.account}/${ref.location}`);
    return group;
  }

  async function enableNow(ref: ServerGroupRef): Promise<OperationResult> {
    const group = await liveGroup(ref);
    if (group.deleting) return { ok: false, reason: 'not-found', message: `server group ${ref.serverGroup} is being deleted in ${ref.account}/${ref.location}` };
    const suspended = DISABLE_PROCESSES.some((process) => group.suspended.has(process));
    const missing = group.targetGroupArns.length > 0 && group.instances.some((instance) => instance.lifecycle === 'InService' && group.targetGroupArns.some((arn) => !instance.targets.some((target) => target.targetGroupArn === arn && inTraffic(target))));
    if (!suspended && !missing) return ALREADY_DONE;
    if (suspended) {
      await aws(`resuming ${DISABLE_PROCESSES.join(', ')} of ${ref.serverGroup}`, () => clients.autoScaling.send(new ResumeProcessesCommand({ AutoScalingGroupName: ref.serverGroup, ScalingProcesses: [...DISABLE_PROCESSES] })));
    }
    await register(group, runningIds(group));
    return DONE;
  }

  async function disableNow(ref: ServerGroupRef, disableOptions: DisableOptions): Promise<OperationResult> {
    const percentage = disableOptions.desiredPercentage;
    if (percentage !== undefined && !(Number.isFinite(percentage) && percentage >= 0 && percentage <= 100)) {
      return { ok: false, reason: 'invalid', message: `desiredPercentage ${percentage} must be between 0 and 100` };
    }
    const group = await liveGroup(ref);
    if (group.deleting) return ALREADY_DONE;
    const disabled = group.suspended.has('AddToLoadBalancer');
    const serving = group.instances.filter((instance) => instance.targets.some(inTraffic));
    if (disabled && serving.length === 0) return ALREADY_DONE;
    if (percentage !== undefined && percentage < 100) {
      if (disabled) return ALREADY_DONE;
      return partialDisable(group, percentage);
    }
    await moveWeightAway(group);
    const missing = DISABLE_PROCESSES.filter((process) => !group.suspended.has(process));
    if (missing.length > 0) {
      await aws(`suspending ${DISABLE_PROCESSES.join(', ')} of ${ref.serverGroup}`, () => clients.autoScaling.send(new SuspendProcessesCommand({ AutoScalingGroupName: ref.serverGroup, ScalingProcesses: [...DISABLE_PROCESSES] })));
    }
    await deregister(group, runningIds(group));
    return DONE;
  }

  /** clouddriver's disable with desiredPercentage: a share of the instances leaves the target groups; nothing is suspended. */
  async function partialDisable(group: GroupView, percentage: number): Promise<OperationResult> {
    const described = describeGroup(group);
    const running = described.instances.filter((instance) => {
      const lifecycle = group.instances.find((candidate) => candidate.id === instance.id)?.lifecycle ?? '';
      return isRunning(lifecycle);
    });
    const wanted = Math.ceil((running.length * percentage) / 100);
    // Those out already first, then those not Up, then the oldest (as the memory target orders them).
    const order = [...running].sort(
      (a, b) =>
        Number(!(a.outOfService || a.draining)) - Number(!(b.outOfService || b.draining)) ||
        Number(a.health === 'Up') - Number(b.health === 'Up') ||
        a.launchedTime - b.launchedTime ||
        a.id.localeCompare(b.id),
    );
    const leaving = order.slice(0, wanted).filter((instance) => !(instance.outOfService || instance.draining));
    if (leaving.length === 0) return ALREADY_DONE;
    await shareWeightByInstances(group);
    await deregister(group, leaving.map((instance) => instance.id));
    return DONE;
  }

  /**
   * Before a share of a weighted group leaves traffic: an explicit weight on its own target group
   * would keep all its requests on its remaining instances while the healthy instances of the
   * group replacing it wait at weight 0 (a rolling red/black would serve from fewer instances at
   * each step). Its weight goes to the shared target groups, which split by instance count across
   * every enabled group, as a partial disable means; other groups' weights stay as they are.
   */
  async function shareWeightByInstances(group: GroupView): Promise<void> {
    const own = weightedTagsOf(group);
    if (!own) return;
    const forward = await readForward(own);
    const weight = forward.entries.get(own.ownTargetGroupArn) ?? 0;
    if (weight === 0) return;
    const shared = group.targetGroupArns.filter((arn) => arn !== own.ownTargetGroupArn);
    if (shared.length === 0) return;
    const entries = new Map(forward.entries);
    entries.set(own.ownTargetGroupArn, 0);
    for (const [arn, share] of apportion(weight, new Map(shared.map((arn) => [arn, 1])))) entries.set(arn, (entries.get(arn) ?? 0) + share);
    await writeForward(own, forward, entries);
  }

  /**
   * Before a weighted group leaves traffic: its weight goes to the other weighted groups in
   * proportion, or, when none holds weight, back to the shared target groups (the default split).
   */
  async function moveWeightAway(group: GroupView): Promise<void> {
    const own = weightedTagsOf(group);
    if (!own) return;
    const forward = await readForward(own);
    const weight = forward.entries.get(own.ownTargetGroupArn) ?? 0;
    if (weight === 0) return;
    const shared = group.targetGroupArns.filter((arn) => arn !== own.ownTargetGroupArn);
    const others = new Map([...forward.entries].filter(([arn, share]) => arn !== own.ownTargetGroupArn && !shared.includes(arn) && share > 0));
    const entries = new Map(forward.entries);
    entries.set(own.ownTargetGroupArn, 0);
    const explicit = shared.every((arn) => (forward.entries.get(arn) ?? 0) === 0);
    if (explicit && others.size > 0) {
      const total = [...others.values()].reduce((a, b) => a + b, 0) + weight;
      for (const [arn, share] of apportion(total, others)) entries.set(arn, share);
    } else if (explicit) {
      for (const [arn, share] of apportion(weight, new Map(shared.map((arn) => [arn, 1])))) entries.set(arn, share);
    }
    await writeForward(own, forward, entries);
  }

  function weightsProblem(weights: TrafficWeights): PortFailure | undefined {
    const entries = Object.entries(weights);
    for (const [name, weight] of entries) {
      if (!(Number.isInteger(weight) && weight >= 0 && weight <= 100)) return { ok: false, reason: 'invalid', message: `traffic weight ${weight} for ${name} must be a whole percentage between 0 and 100` };
    }
    const sum = entries.reduce((total, [, weight]) => total + weight, 0);
    if (entries.length > 0 && sum !== 100) return { ok: false, reason: 'invalid', message: `traffic weights ${JSON.stringify(weights)} add up to ${sum}, expected 100` };
    const weighted = entries.filter(([, weight]) => weight > 0).length;
    if (weighted > MAX_TARGET_GROUPS_PER_FORWARD - 1) {
      return { ok: false, reason: 'unsupported', message: `traffic weights ${JSON.stringify(weights)} weigh ${weighted} server groups; an ALB forward action weighs at most ${MAX_TARGET_GROUPS_PER_FORWARD - 1} beside the shared target group` };
    }
    return undefined;
  }

  /** The cluster's weighted groups and the forward action they share. */
  async function weightedCluster(ref: ClusterRef): Promise<{ groups: GroupView[]; weighted: Map<string, WeightedTags>; router: WeightedTags; forward: Forward }> {
    checkLocation(ref.location, ref.account);
    const groups = (await listCluster(ref.cluster)).filter((group) => !group.Status);
    const views = groups.map(lightView);
    const weighted = new Map<string, WeightedTags>();
    for (const group of views) {
      const tags = weightedTagsOf(group);
      if (tags) weighted.set(group.name, tags);
    }
    const newest = [...views].reverse().find((group) => weighted.has(group.name));
    if (!newest) {
      fail('unsupported', `cluster '${ref.cluster}' in ${ref.account}/${ref.location} is not in weighted mode: none of its server groups has a target group of its own; deploy it with weightedTraffic set on the cluster`);
    }
    const router = weighted.get(newest.name)!;
    return { groups: views, weighted, router, forward: await readForward(router) };
  }

  async function setWeightsNow(ref: ClusterRef, weights: TrafficWeights): Promise<OperationResult> {
    if (!weightedMode) return { ok: false, reason: 'unsupported', message: `account '${account}' splits traffic by instance, as Spinnaker does (no weights); turn weighted mode on for the account and set weightedTraffic on the cluster` };
    const invalid = weightsProblem(weights);
    if (invalid) return invalid;
    const { groups, weighted, router, forward } = await weightedCluster(ref);
    for (const name of Object.keys(weights)) {
      if (!groups.some((group) => group.name === name)) return { ok: false, reason: 'not-found', message: `server group ${name} is not in cluster ${ref.cluster} (${ref.account}/${ref.location})` };
      if (!weighted.has(name) && weights[name]! > 0) {
        return { ok: false, reason: 'unsupported', message: `server group ${name} has no target group of its own (deployed without weightedTraffic), so it cannot take a weight; give it 0 or redeploy it` };
      }
    }
    const ownArns = new Set([...weighted.values()].map((tags) => tags.ownTargetGroupArn));
    const shared = [...new Set(groups.filter((group) => weighted.has(group.name)).flatMap((group) => group.targetGroupArns.filter((arn) => !ownArns.has(arn))))];
    const entries = new Map<string, number>();
    const explicit = Object.keys(weights).length > 0;
    const sharedWeights = apportion(100, new Map(shared.map((arn) => [arn, 1])));
    for (const arn of shared) entries.set(arn, explicit ? 0 : (sharedWeights.get(arn) ?? 0));
    for (const [name, tags] of weighted) entries.set(tags.ownTargetGroupArn, explicit ? (weights[name] ?? 0) : 0);
    if (entries.size > MAX_TARGET_GROUPS_PER_FORWARD) {
      return { ok: false, reason: 'unsupported', message: `cluster '${ref.cluster}' needs ${entries.size} target groups in one forward action; an ALB holds at most ${MAX_TARGET_GROUPS_PER_FORWARD}: destroy old server groups first` };
    }
    return (await writeForward(router, forward, entries)) ? DONE : ALREADY_DONE;
  }

  async function verifyWeightsNow(ref: ClusterRef, weights: TrafficWeights): Promise<VerifyWeightsResult> {
    if (!weightedMode) return { ok: false, reason: 'unsupported', message: `account '${account}' has no traffic weights (Spinnaker's mode)` };
    const { weighted, forward } = await weightedCluster(ref);
    const byArn = new Map([...weighted].map(([name, tags]) => [tags.ownTargetGroupArn, name]));
    const total = [...forward.entries.values()].reduce((a, b) => a + b, 0);
    const shared = [...forward.entries].filter(([arn]) => !byArn.has(arn)).reduce((sum, [, weight]) => sum + weight, 0);
    const actual: Record<string, number> = {};
    if (total > 0) {
      const percentages = apportion(100, new Map([...forward.entries].filter(([, weight]) => weight > 0)));
      for (const [arn, percentage] of percentages) {
        const name = byArn.get(arn);
        if (name !== undefined && percentage > 0) actual[name] = percentage;
      }
      // A mix of the default split and explicit weights matches nothing asked.
      if (shared > 0 && Object.keys(actual).length > 0) actual['(shared target groups)'] = Math.round((100 * shared) / total);
    }
    return { ok: true, matches: normalized(actual) === normalized(weights), actual };
  }

  // -------------------------------------------------------------------------------------------
  // The ports

  const capabilities: TrafficCapabilities = weightedMode
    ? { weights: true, maxWeightedServerGroups: MAX_TARGET_GROUPS_PER_FORWARD - 1, partialDisable: true, drains: true }
    : { weights: false, maxWeightedServerGroups: 0, partialDisable: true, drains: true };

  const serverGroups: ServerGroupPort = {
    capabilities: { resize: true, artifactTypes: [AWS_IMAGE_ARTIFACT], imageFromProviderFields: true, clone: true },
    create: (request) => owned(request.owner, () => createNow(request)),
    resize: (ref, capacity, sideEffect) => owned(sideEffect.owner, () => resizeNow(ref, capacity)),
    destroy: (ref, sideEffect) => owned(sideEffect.owner, () => destroyNow(ref, sideEffect.owner)),
    describeCluster: (ref) => answer(() => describeClusterNow(ref)),
    checkCluster: (request) => answer(() => checkClusterNow(request)),
  };

  const traffic: TrafficPort = {
    capabilities,
    enable: (ref, sideEffect) => owned(sideEffect.owner, () => enableNow(ref)),
    disable: (ref, disableOptions) => owned(disableOptions.owner, () => disableNow(ref, disableOptions)),
    setWeights: (ref, weights, sideEffect) => owned(sideEffect.owner, () => setWeightsNow(ref, weights)),
    verifyWeights: (ref, weights) => answer(() => verifyWeightsNow(ref, weights)),
  };

  return { cloudProvider: 'aws', serverGroups, traffic };
}
