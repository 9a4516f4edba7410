/**
 * The health of one target group's targets, as ELBv2 moves it on its own:
 *
 *   registered → initial (Elb.RegistrationInProgress) → healthy after HealthyThresholdCount ×
 *   HealthCheckIntervalSeconds of passing checks (counted once an instance target is running);
 *   a scripted failure → unhealthy (Target.FailedHealthChecks) after UnhealthyThresholdCount ×
 *   interval; deregistered → draining (Target.DeregistrationInProgress) → removed after the
 *   group's deregistration delay. A group no listener forwards to holds its targets `unused`
 *   (Target.NotInUse) and drops deregistered ones at once.
 */
import type { AwsEvent } from './server.ts';

/** The states of the SDK's TargetHealthStateEnum this simulator reaches. */
export type TargetState = 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining';

/** One registered target. */
export interface Target {
  readonly id: string;
  readonly port: number;
  readonly availabilityZone?: string;
  state: TargetState;
  reason?: string;
  /** When the current state's transition happens (initial → healthy, draining → removed, …). */
  dueAt?: number;
  /** Side-door script: `unhealthy` makes health checks fail until set back to `healthy`. */
  script: 'healthy' | 'unhealthy';
}

/** Health-check figures that set the transition times. */
export interface HealthTiming {
  readonly intervalSeconds: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
  readonly deregistrationDelaySeconds: number;
}

/** What a target's owner (EC2) says about it: undefined = not an instance the simulator knows. */
export type InstanceProbe = (id: string) => 'pending' | 'running' | 'stopped' | undefined;

const DESCRIPTIONS: Record<string, string> = {
  'Elb.RegistrationInProgress': 'Target registration is in progress',
  'Elb.InitialHealthChecking': 'Initial health checks in progress',
  'Target.FailedHealthChecks': 'Health checks failed',
  'Target.DeregistrationInProgress': 'Target deregistration is in progress',
  'Target.NotInUse': 'Target group is not configured to receive traffic from the load balancer',
  'Target.NotRegistered': 'Target is not registered to the target group',
  'Target.InvalidState': 'Target is in the stopped state',
};

/** The SDK-facing description of a reason code. */
export function describeReason(reason: string | undefined): string | undefined {
  return reason === undefined ? undefined : DESCRIPTIONS[reason];
}

/** Advances one target to `now`; returns the events to log (kind, detail) in order. */
export function advanceTarget(target: Target, now: number, inUse: boolean, timing: HealthTiming, probe: InstanceProbe): { kind: string; removed?: boolean }[] {
  const out: { kind: string; removed?: boolean }[] = [];
  const set = (state: TargetState, reason: string | undefined, dueAt: number | undefined, kind?: string) => {
    target.state = state;
    if (reason === undefined) delete target.reason;
    else target.reason = reason;
    if (dueAt === undefined) delete target.dueAt;
    else target.dueAt = dueAt;
    if (kind) out.push({ kind });
  };
  if (target.state === 'draining') {
    if (!inUse || (target.dueAt !== undefined && target.dueAt <= now)) out.push({ kind: 'target.removed', removed: true });
    return out;
  }
  const instance = probe(target.id);
  if (!inUse || instance === 'stopped') {
    if (target.state !== 'unused') set('unused', inUse ? 'Target.InvalidState' : 'Target.NotInUse', undefined, 'target.unused');
    return out;
  }
  if (target.state === 'unused') set('initial', 'Elb.RegistrationInProgress', undefined, 'target.initial');
  if (instance === 'pending') {
    // Health checks start once the instance runs.
    if (target.dueAt !== undefined) delete target.dueAt;
    return out;
  }
  const healthyAfter = timing.healthyThreshold * timing.intervalSeconds * 1000;
  const unhealthyAfter = timing.unhealthyThreshold * timing.intervalSeconds * 1000;
  const wantsHealthy = target.script === 'healthy';
  if (target.state === 'initial' || target.state === 'unhealthy') {
    if (wantsHealthy && target.state === 'unhealthy' && target.dueAt === undefined) target.dueAt = now + healthyAfter;
    if (wantsHealthy && target.state === 'initial' && target.dueAt === undefined) target.dueAt = now + healthyAfter;
    if (!wantsHealthy && target.state === 'initial' && target.dueAt === undefined) target.dueAt = now + unhealthyAfter;
    if (!wantsHealthy && target.state === 'unhealthy') delete target.dueAt;
    if (target.dueAt !== undefined && target.dueAt <= now) {
      if (wantsHealthy) set('healthy', undefined, undefined, 'target.healthy');
      else set('unhealthy', 'Target.FailedHealthChecks', undefined, 'target.unhealthy');
    }
    return out;
  }
  // healthy
  if (!wantsHealthy) {
    if (target.dueAt === undefined) target.dueAt = now + unhealthyAfter;
    if (target.dueAt <= now) set('unhealthy', 'Target.FailedHealthChecks', undefined, 'target.unhealthy');
  } else if (target.dueAt !== undefined) {
    delete target.dueAt;
  }
  return out;
}

/**
 * Replays the event log into, per target group, the number of healthy registered targets after
 * each change: `[{ time, healthy }]`. A draining target no longer counts (it takes no new
 * requests). Zero-downtime checks read this series.
 */
export function healthyTargetsOverTime(events: readonly AwsEvent[], targetGroupArn: string): { time: number; healthy: number }[] {
  const healthy = new Set<string>();
  const series: { time: number; healthy: number }[] = [];
  for (const event of events) {
    if (event.detail['targetGroupArn'] !== targetGroupArn || !event.kind.startsWith('target.')) continue;
    const key = `${String(event.detail['targetId'])}:${String(event.detail['port'])}`;
    const before = healthy.size;
    if (event.kind === 'target.healthy') healthy.add(key);
    else healthy.delete(key);
    if (healthy.size !== before || series.length === 0) series.push({ time: event.time, healthy: healthy.size });
  }
  return series;
}

/** What a listener could send requests to at one instant (see `servingTargetsOverTime`). */
export interface ServingPoint {
  readonly time: number;
  /** Distinct healthy targets in the target groups its forward action weighs above 0. */
  readonly healthy: number;
  /** Target groups weighed above 0 with no healthy target: their share of requests fails. */
  readonly starved: readonly string[];
}

/**
 * Replays the event log into what one listener's forward action could serve after each change:
 * the healthy targets of the target groups it weighs above 0 (a target in two of them counts
 * once), and the weighted groups left without a healthy target. Weights come from the listener's
 * `weights.set` events (its creation is one), so zero-downtime checks in weighted mode read this
 * series: `healthy` at least the capacity asked, `starved` empty. With `ruleArn`, one rule of the
 * listener instead of its default action (ECS native blue/green weighs a rule).
 */
export function servingTargetsOverTime(events: readonly AwsEvent[], listenerArn: string, ruleArn?: string): ServingPoint[] {
  const healthyByGroup = new Map<string, Set<string>>();
  let weights = new Map<string, number>();
  const series: ServingPoint[] = [];
  let last = '';
  for (const event of events) {
    if (event.kind === 'weights.set' && event.detail['listenerArn'] === listenerArn && (ruleArn === undefined || event.detail['ruleArn'] === ruleArn)) {
      const groups = event.detail['targetGroups'] as ReadonlyArray<{ targetGroupArn: string; weight: number }>;
      weights = new Map(groups.map((group) => [group.targetGroupArn, group.weight]));
    } else if (event.kind.startsWith('target.')) {
      const group = String(event.detail['targetGroupArn']);
      const healthy = healthyByGroup.get(group) ?? new Set<string>();
      healthyByGroup.set(group, healthy);
      const key = `${String(event.detail['targetId'])}:${String(event.detail['port'])}`;
      if (event.kind === 'target.healthy') healthy.add(key);
      else healthy.delete(key);
    } else {
      continue;
    }
    const weighed = [...weights].filter(([, weight]) => weight > 0).map(([group]) => group);
    const serving = new Set(weighed.flatMap((group) => [...(healthyByGroup.get(group) ?? [])]));
    const starved = weighed.filter((group) => (healthyByGroup.get(group)?.size ?? 0) === 0);
    const point = { time: event.time, healthy: serving.size, starved };
    const shape = `${point.healthy}|${starved.join(',')}`;
    if (shape !== last || series.length === 0) series.push(point);
    last = shape;
  }
  return series;
}
