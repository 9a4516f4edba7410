/**
 * Simulated Elastic Load Balancing v2 (awsQuery, Version 2015-12-01): target groups and their
 * targets' health (elbv2-targets.ts), application load balancers, listeners and rules whose
 * `forward` actions carry weighted target groups (Gennaker's weighted mode).
 */
import type { Ec2Sim } from './ec2.ts';
import { advanceTarget, describeReason, type HealthTiming, type InstanceProbe, type Target } from './elbv2-targets.ts';
import {
  awsQueryError,
  awsQueryResponse,
  int,
  isoTime,
  members,
  memberStrings,
  pageOf,
  plain,
  QueryError,
  queryParams,
  queryTree,
  required,
  str,
  type QueryNode,
  type QueryPlain,
  type XmlObject,
} from './query-protocol.ts';
import { hex } from './random.ts';
import { contextIn, createRegionalSim, DEFAULT_REGION, regionOfArn, type RegionalSim } from './regions.ts';
import type { AwsServiceSim, SimContext, SimRequest, SimResponse } from './service.ts';

const XMLNS = 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/';

interface TargetGroup extends HealthTiming {
  readonly arn: string;
  readonly name: string;
  readonly protocol: string;
  readonly port: number;
  readonly vpcId: string;
  readonly targetType: string;
  readonly healthCheckPath: string;
  readonly targets: Map<string, Target>;
}
interface LoadBalancer {
  readonly arn: string;
  readonly name: string;
  readonly vpcId: string;
  readonly createdTime: number;
  readonly subnets: readonly { subnetId: string; az: string }[];
  readonly securityGroups: readonly string[];
  readonly scheme: string;
}
interface Listener {
  readonly arn: string;
  readonly loadBalancerArn: string;
  port: number;
  protocol: string;
}
interface Rule {
  readonly arn: string;
  readonly listenerArn: string;
  readonly priority: string;
  conditions: QueryPlain[];
  actions: QueryPlain[];
}

/** A target group to seed. */
export interface SeedTargetGroup {
  /** The region it is in (default us-east-1; the simulator's seeding API reads it). */
  readonly region?: string;
  readonly name: string;
  readonly port?: number;
  readonly protocol?: string;
  readonly vpcId?: string;
  readonly targetType?: 'instance' | 'ip' | 'lambda';
  readonly deregistrationDelaySeconds?: number;
  readonly healthCheckIntervalSeconds?: number;
  readonly healthyThresholdCount?: number;
  readonly unhealthyThresholdCount?: number;
}
/** A listener to seed: forwards to target groups (by name or ARN) with optional weights. */
export interface SeedListener {
  /** The region of the load balancer (default: its ARN's, else us-east-1). */
  readonly region?: string;
  readonly port: number;
  readonly protocol?: string;
  readonly targetGroups: readonly { name?: string; arn?: string; weight?: number }[];
}
/** A listener rule to seed: forwards paths matching `pathPattern` to target groups by weight. */
export interface SeedRule {
  /** The rule's ARN as a pipeline names it (ECS blue/green's productionListenerRule); default: a fresh one under the listener. */
  readonly arn?: string;
  /** @default 1 */
  readonly priority?: number;
  /** @default '/*' */
  readonly pathPattern?: string;
  readonly targetGroups: readonly { name?: string; arn?: string; weight?: number }[];
}
/** Seeding ELBv2. */
export interface Elbv2Seeder {
  targetGroup(group: SeedTargetGroup): { targetGroupArn: string };
  loadBalancer(lb: { region?: string; name: string; subnetIds?: readonly string[]; listeners?: readonly SeedListener[] }): { loadBalancerArn: string; listenerArns: string[] };
  listener(loadBalancer: string, listener: SeedListener): { listenerArn: string };
  /** A rule of the listener (its ARN); seeding the same ARN again answers the rule already there. */
  rule(listenerArn: string, rule: SeedRule): { ruleArn: string };
}

/** The ELBv2 simulator, plus what Auto Scaling (and ECS) use to register targets. */
export interface Elbv2Sim extends AwsServiceSim {
  bindSeed(context: () => SimContext): Elbv2Seeder;
  targetGroupExists(arn: string): boolean;
  /** Registers targets (Auto Scaling's AddToLoadBalancer); unknown groups are ignored, as AWS detaches them. */
  register(ctx: SimContext, targetGroupArn: string, targets: readonly { id: string; port?: number }[]): void;
  deregister(ctx: SimContext, targetGroupArn: string, targets: readonly { id: string; port?: number }[]): void;
  /** The state of one target (undefined when not registered). */
  targetState(targetGroupArn: string, id: string): string | undefined;
}

const OPERATIONS = [
  'CreateTargetGroup',
  'DeleteTargetGroup',
  'DescribeTargetGroups',
  'DescribeTargetGroupAttributes',
  'ModifyTargetGroupAttributes',
  'RegisterTargets',
  'DeregisterTargets',
  'DescribeTargetHealth',
  'CreateLoadBalancer',
  'DescribeLoadBalancers',
  'CreateListener',
  'DescribeListeners',
  'ModifyListener',
  'CreateRule',
  'DescribeRules',
  'ModifyRule',
] as const;
type Operation = (typeof OPERATIONS)[number];

/** Creates the ELBv2 simulator. */
export function createElbv2Sim(): Elbv2Sim {
  const groups = new Map<string, TargetGroup>();
  const balancers = new Map<string, LoadBalancer>();
  const listeners = new Map<string, Listener>();
  const rules = new Map<string, Rule>();

  const ec2 = (ctx: SimContext) => ctx.service<Ec2Sim>('ec2');
  const probe =
    (ctx: SimContext): InstanceProbe =>
    (id) => {
      const instance = ec2(ctx)?.instance(id);
      if (!instance) return undefined;
      return instance.state === 'pending' ? 'pending' : instance.state === 'running' ? 'running' : 'stopped';
    };

  const groupNotFound = () => new QueryError('TargetGroupNotFound', 'One or more target groups not found');
  const group = (arn: string) => {
    const found = groups.get(arn);
    if (!found) throw groupNotFound();
    return found;
  };

  /** Load balancers whose listeners forward to the group (a group serves one balancer at most). */
  const balancersOf = (arn: string): string[] => {
    const out = new Set<string>();
    for (const rule of rules.values()) {
      if (forwardTargets(rule.actions).some((t) => t.arn === arn)) out.add(listeners.get(rule.listenerArn)!.loadBalancerArn);
    }
    return [...out];
  };

  const arn = (ctx: SimContext, kind: string, name: string) => `arn:aws:elasticloadbalancing:${ctx.region}:${ctx.accountId}:${kind}/${name}/${hex(ctx.random, 16)}`;

  const createTargetGroup = (ctx: SimContext, input: SeedTargetGroup & { healthCheckPath?: string }): TargetGroup => {
    if (!/^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?$/.test(input.name)) {
      throw new QueryError('ValidationError', `Target group name '${input.name}' can have a maximum of 32 characters, must contain only alphanumeric characters or hyphens, and must not begin or end with a hyphen`);
    }
    const existing = [...groups.values()].find((g) => g.name === input.name);
    if (existing) {
      if (existing.port === (input.port ?? 80) && existing.protocol === (input.protocol ?? 'HTTP')) return existing;
      throw new QueryError('DuplicateTargetGroupName', `A target group with the same name '${input.name}' exists, but with different settings`);
    }
    // In the VPC of the account's subnets and instances unless one is named, as a console user would pick it.
    const vpcId = input.vpcId ?? ec2(ctx)?.bindSeed(() => ctx).defaultVpc().vpcId ?? 'vpc-00000000000000000';
    const created: TargetGroup = {
      arn: arn(ctx, 'targetgroup', input.name),
      name: input.name,
      protocol: input.protocol ?? 'HTTP',
      port: input.port ?? 80,
      vpcId,
      targetType: input.targetType ?? 'instance',
      healthCheckPath: input.healthCheckPath ?? '/',
      intervalSeconds: input.healthCheckIntervalSeconds ?? 30,
      healthyThreshold: input.healthyThresholdCount ?? 5,
      unhealthyThreshold: input.unhealthyThresholdCount ?? 2,
      deregistrationDelaySeconds: input.deregistrationDelaySeconds ?? 300,
      targets: new Map(),
    };
    groups.set(created.arn, created);
    ctx.event('target-group.created', { targetGroupArn: created.arn, name: created.name });
    return created;
  };

  const createLoadBalancer = (ctx: SimContext, name: string, subnetIds: readonly string[], securityGroups: readonly string[], scheme: string): LoadBalancer => {
    if (!/^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?$/.test(name) || name.startsWith('internal-')) {
      throw new QueryError('ValidationError', `Load balancer name '${name}' can have a maximum of 32 characters, must contain only alphanumeric characters or hyphens, must not begin or end with a hyphen, and must not begin with "internal-"`);
    }
    const existing = [...balancers.values()].find((b) => b.name === name);
    if (existing) throw new QueryError('DuplicateLoadBalancerName', `A load balancer with the name '${name}' already exists`);
    const subnets = subnetIds.map((id) => {
      const subnet = ec2(ctx)?.subnet(id);
      if (!subnet) throw new QueryError('SubnetNotFound', `The subnet ID '${id}' is not valid`);
      return { subnetId: id, az: subnet.az, vpcId: subnet.vpcId };
    });
    const vpcId = subnets[0]?.vpcId ?? ec2(ctx)?.bindSeed(() => ctx).defaultVpc().vpcId ?? 'vpc-00000000000000000';
    const lb: LoadBalancer = {
      arn: arn(ctx, 'loadbalancer/app', name),
      name,
      vpcId,
      createdTime: ctx.now(),
      subnets: subnets.map(({ subnetId, az }) => ({ subnetId, az })),
      securityGroups,
      scheme,
    };
    balancers.set(lb.arn, lb);
    return lb;
  };

  /** Checks a forward action's groups exist, weights are 0-999, at most 5, and no group serves another balancer. */
  const checkActions = (actions: QueryPlain[], loadBalancerArn: string) => {
    for (const action of actions) {
      const targets = forwardTargets([action]);
      if (targets.length > 5) throw new QueryError('TooManyTargetGroups', 'You have reached the limit on the number of target groups per action (5)');
      for (const target of targets) {
        if (!groups.has(target.arn)) throw new QueryError('TargetGroupNotFound', `Target groups '${target.arn}' not found`);
        if (target.weight < 0 || target.weight > 999) throw new QueryError('ValidationError', `Target group weight ${target.weight} must be between 0 and 999`);
        const others = balancersOf(target.arn).filter((lb) => lb !== loadBalancerArn);
        if (others.length > 0) throw new QueryError('TargetGroupAssociationLimit', `The following target groups cannot be associated with more than one load balancer: ${target.arn}`);
      }
    }
  };

  const weightsEvent = (ctx: SimContext, listenerArn: string, ruleArn: string, actions: QueryPlain[]) => {
    ctx.event('weights.set', { listenerArn, ruleArn, targetGroups: forwardTargets(actions).map((t) => ({ targetGroupArn: t.arn, weight: t.weight })) });
  };

  const createListener = (ctx: SimContext, lb: LoadBalancer, port: number, protocol: string, actions: QueryPlain[]): Listener => {
    if ([...listeners.values()].some((l) => l.loadBalancerArn === lb.arn && l.port === port)) throw new QueryError('DuplicateListener', 'A listener already exists on this port for this load balancer');
    const normalized = actions.map(normalizeAction);
    checkActions(normalized, lb.arn);
    const listener: Listener = { arn: arn(ctx, 'listener/app', `${lb.name}/${lb.arn.split('/').pop()}`), loadBalancerArn: lb.arn, port, protocol };
    listeners.set(listener.arn, listener);
    const rule: Rule = { arn: listener.arn.replace(':listener/', ':listener-rule/') + `/${hex(ctx.random, 16)}`, listenerArn: listener.arn, priority: 'default', conditions: [], actions: normalized };
    rules.set(rule.arn, rule);
    weightsEvent(ctx, listener.arn, rule.arn, normalized);
    return listener;
  };

  const defaultRule = (listenerArn: string) => [...rules.values()].find((r) => r.listenerArn === listenerArn && r.priority === 'default')!;

  const registerTargets = (ctx: SimContext, tg: TargetGroup, targets: readonly { id: string; port?: number }[]) => {
    for (const t of targets) {
      const port = t.port ?? tg.port;
      const key = `${t.id}:${port}`;
      const current = tg.targets.get(key);
      if (current && current.state !== 'draining') continue;
      const target: Target = { id: t.id, port, state: 'initial', reason: 'Elb.RegistrationInProgress', script: current?.script ?? 'healthy' };
      tg.targets.set(key, target);
      ctx.event('target.registered', { targetGroupArn: tg.arn, targetId: t.id, port });
      advance(ctx, tg, target);
    }
  };

  const deregisterTargets = (ctx: SimContext, tg: TargetGroup, targets: readonly { id: string; port?: number }[]) => {
    for (const t of targets) {
      const port = t.port ?? tg.port;
      const target = tg.targets.get(`${t.id}:${port}`);
      if (!target || target.state === 'draining') continue;
      target.state = 'draining';
      target.reason = 'Target.DeregistrationInProgress';
      target.dueAt = ctx.now() + tg.deregistrationDelaySeconds * 1000;
      ctx.event('target.draining', { targetGroupArn: tg.arn, targetId: t.id, port });
      advance(ctx, tg, target);
    }
  };

  const advance = (ctx: SimContext, tg: TargetGroup, target: Target) => {
    const inUse = balancersOf(tg.arn).length > 0;
    for (const change of advanceTarget(target, ctx.now(), inUse, tg, probe(ctx))) {
      ctx.event(change.kind, { targetGroupArn: tg.arn, targetId: target.id, port: target.port });
      if (change.removed) tg.targets.delete(`${target.id}:${target.port}`);
    }
  };

  /** Validates `Targets.member.N` against EC2 as AWS does for instance targets. */
  const targetsOf = (ctx: SimContext, tg: TargetGroup, params: QueryNode, registering: boolean) => {
    const targets = members(params, 'Targets').map((m) => {
      const id = typeof m === 'string' ? '' : (str(m, 'Id') ?? '');
      const port = typeof m === 'string' ? undefined : int(m, 'Port');
      return { id, ...(port !== undefined ? { port } : {}) };
    });
    if (targets.length === 0) throw new QueryError('ValidationError', "1 validation error detected: Value null at 'targets' failed to satisfy constraint: Member must not be null");
    if (tg.targetType === 'instance') {
      const unknown = targets.filter((t) => !ec2(ctx)?.instance(t.id));
      if (unknown.length > 0) throw new QueryError('InvalidTarget', `The following targets are not valid instances: ${unknown.map((t) => `'${t.id}'`).join(', ')}`);
      if (registering) {
        const stopped = targets.filter((t) => probe(ctx)(t.id) === 'stopped');
        if (stopped.length > 0) throw new QueryError('InvalidTarget', `The following targets are not in a running state and cannot be registered: ${stopped.map((t) => `'${t.id}'`).join(', ')}`);
        const elsewhere = targets.filter((t) => ec2(ctx)?.instance(t.id)?.vpcId !== tg.vpcId);
        if (elsewhere.length > 0) throw new QueryError('InvalidTarget', `The following targets are not in the target group VPC '${tg.vpcId}': ${elsewhere.map((t) => `'${t.id}'`).join(', ')}`);
      }
    }
    return targets;
  };

  const handlers: Record<Operation, (p: QueryNode, ctx: SimContext) => XmlObject> = {
    CreateTargetGroup: (p, ctx) => {
      const created = createTargetGroup(ctx, {
        name: required(p, 'Name'),
        ...optional('protocol', str(p, 'Protocol')),
        ...optional('port', int(p, 'Port')),
        ...optional('vpcId', str(p, 'VpcId')),
        ...optional('targetType', str(p, 'TargetType') as SeedTargetGroup['targetType']),
        ...optional('healthCheckIntervalSeconds', int(p, 'HealthCheckIntervalSeconds')),
        ...optional('healthyThresholdCount', int(p, 'HealthyThresholdCount')),
        ...optional('unhealthyThresholdCount', int(p, 'UnhealthyThresholdCount')),
        ...optional('healthCheckPath', str(p, 'HealthCheckPath')),
      });
      return { TargetGroups: [groupXml(created)] };
    },
    DeleteTargetGroup: (p, ctx) => {
      const tg = group(required(p, 'TargetGroupArn'));
      if (balancersOf(tg.arn).length > 0) throw new QueryError('ResourceInUse', `Target group '${tg.arn}' is currently in use by a listener or a rule`);
      groups.delete(tg.arn);
      ctx.event('target-group.deleted', { targetGroupArn: tg.arn });
      return {};
    },
    DescribeTargetGroups: (p) => {
      const arns = memberStrings(p, 'TargetGroupArns');
      const names = memberStrings(p, 'Names');
      const lbArn = str(p, 'LoadBalancerArn');
      if (lbArn !== undefined && !balancers.has(lbArn)) throw new QueryError('LoadBalancerNotFound', `Load balancer '${lbArn}' not found`);
      if (arns.some((a) => !groups.has(a))) throw groupNotFound();
      if (names.some((n) => ![...groups.values()].some((g) => g.name === n))) throw groupNotFound();
      const list = [...groups.values()].filter(
        (g) => (arns.length === 0 || arns.includes(g.arn)) && (names.length === 0 || names.includes(g.name)) && (lbArn === undefined || balancersOf(g.arn).includes(lbArn)),
      );
      const { page, next } = pageOf(list, str(p, 'Marker'), int(p, 'PageSize'), { max: 400, code: 'ValidationError', field: 'pageSize' });
      return { TargetGroups: page.map(groupXml), NextMarker: next };
    },
    DescribeTargetGroupAttributes: (p) => ({ Attributes: attributesXml(group(required(p, 'TargetGroupArn'))) }),
    ModifyTargetGroupAttributes: (p) => {
      const tg = group(required(p, 'TargetGroupArn'));
      for (const attribute of members(p, 'Attributes')) {
        if (typeof attribute === 'string' || str(attribute, 'Key') !== 'deregistration_delay.timeout_seconds') continue;
        const seconds = Number(str(attribute, 'Value'));
        if (!Number.isInteger(seconds) || seconds < 0 || seconds > 3600) throw new QueryError('ValidationError', `'deregistration_delay.timeout_seconds' must be an integer between 0 and 3600, got '${str(attribute, 'Value')}'`);
        (tg as { deregistrationDelaySeconds: number }).deregistrationDelaySeconds = seconds;
      }
      return { Attributes: attributesXml(tg) };
    },
    RegisterTargets: (p, ctx) => {
      const tg = group(required(p, 'TargetGroupArn'));
      registerTargets(ctx, tg, targetsOf(ctx, tg, p, true));
      return {};
    },
    DeregisterTargets: (p, ctx) => {
      const tg = group(required(p, 'TargetGroupArn'));
      deregisterTargets(ctx, tg, targetsOf(ctx, tg, p, false));
      return {};
    },
    DescribeTargetHealth: (p, ctx) => {
      const tg = group(required(p, 'TargetGroupArn'));
      const asked = members(p, 'Targets').map((m) => ({ id: typeof m === 'string' ? '' : (str(m, 'Id') ?? ''), port: typeof m === 'string' ? undefined : int(m, 'Port') }));
      if (tg.targetType === 'instance') {
        const unknown = asked.filter((t) => !ec2(ctx)?.instance(t.id));
        if (unknown.length > 0) throw new QueryError('InvalidTarget', `The following targets are not valid instances: ${unknown.map((t) => `'${t.id}'`).join(', ')}`);
      }
      const descriptions =
        asked.length === 0
          ? [...tg.targets.values()].map((t) => targetHealthXml(t.id, t.port, t.state, t.reason))
          : asked.map((a) => {
              const found = [...tg.targets.values()].find((t) => t.id === a.id && (a.port === undefined || t.port === a.port));
              return found ? targetHealthXml(found.id, found.port, found.state, found.reason) : targetHealthXml(a.id, a.port ?? tg.port, 'unused', 'Target.NotRegistered');
            });
      return { TargetHealthDescriptions: descriptions };
    },
    CreateLoadBalancer: (p, ctx) => {
      const lb = createLoadBalancer(ctx, required(p, 'Name'), memberStrings(p, 'Subnets'), memberStrings(p, 'SecurityGroups'), str(p, 'Scheme') ?? 'internet-facing');
      return { LoadBalancers: [balancerXml(lb)] };
    },
    DescribeLoadBalancers: (p) => {
      const arns = memberStrings(p, 'LoadBalancerArns');
      const names = memberStrings(p, 'Names');
      const missing = [...arns.filter((a) => !balancers.has(a)), ...names.filter((n) => ![...balancers.values()].some((b) => b.name === n))];
      if (missing.length > 0) throw new QueryError('LoadBalancerNotFound', `Load balancers '[${missing.join(', ')}]' not found`);
      const list = [...balancers.values()].filter((b) => (arns.length === 0 || arns.includes(b.arn)) && (names.length === 0 || names.includes(b.name)));
      const { page, next } = pageOf(list, str(p, 'Marker'), int(p, 'PageSize'), { max: 400, code: 'ValidationError', field: 'pageSize' });
      return { LoadBalancers: page.map(balancerXml), NextMarker: next };
    },
    CreateListener: (p, ctx) => {
      const lbArn = required(p, 'LoadBalancerArn');
      const lb = balancers.get(lbArn);
      if (!lb) throw new QueryError('LoadBalancerNotFound', `Load balancer '${lbArn}' not found`);
      const listener = createListener(ctx, lb, int(p, 'Port') ?? 80, str(p, 'Protocol') ?? 'HTTP', actionsOf(p, 'DefaultActions'));
      return { Listeners: [listenerXml(listener)] };
    },
    DescribeListeners: (p) => {
      const lbArn = str(p, 'LoadBalancerArn');
      const arns = memberStrings(p, 'ListenerArns');
      if (lbArn === undefined && arns.length === 0) throw new QueryError('ValidationError', 'You must specify either listener ARNs or a load balancer ARN');
      if (lbArn !== undefined && !balancers.has(lbArn)) throw new QueryError('LoadBalancerNotFound', `Load balancer '${lbArn}' not found`);
      const missing = arns.find((a) => !listeners.has(a));
      if (missing) throw new QueryError('ListenerNotFound', `One or more listeners not found`);
      const list = [...listeners.values()].filter((l) => (lbArn === undefined || l.loadBalancerArn === lbArn) && (arns.length === 0 || arns.includes(l.arn)));
      const { page, next } = pageOf(list, str(p, 'Marker'), int(p, 'PageSize'), { max: 400, code: 'ValidationError', field: 'pageSize' });
      return { Listeners: page.map(listenerXml), NextMarker: next };
    },
    ModifyListener: (p, ctx) => {
      const listenerArn = required(p, 'ListenerArn');
      const listener = listeners.get(listenerArn);
      if (!listener) throw new QueryError('ListenerNotFound', 'One or more listeners not found');
      const port = int(p, 'Port');
      const protocol = str(p, 'Protocol');
      if (port !== undefined) listener.port = port;
      if (protocol !== undefined) listener.protocol = protocol;
      if (members(p, 'DefaultActions').length > 0) {
        const actions = actionsOf(p, 'DefaultActions').map(normalizeAction);
        checkActions(actions, listener.loadBalancerArn);
        const rule = defaultRule(listener.arn);
        rule.actions = actions;
        weightsEvent(ctx, listener.arn, rule.arn, actions);
      }
      return { Listeners: [listenerXml(listener)] };
    },
    CreateRule: (p, ctx) => {
      const listenerArn = required(p, 'ListenerArn');
      const listener = listeners.get(listenerArn);
      if (!listener) throw new QueryError('ListenerNotFound', 'One or more listeners not found');
      const priority = required(p, 'Priority');
      if ([...rules.values()].some((r) => r.listenerArn === listenerArn && r.priority === priority)) throw new QueryError('PriorityInUse', `Priority '${priority}' is currently in use`);
      const actions = actionsOf(p, 'Actions').map(normalizeAction);
      checkActions(actions, listener.loadBalancerArn);
      const rule: Rule = { arn: listenerArn.replace(':listener/', ':listener-rule/') + `/${hex(ctx.random, 16)}`, listenerArn, priority, conditions: members(p, 'Conditions').map(plain), actions };
      rules.set(rule.arn, rule);
      weightsEvent(ctx, listenerArn, rule.arn, actions);
      return { Rules: [ruleXml(rule)] };
    },
    DescribeRules: (p) => {
      const listenerArn = str(p, 'ListenerArn');
      const arns = memberStrings(p, 'RuleArns');
      if (listenerArn === undefined && arns.length === 0) throw new QueryError('ValidationError', 'You must specify either listener ARN or rule ARNs');
      if (listenerArn !== undefined && !listeners.has(listenerArn)) throw new QueryError('ListenerNotFound', 'One or more listeners not found');
      if (arns.some((a) => !rules.has(a))) throw new QueryError('RuleNotFound', 'One or more rules not found');
      const list = [...rules.values()]
        .filter((r) => (listenerArn === undefined || r.listenerArn === listenerArn) && (arns.length === 0 || arns.includes(r.arn)))
        .sort((a, b) => rulePriority(a) - rulePriority(b));
      const { page, next } = pageOf(list, str(p, 'Marker'), int(p, 'PageSize'), { max: 400, code: 'ValidationError', field: 'pageSize' });
      return { Rules: page.map(ruleXml), NextMarker: next };
    },
    ModifyRule: (p, ctx) => {
      const ruleArn = required(p, 'RuleArn');
      const rule = rules.get(ruleArn);
      if (!rule) throw new QueryError('RuleNotFound', 'One or more rules not found');
      if (members(p, 'Conditions').length > 0) {
        if (rule.priority === 'default') throw new QueryError('OperationNotPermitted', 'Conditions cannot be modified on a default rule');
        rule.conditions = members(p, 'Conditions').map(plain);
      }
      if (members(p, 'Actions').length > 0) {
        const actions = actionsOf(p, 'Actions').map(normalizeAction);
        checkActions(actions, listeners.get(rule.listenerArn)!.loadBalancerArn);
        rule.actions = actions;
        weightsEvent(ctx, rule.listenerArn, rule.arn, actions);
      }
      return { Rules: [ruleXml(rule)] };
    },
  };

  const groupXml = (g: TargetGroup): XmlObject => ({
    TargetGroupArn: g.arn,
    TargetGroupName: g.name,
    Protocol: g.protocol,
    Port: g.port,
    VpcId: g.vpcId,
    HealthCheckProtocol: g.protocol,
    HealthCheckPort: 'traffic-port',
    HealthCheckEnabled: true,
    HealthCheckIntervalSeconds: g.intervalSeconds,
    HealthCheckTimeoutSeconds: 5,
    HealthyThresholdCount: g.healthyThreshold,
    UnhealthyThresholdCount: g.unhealthyThreshold,
    HealthCheckPath: g.healthCheckPath,
    Matcher: { HttpCode: '200' },
    LoadBalancerArns: balancersOf(g.arn),
    TargetType: g.targetType,
    ProtocolVersion: 'HTTP1',
    IpAddressType: 'ipv4',
  });

  const listenerXml = (l: Listener): XmlObject => ({
    ListenerArn: l.arn,
    LoadBalancerArn: l.loadBalancerArn,
    Port: l.port,
    Protocol: l.protocol,
    DefaultActions: defaultRule(l.arn).actions as XmlObject[],
  });

  const ruleXml = (r: Rule): XmlObject => ({
    RuleArn: r.arn,
    Priority: r.priority,
    Conditions: r.conditions as XmlObject[],
    Actions: r.actions as XmlObject[],
    IsDefault: r.priority === 'default',
  });

  const seeder = (context: () => SimContext): Elbv2Seeder => {
    const resolveGroup = (ref: { name?: string; arn?: string }) => {
      const found = ref.arn ? groups.get(ref.arn) : [...groups.values()].find((g) => g.name === ref.name);
      if (!found) throw new Error(`no target group ${ref.arn ?? ref.name ?? '(unnamed)'}: seed it with targetGroup() first`);
      return found.arn;
    };
    const seedActions = (l: SeedListener): QueryPlain[] => [
      { Type: 'forward', ForwardConfig: { TargetGroups: l.targetGroups.map((t) => ({ TargetGroupArn: resolveGroup(t), Weight: String(t.weight ?? 1) })) } },
    ];
    const listener: Elbv2Seeder['listener'] = (ref, l) => {
      const lb = balancers.get(ref) ?? [...balancers.values()].find((b) => b.name === ref);
      if (!lb) throw new Error(`no load balancer '${ref}': seed it with loadBalancer() first`);
      return { listenerArn: createListener(context(), lb, l.port, l.protocol ?? 'HTTP', seedActions(l)).arn };
    };
    const rule: Elbv2Seeder['rule'] = (listenerArn, r) => {
      const listener = listeners.get(listenerArn);
      if (!listener) throw new Error(`no listener '${listenerArn}': seed it with loadBalancer() or listener() first`);
      if (r.arn !== undefined && rules.has(r.arn)) return { ruleArn: r.arn };
      if (r.arn !== undefined && !/^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:listener-rule\/(app|net)\/.+$/.test(r.arn)) throw new Error(`rule: '${r.arn}' is not a listener rule ARN (arn:aws:elasticloadbalancing:<region>:<account>:listener-rule/app/...)`);
      const priority = String(r.priority ?? 1);
      if ([...rules.values()].some((existing) => existing.listenerArn === listenerArn && existing.priority === priority)) throw new Error(`rule: priority ${priority} is in use on listener '${listenerArn}'`);
      const ctx = context();
      const actions = seedActions({ port: listener.port, targetGroups: r.targetGroups }).map(normalizeAction);
      checkActions(actions, listener.loadBalancerArn);
      const created: Rule = {
        arn: r.arn ?? listenerArn.replace(':listener/', ':listener-rule/') + `/${hex(ctx.random, 16)}`,
        listenerArn,
        priority,
        conditions: [{ Field: 'path-pattern', Values: [r.pathPattern ?? '/*'] }],
        actions,
      };
      rules.set(created.arn, created);
      weightsEvent(ctx, listenerArn, created.arn, actions);
      return { ruleArn: created.arn };
    };
    return {
      targetGroup: (g) => ({ targetGroupArn: createTargetGroup(context(), g).arn }),
      loadBalancer: (input) => {
        const lb = createLoadBalancer(context(), input.name, input.subnetIds ?? [], [], 'internet-facing');
        return { loadBalancerArn: lb.arn, listenerArns: (input.listeners ?? []).map((l) => listener(lb.arn, l).listenerArn) };
      },
      listener,
      rule,
    };
  };

  return {
    signingName: 'elasticloadbalancing',
    protocol: { kind: 'awsQuery', xmlns: XMLNS, version: '2015-12-01' },
    operations: OPERATIONS,
    handle(req: SimRequest, ctx: SimContext): SimResponse {
      const params = queryTree(queryParams(req));
      const action = str(params, 'Action') as Operation;
      try {
        return awsQueryResponse(action, XMLNS, handlers[action](params, ctx), ctx.requestId);
      } catch (error) {
        if (error instanceof QueryError) return awsQueryError(XMLNS, error.status, error.code, error.message, ctx.requestId);
        throw error;
      }
    },
    reconcile(ctx) {
      for (const tg of groups.values()) for (const target of [...tg.targets.values()]) advance(ctx, tg, target);
    },
    nextChangeAt() {
      let next: number | undefined;
      for (const tg of groups.values()) for (const t of tg.targets.values()) if (t.dueAt !== undefined && (next === undefined || t.dueAt < next)) next = t.dueAt;
      return next;
    },
    snapshot() {
      return {
        targetGroups: [...groups.values()].map((g) => ({
          targetGroupArn: g.arn,
          name: g.name,
          port: g.port,
          deregistrationDelaySeconds: g.deregistrationDelaySeconds,
          loadBalancerArns: balancersOf(g.arn),
          targets: [...g.targets.values()].map((t) => ({ id: t.id, port: t.port, state: t.state, ...(t.reason ? { reason: t.reason } : {}) })),
        })),
        loadBalancers: [...balancers.values()].map((b) => ({ loadBalancerArn: b.arn, name: b.name })),
        listeners: [...listeners.values()].map((l) => ({
          listenerArn: l.arn,
          loadBalancerArn: l.loadBalancerArn,
          port: l.port,
          rules: [...rules.values()].filter((r) => r.listenerArn === l.arn).map((r) => ({ ruleArn: r.arn, priority: r.priority, forward: forwardTargets(r.actions) })),
        })),
      };
    },
    control(command, input, ctx) {
      if (command === 'health') {
        const ref = String(input['targetGroup'] ?? input['targetGroupArn'] ?? '');
        const tg = groups.get(ref) ?? [...groups.values()].find((g) => g.name === ref);
        if (!tg) throw new Error(`health: no target group '${ref}' (give 'targetGroup' as a name or ARN)`);
        const state = input['state'];
        if (state !== 'healthy' && state !== 'unhealthy') throw new Error(`health: 'state' must be 'healthy' or 'unhealthy', got ${JSON.stringify(state)}`);
        const id = input['targetId'];
        const matched = [...tg.targets.values()].filter((t) => id === undefined || t.id === id);
        if (matched.length === 0) throw new Error(`health: target '${String(id)}' is not registered in '${tg.name}'`);
        for (const target of matched) {
          if (target.script !== state && target.state !== 'draining') delete target.dueAt;
          target.script = state;
          advance(ctx, tg, target);
        }
        return { targetGroupArn: tg.arn, targets: matched.map((t) => t.id), state };
      }
      const seed = seeder(() => ctx);
      if (command === 'targetGroup') return seed.targetGroup(input as unknown as SeedTargetGroup);
      if (command === 'loadBalancer') return seed.loadBalancer(input as unknown as Parameters<Elbv2Seeder['loadBalancer']>[0]);
      if (command === 'listener') return seed.listener(String(input['loadBalancer'] ?? ''), input as unknown as SeedListener);
      if (command === 'rule') return seed.rule(String(input['listener'] ?? ''), input as unknown as SeedRule);
      throw new Error(`elasticloadbalancing has no side-door command '${command}' (have: health, targetGroup, loadBalancer, listener, rule)`);
    },
    bindSeed: seeder,
    targetGroupExists: (arn) => groups.has(arn),
    register: (ctx, tgArn, targets) => {
      const tg = groups.get(tgArn);
      if (tg) registerTargets(ctx, tg, targets);
    },
    deregister: (ctx, tgArn, targets) => {
      const tg = groups.get(tgArn);
      if (tg) deregisterTargets(ctx, tg, targets);
    },
    targetState: (tgArn, id) => [...(groups.get(tgArn)?.targets.values() ?? [])].find((t) => t.id === id)?.state,
  };
}

/** ELBv2 in every region (regions.ts), plus what ECS uses of it, each call in the region of the target group's ARN. */
export function createRegionalElbv2Sim(): RegionalSim<Elbv2Sim> & Pick<Elbv2Sim, 'targetGroupExists' | 'register' | 'deregister' | 'targetState'> {
  const regional = createRegionalSim(() => createElbv2Sim());
  const regionOf = (arn: string) => regionOfArn(arn) ?? DEFAULT_REGION;
  return {
    ...regional,
    targetGroupExists: (arn) => regional.in(regionOf(arn)).targetGroupExists(arn),
    register: (ctx, arn, targets) => regional.in(regionOf(arn)).register(contextIn(ctx, regionOf(arn)), arn, targets),
    deregister: (ctx, arn, targets) => regional.in(regionOf(arn)).deregister(contextIn(ctx, regionOf(arn)), arn, targets),
    targetState: (arn, id) => regional.in(regionOf(arn)).targetState(arn, id),
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function actionsOf(p: QueryNode, key: string): QueryPlain[] {
  const actions = members(p, key).map(plain);
  if (actions.length === 0) throw new QueryError('ValidationError', `1 validation error detected: Value null at '${key.charAt(0).toLowerCase()}${key.slice(1)}' failed to satisfy constraint: Member must not be null`);
  return actions;
}

/** As AWS answers: a single-group forward keeps `TargetGroupArn` and gains the equivalent `ForwardConfig` (weight 1). */
function normalizeAction(action: QueryPlain): QueryPlain {
  if (typeof action !== 'object' || Array.isArray(action) || action['Type'] !== 'forward') return action;
  const tgArn = action['TargetGroupArn'];
  const forward = action['ForwardConfig'];
  const out: { [key: string]: QueryPlain } = { ...action };
  if (typeof tgArn === 'string' && forward === undefined) {
    out['ForwardConfig'] = { TargetGroups: [{ TargetGroupArn: tgArn, Weight: '1' }], TargetGroupStickinessConfig: { Enabled: 'false' } };
  } else if (typeof forward === 'object' && !Array.isArray(forward)) {
    const config: { [key: string]: QueryPlain } = { ...forward };
    const groups = Array.isArray(config['TargetGroups']) ? config['TargetGroups'] : [];
    config['TargetGroups'] = groups.map((g) => (typeof g === 'object' && !Array.isArray(g) ? { TargetGroupArn: g['TargetGroupArn'] ?? '', Weight: g['Weight'] ?? '1' } : g));
    if (config['TargetGroupStickinessConfig'] === undefined) config['TargetGroupStickinessConfig'] = { Enabled: 'false' };
    out['ForwardConfig'] = config;
    if (groups.length === 1 && tgArn === undefined && typeof groups[0] === 'object' && !Array.isArray(groups[0])) out['TargetGroupArn'] = groups[0]['TargetGroupArn'] ?? '';
  }
  return out;
}

/** The weighted target groups of forward actions. */
function forwardTargets(actions: readonly QueryPlain[]): { arn: string; weight: number }[] {
  const out: { arn: string; weight: number }[] = [];
  for (const action of actions) {
    if (typeof action !== 'object' || Array.isArray(action) || action['Type'] !== 'forward') continue;
    const forward = action['ForwardConfig'];
    const groups = typeof forward === 'object' && !Array.isArray(forward) && Array.isArray(forward['TargetGroups']) ? forward['TargetGroups'] : [];
    if (groups.length === 0 && typeof action['TargetGroupArn'] === 'string') out.push({ arn: action['TargetGroupArn'], weight: 1 });
    for (const g of groups) if (typeof g === 'object' && !Array.isArray(g)) out.push({ arn: String(g['TargetGroupArn'] ?? ''), weight: Number(g['Weight'] ?? 1) });
  }
  return out;
}

function rulePriority(rule: Rule): number {
  return rule.priority === 'default' ? Number.MAX_SAFE_INTEGER : Number(rule.priority);
}

function attributesXml(tg: TargetGroup): XmlObject[] {
  return [
    { Key: 'deregistration_delay.timeout_seconds', Value: String(tg.deregistrationDelaySeconds) },
    { Key: 'stickiness.enabled', Value: 'false' },
    { Key: 'load_balancing.algorithm.type', Value: 'round_robin' },
    { Key: 'slow_start.duration_seconds', Value: '0' },
  ];
}

function balancerXml(b: LoadBalancer): XmlObject {
  const id = b.arn.split('/').pop()!;
  return {
    LoadBalancerArn: b.arn,
    DNSName: `${b.name}-${parseInt(id.slice(0, 8), 16)}.${b.arn.split(':')[3]}.elb.amazonaws.com`,
    CanonicalHostedZoneId: 'Z35SXDOTRQ7X7K',
    CreatedTime: isoTime(b.createdTime),
    LoadBalancerName: b.name,
    Scheme: b.scheme,
    VpcId: b.vpcId,
    State: { Code: 'active' },
    Type: 'application',
    AvailabilityZones: b.subnets.map((s) => ({ ZoneName: s.az, SubnetId: s.subnetId })),
    SecurityGroups: b.securityGroups,
    IpAddressType: 'ipv4',
  };
}

function targetHealthXml(id: string, port: number, state: string, reason: string | undefined): XmlObject {
  return {
    Target: { Id: id, Port: port },
    HealthCheckPort: String(port),
    TargetHealth: { State: state, Reason: reason, Description: describeReason(reason) },
    AdministrativeOverride: { State: 'no_override', Reason: 'AdministrativeOverride.NoOverride', Description: 'No override is currently active on target' },
  };
}
