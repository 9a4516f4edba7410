/**
 * The provider fields of an EC2 cluster, as Spinnaker's deploy stage writes them
 * (`reference/cloud-targets.md` §2.1): the stage's cluster entry reaches `create` unchanged and is
 * parsed here, once. Fields this target does not read (`account`, `strategy`, `moniker`...) are
 * ignored, as clouddriver ignores them; a field it reads with a wrong value is refused with one
 * line that names the field, shows the value and says the fix. Capabilities this target does not
 * have yet (classic load balancers, spot prices, launch configurations) are refused as
 * `unsupported`, never silently dropped.
 *
 * Beyond Spinnaker, `weightedTraffic` opts a cluster into weighted mode (see WeightedTrafficConfig).
 */
import { z } from 'zod';
import { fieldOfPath, problem, shown, valueAt } from '../provider-field-issues.ts';

/** Auto Scaling's process names (`SuspendProcesses`), in AWS's spelling. */
export const SCALING_PROCESSES = ['Launch', 'Terminate', 'AddToLoadBalancer', 'AlarmNotification', 'AZRebalance', 'HealthCheck', 'InstanceRefresh', 'ReplaceUnhealthy', 'ScheduledActions'] as const;
export type ScalingProcess = (typeof SCALING_PROCESSES)[number];

/** An ALB forward action holds at most this many target groups (Elastic Load Balancing quotas). */
export const MAX_TARGET_GROUPS_PER_FORWARD = 5;

/** Launch-template user data may hold at most 16 KiB before base64 encoding. */
const MAX_USER_DATA_BYTES = 16 * 1024;

/** Tag keys this target writes itself; a user tag may not take them. */
export const RESERVED_TAG_PREFIX = 'gennaker:';

/**
 * Weighted mode (an addition to Spinnaker, which only registers and deregisters instances): each
 * server group gets its own target group from `targetGroups` (a pool made beforehand, one more
 * than the server groups that must hold weight at once), and the listener's forward action (or
 * the rule's, with `ruleArn`) splits traffic between the cluster's shared target groups (the
 * cluster's own `targetGroups` field, where every server group's instances register as in
 * Spinnaker: the default split, by instance count) and the pool's, by weight. Gennaker owns that
 * forward action: whatever it forwarded to before is replaced.
 */
export interface WeightedTrafficConfig {
  /** The ALB listener whose default action is the forward (`arn:aws:elasticloadbalancing:...:listener/app/...`). */
  readonly listenerArn: string;
  /** A rule of that listener to use instead of its default action. */
  readonly ruleArn?: string;
  /** Names of the pool's target groups (2 to 5 minus the shared ones), none of them shared. */
  readonly targetGroups: readonly string[];
}

/** An EC2 cluster's provider fields, parsed. Capacity comes from the create request, not from here. */
export interface Ec2ClusterConfig {
  /** `amiName` (an AMI name or id) or `imageId`, when the request carries no `aws/image` artifact. */
  readonly image?: string;
  readonly instanceType: string;
  /** Subnets are the ones tagged `immutable_metadata` `{"purpose": subnetType}` in the zones. */
  readonly subnetType?: string;
  /** Explicit subnets (clouddriver's `subnetIds`); tagged `SPINNAKER_SUBNET_ID_OVERRIDE` on the group. */
  readonly subnetIds: readonly string[];
  /** Zones of the target's region (`availabilityZones[region]`); empty: any zone. */
  readonly availabilityZones: readonly string[];
  /** Security group ids (`sg-...`) or names. */
  readonly securityGroups: readonly string[];
  /** Target group names, each resolved with DescribeTargetGroups. */
  readonly targetGroups: readonly string[];
  readonly healthCheckType: 'EC2' | 'ELB';
  readonly healthCheckGracePeriod?: number;
  readonly cooldown?: number;
  readonly terminationPolicies: readonly string[];
  /** The instance profile's name. */
  readonly iamRole?: string;
  readonly keyPair?: string;
  /** Base64 user data for the launch template. */
  readonly userData?: string;
  /** User tags for the Auto Scaling group, `aws:` keys removed (clouddriver's cleanTags). */
  readonly tags: Readonly<Record<string, string>>;
  readonly instanceMonitoring?: boolean;
  readonly ebsOptimized?: boolean;
  readonly associatePublicIpAddress?: boolean;
  /** IMDSv2 only (`HttpTokens=required`). @default true */
  readonly requireIMDSv2: boolean;
  readonly suspendedProcesses: readonly ScalingProcess[];
  readonly weightedTraffic?: WeightedTrafficConfig;
}

export type ParsedEc2Config = { readonly ok: true; readonly config: Ec2ClusterConfig } | { readonly ok: false; readonly reason: 'invalid' | 'unsupported'; readonly message: string };

const isBlank = (value: unknown) => value === undefined || value === null || value === '';
/** Jackson's reading: null is absent. */
const absentIfNull = (value: unknown) => (value === null ? undefined : value);

// Each schema's error message is the fix only; `problem` prefixes the field and its value.
const name = (fix: string) => z.string({ error: fix }).trim().min(1, { error: fix });
const names = (fix: string) => z.array(name(fix), { error: fix });
const seconds = (fix: string) => z.union([z.number(), z.string().regex(/^[0-9]+$/).transform(Number)], { error: fix }).pipe(z.number({ error: fix }).int({ error: fix }).min(0, { error: fix }));
const flag = (fix: string) => z.union([z.boolean(), z.enum(['true', 'false']).transform((text) => text === 'true')], { error: fix });
const opt = <T extends z.ZodType>(schema: T) => z.preprocess(absentIfNull, schema.optional());
const list = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (value === null || value === undefined ? [] : value), schema);
const dict = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (value === null || value === undefined ? {} : value), schema);

const SUBNET_FIX = 'list subnet ids, e.g. ["subnet-0abc1234"], or set subnetType instead';
const PROCESS_FIX = `list Auto Scaling processes, each one of ${SCALING_PROCESSES.join(', ')}`;
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/;
const ARN_LISTENER = /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:listener\/app\/.+$/;
const ARN_RULE = /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:listener-rule\/app\/.+$/;

const weightedSchema = z.object(
  {
    listenerArn: z.string({ error: 'set the ALB listener ARN, "arn:aws:elasticloadbalancing:<region>:<account>:listener/app/<alb>/<id>/<id>"' }).regex(ARN_LISTENER, {
      error: 'set the ALB listener ARN, "arn:aws:elasticloadbalancing:<region>:<account>:listener/app/<alb>/<id>/<id>"',
    }),
    ruleArn: opt(z.string({ error: 'set a rule ARN of the listener ("...:listener-rule/app/...") or remove ruleArn to use its default action' }).regex(ARN_RULE, { error: 'set a rule ARN of the listener ("...:listener-rule/app/...") or remove ruleArn to use its default action' })),
    targetGroups: names('list the names of the target groups made for weighted mode, e.g. ["hello-prod-a", "hello-prod-b"]'),
  },
  { error: 'set {"listenerArn": "...", "targetGroups": ["<pool target group>", ...]} or remove weightedTraffic' },
);

const schema = z.looseObject({
  amiName: opt(name('set the AMI name or id to run, e.g. "hello-1.2.0-h12" or "ami-0abc1234"')),
  imageId: opt(name('set the AMI id to run, e.g. "ami-0abc1234"')),
  instanceType: z.preprocess(absentIfNull, name('set an EC2 instance type, e.g. "m5.large"').regex(INSTANCE_TYPE, { error: 'set an EC2 instance type, e.g. "m5.large"' })),
  subnetType: opt(z.string({ error: 'set the subnet purpose, e.g. "internal (vpc0)", or remove subnetType' })),
  subnetIds: list(z.array(z.string({ error: SUBNET_FIX }).regex(/^subnet-[0-9a-zA-Z]+$/, { error: SUBNET_FIX }), { error: SUBNET_FIX })),
  availabilityZones: opt(z.record(z.string(), list(z.array(z.string(), { error: 'list the zones of the region, e.g. ["us-east-1a", "us-east-1b"]' })), { error: 'map regions to zones, e.g. {"us-east-1": ["us-east-1a", "us-east-1b"]}' })),
  securityGroups: list(names('list security group ids or names, e.g. ["sg-0abc1234", "hello-web"]')),
  targetGroups: list(names('list target group names, e.g. ["hello-prod-tg"]')),
  loadBalancers: list(z.array(z.string(), { error: 'list classic load balancer names, or leave loadBalancers empty' })),
  healthCheckType: z.preprocess((value) => (isBlank(value) ? 'EC2' : value), z.enum(['EC2', 'ELB'], { error: 'set "EC2" (instance status checks) or "ELB" (target group health checks)' })),
  healthCheckGracePeriod: opt(seconds('set the seconds before health checks count, e.g. 600')),
  cooldown: opt(seconds('set the cooldown in seconds, e.g. 10')),
  terminationPolicies: list(names('list termination policies, e.g. ["Default"]')),
  setLaunchTemplate: opt(flag('set true, or remove setLaunchTemplate')),
  iamRole: opt(z.string({ error: 'set the instance profile name, e.g. "helloInstanceProfile"' })),
  keyPair: opt(z.string({ error: 'set the key pair name, e.g. "hello-keypair"' })),
  base64UserData: opt(z.string({ error: 'set base64-encoded user data' }).regex(/^[A-Za-z0-9+/]*={0,2}$/, { error: 'set base64-encoded user data (A-Z, a-z, 0-9, +, /, = padding), or plain text in userData' })),
  userData: opt(z.string({ error: 'set the user data as plain text, or base64 in base64UserData' })),
  tags: dict(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String), { error: 'set an object of tag values, e.g. {"team": "web"}' })),
  instanceMonitoring: opt(flag('set true or false')),
  ebsOptimized: opt(flag('set true or false')),
  associatePublicIpAddress: opt(flag('set true or false')),
  requireIMDSv2: opt(flag('set true or false')),
  spotPrice: opt(z.union([z.string(), z.number()], { error: 'leave spotPrice empty' })),
  suspendedProcesses: list(z.array(z.enum(SCALING_PROCESSES, { error: PROCESS_FIX }), { error: PROCESS_FIX })),
  weightedTraffic: opt(weightedSchema),
});

/** The provider fields' schema, for the save-time check that reports every bad field at once (cluster-check.ts). */
export const ec2ProviderFieldsSchema: z.ZodType = schema;

/** The one-line message of a bad field, as every target's parser writes it (provider-field-issues.ts). */
export { problem, shown };

const invalid = (field: string, value: unknown, fix: string): ParsedEc2Config => ({ ok: false, reason: 'invalid', message: problem(field, value, fix) });
const unsupported = (field: string, value: unknown, fix: string): ParsedEc2Config => ({ ok: false, reason: 'unsupported', message: problem(field, value, fix) });

/**
 * Parses a cluster entry's provider fields for a target in `region`. The first bad field is
 * answered (`invalid`, or `unsupported` for what this target cannot do yet); unknown fields are ignored.
 */
export function parseEc2ClusterConfig(provider: Readonly<Record<string, unknown>> | undefined, region: string): ParsedEc2Config {
  const input = provider ?? {};
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    // A missing field's path ends at the field; a bad element's path goes down to it.
    const path = issue.path.filter((key): key is string | number => typeof key === 'string' || typeof key === 'number');
    return invalid(fieldOfPath(path), valueAt(input, path), issue.message);
  }
  const fields = parsed.data;

  // What this target cannot do yet: refused, never dropped.
  if (fields.loadBalancers.some((balancer) => balancer.trim() !== '')) {
    return unsupported('loadBalancers', fields.loadBalancers, 'classic load balancers are not supported yet; put the instances behind an ALB or NLB target group and list it in targetGroups');
  }
  if (fields.spotPrice !== undefined && String(fields.spotPrice).trim() !== '') {
    return unsupported('spotPrice', fields.spotPrice, 'spot instances are not supported yet; remove spotPrice (or set it to "") to run on-demand instances');
  }
  if (fields.setLaunchTemplate === false) {
    return unsupported('setLaunchTemplate', false, 'launch configurations are not supported (AWS no longer offers them to new accounts); set setLaunchTemplate to true or remove it');
  }
  if (fields.amiName !== undefined && fields.imageId !== undefined && fields.amiName !== fields.imageId) {
    return invalid('imageId', fields.imageId, `amiName is ${shown(fields.amiName)} too; set only one of them`);
  }
  if (fields.base64UserData !== undefined && fields.userData !== undefined) {
    return invalid('userData', fields.userData, 'base64UserData is set too; set only one of them');
  }
  const userData = fields.base64UserData ?? (fields.userData !== undefined ? Buffer.from(fields.userData, 'utf8').toString('base64') : undefined);
  if (userData !== undefined && Buffer.from(userData, 'base64').length > MAX_USER_DATA_BYTES) {
    return invalid(fields.base64UserData !== undefined ? 'base64UserData' : 'userData', `${userData.slice(0, 20)}...`, `user data may hold at most ${MAX_USER_DATA_BYTES} bytes; fetch the rest from S3 at boot`);
  }
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields.tags)) {
    if (key.startsWith('aws:')) continue; // clouddriver strips them: AWS refuses them
    if (key.startsWith(RESERVED_TAG_PREFIX)) return invalid(`tags.${key}`, value, `tag keys starting with "${RESERVED_TAG_PREFIX}" are Gennaker's own; rename the tag`);
    if (key.length === 0 || key.length > 128) return invalid('tags', key, 'tag keys hold 1 to 128 characters');
    if (value.length > 256) return invalid(`tags.${key}`, value, 'tag values hold at most 256 characters');
    tags[key] = value;
  }
  if (fields.subnetIds.length > 0 && fields.subnetType !== undefined && fields.subnetType.trim() !== '') {
    return invalid('subnetIds', fields.subnetIds, `subnetType is ${shown(fields.subnetType)} too; set only one of them`);
  }
  const zones = fields.availabilityZones?.[region] ?? [];
  const weighted = fields.weightedTraffic;
  if (weighted) {
    if (fields.targetGroups.length === 0) {
      return invalid('targetGroups', [], 'weighted mode needs the cluster\'s shared target group (the default split, by instance count) in targetGroups, e.g. ["hello-prod"]');
    }
    const pool = new Set(weighted.targetGroups);
    if (pool.size !== weighted.targetGroups.length) return invalid('weightedTraffic.targetGroups', weighted.targetGroups, 'list each target group once');
    const shared = weighted.targetGroups.find((candidate) => fields.targetGroups.includes(candidate));
    if (shared !== undefined) return invalid('weightedTraffic.targetGroups', weighted.targetGroups, `${shared} is a shared target group (in targetGroups); the pool needs target groups of its own`);
    const room = MAX_TARGET_GROUPS_PER_FORWARD - fields.targetGroups.length;
    if (weighted.targetGroups.length < 2 || weighted.targetGroups.length > room) {
      return invalid(
        'weightedTraffic.targetGroups',
        weighted.targetGroups,
        `list 2 to ${Math.max(2, room)} target groups: an ALB forward action holds at most ${MAX_TARGET_GROUPS_PER_FORWARD}, and ${fields.targetGroups.length} ${fields.targetGroups.length === 1 ? 'is' : 'are'} shared`,
      );
    }
  }
  const image = fields.amiName ?? fields.imageId;
  const config: Ec2ClusterConfig = {
    ...(image !== undefined ? { image } : {}),
    instanceType: fields.instanceType,
    ...(fields.subnetType !== undefined && fields.subnetType.trim() !== '' ? { subnetType: fields.subnetType } : {}),
    subnetIds: fields.subnetIds,
    availabilityZones: zones,
    securityGroups: fields.securityGroups,
    targetGroups: fields.targetGroups,
    healthCheckType: fields.healthCheckType,
    ...(fields.healthCheckGracePeriod !== undefined ? { healthCheckGracePeriod: fields.healthCheckGracePeriod } : {}),
    ...(fields.cooldown !== undefined ? { cooldown: fields.cooldown } : {}),
    terminationPolicies: fields.terminationPolicies,
    ...(fields.iamRole !== undefined && fields.iamRole.trim() !== '' ? { iamRole: fields.iamRole } : {}),
    ...(fields.keyPair !== undefined && fields.keyPair.trim() !== '' ? { keyPair: fields.keyPair } : {}),
    ...(userData !== undefined ? { userData } : {}),
    tags,
    ...(fields.instanceMonitoring !== undefined ? { instanceMonitoring: fields.instanceMonitoring } : {}),
    ...(fields.ebsOptimized !== undefined ? { ebsOptimized: fields.ebsOptimized } : {}),
    ...(fields.associatePublicIpAddress !== undefined ? { associatePublicIpAddress: fields.associatePublicIpAddress } : {}),
    requireIMDSv2: fields.requireIMDSv2 ?? true,
    suspendedProcesses: fields.suspendedProcesses,
    ...(weighted ? { weightedTraffic: { listenerArn: weighted.listenerArn, ...(weighted.ruleArn !== undefined ? { ruleArn: weighted.ruleArn } : {}), targetGroups: weighted.targetGroups } } : {}),
  };
  return { ok: true, config };
}
