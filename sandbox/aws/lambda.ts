/**
 * The simulated AWS Lambda (REST-JSON under `/2015-03-31/functions`...): functions whose State
 * goes Pending → Active after creation and whose LastUpdateStatus goes InProgress → Successful
 * after each code or configuration update (409 while in progress), RevisionIds checked on
 * update (412), immutable published versions (publishing nothing new returns the latest),
 * aliases with at most one extra weighted version, and Invoke, which picks a version by the
 * alias weights with the world's seeded randomness and answers with the behaviour a test seeded
 * for that version. Invocations are recorded as AWS/Lambda metrics in the simulated CloudWatch.
 */
import { createHash } from 'node:crypto';
import { restJsonError, restJsonResponse } from './json-protocol.ts';
import { AwsError, cloneJson, uuidId } from './json-rpc.ts';
import type { AwsProtocol, AwsServiceSim, SimContext, SimRequest, SimResponse } from './service.ts';
import type { MetricRecorder } from './cloudwatch.ts';
import type { AwsEvent } from './server.ts';

const WIRE: AwsProtocol = { kind: 'restJson' };

/** How long Lambda takes (milliseconds of the simulator's clock). */
export interface LambdaTimings {
  /** State Pending → Active after CreateFunction. */
  readonly activationMs: number;
  /** LastUpdateStatus InProgress → Successful after an update. */
  readonly updateMs: number;
  /** Provisioned concurrency IN_PROGRESS → READY. */
  readonly provisionedMs: number;
}

export const DEFAULT_LAMBDA_TIMINGS: LambdaTimings = { activationMs: 2_000, updateMs: 2_000, provisionedMs: 60_000 };

export interface LambdaServiceOptions {
  readonly timings?: Partial<LambdaTimings>;
}

/** What a simulated function does when invoked (seeded per function and version). */
export interface FunctionBehaviour {
  /** The response payload: a JSON value (a string is sent as it is). @default null */
  readonly output?: unknown;
  /** Share of invocations that fail with an unhandled error, 0..1. @default 0 */
  readonly errorRate?: number;
  /** Reported duration of an invocation (CloudWatch `Duration`, the log's REPORT line). @default 20 */
  readonly latencyMs?: number;
  /** errorType of a failed invocation. @default "Error" */
  readonly errorType?: string;
  /** errorMessage of a failed invocation. @default "Simulated failure" */
  readonly errorMessage?: string;
  /** Computes the payload from the request (programmatic seeding only; overrides `output`). */
  readonly respond?: (payload: string, version: string) => unknown;
}

/** Seeding Lambda: code packages in S3 and the behaviour of function versions. */
export interface LambdaSeeder {
  /** An S3 object CreateFunction/UpdateFunctionCode may name (`S3Bucket`/`S3Key`). */
  codeObject(input: { readonly bucket: string; readonly key: string; readonly content?: string; readonly base64?: string }): { bucket: string; key: string; codeSha256: string; size: number };
  /** The behaviour of `functionName` at `version` ("$LATEST", "3", or "*" for every version without its own). */
  behaviour(input: { readonly functionName: string; readonly version?: string } & FunctionBehaviour): { functionName: string; version: string };
}

/** The simulated Lambda, its seeding API, and what ECS uses to run lifecycle hooks. */
export interface LambdaSim extends AwsServiceSim {
  bindSeed(context: () => SimContext): LambdaSeeder;
  /** Invokes a function synchronously (an ECS lifecycle hook); throws when it does not exist. */
  invokeHook(functionArn: string, payload: string, ctx: SimContext): { payload: string; functionError?: string };
}

interface Code {
  readonly sha256: string;
  readonly size: number;
  readonly location: string;
  readonly s3?: { readonly bucket: string; readonly key: string };
  readonly imageUri?: string;
}

type Config = Record<string, unknown>;

interface VersionRecord {
  readonly version: string;
  readonly config: Config;
  readonly code: Code;
  readonly revisionId: string;
  readonly lastModified: number;
  /** When the version becomes Active (published while the function was still Pending). */
  readyAt: number;
}

interface AliasRecord {
  readonly name: string;
  functionVersion: string;
  description: string;
  weights: Record<string, number>;
  revisionId: string;
}

interface ProvisionedRecord {
  requested: number;
  lastModified: number;
  readyAt: number;
}

interface FunctionRecord {
  readonly name: string;
  readonly arn: string;
  readonly region: string;
  config: Config;
  code: Code;
  revisionId: string;
  lastModified: number;
  state: 'Pending' | 'Active';
  activeAt: number;
  lastUpdateStatus?: 'InProgress' | 'Successful';
  updateDoneAt?: number;
  readonly versions: Map<string, VersionRecord>;
  nextVersion: number;
  /** Fingerprint of code + configuration at the last publish, and the version it produced. */
  published?: { readonly fingerprint: string; readonly version: string };
  readonly aliases: Map<string, AliasRecord>;
  tags: Record<string, string>;
  reservedConcurrency?: number;
  readonly provisioned: Map<string, ProvisionedRecord>;
  readonly policy: Array<Record<string, unknown>>;
  policyRevisionId: string;
  readonly invocations: Map<string, { count: number; errors: number }>;
}

type Route = { operation: string; fn?: string; sub?: string };

/** The operation of a request (REST paths), or undefined when no route matches. */
function route(req: SimRequest): Route | undefined {
  const parts = req.path.split('/').filter(Boolean).map((p) => decodeURIComponent(p));
  const m = req.method;
  const [date, kind, fn, sub, name, extra] = parts;
  if (kind === 'tags' && date === '2017-03-31' && parts.length === 3) {
    if (m === 'GET') return { operation: 'ListTags', fn };
    if (m === 'POST') return { operation: 'TagResource', fn };
    return undefined;
  }
  if (kind !== 'functions') return undefined;
  if (date === '2015-03-31') {
    if (fn === undefined) return m === 'POST' ? { operation: 'CreateFunction' } : m === 'GET' ? { operation: 'ListFunctions' } : undefined;
    if (sub === undefined) return m === 'GET' ? { operation: 'GetFunction', fn } : m === 'DELETE' ? { operation: 'DeleteFunction', fn } : undefined;
    if (extra !== undefined) return undefined;
    if (sub === 'configuration' && name === undefined) return m === 'GET' ? { operation: 'GetFunctionConfiguration', fn } : m === 'PUT' ? { operation: 'UpdateFunctionConfiguration', fn } : undefined;
    if (sub === 'code' && name === undefined && m === 'PUT') return { operation: 'UpdateFunctionCode', fn };
    if (sub === 'versions' && name === undefined) return m === 'POST' ? { operation: 'PublishVersion', fn } : m === 'GET' ? { operation: 'ListVersionsByFunction', fn } : undefined;
    if (sub === 'invocations' && name === undefined && m === 'POST') return { operation: 'Invoke', fn };
    if (sub === 'policy' && name === undefined) return m === 'POST' ? { operation: 'AddPermission', fn } : m === 'GET' ? { operation: 'GetPolicy', fn } : undefined;
    if (sub === 'aliases') {
      if (name === undefined) return m === 'POST' ? { operation: 'CreateAlias', fn } : m === 'GET' ? { operation: 'ListAliases', fn } : undefined;
      if (m === 'GET') return { operation: 'GetAlias', fn, sub: name };
      if (m === 'PUT') return { operation: 'UpdateAlias', fn, sub: name };
      if (m === 'DELETE') return { operation: 'DeleteAlias', fn, sub: name };
    }
    return undefined;
  }
  if (date === '2017-10-31' && sub === 'concurrency' && name === undefined) return m === 'PUT' ? { operation: 'PutFunctionConcurrency', fn } : m === 'DELETE' ? { operation: 'DeleteFunctionConcurrency', fn } : undefined;
  if (date === '2019-09-30' && sub === 'concurrency' && name === undefined && m === 'GET') return { operation: 'GetFunctionConcurrency', fn };
  if (date === '2019-09-30' && sub === 'provisioned-concurrency' && name === undefined) {
    if (m === 'PUT') return { operation: 'PutProvisionedConcurrencyConfig', fn };
    if (m === 'GET') return { operation: 'GetProvisionedConcurrencyConfig', fn };
    if (m === 'DELETE') return { operation: 'DeleteProvisionedConcurrencyConfig', fn };
  }
  return undefined;
}

const OPERATIONS = [
  'CreateFunction',
  'ListFunctions',
  'GetFunction',
  'GetFunctionConfiguration',
  'UpdateFunctionCode',
  'UpdateFunctionConfiguration',
  'PublishVersion',
  'ListVersionsByFunction',
  'CreateAlias',
  'GetAlias',
  'UpdateAlias',
  'ListAliases',
  'DeleteAlias',
  'DeleteFunction',
  'Invoke',
  'PutFunctionConcurrency',
  'DeleteFunctionConcurrency',
  'GetFunctionConcurrency',
  'PutProvisionedConcurrencyConfig',
  'GetProvisionedConcurrencyConfig',
  'DeleteProvisionedConcurrencyConfig',
  'AddPermission',
  'GetPolicy',
  'TagResource',
  'ListTags',
] as const;

/** Lambda's timestamp format: `2026-01-01T00:00:00.000+0000`. */
function lambdaTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

function sha256Base64(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('base64');
}

function body(req: SimRequest): Record<string, unknown> {
  const text = req.body.toString('utf8').trim();
  if (text === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new AwsError('InvalidRequestContentException', 'Could not parse request body into json: Could not parse payload into json.');
}

function invalid(message: string): AwsError {
  return new AwsError('InvalidParameterValueException', message);
}

function str(b: Record<string, unknown>, key: string): string | undefined {
  const v = b[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalid(`${key} must be a string, got ${JSON.stringify(v)}`);
  return v;
}

function int(b: Record<string, unknown>, key: string): number | undefined {
  const v = b[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw invalid(`${key} must be an integer, got ${JSON.stringify(v)}`);
  return v;
}

/** Splits a FunctionName (name, partial or full ARN, optionally with `:qualifier`). */
function parseFunctionRef(ref: string): { name: string; qualifier?: string } {
  let rest = ref;
  if (rest.startsWith('arn:')) rest = rest.split(':').slice(5).join(':');
  if (/^\d{12}:function:/.test(rest)) rest = rest.slice(13);
  if (rest.startsWith('function:')) rest = rest.slice('function:'.length);
  const [name, qualifier, more] = rest.split(':');
  if (name === undefined || !/^[a-zA-Z0-9_-]{1,64}$/.test(name) || more !== undefined) {
    throw invalid(`1 validation error detected: Value '${ref}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?`);
  }
  return qualifier !== undefined ? { name, qualifier } : { name };
}

const CONFIG_KEYS = ['Runtime', 'Role', 'Handler', 'Description', 'Timeout', 'MemorySize', 'Environment', 'VpcConfig', 'DeadLetterConfig', 'KMSKeyArn', 'TracingConfig', 'Layers', 'Architectures', 'EphemeralStorage', 'LoggingConfig', 'ImageConfig', 'SnapStart', 'FileSystemConfigs'] as const;

/** Creates the simulated Lambda. */
export function createLambdaService(options: LambdaServiceOptions = {}): LambdaSim {
  const timings: LambdaTimings = { ...DEFAULT_LAMBDA_TIMINGS, ...options.timings };
  const functions = new Map<string, FunctionRecord>();
  const objects = new Map<string, Buffer>();
  const behaviours = new Map<string, FunctionBehaviour>();
  let counter = 0;

  const revision = () => uuidId('lambda-revision', ++counter);
  const keyOf = (region: string, name: string) => `${region}:${name}`;

  function fnArn(region: string, account: string, name: string): string {
    return `arn:aws:lambda:${region}:${account}:function:${name}`;
  }

  function notFound(arn: string, what = 'Function'): AwsError {
    return new AwsError('ResourceNotFoundException', `${what} not found: ${arn}`, 404);
  }

  function find(req: SimRequest, ctx: SimContext, ref: string | undefined): { fn: FunctionRecord; qualifier?: string } {
    const parsed = parseFunctionRef(ref ?? '');
    const fn = functions.get(keyOf(req.region, parsed.name));
    if (fn === undefined) throw notFound(fnArn(req.region, ctx.accountId, parsed.name));
    const qualifier = req.query['Qualifier'] ?? parsed.qualifier;
    return qualifier !== undefined ? { fn, qualifier } : { fn };
  }

  function conflictIfBusy(fn: FunctionRecord): void {
    if (fn.state === 'Pending') throw new AwsError('ResourceConflictException', 'The operation cannot be performed at this time. The function is currently in the following state: Pending', 409);
    if (fn.lastUpdateStatus === 'InProgress') throw new AwsError('ResourceConflictException', `The operation cannot be performed at this time. An update is in progress for resource: ${fn.arn}`, 409);
  }

  function checkRevision(given: string | undefined, current: string): void {
    if (given !== undefined && given !== current) {
      throw new AwsError('PreconditionFailedException', 'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id', 412);
    }
  }

  function readCode(b: Record<string, unknown>, field: string): Code {
    const zip = b['ZipFile'];
    const bucket = str(b, 'S3Bucket');
    const key = str(b, 'S3Key');
    const image = str(b, 'ImageUri');
    if (typeof zip === 'string') {
      const bytes = Buffer.from(zip, 'base64');
      return { sha256: sha256Base64(bytes), size: bytes.length, location: 'inline' };
    }
    if (bucket !== undefined || key !== undefined) {
      if (bucket === undefined || key === undefined) throw invalid(`${field}: S3Bucket and S3Key must be given together.`);
      if (![...objects.keys()].some((k) => k.startsWith(`${bucket}/`))) throw invalid('Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3 Error Message: The specified bucket does not exist');
      const bytes = objects.get(`${bucket}/${key}`);
      if (bytes === undefined) throw invalid('Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist.');
      return { sha256: sha256Base64(bytes), size: bytes.length, location: `s3://${bucket}/${key}`, s3: { bucket, key } };
    }
    if (image !== undefined) return { sha256: createHash('sha256').update(image).digest('hex'), size: 0, location: image, imageUri: image };
    throw invalid(`${field}: give ZipFile, S3Bucket and S3Key, or ImageUri.`);
  }

  function readConfig(b: Record<string, unknown>, base: Config): Config {
    const config: Config = { ...base };
    for (const key of CONFIG_KEYS) if (b[key] !== undefined) config[key] = cloneJson(b[key]);
    const timeout = config['Timeout'];
    if (typeof timeout !== 'number' || timeout < 1 || timeout > 900) throw invalid(`1 validation error detected: Value '${String(timeout)}' at 'timeout' failed to satisfy constraint: Member must have value between 1 and 900`);
    const memory = config['MemorySize'];
    if (typeof memory !== 'number' || memory < 128 || memory > 10240) throw invalid(`1 validation error detected: Value '${String(memory)}' at 'memorySize' failed to satisfy constraint: Member must have value between 128 and 10240`);
    const role = config['Role'];
    if (typeof role !== 'string' || !/^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/.test(role)) {
      throw invalid(`1 validation error detected: Value '${String(role)}' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+`);
    }
    return config;
  }

  function fingerprint(fn: FunctionRecord): string {
    return JSON.stringify([fn.code.sha256, fn.config]);
  }

  /** The FunctionConfiguration shape, of $LATEST or a version, under `arn` (qualified for versions and aliases). */
  function encodeConfig(fn: FunctionRecord, version: VersionRecord | undefined, arn: string, now: number): Record<string, unknown> {
    const config = version?.config ?? fn.config;
    const code = version?.code ?? fn.code;
    const pending = version !== undefined ? now < version.readyAt : fn.state === 'Pending';
    const vpc = config['VpcConfig'] as Record<string, unknown> | undefined;
    const env = config['Environment'] as Record<string, unknown> | undefined;
    const out: Record<string, unknown> = {
      FunctionName: fn.name,
      FunctionArn: arn,
      ...(code.imageUri === undefined ? { Runtime: config['Runtime'], Handler: config['Handler'] } : {}),
      Role: config['Role'],
      CodeSize: code.size,
      Description: config['Description'] ?? '',
      Timeout: config['Timeout'],
      MemorySize: config['MemorySize'],
      LastModified: lambdaTime(version?.lastModified ?? fn.lastModified),
      CodeSha256: code.sha256,
      Version: version?.version ?? '$LATEST',
      ...(vpc !== undefined ? { VpcConfig: { SubnetIds: vpc['SubnetIds'] ?? [], SecurityGroupIds: vpc['SecurityGroupIds'] ?? [], VpcId: (vpc['SubnetIds'] as unknown[] | undefined)?.length ? 'vpc-0sandbox' : '', Ipv6AllowedForDualStack: false } } : {}),
      ...(config['DeadLetterConfig'] !== undefined && (config['DeadLetterConfig'] as Record<string, unknown>)['TargetArn'] ? { DeadLetterConfig: config['DeadLetterConfig'] } : {}),
      ...(env !== undefined ? { Environment: { Variables: env['Variables'] ?? {} } } : {}),
      ...(typeof config['KMSKeyArn'] === 'string' && config['KMSKeyArn'] !== '' ? { KMSKeyArn: config['KMSKeyArn'] } : {}),
      TracingConfig: { Mode: ((config['TracingConfig'] as Record<string, unknown> | undefined)?.['Mode'] as string | undefined) ?? 'PassThrough' },
      RevisionId: version?.revisionId ?? fn.revisionId,
      ...(Array.isArray(config['Layers']) && config['Layers'].length > 0 ? { Layers: (config['Layers'] as string[]).map((l) => ({ Arn: l, CodeSize: 0 })) } : {}),
      State: pending ? 'Pending' : 'Active',
      ...(pending ? { StateReason: 'The function is being created.', StateReasonCode: 'Creating' } : {}),
      ...(version === undefined && fn.lastUpdateStatus !== undefined ? { LastUpdateStatus: fn.lastUpdateStatus } : {}),
      ...(version !== undefined && !pending ? { LastUpdateStatus: 'Successful' } : {}),
      PackageType: code.imageUri !== undefined ? 'Image' : 'Zip',
      Architectures: config['Architectures'] ?? ['x86_64'],
      EphemeralStorage: config['EphemeralStorage'] ?? { Size: 512 },
      SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
      ...(code.imageUri === undefined ? { RuntimeVersionConfig: { RuntimeVersionArn: `arn:aws:lambda:${fn.region}::runtime:${createHash('sha256').update(String(config['Runtime'])).digest('hex')}` } } : {}),
      LoggingConfig: { LogFormat: 'Text', LogGroup: `/aws/lambda/${fn.name}`, ...((config['LoggingConfig'] as Record<string, unknown> | undefined) ?? {}) },
    };
    return out;
  }

  function latestVersion(fn: FunctionRecord, qualifier: string | undefined): VersionRecord | undefined | 'latest' {
    if (qualifier === undefined || qualifier === '$LATEST') return 'latest';
    const version = fn.versions.get(qualifier);
    if (version !== undefined) return version;
    const alias = fn.aliases.get(qualifier);
    if (alias !== undefined) return alias.functionVersion === '$LATEST' ? 'latest' : fn.versions.get(alias.functionVersion);
    return undefined;
  }

  function configOf(fn: FunctionRecord, qualifier: string | undefined, now: number): Record<string, unknown> {
    const target = latestVersion(fn, qualifier);
    if (target === undefined) throw notFound(`${fn.arn}:${qualifier}`);
    if (target === 'latest') return encodeConfig(fn, undefined, qualifier === undefined ? fn.arn : `${fn.arn}:${qualifier}`, now);
    return encodeConfig(fn, target, `${fn.arn}:${qualifier}`, now);
  }

  function encodeAlias(fn: FunctionRecord, alias: AliasRecord): Record<string, unknown> {
    return {
      AliasArn: `${fn.arn}:${alias.name}`,
      Name: alias.name,
      FunctionVersion: alias.functionVersion,
      Description: alias.description,
      ...(Object.keys(alias.weights).length > 0 ? { RoutingConfig: { AdditionalVersionWeights: { ...alias.weights } } } : {}),
      RevisionId: alias.revisionId,
    };
  }

  function readWeights(fn: FunctionRecord, b: Record<string, unknown>, primary: string): Record<string, number> {
    const routing = b['RoutingConfig'];
    if (routing === undefined || routing === null) return {};
    const weights = (routing as Record<string, unknown>)['AdditionalVersionWeights'];
    if (weights === undefined || weights === null) return {};
    if (typeof weights !== 'object') throw invalid('RoutingConfig.AdditionalVersionWeights must be a map of version to weight.');
    const entries = Object.entries(weights as Record<string, unknown>);
    if (entries.length > 1) throw invalid(`1 validation error detected: Value '${JSON.stringify(weights)}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Member must have length less than or equal to 1`);
    const out: Record<string, number> = {};
    for (const [version, weight] of entries) {
      if (typeof weight !== 'number' || !(weight >= 0 && weight <= 1)) throw invalid(`1 validation error detected: Value '${String(weight)}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0]`);
      if (version === '$LATEST' || primary === '$LATEST') throw invalid('$LATEST is not supported for an alias pointing to more than 1 version');
      if (!/^[0-9]+$/.test(version)) throw invalid(`1 validation error detected: Value '${version}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [0-9]+]`);
      if (version === primary) throw invalid(`Invalid function version ${version}. Function version ${version} is already included in routing configuration.`);
      if (!fn.versions.has(version)) throw notFound(`${fn.arn}:${version}`);
      out[version] = weight;
    }
    return out;
  }

  function aliasEvent(ctx: SimContext, fn: FunctionRecord, alias: AliasRecord, change: string): void {
    ctx.event('lambda.alias', { functionName: fn.name, alias: alias.name, change, functionVersion: alias.functionVersion, additionalVersionWeights: { ...alias.weights } });
  }

  function publish(fn: FunctionRecord, ctx: SimContext, description: string | undefined): VersionRecord {
    const print = fingerprint(fn);
    if (fn.published !== undefined && fn.published.fingerprint === print && fn.versions.has(fn.published.version)) {
      // Nothing changed since the last publish: AWS returns the latest version.
      return fn.versions.get(fn.published.version)!;
    }
    const version = String(fn.nextVersion++);
    const record: VersionRecord = {
      version,
      config: { ...cloneJson(fn.config), ...(description !== undefined ? { Description: description } : {}) },
      code: fn.code,
      revisionId: revision(),
      lastModified: ctx.now(),
      readyAt: fn.state === 'Pending' ? fn.activeAt : ctx.now(),
    };
    fn.versions.set(version, record);
    fn.published = { fingerprint: print, version };
    ctx.event('lambda.version-published', { functionName: fn.name, version, codeSha256: fn.code.sha256 });
    return record;
  }

  function startUpdate(fn: FunctionRecord, ctx: SimContext): void {
    fn.revisionId = revision();
    fn.lastModified = ctx.now();
    fn.lastUpdateStatus = 'InProgress';
    fn.updateDoneAt = ctx.now() + timings.updateMs;
    ctx.event('lambda.update', { functionName: fn.name, lastUpdateStatus: 'InProgress', codeSha256: fn.code.sha256 });
  }

  function behaviourOf(fn: FunctionRecord, version: string): FunctionBehaviour {
    return behaviours.get(`${fn.name}:${version}`) ?? behaviours.get(`${fn.name}:*`) ?? {};
  }

  /** Runs one invocation: picks the version (alias weights), applies the seeded behaviour, records metrics. */
  function run(fn: FunctionRecord, qualifier: string | undefined, payload: string, ctx: SimContext): { executed: string; payload: string; functionError?: string; latencyMs: number } {
    let executed = '$LATEST';
    if (qualifier !== undefined && qualifier !== '$LATEST') {
      const alias = fn.aliases.get(qualifier);
      if (alias !== undefined) {
        executed = alias.functionVersion;
        const [extra, weight] = Object.entries(alias.weights)[0] ?? [];
        if (extra !== undefined && weight !== undefined && ctx.random() < weight) executed = extra;
      } else if (fn.versions.has(qualifier)) {
        executed = qualifier;
      } else {
        throw notFound(`${fn.arn}:${qualifier}`);
      }
    }
    const behaviour = behaviourOf(fn, executed);
    const latencyMs = behaviour.latencyMs ?? 20;
    const failed = (behaviour.errorRate ?? 0) > 0 && ctx.random() < (behaviour.errorRate ?? 0);
    let out: string;
    if (failed) {
      out = JSON.stringify({ errorMessage: behaviour.errorMessage ?? 'Simulated failure', errorType: behaviour.errorType ?? 'Error', stackTrace: [] });
    } else {
      const value = behaviour.respond !== undefined ? behaviour.respond(payload, executed) : behaviour.output ?? null;
      out = typeof value === 'string' ? value : JSON.stringify(value);
    }
    const stats = fn.invocations.get(executed) ?? { count: 0, errors: 0 };
    stats.count += 1;
    if (failed) stats.errors += 1;
    fn.invocations.set(executed, stats);
    recordMetrics(fn, qualifier, executed, failed, latencyMs, ctx);
    return failed ? { executed, payload: out, functionError: 'Unhandled', latencyMs } : { executed, payload: out, latencyMs };
  }

  /** AWS/Lambda metrics as Lambda publishes them: per function, per function+Resource, and per alias+ExecutedVersion. */
  function recordMetrics(fn: FunctionRecord, qualifier: string | undefined, executed: string, failed: boolean, latencyMs: number, ctx: SimContext): void {
    const cw = ctx.service<AwsServiceSim & Partial<MetricRecorder>>('monitoring');
    if (cw === undefined || typeof cw.record !== 'function') return;
    const sets: Array<Record<string, string>> = [{ FunctionName: fn.name }];
    if (qualifier !== undefined) sets.push({ FunctionName: fn.name, Resource: `${fn.name}:${qualifier}` });
    if (qualifier !== undefined && fn.aliases.has(qualifier)) sets.push({ FunctionName: fn.name, Resource: `${fn.name}:${qualifier}`, ExecutedVersion: executed });
    for (const dimensions of sets) {
      cw.record(fn.region, 'AWS/Lambda', 'Invocations', dimensions, ctx.now(), 1, 'Count');
      cw.record(fn.region, 'AWS/Lambda', 'Errors', dimensions, ctx.now(), failed ? 1 : 0, 'Count');
      cw.record(fn.region, 'AWS/Lambda', 'Duration', dimensions, ctx.now(), latencyMs, 'Milliseconds');
    }
  }

  function page<T>(items: readonly T[], req: SimRequest, max: number): { items: T[]; next?: string } {
    const limit = req.query['MaxItems'] !== undefined ? Number(req.query['MaxItems']) : max;
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw invalid(`1 validation error detected: Value '${req.query['MaxItems']}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000`);
    const marker = req.query['Marker'];
    const offset = marker !== undefined ? Number(Buffer.from(marker, 'base64').toString('utf8')) : 0;
    if (!Number.isInteger(offset) || offset < 0) throw invalid(`Invalid Marker: ${marker}`);
    const slice = items.slice(offset, offset + Math.min(limit, max));
    const end = offset + slice.length;
    return end < items.length ? { items: slice, next: Buffer.from(String(end)).toString('base64') } : { items: slice };
  }

  // ------------------------------------------------------------------ operations

  type Handler = (req: SimRequest, ctx: SimContext, r: Route) => SimResponse;

  const handlers: Record<string, Handler> = {
    CreateFunction(req, ctx) {
      const b = body(req);
      const name = str(b, 'FunctionName');
      if (name === undefined) throw invalid('FunctionName is required.');
      const parsed = parseFunctionRef(name);
      if (functions.has(keyOf(req.region, parsed.name))) throw new AwsError('ResourceConflictException', `Function already exist: ${parsed.name}`, 409);
      const code = readCode((b['Code'] ?? {}) as Record<string, unknown>, 'Code');
      if (code.imageUri === undefined && (str(b, 'Runtime') === undefined || str(b, 'Handler') === undefined)) throw invalid('Runtime and Handler are mandatory parameters for functions created with deployment packages.');
      const config = readConfig(b, { Timeout: 3, MemorySize: 128 });
      const now = ctx.now();
      const fn: FunctionRecord = {
        name: parsed.name,
        arn: fnArn(req.region, ctx.accountId, parsed.name),
        region: req.region,
        config,
        code,
        revisionId: revision(),
        lastModified: now,
        state: 'Pending',
        activeAt: now + timings.activationMs,
        versions: new Map(),
        nextVersion: 1,
        aliases: new Map(),
        tags: { ...((b['Tags'] as Record<string, string> | undefined) ?? {}) },
        provisioned: new Map(),
        policy: [],
        policyRevisionId: revision(),
        invocations: new Map(),
      };
      functions.set(keyOf(req.region, fn.name), fn);
      ctx.event('lambda.function', { functionName: fn.name, change: 'created', state: 'Pending', codeSha256: code.sha256 });
      if (b['Publish'] === true) {
        const version = publish(fn, ctx, undefined);
        return restJsonResponse(201, encodeConfig(fn, version, `${fn.arn}:${version.version}`, now));
      }
      return restJsonResponse(201, encodeConfig(fn, undefined, fn.arn, now));
    },

    ListFunctions(req, ctx) {
      const all = [...functions.values()].filter((f) => f.region === req.region).sort((a, b) => (a.name < b.name ? -1 : 1));
      const { items, next } = page(all, req, 50);
      return restJsonResponse(200, { Functions: items.map((f) => encodeConfig(f, undefined, f.arn, ctx.now())), ...(next !== undefined ? { NextMarker: next } : {}) });
    },

    GetFunction(req, ctx, r) {
      const { fn, qualifier } = find(req, ctx, r.fn);
      const configuration = configOf(fn, qualifier, ctx.now());
      const target = latestVersion(fn, qualifier);
      const code = target === 'latest' || target === undefined ? fn.code : target.code;
      return restJsonResponse(200, {
        Configuration: configuration,
        Code: code.imageUri !== undefined
          ? { RepositoryType: 'ECR', ImageUri: code.imageUri, ResolvedImageUri: code.imageUri }
          : { RepositoryType: 'S3', Location: `https://awslambda-${fn.region}-tasks.s3.${fn.region}.amazonaws.com/snapshots/${ctx.accountId}/${fn.name}-${uuidId('lambda-code', code.size)}?X-Amz-Expires=600` },
        Tags: { ...fn.tags },
        ...(fn.reservedConcurrency !== undefined ? { Concurrency: { ReservedConcurrentExecutions: fn.reservedConcurrency } } : {}),
      });
    },

    GetFunctionConfiguration(req, ctx, r) {
      const { fn, qualifier } = find(req, ctx, r.fn);
      return restJsonResponse(200, configOf(fn, qualifier, ctx.now()));
    },

    UpdateFunctionCode(req, ctx, r) {
      const { fn } = find(req, ctx, r.fn);
      const b = body(req);
      checkRevision(str(b, 'RevisionId'), fn.revisionId);
      conflictIfBusy(fn);
      const code = readCode(b, 'UpdateFunctionCode');
      if (b['DryRun'] === true) return restJsonResponse(200, encodeConfig(fn, undefined, fn.arn, ctx.now()));
      fn.code = code;
      startUpdate(fn, ctx);
      if (b['Publish'] === true) {
        const version = publish(fn, ctx, undefined);
        return restJsonResponse(200, encodeConfig(fn, version, `${fn.arn}:${version.version}`, ctx.now()));
      }
      return restJsonResponse(200, encodeConfig(fn, undefined, fn.arn, ctx.now()));
    },

    UpdateFunctionConfiguration(req, ctx, r) {
      const { fn } = find(req, ctx, r.fn);
      const b = body(req);
      checkRevision(str(b, 'RevisionId'), fn.revisionId);
      conflictIfBusy(fn);
      fn.config = readConfig(b, fn.config);
      startUpdate(fn, ctx);
      return restJsonResponse(200, encodeConfig(fn, undefined, fn.arn, ctx.now()));
    },

    PublishVersion(req, ctx, r) {
      const { fn } = find(req, ctx, r.fn);
      const b = body(req);
      checkRevision(str(b, 'RevisionId'), fn.revisionId);
      const sha = str(b, 'CodeSha256');
      if (sha !== undefined && sha !== fn.code.sha256) throw invalid(`CodeSHA256 (${sha}) is different from current CodeSHA256 in $LATEST (${fn.code.sha256}). Please try again with the CodeSHA256 in $LATEST.`);
      conflictIfBusy(fn);
      const version = publish(fn, ctx, str(b, 'Description'));
      return restJsonResponse(201, encodeConfig(fn, version, `${fn.arn}:${version.version}`, ctx.now()));
    },

    ListVersionsByFunction(req, ctx, r) {
      const { fn } = find(req, ctx, r.fn);
      const all: Array<VersionRecord | undefined> = [undefined, ...[...fn.versions.values()].sort((a, b) => Number(a.version) - Number(b.version))];
      const { items, next } = page(all, req, 50);
      return restJsonResponse(200, {
        Versions: items.map((v) => (v === undefined ? encodeConfig(fn, undefined, `${fn.arn}:$LATEST`, ctx.now()) : encodeConfig(fn, v, `${fn.arn}:${v.version}`, ctx.now()))),
        ...(next !== undefined ? { NextMarker: next } : {}),
      });
    },

    CreateAlias(req, ctx, r) {
      const { fn } = find(req, ctx, r.fn);
      const b = body(req);
      const name = str(b, 'Name');
      if (name === undefined || !/^(?!^[0-9]+$)[a-zA-Z0-9-_]{1,128}$/.test(name)) throw invalid(`1 validation error detected: Value '${String(name)}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)`);
      if (fn.aliases.has(name)) throw new AwsError('ResourceConflictException', `Alias already exists: ${fn.arn}:${name}`, 409);
      const functionVersion = str(b, 'FunctionVersion') ?? '';
      if (functionVersion !== '$LATEST' && !fn.versions.has(functionVersion)) throw notFound(`${fn.arn}:${functionVersion}`);
      const alias: AliasRecord = { name, functionVersion, description: str(b, 'Description') ?? '', weights: readWeights(fn, b, functionVersion), revisionId: revision() };
      fn.aliases.set(name, alias);
      aliasEvent(ctx, fn, alias, 'created');
      return restJsonResponse(201, encodeAlias(fn, alias));
    },

    GetAlias(req, ctx, r) {
      const { fn } = find(req, ctx, r.fn);
      const alias = fn.aliases.get(r.sub ?? '');
      if (alias === undefined) throw notFound(`${fn.arn}:${r.sub}`, 'Alias');
      return restJsonResponse(200, encodeAlias(fn, alias));
    },

    UpdateAlias(req, ctx, r) {
      const { fn } = find(req, ctx, r.fn);
      const alias = fn.aliases.get(r.sub ?? '');
      if (alias === undefined) throw notFound(`${fn.arn}:${r.sub}`, 'Alias');
      const b = body(req);
      checkRevision(str(b, 'RevisionId'), alias.revisionId);
      const functionVersion = str(b, 'FunctionVersion') ?? alias.functionVersion;
      if (functionVersion !== '$LATEST' && !fn.versions.has(functionVersion)) throw notFound(`${fn.arn}:${functionVersion}`);
      const weights = b['RoutingConfig'] !== undefined ? readWeights(fn, b, functionVersion) : alias.weights;
      if (b['RoutingConfig'] === undefined && Object.keys(weights).some((v) => v === functionVersion)) throw invalid(`Invalid function version ${functionVersion}. Function version ${functionVersion} is already included in routing configuration.`);
      alias.functionVersion = functionVersion;
      alias.weights = weights;
      if (b['Description'] !== undefined) alias.description = str(b, 'Description') ?? '';
      alias.revisionId = revision();
      aliasEvent(ctx, fn, alias, 'updated');
      return restJsonResponse(200, encodeAlias(fn, alias));
    },

    ListAliases(req, ctx, r) {
      const { fn } = find(req, ctx, r.fn);
      const version = req.query['FunctionVersion'];
      const all = [...fn.aliases.values()].filter((a) => version === undefined || a.functionVersion === version || version in a.weights).sort((a, b) => (a.name < b.name ? -1 : 1));
      const { items, next } = page(all, req, 50);
      return restJsonResponse(200, { Aliases: items.map((a) => encodeAlias(fn, a)), ...(next !== undefined ? { NextMarker: next } : {}) });
    },

    DeleteAlias(req, ctx, r) {
      const { fn } = find(req, ctx, r.fn);
      const alias = fn.aliases.get(r.sub ?? '');
      if (alias !== undefined) {
        fn.aliases.delete(alias.name);
        fn.provisioned.delete(alias.name);
        aliasEvent(ctx, fn, alias, 'deleted');
      }
      return { status: 204, headers: {}, body: '' };
    },

    DeleteFunction(req, ctx, r) {
      const { fn, qualifier } = find(req, ctx, r.fn);
      if (qualifier === undefined) {
        functions.delete(keyOf(fn.region, fn.name));
        ctx.event('lambda.function', { functionName: fn.name, change: 'deleted' });
        return { status: 204, headers: {}, body: '' };
      }
      if (qualifier === '$LATEST') throw invalid('$LATEST version cannot be deleted without deleting the function.');
      if (fn.aliases.has(qualifier)) throw invalid('Deletion of aliases is not supported by DeleteFunction; use DeleteAlias.');
      if (!fn.versions.has(qualifier)) throw notFound(`${fn.arn}:${qualifier}`);
      const users = [...fn.aliases.values()].filter((a) => a.functionVersion === qualifier || qualifier in a.weights).map((a) => a.name);
      if (users.length > 0) throw new AwsError('ResourceConflictException', `Unable to delete version because the following aliases reference it: [${users.join(', ')}]`, 409);
      fn.versions.delete(qualifier);
      fn.provisioned.delete(qualifier);
      ctx.event('lambda.version-deleted', { functionName: fn.name, version: qualifier });
      return { status: 204, headers: {}, body: '' };
    },

    Invoke(req, ctx, r) {
      const { fn, qualifier } = find(req, ctx, r.fn);
      if (fn.state === 'Pending') throw new AwsError('ResourceConflictException', 'The operation cannot be performed at this time. The function is currently in the following state: Pending', 409);
      const type = req.headers['x-amz-invocation-type'] ?? 'RequestResponse';
      if (!['RequestResponse', 'Event', 'DryRun'].includes(type)) throw invalid(`1 validation error detected: Value '${type}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]`);
      if (type === 'DryRun') {
        configOf(fn, qualifier, ctx.now());
        return { status: 204, headers: {}, body: '' };
      }
      const result = run(fn, qualifier, req.body.toString('utf8'), ctx);
      if (type === 'Event') return { status: 202, headers: {}, body: '' };
      const headers: Record<string, string> = { 'content-type': 'application/json', 'x-amz-executed-version': result.executed };
      if (result.functionError !== undefined) headers['x-amz-function-error'] = result.functionError;
      if (req.headers['x-amz-log-type'] === 'Tail') {
        const log = `START RequestId: ${ctx.requestId} Version: ${result.executed}\nEND RequestId: ${ctx.requestId}\nREPORT RequestId: ${ctx.requestId}\tDuration: ${result.latencyMs.toFixed(2)} ms\tBilled Duration: ${Math.ceil(result.latencyMs)} ms\tMemory Size: ${String(fn.config['MemorySize'])} MB\tMax Memory Used: 64 MB\t\n`;
        headers['x-amz-log-result'] = Buffer.from(log).toString('base64');
      }
      return { status: 200, headers, body: result.payload };
    },

    PutFunctionConcurrency(req, ctx, r) {
      const { fn } = find(req, ctx, r.fn);
      const reserved = int(body(req), 'ReservedConcurrentExecutions');
      if (reserved === undefined || reserved < 0) throw invalid('ReservedConcurrentExecutions must be 0 or more.');
      if (reserved > 900) throw invalid("Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100].");
      fn.reservedConcurrency = reserved;
      ctx.event('lambda.concurrency', { functionName: fn.name, reservedConcurrentExecutions: reserved });
      return restJsonResponse(200, { ReservedConcurrentExecutions: reserved });
    },

    DeleteFunctionConcurrency(req, ctx, r) {
      const { fn } = find(req, ctx, r.fn);
      delete fn.reservedConcurrency;
      ctx.event('lambda.concurrency', { functionName: fn.name, reservedConcurrentExecutions: null });
      return { status: 204, headers: {}, body: '' };
    },

    GetFunctionConcurrency(req, ctx, r) {
      const { fn } = find(req, ctx, r.fn);
      return restJsonResponse(200, fn.reservedConcurrency !== undefined ? { ReservedConcurrentExecutions: fn.reservedConcurrency } : {});
    },

    PutProvisionedConcurrencyConfig(req, ctx, r) {
      const { fn, qualifier } = find(req, ctx, r.fn);
      const requested = int(body(req), 'ProvisionedConcurrentExecutions');
      if (requested === undefined || requested < 1) throw invalid(`1 validation error detected: Value '${String(requested)}' at 'provisionedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 1`);
      if (qualifier === undefined || qualifier === '$LATEST') throw invalid('Provisioned Concurrency Configs cannot be applied to unpublished function versions.');
      const alias = fn.aliases.get(qualifier);
      if (alias === undefined && !fn.versions.has(qualifier)) throw notFound(`${fn.arn}:${qualifier}`);
      if (alias !== undefined && Object.keys(alias.weights).length > 0) throw invalid('Alias with weights can not be used with Provisioned Concurrency');
      const record: ProvisionedRecord = { requested, lastModified: ctx.now(), readyAt: ctx.now() + timings.provisionedMs };
      fn.provisioned.set(qualifier, record);
      ctx.event('lambda.provisioned-concurrency', { functionName: fn.name, qualifier, requested });
      return restJsonResponse(202, encodeProvisioned(record, ctx.now()));
    },

    GetProvisionedConcurrencyConfig(req, ctx, r) {
      const { fn, qualifier } = find(req, ctx, r.fn);
      const record = qualifier !== undefined ? fn.provisioned.get(qualifier) : undefined;
      if (record === undefined) throw new AwsError('ProvisionedConcurrencyConfigNotFoundException', `No Provisioned Concurrency Config found for this function: ${fn.arn}:${qualifier}`, 404);
      return restJsonResponse(200, encodeProvisioned(record, ctx.now()));
    },

    DeleteProvisionedConcurrencyConfig(req, ctx, r) {
      const { fn, qualifier } = find(req, ctx, r.fn);
      if (qualifier === undefined || !fn.provisioned.has(qualifier)) throw new AwsError('ResourceNotFoundException', `No Provisioned Concurrency Config found for this function: ${fn.arn}:${qualifier}`, 404);
      fn.provisioned.delete(qualifier);
      ctx.event('lambda.provisioned-concurrency', { functionName: fn.name, qualifier, requested: 0 });
      return { status: 204, headers: {}, body: '' };
    },

    AddPermission(req, ctx, r) {
      const { fn } = find(req, ctx, r.fn);
      const b = body(req);
      const sid = str(b, 'StatementId');
      const action = str(b, 'Action');
      const principal = str(b, 'Principal');
      if (sid === undefined || action === undefined || principal === undefined) throw invalid('StatementId, Action and Principal are required.');
      checkRevision(str(b, 'RevisionId'), fn.policyRevisionId);
      if (fn.policy.some((s) => s['Sid'] === sid)) throw new AwsError('ResourceConflictException', `The statement id (${sid}) provided already exists. Please provide a new statement id, or remove the existing statement.`, 409);
      const sourceArn = str(b, 'SourceArn');
      const statement: Record<string, unknown> = {
        Sid: sid,
        Effect: 'Allow',
        Principal: principal.includes('.') ? { Service: principal } : { AWS: principal },
        Action: action,
        Resource: req.query['Qualifier'] !== undefined ? `${fn.arn}:${req.query['Qualifier']}` : fn.arn,
        ...(sourceArn !== undefined ? { Condition: { ArnLike: { 'AWS:SourceArn': sourceArn } } } : {}),
      };
      fn.policy.push(statement);
      fn.policyRevisionId = revision();
      return restJsonResponse(201, { Statement: JSON.stringify(statement) });
    },

    GetPolicy(req, ctx, r) {
      const { fn } = find(req, ctx, r.fn);
      if (fn.policy.length === 0) throw new AwsError('ResourceNotFoundException', 'The resource you requested does not exist.', 404);
      return restJsonResponse(200, { Policy: JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: fn.policy }), RevisionId: fn.policyRevisionId });
    },

    TagResource(req, ctx, r) {
      const { fn } = find(req, ctx, r.fn);
      const tags = body(req)['Tags'];
      if (tags === null || typeof tags !== 'object') throw invalid('Tags must be a map of key to value.');
      fn.tags = { ...fn.tags, ...(tags as Record<string, string>) };
      return { status: 204, headers: {}, body: '' };
    },

    ListTags(req, ctx, r) {
      const { fn } = find(req, ctx, r.fn);
      return restJsonResponse(200, { Tags: { ...fn.tags } });
    },
  };

  function encodeProvisioned(record: ProvisionedRecord, now: number): Record<string, unknown> {
    const ready = now >= record.readyAt;
    return {
      RequestedProvisionedConcurrentExecutions: record.requested,
      AvailableProvisionedConcurrentExecutions: ready ? record.requested : 0,
      AllocatedProvisionedConcurrentExecutions: ready ? record.requested : 0,
      Status: ready ? 'READY' : 'IN_PROGRESS',
      LastModified: lambdaTime(record.lastModified),
    };
  }

  // Seeds need no context (code objects and behaviours are not timed); the signature matches the other seeders.
  function seeder(_context: () => SimContext): LambdaSeeder {
    return {
      codeObject(input) {
        if (typeof input.bucket !== 'string' || input.bucket === '' || typeof input.key !== 'string' || input.key === '') {
          throw new Error(`codeObject: 'bucket' and 'key' must be non-empty strings, got ${JSON.stringify({ bucket: input.bucket, key: input.key })}`);
        }
        const bytes = input.base64 !== undefined ? Buffer.from(input.base64, 'base64') : Buffer.from(input.content ?? `${input.bucket}/${input.key}`, 'utf8');
        objects.set(`${input.bucket}/${input.key}`, bytes);
        return { bucket: input.bucket, key: input.key, codeSha256: sha256Base64(bytes), size: bytes.length };
      },
      behaviour(input) {
        if (typeof input.functionName !== 'string' || input.functionName === '') throw new Error(`behaviour: 'functionName' must be a function name, got ${JSON.stringify(input.functionName)}`);
        const rate = input.errorRate;
        if (rate !== undefined && (typeof rate !== 'number' || rate < 0 || rate > 1)) throw new Error(`behaviour: 'errorRate' must be between 0 and 1, got ${JSON.stringify(rate)}`);
        if (input.latencyMs !== undefined && (typeof input.latencyMs !== 'number' || input.latencyMs < 0)) throw new Error(`behaviour: 'latencyMs' must be 0 or more, got ${JSON.stringify(input.latencyMs)}`);
        const version = input.version ?? '*';
        const { functionName, version: _v, ...behaviour } = input;
        behaviours.set(`${functionName}:${version}`, behaviour);
        return { functionName, version };
      },
    };
  }

  return {
    signingName: 'lambda',
    protocol: WIRE,
    operations: OPERATIONS,

    operationOf(req: SimRequest): string | undefined {
      return route(req)?.operation;
    },

    handle(req: SimRequest, ctx: SimContext): SimResponse {
      const r = route(req);
      if (r === undefined) return restJsonError(404, 'UnknownOperationException', `Unknown operation ${req.method} ${req.path}`);
      try {
        return handlers[r.operation]!(req, ctx, r);
      } catch (error) {
        if (error instanceof AwsError) return restJsonError(error.status, error.code, error.message);
        throw error;
      }
    },

    reconcile(ctx: SimContext): void {
      const now = ctx.now();
      for (const fn of functions.values()) {
        if (fn.state === 'Pending' && fn.activeAt <= now) {
          fn.state = 'Active';
          fn.lastUpdateStatus = 'Successful';
          ctx.event('lambda.state', { functionName: fn.name, state: 'Active' });
        }
        if (fn.lastUpdateStatus === 'InProgress' && fn.updateDoneAt !== undefined && fn.updateDoneAt <= now) {
          fn.lastUpdateStatus = 'Successful';
          fn.updateDoneAt = undefined;
          ctx.event('lambda.update', { functionName: fn.name, lastUpdateStatus: 'Successful' });
        }
      }
    },

    nextChangeAt(): number | undefined {
      let next: number | undefined;
      const consider = (t: number | undefined) => {
        if (t !== undefined && (next === undefined || t < next)) next = t;
      };
      for (const fn of functions.values()) {
        if (fn.state === 'Pending') consider(fn.activeAt);
        if (fn.lastUpdateStatus === 'InProgress') consider(fn.updateDoneAt);
      }
      return next;
    },

    snapshot(): Record<string, unknown> {
      return {
        functions: [...functions.values()].map((fn) => ({
          name: fn.name,
          region: fn.region,
          arn: fn.arn,
          state: fn.state,
          lastUpdateStatus: fn.lastUpdateStatus ?? null,
          codeSha256: fn.code.sha256,
          revisionId: fn.revisionId,
          versions: [...fn.versions.keys()],
          aliases: [...fn.aliases.values()].map((a) => ({ name: a.name, functionVersion: a.functionVersion, additionalVersionWeights: { ...a.weights } })),
          reservedConcurrency: fn.reservedConcurrency ?? null,
          provisioned: Object.fromEntries([...fn.provisioned].map(([q, p]) => [q, p.requested])),
          invocations: Object.fromEntries(fn.invocations),
        })),
        codeObjects: [...objects.keys()],
      };
    },

    control(command: string, input: Record<string, unknown>, ctx: SimContext): unknown {
      const seed = seeder(() => ctx);
      if (command === 'codeObject') return seed.codeObject(input as unknown as Parameters<LambdaSeeder['codeObject']>[0]);
      if (command === 'behaviour') return seed.behaviour(input as unknown as Parameters<LambdaSeeder['behaviour']>[0]);
      throw new Error(`lambda has no side-door command '${command}' (have: codeObject, behaviour)`);
    },

    bindSeed: seeder,

    invokeHook(functionArn: string, payload: string, ctx: SimContext): { payload: string; functionError?: string } {
      const parsed = parseFunctionRef(functionArn);
      const region = functionArn.startsWith('arn:') ? (functionArn.split(':')[3] ?? 'us-east-1') : 'us-east-1';
      const fn = functions.get(keyOf(region, parsed.name));
      if (fn === undefined || fn.state === 'Pending') throw new Error(`hook function ${functionArn} cannot be invoked`);
      const result = run(fn, parsed.qualifier, payload, ctx);
      return result.functionError !== undefined ? { payload: result.payload, functionError: result.functionError } : { payload: result.payload };
    },
  };
}

/** Where one alias routed at one instant (see `aliasRoutingOverTime`). */
export interface AliasRoutingPoint {
  readonly time: number;
  /** The version it names, then the extra weighted one, if any. */
  readonly versions: readonly string[];
  /** Those of `versions` that were not published versions then (`$LATEST`, deleted, never published). */
  readonly unpublished: readonly string[];
}

/**
 * Replays the event log into where one alias of a function routed after each change of the alias
 * or of the function's published versions, from its creation to its deletion (or the function's):
 * zero-downtime checks on Lambda read that `unpublished` stays empty.
 */
export function aliasRoutingOverTime(events: readonly AwsEvent[], functionName: string, aliasName: string): AliasRoutingPoint[] {
  const published = new Set<string>();
  let routing: string[] | undefined;
  const series: AliasRoutingPoint[] = [];
  for (const event of events) {
    if (event.detail['functionName'] !== functionName) continue;
    const version = String(event.detail['version']);
    if (event.kind === 'lambda.version-published') published.add(version);
    else if (event.kind === 'lambda.version-deleted') published.delete(version);
    else if (event.kind === 'lambda.function' && event.detail['change'] === 'deleted') {
      published.clear();
      routing = undefined;
    } else if (event.kind === 'lambda.alias' && event.detail['alias'] === aliasName) {
      const weights = (event.detail['additionalVersionWeights'] ?? {}) as Record<string, number>;
      routing = event.detail['change'] === 'deleted' ? undefined : [String(event.detail['functionVersion']), ...Object.keys(weights)];
    } else {
      continue;
    }
    if (routing !== undefined) series.push({ time: event.time, versions: routing, unpublished: routing.filter((name) => !published.has(name)) });
  }
  return series;
}
