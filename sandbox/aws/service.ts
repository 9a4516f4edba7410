/**
 * The contract between the AWS simulator's router and each simulated service.
 *
 * The simulator is the cloud, not Gennaker: nothing under `sandbox/` imports from `core/`,
 * `adapters/` or any other Gennaker folder, so a test that drives an adapter against it checks
 * the adapter against AWS's behaviour, not against a copy of the adapter's own assumptions.
 *
 * One HTTP server on 127.0.0.1 answers every service. The router picks the service from the
 * SigV4 credential scope of the request (`Credential=AKID/20261207/us-east-1/<service>/aws4_request`),
 * never checks the signature, applies injected faults, logs the call, and hands the raw request to
 * the service, which decodes its own wire protocol and encodes its own answer.
 */

/** A request as it arrived on the wire, body fully read (the router caps it at 8 MiB). */
export interface SimRequest {
  readonly method: string;
  /** Path without the query string, e.g. "/" or "/2015-03-31/functions/hello/aliases". */
  readonly path: string;
  /** Query-string parameters (the last value wins when a key repeats). */
  readonly query: Readonly<Record<string, string>>;
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** Region from the credential scope (default "us-east-1"). */
  readonly region: string;
}

/** A response ready for the wire. */
export interface SimResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Buffer;
}

/** What every service may use: the shared clock, the seeded RNG, ids, and the event log. */
export interface SimContext {
  /** Milliseconds since the epoch on the simulator's clock (advanced by `tick`, never by sleeping). */
  now(): number;
  /** Seeded pseudo-random number in [0, 1); the same seed replays the same world. */
  random(): number;
  /** The simulated account id (12 digits). */
  readonly accountId: string;
  /**
   * The region the service acts in: the request's (its credential scope), the region of a
   * regional service's instance (regions.ts) while it reconciles, else "us-east-1".
   */
  readonly region: string;
  /** The request id of the call being served (also sent back in x-amzn-requestid). */
  readonly requestId: string;
  /**
   * Appends a state-change event (e.g. target registered, instance InService, alias weights set)
   * to the world's event log; zero-downtime checks replay this log.
   */
  event(kind: string, detail: Record<string, unknown>): void;
  /**
   * Looks up another service (e.g. ECS registering task IPs in ELBv2 target groups). A regional
   * service (EC2, Auto Scaling, ELBv2: regions.ts) answers its instance in `region`, by default
   * the region of this context when a regional service's instance asks, else the service that
   * routes each call by its request's region or its ARN's.
   */
  service<T extends AwsServiceSim>(signingName: string, region?: string): T | undefined;
}

/**
 * The wire protocol a service speaks, so the router can name the operation of a request and
 * answer unknown operations and injected faults in that protocol's own error shape.
 */
export type AwsProtocol =
  | { readonly kind: 'awsQuery'; readonly xmlns: string; readonly version: string }
  | { readonly kind: 'ec2Query'; readonly xmlns: string; readonly version: string }
  | { readonly kind: 'awsJson'; readonly jsonVersion: '1.0' | '1.1' }
  | { readonly kind: 'restJson' }
  /** S3's REST-XML: errors are `<Error><Code>`, throttling is `503 SlowDown`. */
  | { readonly kind: 'restXml' };

/** One simulated AWS service. */
export interface AwsServiceSim {
  /** SigV4 signing name: "ec2", "autoscaling", "elasticloadbalancing", "ecs", "application-autoscaling", "lambda", "monitoring", "sts". */
  readonly signingName: string;
  /** Decodes the request, applies it to the state, encodes the answer (including AWS errors). */
  handle(req: SimRequest, ctx: SimContext): SimResponse | Promise<SimResponse>;
  /**
   * Moves internal state machines up to `ctx.now()` (instances boot, targets drain, deployments
   * converge). The router calls it on every service before each request and after each tick.
   */
  reconcile(ctx: SimContext): void;
  /** Plain-JSON view of what the service holds now, for `gennaker sandbox describe` and tests. */
  snapshot(): Record<string, unknown>;
  /** Names of the operations this service implements (anything else answers the protocol's unknown-operation error). */
  readonly operations: readonly string[];
  /**
   * The service's protocol. Without it the router guesses from the request (`Action=` form →
   * awsQuery, `x-amz-target` → awsJson, anything else → restJson).
   */
  readonly protocol?: AwsProtocol;
  /**
   * The operation a request calls, for protocols whose operation is not in the request's
   * `Action` or `x-amz-target` (REST paths). `undefined` = unknown operation.
   */
  operationOf?(req: SimRequest): string | undefined;
  /**
   * The earliest simulated time at which a state machine of this service changes on its own
   * (an instance finishes booting, a target finishes draining), or `undefined` when nothing is
   * pending. `tick` stops at each such instant so events carry their exact times.
   */
  nextChangeAt?(): number | undefined;
  /**
   * Side-door commands that are not part of AWS (`POST /__sandbox/<signingName>/<command>`),
   * e.g. forcing a target unhealthy. Returns plain JSON; throws an Error whose message is
   * answered as a 400.
   */
  control?(command: string, input: Record<string, unknown>, ctx: SimContext): unknown;
}
