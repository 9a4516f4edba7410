/**
 * `gennaker sandbox describe`: what the simulated AWS holds now, read from the simulator's
 * snapshot: Auto Scaling groups with their instances, target groups with their targets' health,
 * ECS services with their deployments, Lambda functions with their versions and aliases. The
 * snapshot's shape is the simulator's (sandbox/aws SPEC.md); fields it lacks read as empty.
 */
import type { GceDescription } from '../../sandbox/gce/server.ts';
import type { KubernetesDescription } from '../../sandbox/kubernetes/server.ts';

export interface SandboxDescription {
  /** The simulated clock (ISO 8601). */
  readonly now: string;
  /** The simulated Kubernetes cluster, once a pipeline named a Kubernetes account (sandbox/kubernetes SPEC.md). */
  readonly kubernetes?: KubernetesDescription;
  /** The simulated Compute Engine, once a pipeline named a `gce` account (sandbox/gce SPEC.md). */
  readonly gce?: GceDescription;
  readonly autoScalingGroups: ReadonlyArray<{
    readonly name: string;
    readonly min: number;
    readonly max: number;
    readonly desired: number;
    /** `AddToLoadBalancer` suspended: Spinnaker's disabled server group. */
    readonly disabled: boolean;
    /** Instances by lifecycle state (`InService: 2`). */
    readonly instances: Readonly<Record<string, number>>;
    /** Its region, when the simulator holds state in more than one. */
    readonly region?: string;
  }>;
  readonly targetGroups: ReadonlyArray<{ readonly name: string; readonly port?: number; readonly targets: Readonly<Record<string, number>>; readonly region?: string }>;
  readonly services: ReadonlyArray<{
    readonly name: string;
    readonly cluster: string;
    readonly desired: number;
    readonly running: number;
    readonly pending: number;
    readonly status: string;
    readonly deployments: readonly string[];
  }>;
  readonly functions: ReadonlyArray<{
    readonly name: string;
    readonly state: string;
    readonly versions: readonly string[];
    readonly aliases: ReadonlyArray<{ readonly name: string; readonly version: string; readonly weights: Readonly<Record<string, number>> }>;
  }>;
  /** The simulated S3's objects (`--s3-object`), when it holds any. */
  readonly s3Objects?: ReadonlyArray<{ readonly uri: string; readonly size: number; readonly etag: string }>;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const list = (value: unknown): Json[] => (Array.isArray(value) ? value.filter(isObject) : []);
const textOf = (value: unknown, fallback = ''): string => (typeof value === 'string' ? value : fallback);
const numberOf = (value: unknown): number => (typeof value === 'number' ? value : 0);

/** The `region` a snapshot entry carries (the simulator's, once it holds several regions), as a field. */
const regionOf = (entry: Json): { region?: string } => (typeof entry['region'] === 'string' ? { region: entry['region'] } : {});

function countBy(items: readonly Json[], key: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) {
    const value = textOf(item[key], 'unknown');
    counts[value] = (counts[value] ?? 0) + 1;
  }
  return counts;
}

/** The description of a simulator snapshot (`AwsSimulator.snapshot()`). */
export function describeSnapshot(snapshot: { readonly now: string; readonly services: Readonly<Record<string, unknown>> }): SandboxDescription {
  const service = (name: string): Json => (isObject(snapshot.services[name]) ? (snapshot.services[name] as Json) : {});
  const autoscaling = service('autoscaling');
  const elbv2 = service('elasticloadbalancing');
  const ecs = service('ecs');
  const lambda = service('lambda');
  const s3Objects = s3ObjectsOf(service('s3'));
  return {
    now: snapshot.now,
    ...(s3Objects.length > 0 ? { s3Objects } : {}),
    autoScalingGroups: list(autoscaling['autoScalingGroups']).map((group) => ({
      name: textOf(group['name']),
      min: numberOf(group['min']),
      max: numberOf(group['max']),
      desired: numberOf(group['desired']),
      disabled: Array.isArray(group['suspendedProcesses']) && group['suspendedProcesses'].includes('AddToLoadBalancer'),
      instances: countBy(list(group['instances']), 'lifecycleState'),
      ...regionOf(group),
    })),
    targetGroups: list(elbv2['targetGroups']).map((group) => ({
      name: textOf(group['name']),
      ...(typeof group['port'] === 'number' ? { port: group['port'] } : {}),
      targets: countBy(list(group['targets']), 'state'),
      ...regionOf(group),
    })),
    services: list(ecs['services']).map((found) => ({
      name: textOf(found['name']),
      cluster: textOf(found['cluster']),
      desired: numberOf(found['desiredCount']),
      running: numberOf(found['runningCount']),
      pending: numberOf(found['pendingCount']),
      status: textOf(found['status']),
      deployments: list(found['deployments']).map((deployment) => `${textOf(deployment['status'])} ${textOf(deployment['rolloutState'])}`.trim()),
    })),
    functions: list(lambda['functions']).map((fn) => ({
      name: textOf(fn['name']),
      state: textOf(fn['state']),
      versions: Array.isArray(fn['versions']) ? fn['versions'].map(String).filter((version) => version !== '$LATEST') : [],
      aliases: list(fn['aliases']).map((alias) => ({
        name: textOf(alias['name']),
        version: textOf(alias['functionVersion']),
        weights: isObject(alias['additionalVersionWeights']) ? Object.fromEntries(Object.entries(alias['additionalVersionWeights']).map(([version, weight]) => [version, numberOf(weight)])) : {},
      })),
    })),
  };
}

/** The objects of an S3 simulator snapshot, as `s3://bucket/key` with their size and ETag. */
export function s3ObjectsOf(s3: Readonly<Record<string, unknown>>): NonNullable<SandboxDescription['s3Objects']> {
  return list(s3['buckets']).flatMap((bucket) =>
    list(bucket['objects']).map((object) => ({ uri: `s3://${textOf(bucket['name'])}/${textOf(object['key'])}`, size: numberOf(object['size']), etag: textOf(object['etag']) })),
  );
}

const counts = (byState: Readonly<Record<string, number>>): string =>
  Object.keys(byState).length === 0 ? 'none' : Object.entries(byState).map(([state, count]) => `${count} ${state}`).join(', ');

const inRegion = (entry: { readonly region?: string }): string => (entry.region !== undefined ? `  in ${entry.region}` : '');

/** The description as lines for a terminal, one resource a line under a heading per kind. */
export function describeLines(description: SandboxDescription): string[] {
  const lines = [`simulated AWS at ${description.now}`];
  const section = (title: string, rows: readonly string[]) => {
    if (rows.length === 0) return;
    lines.push('', title, ...rows.map((row) => `  ${row}`));
  };
  section(
    'Auto Scaling groups',
    description.autoScalingGroups.map((group) => `${group.name}  ${group.min}/${group.max}/${group.desired} (min/max/desired)${group.disabled ? '  disabled' : ''}  instances: ${counts(group.instances)}${inRegion(group)}`),
  );
  section('target groups', description.targetGroups.map((group) => `${group.name}${group.port !== undefined ? `:${group.port}` : ''}  targets: ${counts(group.targets)}${inRegion(group)}`));
  section(
    'ECS services',
    description.services.map((found) => `${found.cluster}/${found.name}  ${found.status}  desired ${found.desired}, running ${found.running}, pending ${found.pending}  deployments: ${found.deployments.join('; ') || 'none'}`),
  );
  section(
    'Lambda functions',
    description.functions.map((fn) => {
      const aliases = fn.aliases.map((alias) => {
        const extra = Object.entries(alias.weights).map(([version, weight]) => ` + ${Math.round(weight * 100)}% → ${version}`).join('');
        return `${alias.name} → ${alias.version}${extra}`;
      });
      return `${fn.name}  ${fn.state}  versions: ${fn.versions.join(', ') || 'none'}  aliases: ${aliases.join('; ') || 'none'}`;
    }),
  );
  if (lines.length === 1) lines.push('', 'nothing deployed yet');
  if (description.s3Objects) lines.push('', 'S3 objects', ...description.s3Objects.map((object) => `  ${object.uri}  ${object.size} bytes  ETag ${object.etag}`));
  if (description.kubernetes) lines.push('', ...kubernetesLines(description.kubernetes));
  if (description.gce) lines.push('', ...gceLines(description.gce));
  return lines;
}

/** The simulated Compute Engine as lines: managed instance groups with their instances, backend services with what receives traffic, target pools. */
function gceLines(compute: GceDescription): string[] {
  const lines = [`simulated Compute Engine at ${compute.now}`];
  const section = (title: string, rows: readonly string[]) => {
    if (rows.length > 0) lines.push('', title, ...rows.map((row) => `  ${row}`));
  };
  section(
    'managed instance groups',
    compute.managedInstanceGroups.map((mig) => {
      const states: Record<string, number> = {};
      for (const instance of mig.instances) states[instance.status] = (states[instance.status] ?? 0) + 1;
      const autoscaler = mig.autoscaler ? `  autoscaler ${mig.autoscaler.mode} ${mig.autoscaler.min}-${mig.autoscaler.max}` : '';
      return `${mig.project}/${mig.location}/${mig.name}  size ${mig.targetSize}${mig.isStable ? '' : ' (changing)'}  instances: ${counts(states)}${autoscaler}${mig.error !== undefined ? `  error: ${mig.error}` : ''}`;
    }),
  );
  section(
    'backend services',
    compute.backendServices.map((service) => {
      const groups = service.backends.map((backend) => backend.group.split('/').at(-1)).join(', ');
      return `${service.project}/${service.name}  backends: ${groups || 'none'}  receiving traffic: ${service.receivingTraffic.length}`;
    }),
  );
  section('target pools', compute.targetPools.map((pool) => `${pool.project}/${pool.region}/${pool.name}  instances: ${pool.instances.length}`));
  if (lines.length === 1) lines.push('', 'nothing deployed yet');
  return lines;
}

/** The simulated cluster as lines: per namespace its workloads, its pods by phase, and the pods each Service selects. */
function kubernetesLines(cluster: KubernetesDescription): string[] {
  const lines = [`simulated Kubernetes at ${cluster.now}`];
  for (const namespace of cluster.namespaces) {
    if (namespace.workloads.length === 0 && namespace.services.length === 0 && namespace.pods.length === 0) continue;
    lines.push('', `namespace ${namespace.name}`);
    for (const workload of namespace.workloads) lines.push(`  ${workload.kind} ${workload.name}  ${workload.ready}/${workload.replicas} Ready${workload.owner !== undefined ? `  (of ${workload.owner})` : ''}`);
    const phases: Record<string, number> = {};
    for (const pod of namespace.pods) {
      const state = pod.terminating ? 'Terminating' : pod.ready ? 'Ready' : pod.phase;
      phases[state] = (phases[state] ?? 0) + 1;
    }
    if (namespace.pods.length > 0) lines.push(`  pods: ${counts(phases)}`);
    for (const service of namespace.services) {
      const selector = Object.entries(service.selector).map(([key, value]) => `${key}=${value}`).join(',');
      lines.push(`  service ${service.name} (${selector || 'no selector'})  selects ${service.selects.length} pod${service.selects.length === 1 ? '' : 's'}, ${service.ready.length} Ready${service.ready.length > 0 ? `: ${service.ready.join(', ')}` : ''}`);
    }
  }
  if (lines.length === 1) lines.push('', 'nothing deployed yet');
  return lines;
}
