/**
 * Regions, as AWS keeps them apart: a regional service (EC2, Auto Scaling, ELBv2) holds separate
 * state in each region, reached through the region of the request's SigV4 credential scope (the
 * endpoint's region, `ec2.us-west-2.amazonaws.com`, when a request is not signed), and names its
 * resources with that region's ARNs and zones. One instance of the service per region, made
 * the first time the region is used; the router sees one service under the signing name.
 */
import type { AwsServiceSim, SimContext, SimRequest, SimResponse } from './service.ts';

/** The region of a request without a credential scope or host naming one, of seeds and side-door commands without `region`, and of global services' reconciliation. */
export const DEFAULT_REGION = 'us-east-1';

/** AWS's commercial, GovCloud and China region names: `us-east-1`, `ap-southeast-2`, `us-gov-west-1`, `cn-north-1`. */
const REGION_NAME = /^[a-z]{2}(-gov|-iso[a-z]?)?-(north|south|east|west|central|northeast|northwest|southeast|southwest)-\d{1,2}$/;

/** Throws a one-line error naming `what` unless `region` is a region name. */
export function checkRegion(region: string, what: string): void {
  if (!REGION_NAME.test(region)) throw new Error(`${what}: '${region}' is not an AWS region name; use one such as 'us-east-1' or 'eu-west-1'`);
}

/** `region` when it is a region name, else undefined. */
export function regionOfName(region: string): string | undefined {
  return REGION_NAME.test(region) ? region : undefined;
}

/** The region an ARN names (`arn:aws:elasticloadbalancing:us-west-2:...`), or undefined for a global or malformed one. */
export function regionOfArn(arn: string): string | undefined {
  const region = arn.startsWith('arn:') ? arn.split(':')[3] : undefined;
  return region !== undefined && REGION_NAME.test(region) ? region : undefined;
}

/** The region of an AWS endpoint host (`ec2.us-west-2.amazonaws.com`, `elasticloadbalancing.eu-west-1.amazonaws.com:443`), or undefined. */
export function regionOfHost(host: string | undefined): string | undefined {
  const labels = (host ?? '').split(':')[0]!.split('.');
  return labels.find((label) => REGION_NAME.test(label));
}

/** The zone id AWS gives a zone (`us-east-1a` → `use1-az1`, `eu-west-1b` → `euw1-az2`): the region's short form and a number. */
export function zoneIdOf(zone: string): string {
  const match = /^([a-z]{2})-((?:gov-)?[a-z]+)-(\d+)([a-z])$/.exec(zone);
  if (!match) return `${zone}-az1`;
  const short: Record<string, string> = { north: 'n', south: 's', east: 'e', west: 'w', central: 'c', northeast: 'ne', northwest: 'nw', southeast: 'se', southwest: 'sw' };
  const direction = match[2]!.startsWith('gov-') ? `g${short[match[2]!.slice(4)] ?? ''}` : (short[match[2]!] ?? match[2]!);
  return `${match[1]}${direction}${match[3]}-az${((match[4]!.charCodeAt(0) - 97) % 6) + 1}`;
}

const REGIONAL = Symbol('regional service');

/** A regional service: one instance of `T` per region, answering under one signing name. */
export interface RegionalSim<T extends AwsServiceSim> extends AwsServiceSim {
  readonly [REGIONAL]: true;
  /** The service in `region` (made on first use). */
  in(region: string): T;
  /** The regions it holds state in, the default region first. */
  regions(): string[];
  /** `ctx` as seen from `region`: its `region`, and every regional service it looks up in that region. */
  contextIn(ctx: SimContext, region: string): SimContext;
}

/** Whether a service keeps one instance per region. */
export function isRegional(service: AwsServiceSim | undefined): service is RegionalSim<AwsServiceSim> {
  return service !== undefined && (service as Partial<RegionalSim<AwsServiceSim>>)[REGIONAL] === true;
}

/** `ctx` in `region`: a regional service looked up through it answers its instance in that region. */
export function contextIn(ctx: SimContext, region: string): SimContext {
  return {
    ...ctx,
    region,
    service: <S extends AwsServiceSim>(name: string, inRegion?: string) => ctx.service<S>(name, inRegion ?? region),
  };
}

/** The region a side-door command is for: its `region`, else that of the first ARN among its values, else the default. */
function regionOfInput(input: Record<string, unknown>): string {
  if (typeof input['region'] === 'string') return input['region'];
  for (const value of Object.values(input)) {
    const region = typeof value === 'string' ? regionOfArn(value) : undefined;
    if (region !== undefined) return region;
  }
  return DEFAULT_REGION;
}

/**
 * Merges the snapshots of several regions: each list of every region's snapshot, concatenated,
 * every entry carrying its `region`. One region's snapshot is answered as it is.
 */
function mergeSnapshots(byRegion: ReadonlyArray<readonly [string, Record<string, unknown>]>): Record<string, unknown> {
  if (byRegion.length === 1) return byRegion[0]![1];
  const merged: Record<string, unknown> = {};
  for (const [region, snapshot] of byRegion) {
    for (const [key, value] of Object.entries(snapshot)) {
      if (!Array.isArray(value)) {
        merged[key] ??= value;
        continue;
      }
      const entries = value.map((entry: unknown) => (typeof entry === 'object' && entry !== null && !Array.isArray(entry) ? { region, ...entry } : entry));
      merged[key] = [...((merged[key] as unknown[] | undefined) ?? []), ...entries];
    }
  }
  return merged;
}

/** A service made once per region by `create`; the default region's instance exists from the start. */
export function createRegionalSim<T extends AwsServiceSim>(create: (region: string) => T): RegionalSim<T> {
  const instances = new Map<string, T>();
  const instanceIn = (region: string): T => {
    let found = instances.get(region);
    if (found === undefined) {
      checkRegion(region, 'region');
      found = create(region);
      instances.set(region, found);
    }
    return found;
  };
  const first = instanceIn(DEFAULT_REGION);
  return {
    [REGIONAL]: true,
    signingName: first.signingName,
    operations: first.operations,
    ...(first.protocol !== undefined ? { protocol: first.protocol } : {}),
    ...(first.operationOf !== undefined ? { operationOf: (req: SimRequest) => first.operationOf!(req) } : {}),
    in: instanceIn,
    regions: () => [...instances.keys()],
    contextIn,
    handle(req: SimRequest, ctx: SimContext): SimResponse | Promise<SimResponse> {
      return instanceIn(req.region).handle(req, contextIn(ctx, req.region));
    },
    reconcile(ctx: SimContext): void {
      for (const [region, instance] of instances) instance.reconcile(contextIn(ctx, region));
    },
    nextChangeAt(): number | undefined {
      let next: number | undefined;
      for (const instance of instances.values()) {
        const at = instance.nextChangeAt?.();
        if (at !== undefined && (next === undefined || at < next)) next = at;
      }
      return next;
    },
    snapshot: () => mergeSnapshots([...instances].map(([region, instance]) => [region, instance.snapshot()] as const)),
    control(command: string, input: Record<string, unknown>, ctx: SimContext): unknown {
      const region = regionOfInput(input);
      const instance = instanceIn(region);
      if (!instance.control) throw new Error(`service '${first.signingName}' has no side-door commands`);
      const { region: _region, ...rest } = input;
      return instance.control(command, rest, contextIn(ctx, region));
    },
  };
}

/**
 * A seeder whose every call takes an optional `region` (in its first object argument, else from
 * an ARN argument), answered by that region's seeder (`seederIn`).
 */
export function regionalSeeder<S extends object>(seederIn: (region: string) => S): S {
  const template = seederIn(DEFAULT_REGION);
  const seeder: Record<string, unknown> = {};
  for (const name of Object.keys(template)) {
    seeder[name] = (...args: unknown[]) => {
      let region: string | undefined;
      const given = args.map((arg) => {
        if (typeof arg === 'string') {
          region ??= regionOfArn(arg);
          return arg;
        }
        if (typeof arg !== 'object' || arg === null || Array.isArray(arg) || !('region' in arg)) return arg;
        const { region: named, ...rest } = arg as Record<string, unknown>;
        if (named !== undefined) {
          if (typeof named !== 'string') throw new Error(`${name}: 'region' must be a region name such as 'us-west-2', got ${JSON.stringify(named)}`);
          region = named;
        }
        return rest;
      });
      const target = seederIn(region ?? DEFAULT_REGION) as Record<string, (...values: unknown[]) => unknown>;
      return target[name]!(...given);
    };
  }
  return seeder as S;
}
