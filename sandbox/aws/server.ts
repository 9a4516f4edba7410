/**
 * The AWS simulator: one HTTP server on 127.0.0.1 that answers the real SDK clients of every
 * simulated service (SPEC.md beside this file). It owns the clock, the seeded randomness, the
 * call log, the event log and fault injection; each service owns its wire protocol and state.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAutoScalingSim } from './autoscaling.ts';
import { createEc2Sim, type Ec2Seeder } from './ec2.ts';
import { createRegionalElbv2Sim, type Elbv2Seeder } from './elbv2.ts';
import { contextIn, createRegionalSim, DEFAULT_REGION, isRegional, regionalSeeder, regionOfHost, regionOfName } from './regions.ts';
import { credentialScope, errorCodeOf, operationOf, protocolError, protocolOf, serviceOfHost, throttleFor, unknownOperation } from './router.ts';
import { createRandom, uuid } from './random.ts';
import type { AwsProtocol, AwsServiceSim, SimContext, SimRequest, SimResponse } from './service.ts';
import { createStsSim, type StsSeeder } from './sts.ts';
import { createKmsSim } from './kms.ts';
import { createSecretsManagerSim } from './secrets-manager.ts';
import { createSesSim, type SesSeeder } from './ses.ts';
import { createEcsService, type EcsSeeder, type EcsServiceOptions } from './ecs.ts';
import { createApplicationAutoScalingService } from './application-autoscaling.ts';
import { createLambdaService, type LambdaSeeder, type LambdaServiceOptions } from './lambda.ts';
import { createCloudWatchService, type CloudWatchSeeder } from './cloudwatch.ts';
import { createCodeBuildService, type CodeBuildServiceOptions } from '../codebuild/codebuild.ts';
import { createSqsService } from './sqs.ts';
import { createSnsService } from './sns.ts';
import { createS3Sim, type S3Seeder } from './s3.ts';

/** Largest request body the router reads (the SDKs never send more to these services). */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** How long simulated things take; every field has a default close to AWS's usual figure. */
export interface AwsTimings {
  /** EC2 instance `pending` → `running` (default 30 s). */
  readonly instanceBootMs: number;
  /** EC2 instance `shutting-down` → `terminated` (default 10 s). */
  readonly instanceShutdownMs: number;
  /** An Auto Scaling group deleted with ForceDelete answers `Status: "Delete in progress"` this long, then is gone (default 1 s). */
  readonly groupDeleteMs: number;
}

/** Options of `startAwsSimulator`. */
export interface AwsSimulatorOptions {
  /** Seed of the pseudo-random ids (default 1). */
  readonly seed?: number;
  /** The clock's start, ms since the epoch (default 2026-01-01T00:00:00Z). */
  readonly startTime?: number;
  /** The simulated account (default "123456789012"). */
  readonly accountId?: string;
  /** Extra services served beside the built-in EC2, Auto Scaling, ELBv2 and STS. */
  readonly services?: readonly AwsServiceSim[];
  readonly timings?: Partial<AwsTimings>;
  /** ECS: clusters that exist from the start, task and service timings. */
  readonly ecs?: EcsServiceOptions;
  /** Lambda: activation and update timings. */
  readonly lambda?: LambdaServiceOptions;
  /** CodeBuild (sandbox/codebuild): how long each build phase takes. */
  readonly codebuild?: CodeBuildServiceOptions;
}

/** One call as the router saw it. */
export interface AwsCall {
  readonly seq: number;
  /** Simulated time of the call, ms since the epoch. */
  readonly time: number;
  /** SigV4 signing name of the service ("ec2", "autoscaling", …). */
  readonly service: string;
  /** Operation name, or `METHOD /path` when the protocol does not name it. */
  readonly action: string;
  readonly region: string;
  /** The access key id the request was signed with (SigV4 credential scope): whose call it was. */
  readonly accessKeyId?: string;
  readonly status: number;
  /** The AWS error code when the call failed. */
  readonly errorCode?: string;
  /** True when the failure was injected. */
  readonly injected?: boolean;
  readonly requestId: string;
}

/** One state change in the simulated world. */
export interface AwsEvent {
  readonly seq: number;
  readonly time: number;
  /** The service whose call or reconciliation caused the change. */
  readonly service: string;
  readonly kind: string;
  readonly detail: Record<string, unknown>;
}

/** A fault to inject: the next `times` calls matching `service`/`action` fail with `error`. */
export interface AwsFault {
  /** Signing name to match (any when absent). */
  readonly service?: string;
  /** Operation to match (any when absent). */
  readonly action?: string;
  /** `'Throttling'` (the protocol's own throttling code and status) or any AWS error code. */
  readonly error: string;
  /** HTTP status (default: the throttle's for `'Throttling'`, else 400). */
  readonly status?: number;
  readonly message?: string;
  /** How many matching calls fail (default 1). */
  readonly times?: number;
  /**
   * `'before'` (default): the call fails without touching state. `'after'`: the call takes effect
   * and then its answer is replaced by the error, as when a response is lost on the way back;
   * the SDK's retry then shows whether the caller's request is idempotent (e.g. `ClientToken`).
   */
  readonly when?: 'before' | 'after';
}

/** The seeding API: the world a test or a sandboxed run assumes, created off the wire. */
export interface AwsSeeders {
  readonly ec2: Ec2Seeder;
  readonly elbv2: Elbv2Seeder;
  readonly sts: StsSeeder;
  readonly ecs: EcsSeeder;
  readonly lambda: LambdaSeeder;
  readonly cloudwatch: CloudWatchSeeder;
  readonly ses: SesSeeder;
  readonly s3: S3Seeder;
}

/** A running simulator. */
export interface AwsSimulator {
  /** `http://127.0.0.1:<port>`: the endpoint every SDK client is pointed at. */
  readonly endpoint: string;
  readonly accountId: string;
  readonly seed: AwsSeeders;
  /** The simulated clock, ms since the epoch. */
  now(): number;
  /** Advances the clock by `ms`, stopping at every instant a service changes state on its own. */
  tick(ms: number): number;
  /** The call log, oldest first, optionally filtered. */
  calls(filter?: { service?: string; action?: string }): readonly AwsCall[];
  /** The state-change event log, oldest first, optionally filtered. */
  events(filter?: { service?: string; kind?: string }): readonly AwsEvent[];
  /** Makes the next matching calls fail (see `AwsFault`). */
  inject(fault: AwsFault): void;
  /** Every service's plain-JSON state, keyed by signing name, with the clock. */
  snapshot(): { now: string; accountId: string; services: Record<string, Record<string, unknown>> };
  /** Runs a side-door command of one service (the same as `POST /__sandbox/<service>/<command>`). */
  control(service: string, command: string, input?: Record<string, unknown>): unknown;
  /** Serves another service (its signing name must be new). */
  register(service: AwsServiceSim): void;
  /** The service registered under a signing name. */
  service<T extends AwsServiceSim>(signingName: string): T | undefined;
  /** Resolves with the next call matching the filter once it has been answered (lets a test tick between waiter polls). */
  nextCall(filter?: { service?: string; action?: string }): Promise<AwsCall>;
  close(): Promise<void>;
}

/** IAM's service prefix of each signing name that differs from it. */
const IAM_PREFIX: Readonly<Record<string, string>> = { monitoring: 'cloudwatch' };

/** The error code each protocol's services answer a call IAM refuses with. */
const ACCESS_DENIED: Readonly<Record<AwsProtocol['kind'], string>> = { ec2Query: 'UnauthorizedOperation', awsQuery: 'AccessDenied', awsJson: 'AccessDeniedException', restJson: 'AccessDeniedException', restXml: 'AccessDenied' };
/** What each protocol answers a signature scoped to something that is no region. */
const BAD_SCOPE: Readonly<Record<AwsProtocol['kind'], string>> = { ec2Query: 'AuthFailure', awsQuery: 'SignatureDoesNotMatch', awsJson: 'InvalidSignatureException', restJson: 'InvalidSignatureException', restXml: 'AuthorizationHeaderMalformed' };

const DEFAULT_TIMINGS: AwsTimings = { instanceBootMs: 30_000, instanceShutdownMs: 10_000, groupDeleteMs: 1_000 };

/** Starts the simulator on 127.0.0.1 (port 0) with EC2, Auto Scaling, ELBv2, ECS, Application Auto Scaling, Lambda, CloudWatch, CodeBuild, SQS, SNS, S3, STS, KMS, Secrets Manager and any extra services. */
export async function startAwsSimulator(options: AwsSimulatorOptions = {}): Promise<AwsSimulator> {
  const world = createWorld(options);
  const server = createServer((req, res) => {
    world.serve(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`simulator failure: ${(error as Error).message}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    accountId: world.accountId,
    seed: world.seed,
    now: () => world.clock,
    tick: (ms) => world.tick(ms),
    calls: (filter) => world.callLog.filter((call) => matches(call, filter)),
    events: (filter) => world.eventLog.filter((event) => (!filter?.service || event.service === filter.service) && (!filter?.kind || event.kind === filter.kind)),
    inject: (fault) => world.inject(fault),
    snapshot: () => world.snapshot(),
    control: (service, command, input) => world.control(service, command, input ?? {}),
    register: (service) => world.register(service),
    service: <T extends AwsServiceSim>(name: string) => world.services.get(name) as T | undefined,
    nextCall: (filter) => new Promise((resolve) => world.waiters.push({ filter, resolve })),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function matches(call: AwsCall, filter: { service?: string; action?: string } | undefined): boolean {
  return (!filter?.service || call.service === filter.service) && (!filter?.action || call.action === filter.action);
}

interface PendingFault {
  readonly fault: AwsFault;
  remaining: number;
}

function createWorld(options: AwsSimulatorOptions) {
  const accountId = options.accountId ?? '123456789012';
  if (!/^\d{12}$/.test(accountId)) throw new Error(`accountId '${accountId}' must be 12 digits`);
  const timings: AwsTimings = { ...DEFAULT_TIMINGS, ...options.timings };
  // Two streams: resource ids do not shift when a test adds a describe call.
  const random = createRandom(options.seed ?? 1);
  const requestRandom = createRandom(((options.seed ?? 1) ^ 0x5bd1e995) >>> 0);
  const services = new Map<string, AwsServiceSim>();
  const callLog: AwsCall[] = [];
  const eventLog: AwsEvent[] = [];
  const faults: PendingFault[] = [];
  const waiters: { filter: { service?: string; action?: string } | undefined; resolve: (call: AwsCall) => void }[] = [];
  let clock = options.startTime ?? Date.UTC(2026, 0, 1);

  const context = (serviceName: string, requestId: string, region = DEFAULT_REGION): SimContext => ({
    now: () => clock,
    random,
    accountId,
    region,
    requestId,
    event: (kind, detail) => {
      eventLog.push({ seq: eventLog.length + 1, time: clock, service: serviceName, kind, detail });
    },
    // A regional service asked for in a region answers its instance there; else the service routing by region.
    service: <T extends AwsServiceSim>(name: string, inRegion?: string) => {
      const found = services.get(name);
      return (inRegion !== undefined && isRegional(found) ? found.in(inRegion) : found) as T | undefined;
    },
  });

  const register = (service: AwsServiceSim) => {
    if (services.has(service.signingName)) throw new Error(`a service with signing name '${service.signingName}' is already registered`);
    services.set(service.signingName, service);
  };

  // EC2, Auto Scaling and ELBv2 keep their state apart in each region (regions.ts); the others key theirs by region themselves or are global (STS).
  const ec2 = createRegionalSim(() => createEc2Sim({ instanceBootMs: timings.instanceBootMs, instanceShutdownMs: timings.instanceShutdownMs }));
  const elbv2 = createRegionalElbv2Sim();
  const sts = createStsSim();
  const ecs = createEcsService(options.ecs);
  const lambda = createLambdaService(options.lambda);
  const cloudwatch = createCloudWatchService({ seed: options.seed ?? 1 });
  const ses = createSesSim();
  const s3 = createS3Sim();
  // Order matters within one instant: EC2 first (instances boot), then Auto Scaling (InService,
  // registration), then ELBv2 (target health), then ECS (which reacts to target health);
  // `settle` repeats the round while anything changes.
  for (const service of [ec2, createRegionalSim(() => createAutoScalingSim({ groupDeleteMs: timings.groupDeleteMs })), elbv2, ecs, createApplicationAutoScalingService(), lambda, cloudwatch, createCodeBuildService(options.codebuild), createSqsService(), createSnsService(), sts, createKmsSim(), createSecretsManagerSim(), ses, s3, ...(options.services ?? [])]) register(service);
  const seedContext = () => context('seed', '');
  const seed: AwsSeeders = {
    ec2: regionalSeeder((region) => ec2.in(region).bindSeed(() => contextIn(seedContext(), region))),
    elbv2: regionalSeeder((region) => elbv2.in(region).bindSeed(() => contextIn(seedContext(), region))),
    sts: sts.bindSeed(seedContext),
    ecs: ecs.bindSeed(seedContext),
    lambda: lambda.bindSeed(seedContext),
    cloudwatch: cloudwatch.bindSeed(seedContext),
    ses: ses.bindSeed(seedContext),
    s3: s3.bindSeed(seedContext),
  };

  const nextChange = (): number | undefined => {
    let next: number | undefined;
    for (const service of services.values()) {
      const at = service.nextChangeAt?.();
      if (at !== undefined && (next === undefined || at < next)) next = at;
    }
    return next;
  };

  /**
   * Reconciles every service at the current instant until a round changes nothing (no new
   * event) and none has anything due: cascades such as boot → InService → registered, or
   * drained → terminated, settle within one instant whatever the services' order.
   */
  const settle = () => {
    for (let round = 0; round < 50; round += 1) {
      const before = eventLog.length;
      for (const service of services.values()) service.reconcile(context(service.signingName, ''));
      const next = nextChange();
      if (eventLog.length === before && (next === undefined || next > clock)) return;
    }
  };

  const tick = (ms: number): number => {
    if (!Number.isFinite(ms) || ms < 0) throw new Error(`tick(${ms}): expected a finite number of milliseconds >= 0`);
    const target = clock + ms;
    settle();
    for (;;) {
      const next = nextChange();
      if (next === undefined || next > target || next <= clock) break;
      clock = next;
      settle();
    }
    clock = target;
    settle();
    return clock;
  };

  const takeFault = (service: string, action: string): AwsFault | undefined => {
    const pending = faults.find((f) => f.remaining > 0 && (!f.fault.service || f.fault.service === service) && (!f.fault.action || f.fault.action === action));
    if (!pending) return undefined;
    pending.remaining -= 1;
    if (pending.remaining === 0) faults.splice(faults.indexOf(pending), 1);
    return pending.fault;
  };

  const logCall = (call: Omit<AwsCall, 'seq'>) => {
    const entry: AwsCall = { seq: callLog.length + 1, ...call };
    callLog.push(entry);
    for (const waiter of [...waiters]) {
      if (matches(entry, waiter.filter)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(entry);
      }
    }
  };

  /** Answers one AWS request: service from the credential scope, then unknown operation, fault, or the service itself. */
  const answer = async (req: SimRequest, signingName: string): Promise<SimResponse> => {
    const requestId = uuid(requestRandom);
    const service = services.get(signingName);
    const protocol = protocolOf(service, signingName, req);
    const operation = operationOf(service, protocol, req);
    const action = operation ?? `${req.method} ${req.path}`;
    let response: SimResponse;
    let injected = false;
    let denial: string | undefined;
    if (!service) {
      response = unknownOperation(protocol, operation, requestId);
    } else if (operation !== undefined && !service.operations.includes(operation)) {
      response = unknownOperation(protocol, operation, requestId);
    } else if (isRegional(service) && regionOfName(req.region) === undefined) {
      // AWS checks the credential scope before the service sees the call.
      response = protocolError(protocol, 403, BAD_SCOPE[protocol.kind], `Credential should be scoped to a valid region, not '${req.region}'.`, requestId);
    } else if (operation !== undefined && (denial = sts.deniedBySession(credentialScope(req.headers['authorization'])?.accessKeyId, `${IAM_PREFIX[signingName] ?? signingName}:${operation}`)) !== undefined) {
      // A session policy that does not allow the action: IAM's refusal, before the service sees the call.
      response = protocolError(protocol, 403, ACCESS_DENIED[protocol.kind], denial, requestId);
    } else {
      const fault = takeFault(signingName, action);
      const faultResponse = (f: AwsFault) => {
        const throttle = throttleFor(protocol);
        const code = f.error === 'Throttling' ? throttle.code : f.error;
        const status = f.status ?? (f.error === 'Throttling' ? throttle.status : 400);
        return protocolError(protocol, status, code, f.message ?? (f.error === 'Throttling' ? 'Rate exceeded' : `Injected ${code}`), requestId);
      };
      if (fault && fault.when !== 'after') {
        injected = true;
        response = faultResponse(fault);
      } else {
        settle();
        try {
          response = await service.handle(req, context(signingName, requestId, req.region));
        } catch (error) {
          response = protocolError(protocol, 500, 'InternalFailure', `The simulated ${signingName} failed: ${(error as Error).message}`, requestId);
        }
        // What AWS does right after a call (an ASG launching its first instances) is visible at once.
        settle();
        if (fault) {
          injected = true;
          response = faultResponse(fault);
        }
      }
    }
    const errorCode = errorCodeOf(response);
    const accessKeyId = credentialScope(req.headers['authorization'])?.accessKeyId;
    logCall({
      time: clock,
      service: signingName,
      action,
      region: req.region,
      ...(accessKeyId !== undefined ? { accessKeyId } : {}),
      status: response.status,
      ...(errorCode !== undefined ? { errorCode } : {}),
      ...(injected ? { injected } : {}),
      requestId,
    });
    return { ...response, headers: { ...response.headers, 'x-amzn-requestid': requestId } };
  };

  const snapshot = () => ({
    now: new Date(clock).toISOString(),
    accountId,
    services: Object.fromEntries([...services.values()].map((s) => [s.signingName, s.snapshot()])),
  });

  const control = (serviceName: string, command: string, input: Record<string, unknown>): unknown => {
    const service = services.get(serviceName);
    if (!service) throw new Error(`no simulated service '${serviceName}' (have: ${[...services.keys()].join(', ')})`);
    if (!service.control) throw new Error(`service '${serviceName}' has no side-door commands`);
    const result = service.control(command, input, context(serviceName, ''));
    settle();
    return result;
  };

  const inject = (fault: AwsFault) => {
    if (typeof fault.error !== 'string' || fault.error === '') throw new Error(`inject: 'error' must be 'Throttling' or an AWS error code, got ${JSON.stringify(fault.error)}`);
    if (fault.when !== undefined && fault.when !== 'before' && fault.when !== 'after') throw new Error(`inject: 'when' must be 'before' or 'after', got ${JSON.stringify(fault.when)}`);
    const times = fault.times ?? 1;
    if (!Number.isInteger(times) || times < 1) throw new Error(`inject: 'times' must be a whole number >= 1, got ${JSON.stringify(fault.times)}`);
    faults.push({ fault, remaining: times });
  };

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const body = await readBody(req);
    if (url.pathname.startsWith('/__sandbox/')) return sideDoor(req.method ?? 'GET', url, body, res);
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(req.headers)) if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(',') : value;
    const scope = credentialScope(headers['authorization']);
    const request: SimRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      body: body ?? Buffer.alloc(0),
      // As AWS routes it: the region the request was signed for, else its endpoint's.
      region: scope?.region ?? regionOfHost(headers['host']) ?? DEFAULT_REGION,
    };
    if (body === undefined) {
      send(res, protocolError(protocolOf(undefined, scope?.service ?? '', request), 413, 'RequestEntityTooLarge', `Request body exceeds ${MAX_BODY_BYTES} bytes`, ''));
      return;
    }
    send(res, await answer(request, scope?.service ?? serviceOfHost(headers['host']) ?? 'unknown'));
  };

  /** The side door (SPEC.md "Side door"): JSON over HTTP for a separate process or a test. */
  const sideDoor = (method: string, url: URL, body: Buffer | undefined, res: ServerResponse) => {
    const path = url.pathname.slice('/__sandbox/'.length).split('/').filter(Boolean);
    const reply = (status: number, value: unknown) => send(res, { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) });
    let input: Record<string, unknown> = {};
    if (method === 'POST' && body && body.length > 0) {
      try {
        const parsed: unknown = JSON.parse(body.toString('utf8'));
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('expected a JSON object');
        input = parsed as Record<string, unknown>;
      } catch (error) {
        return reply(400, { error: `request body: ${(error as Error).message}` });
      }
    }
    try {
      const [first, second] = path;
      if (method === 'GET' && first === 'state' && !second) return reply(200, snapshot());
      if (method === 'GET' && first === 'calls' && !second) return reply(200, { calls: callLog });
      if (method === 'GET' && first === 'events' && !second) return reply(200, { events: eventLog });
      if (method === 'POST' && first === 'tick' && !second) {
        const ms = input['ms'];
        if (typeof ms !== 'number') return reply(400, { error: `tick: 'ms' must be a number of milliseconds, got ${JSON.stringify(ms)}` });
        return reply(200, { now: new Date(tick(ms)).toISOString() });
      }
      if (method === 'POST' && first === 'inject' && !second) {
        inject(input as unknown as AwsFault);
        return reply(200, { pending: faults.reduce((n, f) => n + f.remaining, 0) });
      }
      if (method === 'POST' && first === 'health' && !second) return reply(200, control('elasticloadbalancing', 'health', input) ?? {});
      if (method === 'POST' && first && second && path.length === 2) return reply(200, control(first, second, input) ?? {});
      return reply(404, { error: `no side-door route ${method} ${url.pathname} (see sandbox/aws/SPEC.md)` });
    } catch (error) {
      return reply(400, { error: (error as Error).message });
    }
  };

  return { accountId, services, callLog, eventLog, waiters, seed, get clock() { return clock; }, tick, inject, snapshot, control, register, serve };
}

/** The whole body, or undefined once it passes MAX_BODY_BYTES (the rest is drained unread). */
async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) tooLarge = true;
    else chunks.push(buffer);
  }
  return tooLarge ? undefined : Buffer.concat(chunks);
}

function send(res: ServerResponse, response: SimResponse): void {
  const body = typeof response.body === 'string' ? Buffer.from(response.body, 'utf8') : response.body;
  res.writeHead(response.status, { ...response.headers, 'content-length': String(body.length) });
  res.end(body);
}
