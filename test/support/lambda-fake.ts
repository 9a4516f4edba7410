/**
 * An in-memory function port (core/ports/functions.ts) for unit tests of the Lambda stages' tasks.
 * It keeps Lambda's lifecycle honestly, on a clock the test moves, so the tasks' waiting is
 * exercised: the real proof is the AWS simulator with the real SDK client
 * (test/integration/lambda-stages.test.ts); this fake only lets the core tasks be tested fast.
 *
 * Its rules (each from reference/cloud-targets.md §4.3/§7):
 * - A created function is `Pending` for `pendingMs`, then `Active`. A code or settings update is
 *   `InProgress` for `updateMs`, then `Successful`. An update, publish or invoke while Pending, or
 *   an update or publish while InProgress, answers `conflict` (Lambda's 409) and changes nothing.
 * - Every update of `$LATEST` changes its RevisionId; a RevisionId given and not current answers
 *   `stale` (412). CodeSha256 is derived from the package location only.
 * - `publishVersion` snapshots `$LATEST` as the next number, unless code and settings equal the
 *   newest version's: then it answers that version.
 * - Aliases name published versions only, with at most one more weighted version; a version an
 *   alias names cannot be deleted (`conflict`). Invoking an alias picks a version by its weight
 *   with the seeded `random`.
 * - What a function answers is scripted per package (`behave`): the test decides what version 3
 *   returns.
 * - Faults: `throttleNext` answers `unavailable` without acting.
 * - Every call is logged (`calls()`), and every alias change is an event (`aliasEvents()`), for the
 *   zero-downtime check.
 */
import type { MemoryClock } from '../../adapters/targets/memory/memory-target.ts';
import type {
  AliasSpec,
  CreateFunctionRequest,
  FunctionAlias,
  FunctionCode,
  FunctionDescription,
  FunctionFailure,
  FunctionFailureReason,
  FunctionPort,
  FunctionRef,
  FunctionResult,
  FunctionSettings,
  FunctionVersion,
  InvokeOutcome,
} from '../../core/ports/functions.ts';

export type FakeOperation = Exclude<keyof FunctionPort, 'regions'>;

/** A package's behaviour: what the function answers for a payload. */
export type Behaviour = (payload: string) => { readonly payload: string; readonly functionError?: string };

export interface LambdaFakeOptions {
  readonly clock: MemoryClock;
  /** @default ['us-east-1'] */
  readonly regions?: readonly string[];
  /** @default 5_000 */
  readonly pendingMs?: number;
  /** @default 3_000 */
  readonly updateMs?: number;
  /** In [0, 1). @default a seeded generator */
  readonly random?: () => number;
}

interface Snapshot {
  readonly code: FunctionCode;
  readonly settings: FunctionSettings;
}

interface FakeFunction {
  readonly name: string;
  readonly arn: string;
  readonly createdAt: number;
  latest: Snapshot;
  revision: number;
  updateUntil?: number;
  lastUpdateStatus?: 'InProgress' | 'Successful';
  tags: Record<string, string>;
  reserved?: number;
  versions: Array<{ readonly version: string; readonly snapshot: Snapshot; readonly description?: string }>;
  aliases: Map<string, { functionVersion: string; weights: Record<string, number>; revision: number; description?: string }>;
}

export interface FakeCall {
  readonly at: number;
  readonly operation: FakeOperation;
  readonly functionName: string;
  readonly outcome: 'ok' | FunctionFailureReason;
}

export interface AliasEvent {
  readonly at: number;
  readonly functionName: string;
  readonly alias: string;
  readonly functionVersion: string;
  readonly weights: Readonly<Record<string, number>>;
  /** The versions the function had published at that moment. */
  readonly published: readonly string[];
}

export interface LambdaFake extends FunctionPort {
  readonly clock: MemoryClock;
  /** Scripts what the package at `s3Bucket/s3Key` answers. @default echoes the payload */
  behave(code: FunctionCode, behaviour: Behaviour): void;
  /** The next `n` calls (of `operation`, or any) answer `unavailable` and change nothing. */
  throttleNext(n: number, operation?: FakeOperation): void;
  /** Starts an update of `$LATEST` made by someone else (InProgress for `updateMs`). */
  startForeignUpdate(functionName: string): void;
  calls(filter?: { readonly operation?: FakeOperation }): readonly FakeCall[];
  /** The operations called (from call number `from`), in order, with consecutive repeats of `get` folded into one. */
  callOrder(from?: number): readonly string[];
  aliasEvents(): readonly AliasEvent[];
  /** Published version numbers of a function, oldest first. */
  publishedVersions(functionName: string): readonly string[];
  alias(functionName: string, name: string): FunctionAlias | undefined;
  exists(functionName: string): boolean;
}

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sha(code: FunctionCode): string {
  let hash = 0;
  for (const char of `${code.s3Bucket}/${code.s3Key}/${code.s3ObjectVersion ?? ''}`) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) | 0;
  return `sha-${(hash >>> 0).toString(16)}`;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** An in-memory function port with a side door. */
export function createLambdaFake(options: LambdaFakeOptions): LambdaFake {
  const clock = options.clock;
  const pendingMs = options.pendingMs ?? 5_000;
  const updateMs = options.updateMs ?? 3_000;
  const random = options.random ?? seeded(7);
  const functions = new Map<string, FakeFunction>();
  const behaviours = new Map<string, Behaviour>();
  const log: FakeCall[] = [];
  const events: AliasEvent[] = [];
  const throttles: Array<{ remaining: number; operation?: FakeOperation }> = [];

  const fail = (reason: FunctionFailureReason, message: string): FunctionFailure => ({ ok: false, reason, message });
  const ok = <T>(value: T): FunctionResult<T> => ({ ok: true, value });

  const state = (fn: FakeFunction): 'Pending' | 'Active' => (clock.now() < fn.createdAt + pendingMs ? 'Pending' : 'Active');
  const inProgress = (fn: FakeFunction) => fn.updateUntil !== undefined && clock.now() < fn.updateUntil;
  const revisionId = (fn: FakeFunction) => `rev-${fn.name}-${fn.revision}`;

  const describe = (fn: FakeFunction, version = '$LATEST'): FunctionDescription => ({
    functionName: fn.name,
    functionArn: fn.arn,
    state: state(fn),
    ...(state(fn) === 'Pending' ? { stateReason: 'The function is being created.' } : {}),
    ...(fn.lastUpdateStatus !== undefined ? { lastUpdateStatus: inProgress(fn) ? 'InProgress' : 'Successful' } : {}),
    codeSha256: sha(fn.latest.code),
    revisionId: revisionId(fn),
    version,
    settings: fn.latest.settings,
    tags: { ...fn.tags },
    ...(fn.reserved !== undefined ? { reservedConcurrency: fn.reserved } : {}),
  });

  const aliasOf = (name: string, alias: FakeFunction['aliases'] extends Map<string, infer A> ? A : never): FunctionAlias => ({
    name,
    functionVersion: alias.functionVersion,
    additionalVersionWeights: { ...alias.weights },
    revisionId: `alias-rev-${alias.revision}`,
    ...(alias.description !== undefined ? { description: alias.description } : {}),
  });

  const recordAlias = (fn: FakeFunction, name: string) => {
    const alias = fn.aliases.get(name)!;
    events.push({ at: clock.now(), functionName: fn.name, alias: name, functionVersion: alias.functionVersion, weights: { ...alias.weights }, published: fn.versions.map((entry) => entry.version) });
  };

  /** Logs the call; answers an injected throttle first. */
  const enter = (operation: FakeOperation, ref: FunctionRef): FunctionFailure | undefined => {
    const index = throttles.findIndex((fault) => fault.remaining > 0 && (fault.operation === undefined || fault.operation === operation));
    if (index >= 0) {
      throttles[index]!.remaining -= 1;
      log.push({ at: clock.now(), operation, functionName: ref.functionName, outcome: 'unavailable' });
      return fail('unavailable', 'Rate exceeded (TooManyRequestsException)');
    }
    return undefined;
  };

  const finish = <T>(operation: FakeOperation, ref: FunctionRef, result: FunctionResult<T>): FunctionResult<T> => {
    log.push({ at: clock.now(), operation, functionName: ref.functionName, outcome: result.ok ? 'ok' : result.reason });
    return result;
  };

  const run = async <T>(operation: FakeOperation, ref: FunctionRef, body: () => FunctionResult<T>): Promise<FunctionResult<T>> => {
    await Promise.resolve();
    const throttled = enter(operation, ref);
    if (throttled) return throttled;
    return finish(operation, ref, body());
  };

  const found = (ref: FunctionRef): FakeFunction | FunctionFailure => functions.get(ref.functionName) ?? fail('not-found', `Function not found: ${ref.functionName}`);

  /** The checks before a mutation of $LATEST. */
  const mutable = (fn: FakeFunction, revision: string | undefined): FunctionFailure | undefined => {
    if (state(fn) === 'Pending') return fail('conflict', `The operation cannot be performed at this time. The function is currently in the following state: Pending`);
    if (inProgress(fn)) return fail('conflict', `The operation cannot be performed at this time. An update is in progress for resource: ${fn.arn}`);
    if (revision !== undefined && revision !== revisionId(fn)) return fail('stale', `The Revision Id provided does not match the latest Revision Id.`);
    return undefined;
  };

  const publish = (fn: FakeFunction, description?: string): FunctionVersion => {
    const newest = fn.versions.at(-1);
    if (newest && same(newest.snapshot, fn.latest)) return { version: newest.version, codeSha256: sha(newest.snapshot.code) };
    const version = String((newest ? Number(newest.version) : 0) + 1);
    fn.versions.push({ version, snapshot: fn.latest, ...(description !== undefined ? { description } : {}) });
    return { version, codeSha256: sha(fn.latest.code), ...(description !== undefined ? { description } : {}) };
  };

  const checkAliasVersions = (fn: FakeFunction, spec: AliasSpec): FunctionFailure | undefined => {
    const published = fn.versions.map((entry) => entry.version);
    const named = [spec.functionVersion, ...Object.keys(spec.additionalVersionWeights)];
    if (named.length > 2) return fail('invalid', 'an alias routes to at most two versions');
    const missing = named.find((version) => !published.includes(version));
    if (missing !== undefined) return fail('not-found', `Function not found: ${fn.arn}:${missing}`);
    return undefined;
  };

  const port: LambdaFake = {
    clock,
    regions: options.regions ?? ['us-east-1'],

    get: (ref) => run('get', ref, () => ok(functions.has(ref.functionName) ? describe(functions.get(ref.functionName)!) : undefined)),

    create: (ref, request: CreateFunctionRequest) =>
      run('create', ref, () => {
        if (functions.has(ref.functionName)) return fail('already-exists', `Function already exist: ${ref.functionName}`);
        const fn: FakeFunction = {
          name: ref.functionName,
          arn: `arn:aws:lambda:${ref.region}:123456789012:function:${ref.functionName}`,
          createdAt: clock.now(),
          latest: { code: request.code, settings: request.settings },
          revision: 1,
          tags: { ...request.tags },
          versions: [],
          aliases: new Map(),
        };
        functions.set(ref.functionName, fn);
        const version = request.publish ? publish(fn).version : '$LATEST';
        return ok(describe(fn, version));
      }),

    updateCode: (ref, request) =>
      run('updateCode', ref, () => {
        const fn = found(ref);
        if ('ok' in fn) return fn;
        const refused = mutable(fn, request.revisionId);
        if (refused) return refused;
        fn.latest = { ...fn.latest, code: request.code };
        fn.revision += 1;
        fn.updateUntil = clock.now() + updateMs;
        fn.lastUpdateStatus = 'InProgress';
        const version = request.publish ? publish(fn).version : '$LATEST';
        return ok(describe(fn, version));
      }),

    updateSettings: (ref, request) =>
      run('updateSettings', ref, () => {
        const fn = found(ref);
        if ('ok' in fn) return fn;
        const refused = mutable(fn, request.revisionId);
        if (refused) return refused;
        fn.latest = { ...fn.latest, settings: { ...fn.latest.settings, ...request.settings } };
        fn.revision += 1;
        fn.updateUntil = clock.now() + updateMs;
        fn.lastUpdateStatus = 'InProgress';
        return ok(describe(fn));
      }),

    tag: (ref, _arn, tags) =>
      run('tag', ref, () => {
        const fn = found(ref);
        if ('ok' in fn) return fn;
        Object.assign(fn.tags, tags);
        return ok(true as const);
      }),

    setReservedConcurrency: (ref, reserved) =>
      run('setReservedConcurrency', ref, () => {
        const fn = found(ref);
        if ('ok' in fn) return fn;
        if (reserved === undefined) delete fn.reserved;
        else fn.reserved = reserved;
        return ok(true as const);
      }),

    publishVersion: (ref, request) =>
      run('publishVersion', ref, () => {
        const fn = found(ref);
        if ('ok' in fn) return fn;
        const refused = mutable(fn, request.revisionId);
        if (refused) return refused;
        return ok(publish(fn, request.description));
      }),

    listVersions: (ref) =>
      run('listVersions', ref, () => {
        const fn = found(ref);
        if ('ok' in fn) return fn;
        return ok(fn.versions.map((entry) => ({ version: entry.version, codeSha256: sha(entry.snapshot.code), ...(entry.description !== undefined ? { description: entry.description } : {}) })));
      }),

    getAlias: (ref, name) =>
      run('getAlias', ref, () => {
        const fn = found(ref);
        if ('ok' in fn) return fn;
        const alias = fn.aliases.get(name);
        return ok(alias === undefined ? undefined : aliasOf(name, alias));
      }),

    createAlias: (ref, spec) =>
      run('createAlias', ref, () => {
        const fn = found(ref);
        if ('ok' in fn) return fn;
        if (fn.aliases.has(spec.name)) return fail('already-exists', `Alias already exists: ${fn.arn}:${spec.name}`);
        const refused = checkAliasVersions(fn, spec);
        if (refused) return refused;
        fn.aliases.set(spec.name, { functionVersion: spec.functionVersion, weights: { ...spec.additionalVersionWeights }, revision: 1, ...(spec.description !== undefined ? { description: spec.description } : {}) });
        recordAlias(fn, spec.name);
        return ok(aliasOf(spec.name, fn.aliases.get(spec.name)!));
      }),

    updateAlias: (ref, spec, updateOptions) =>
      run('updateAlias', ref, () => {
        const fn = found(ref);
        if ('ok' in fn) return fn;
        const alias = fn.aliases.get(spec.name);
        if (!alias) return fail('not-found', `Alias not found: ${fn.arn}:${spec.name}`);
        if (updateOptions?.revisionId !== undefined && updateOptions.revisionId !== `alias-rev-${alias.revision}`) return fail('stale', 'The Revision Id provided does not match the latest Revision Id.');
        const refused = checkAliasVersions(fn, spec);
        if (refused) return refused;
        alias.functionVersion = spec.functionVersion;
        alias.weights = { ...spec.additionalVersionWeights };
        alias.revision += 1;
        recordAlias(fn, spec.name);
        return ok(aliasOf(spec.name, alias));
      }),

    invoke: (ref, request) =>
      run('invoke', ref, () => {
        const fn = found(ref);
        if ('ok' in fn) return fn;
        if (state(fn) === 'Pending') return fail('conflict', 'The operation cannot be performed at this time. The function is currently in the following state: Pending');
        let version = request.qualifier ?? '$LATEST';
        const alias = fn.aliases.get(version);
        if (alias) {
          const [minor, weight] = Object.entries(alias.weights)[0] ?? [];
          version = minor !== undefined && weight !== undefined && random() < weight ? minor : alias.functionVersion;
        }
        const snapshot = version === '$LATEST' ? fn.latest : fn.versions.find((entry) => entry.version === version)?.snapshot;
        if (!snapshot) return fail('not-found', `Function not found: ${fn.arn}:${request.qualifier}`);
        const behaviour: Behaviour = behaviours.get(`${snapshot.code.s3Bucket}/${snapshot.code.s3Key}`) ?? ((payload: string) => ({ payload }));
        const answer = behaviour(request.payload);
        const outcome: InvokeOutcome = { statusCode: 200, executedVersion: version, payload: answer.payload, ...(answer.functionError !== undefined ? { functionError: answer.functionError } : {}) };
        return ok(outcome);
      }),

    delete: (ref, request) =>
      run('delete', ref, () => {
        const fn = functions.get(ref.functionName);
        if (!fn) return ok('already-done' as const);
        if (request.qualifier === undefined) {
          functions.delete(ref.functionName);
          return ok('done' as const);
        }
        const index = fn.versions.findIndex((entry) => entry.version === request.qualifier);
        if (index < 0) return ok('already-done' as const);
        const naming = [...fn.aliases.entries()].filter(([, alias]) => alias.functionVersion === request.qualifier || request.qualifier! in alias.weights).map(([name]) => name);
        if (naming.length > 0) return fail('conflict', `Unable to delete version because the following aliases reference it: [${naming.join(', ')}]`);
        fn.versions.splice(index, 1);
        return ok('done' as const);
      }),

    behave(code, behaviour) {
      behaviours.set(`${code.s3Bucket}/${code.s3Key}`, behaviour);
    },
    throttleNext(n, operation) {
      throttles.push({ remaining: n, ...(operation !== undefined ? { operation } : {}) });
    },
    startForeignUpdate(functionName) {
      const fn = functions.get(functionName)!;
      fn.revision += 1;
      fn.updateUntil = clock.now() + updateMs;
      fn.lastUpdateStatus = 'InProgress';
    },
    calls(filter) {
      return log.filter((call) => filter?.operation === undefined || call.operation === filter.operation);
    },
    callOrder(from = 0) {
      const order: string[] = [];
      for (const call of log.slice(from)) if (!(call.operation === 'get' && order.at(-1) === 'get')) order.push(call.operation);
      return order;
    },
    aliasEvents: () => events,
    publishedVersions: (functionName) => functions.get(functionName)?.versions.map((entry) => entry.version) ?? [],
    alias(functionName, name) {
      const alias = functions.get(functionName)?.aliases.get(name);
      return alias === undefined ? undefined : aliasOf(name, alias);
    },
    exists: (functionName) => functions.has(functionName),
  };
  return port;
}
