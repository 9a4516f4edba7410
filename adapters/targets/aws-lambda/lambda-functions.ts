/**
 * The function port (core/ports/functions.ts) over AWS Lambda with `@aws-sdk/client-lambda`: one
 * SDK call per port operation (reads that page follow `NextMarker`), answers mapped to the port's
 * values and Lambda's errors to its reasons (reference/cloud-targets.md §4.3):
 *
 * | Lambda answers | reason |
 * |---|---|
 * | 404 `ResourceNotFoundException` | a read answers `undefined`; `delete` answers `already-done`; otherwise `not-found` |
 * | 409 `ResourceConflictException` | `already-exists` for CreateFunction / CreateAlias, else `conflict` (update in progress, alias names the version) |
 * | 502 `ResourceNotReadyException` | `conflict`: the function is not ready yet |
 * | 412 `PreconditionFailedException` | `stale` |
 * | 429 `TooManyRequestsException`, 5xx, network faults | `unavailable`, after the SDK's own retries |
 * | `AccessDeniedException`, `KMS*`, `EC2*` (not throttling), quota codes | `failed` |
 * | `InvalidParameterValueException`, `InvalidRequestContentException`, `CodeStorageExceededException`... | `invalid` |
 *
 * Messages carry Lambda's own reason on one line; the SDK error stays in `cause`. Clients are built
 * by the composition root (credentials of the account's role, an endpoint override for the
 * sandbox), one per region, and handed in.
 */
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteFunctionCommand,
  DeleteFunctionConcurrencyCommand,
  GetAliasCommand,
  GetFunctionCommand,
  InvokeCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  PutFunctionConcurrencyCommand,
  TagResourceCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  type AliasConfiguration,
  type FunctionConfiguration,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import type {
  AliasSpec,
  FunctionAlias,
  FunctionDescription,
  FunctionFailure,
  FunctionFailureReason,
  FunctionPort,
  FunctionRef,
  FunctionResult,
  FunctionSettings,
  FunctionVersion,
} from '../../../core/ports/functions.ts';

export interface AwsLambdaFunctionsOptions {
  /** The regions the account deploys functions to. */
  readonly regions: readonly string[];
  /** The Lambda client of a region (only asked for the regions above). */
  readonly clientFor: (region: string) => LambdaClient;
}

/** What an SDK error is made of (smithy's ServiceException, or a Node network error). */
interface SdkError {
  readonly name?: string;
  readonly code?: string;
  readonly message?: string;
  readonly $fault?: 'client' | 'server';
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly $retryable?: { readonly throttling?: boolean };
}

const THROTTLING = new Set(['TooManyRequestsException', 'ThrottlingException', 'Throttling', 'RequestLimitExceeded', 'EC2ThrottledException']);
const TRANSIENT = new Set(['ServiceException', 'InternalFailure', 'ServiceUnavailable', 'TimeoutError', 'RequestTimeout', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);
const INVALID = /^(InvalidParameterValueException|InvalidRequestContentException|InvalidRuntimeException|InvalidZipFileException|InvalidSecurityGroupIDException|InvalidSubnetIDException|RequestTooLargeException|UnsupportedMediaTypeException|CodeStorageExceededException|CodeVerificationFailedException|InvalidCodeSignatureException|InvalidAction|ValidationException|SerializationException)$/;

function errorName(error: unknown): string {
  if (error === null || typeof error !== 'object') return 'Unknown';
  const sdk = error as SdkError;
  return sdk.name && sdk.name !== 'Error' ? sdk.name : typeof sdk.code === 'string' && sdk.code !== '' ? sdk.code : 'Unknown';
}

/** Whether the error came from the SDK or the network (anything else is a bug and is thrown). */
function isAwsError(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  const sdk = error as SdkError;
  return sdk.$metadata !== undefined || sdk.$fault !== undefined || (typeof sdk.code === 'string' && /^E[A-Z]+$/.test(sdk.code)) || TRANSIENT.has(errorName(error));
}

/** One line: whitespace collapsed, at most 300 characters. */
function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 299)}…` : flat;
}

/** The port's reason for a Lambda error; `creates` marks the operations whose 409 means "the name is taken". */
export function reasonOf(error: unknown, creates = false): FunctionFailureReason {
  const name = errorName(error);
  const sdk = (error ?? {}) as SdkError;
  const status = sdk.$metadata?.httpStatusCode;
  if (name === 'ResourceNotFoundException' || status === 404) return 'not-found';
  if (name === 'ResourceConflictException' || status === 409) return creates ? 'already-exists' : 'conflict';
  if (name === 'ResourceNotReadyException') return 'conflict';
  if (name === 'PreconditionFailedException' || status === 412) return 'stale';
  if (THROTTLING.has(name) || sdk.$retryable?.throttling === true || status === 429) return 'unavailable';
  if (TRANSIENT.has(name) || (status !== undefined && status >= 500) || (typeof sdk.code === 'string' && /^E[A-Z]+$/.test(sdk.code))) return 'unavailable';
  if (INVALID.test(name) || status === 400) return 'invalid';
  return 'failed';
}

function failure(error: unknown, what: string, creates = false): FunctionFailure {
  if (!isAwsError(error)) throw error;
  const name = errorName(error);
  const message = (error as SdkError).message ?? '';
  return { ok: false, reason: reasonOf(error, creates), message: oneLine(`${what}: ${name}${message && message !== name ? `: ${message}` : ''}`), cause: error };
}

const ok = <T>(value: T): FunctionResult<T> => ({ ok: true, value });

/** Lambda's configuration as the port's settings. */
function settingsOf(configuration: FunctionConfiguration): FunctionSettings {
  const vpc = configuration.VpcConfig;
  return {
    ...(configuration.Handler !== undefined ? { handler: configuration.Handler } : {}),
    ...(configuration.Runtime !== undefined ? { runtime: configuration.Runtime } : {}),
    ...(configuration.Role !== undefined ? { role: configuration.Role } : {}),
    ...(configuration.MemorySize !== undefined ? { memorySize: configuration.MemorySize } : {}),
    ...(configuration.Timeout !== undefined ? { timeout: configuration.Timeout } : {}),
    ...(configuration.Description !== undefined ? { description: configuration.Description } : {}),
    environment: { ...(configuration.Environment?.Variables ?? {}) },
    layers: (configuration.Layers ?? []).map((layer) => layer.Arn ?? '').filter((arn) => arn !== ''),
    vpc: { subnetIds: vpc?.SubnetIds ?? [], securityGroupIds: vpc?.SecurityGroupIds ?? [] },
    ...(configuration.DeadLetterConfig?.TargetArn ? { deadLetterTargetArn: configuration.DeadLetterConfig.TargetArn } : {}),
    ...(configuration.KMSKeyArn ? { kmsKeyArn: configuration.KMSKeyArn } : {}),
    ...(configuration.TracingConfig?.Mode === 'Active' || configuration.TracingConfig?.Mode === 'PassThrough' ? { tracingMode: configuration.TracingConfig.Mode } : {}),
  };
}

function describe(configuration: FunctionConfiguration, tags: Record<string, string> = {}, reserved?: number): FunctionDescription {
  return {
    functionName: configuration.FunctionName ?? '',
    functionArn: configuration.FunctionArn ?? '',
    state: configuration.State ?? 'Active',
    ...(configuration.StateReason ? { stateReason: configuration.StateReason } : {}),
    ...(configuration.LastUpdateStatus ? { lastUpdateStatus: configuration.LastUpdateStatus } : {}),
    ...(configuration.LastUpdateStatusReason ? { lastUpdateStatusReason: configuration.LastUpdateStatusReason } : {}),
    codeSha256: configuration.CodeSha256 ?? '',
    revisionId: configuration.RevisionId ?? '',
    version: configuration.Version ?? '$LATEST',
    settings: settingsOf(configuration),
    tags,
    ...(reserved !== undefined ? { reservedConcurrency: reserved } : {}),
  };
}

function aliasOf(alias: AliasConfiguration): FunctionAlias {
  return {
    name: alias.Name ?? '',
    functionVersion: alias.FunctionVersion ?? '',
    additionalVersionWeights: { ...(alias.RoutingConfig?.AdditionalVersionWeights ?? {}) },
    ...(alias.Description ? { description: alias.Description } : {}),
    ...(alias.RevisionId ? { revisionId: alias.RevisionId } : {}),
  };
}

/** Lambda's shapes of the settings a request sets: an update sends every field the stage set, so empty lists clear. */
function settingsInput(settings: FunctionSettings, forCreate: boolean) {
  const vpc = settings.vpc;
  const emptyVpc = vpc === undefined || (vpc.subnetIds.length === 0 && vpc.securityGroupIds.length === 0);
  return {
    ...(settings.handler !== undefined ? { Handler: settings.handler } : {}),
    ...(settings.runtime !== undefined ? { Runtime: settings.runtime as FunctionConfiguration['Runtime'] } : {}),
    ...(settings.role !== undefined ? { Role: settings.role } : {}),
    ...(settings.memorySize !== undefined ? { MemorySize: settings.memorySize } : {}),
    ...(settings.timeout !== undefined ? { Timeout: settings.timeout } : {}),
    ...(settings.description !== undefined ? { Description: settings.description } : {}),
    ...(settings.environment !== undefined && !(forCreate && Object.keys(settings.environment).length === 0) ? { Environment: { Variables: { ...settings.environment } } } : {}),
    ...(settings.layers !== undefined && !(forCreate && settings.layers.length === 0) ? { Layers: [...settings.layers] } : {}),
    ...(vpc !== undefined && !(forCreate && emptyVpc) ? { VpcConfig: { SubnetIds: [...vpc.subnetIds], SecurityGroupIds: [...vpc.securityGroupIds] } } : {}),
    ...(settings.deadLetterTargetArn !== undefined && !(forCreate && settings.deadLetterTargetArn === '') ? { DeadLetterConfig: { TargetArn: settings.deadLetterTargetArn } } : {}),
    ...(settings.kmsKeyArn !== undefined && !(forCreate && settings.kmsKeyArn === '') ? { KMSKeyArn: settings.kmsKeyArn } : {}),
    ...(settings.tracingMode !== undefined ? { TracingConfig: { Mode: settings.tracingMode } } : {}),
  };
}

function aliasInput(ref: FunctionRef, alias: AliasSpec) {
  return {
    FunctionName: ref.functionName,
    Name: alias.name,
    FunctionVersion: alias.functionVersion,
    ...(alias.description !== undefined ? { Description: alias.description } : {}),
    RoutingConfig: { AdditionalVersionWeights: { ...alias.additionalVersionWeights } },
  };
}

/** The function port of one AWS account over its regional Lambda clients. */
export function createAwsLambdaFunctions(options: AwsLambdaFunctionsOptions): FunctionPort {
  const clients = new Map<string, LambdaClient>();
  const client = (region: string): LambdaClient => {
    let found = clients.get(region);
    if (!found) {
      if (!options.regions.includes(region)) throw new Error(`region ${region} is not one of this account's Lambda regions (${options.regions.join(', ')})`);
      found = options.clientFor(region);
      clients.set(region, found);
    }
    return found;
  };
  const decoder = new TextDecoder();

  return {
    regions: [...options.regions],

    async get(ref) {
      try {
        const answer = await client(ref.region).send(new GetFunctionCommand({ FunctionName: ref.functionName }));
        if (!answer.Configuration) return ok(undefined);
        return ok(describe(answer.Configuration, { ...(answer.Tags ?? {}) }, answer.Concurrency?.ReservedConcurrentExecutions));
      } catch (error) {
        const failed = failure(error, `GetFunction ${ref.functionName}`);
        return failed.reason === 'not-found' ? ok(undefined) : failed;
      }
    },

    async create(ref, request) {
      try {
        const answer = await client(ref.region).send(
          new CreateFunctionCommand({
            FunctionName: ref.functionName,
            // Lambda refuses a create without a role with its own message; the stage schema requires one.
            Role: request.settings.role ?? '',
            Code: { S3Bucket: request.code.s3Bucket, S3Key: request.code.s3Key, ...(request.code.s3ObjectVersion ? { S3ObjectVersion: request.code.s3ObjectVersion } : {}) },
            ...settingsInput(request.settings, true),
            Publish: request.publish,
            Tags: { ...request.tags },
          }),
        );
        return ok(describe(answer, { ...request.tags }));
      } catch (error) {
        return failure(error, `CreateFunction ${ref.functionName}`, true);
      }
    },

    async updateCode(ref, request) {
      try {
        const answer = await client(ref.region).send(
          new UpdateFunctionCodeCommand({
            FunctionName: ref.functionName,
            S3Bucket: request.code.s3Bucket,
            S3Key: request.code.s3Key,
            ...(request.code.s3ObjectVersion ? { S3ObjectVersion: request.code.s3ObjectVersion } : {}),
            Publish: request.publish,
            ...(request.revisionId !== undefined ? { RevisionId: request.revisionId } : {}),
          }),
        );
        return ok(describe(answer));
      } catch (error) {
        return failure(error, `UpdateFunctionCode ${ref.functionName}`);
      }
    },

    async updateSettings(ref, request) {
      try {
        const answer = await client(ref.region).send(
          new UpdateFunctionConfigurationCommand({
            FunctionName: ref.functionName,
            ...settingsInput(request.settings, false),
            ...(request.revisionId !== undefined ? { RevisionId: request.revisionId } : {}),
          }),
        );
        return ok(describe(answer));
      } catch (error) {
        return failure(error, `UpdateFunctionConfiguration ${ref.functionName}`);
      }
    },

    async tag(ref, functionArn, tags) {
      try {
        await client(ref.region).send(new TagResourceCommand({ Resource: functionArn, Tags: { ...tags } }));
        return ok(true as const);
      } catch (error) {
        return failure(error, `TagResource ${ref.functionName}`);
      }
    },

    async setReservedConcurrency(ref, reserved) {
      try {
        if (reserved === undefined) await client(ref.region).send(new DeleteFunctionConcurrencyCommand({ FunctionName: ref.functionName }));
        else await client(ref.region).send(new PutFunctionConcurrencyCommand({ FunctionName: ref.functionName, ReservedConcurrentExecutions: reserved }));
        return ok(true as const);
      } catch (error) {
        return failure(error, `${reserved === undefined ? 'DeleteFunctionConcurrency' : 'PutFunctionConcurrency'} ${ref.functionName}`);
      }
    },

    async publishVersion(ref, request) {
      try {
        const answer = await client(ref.region).send(
          new PublishVersionCommand({
            FunctionName: ref.functionName,
            ...(request.description !== undefined ? { Description: request.description } : {}),
            ...(request.revisionId !== undefined ? { RevisionId: request.revisionId } : {}),
          }),
        );
        const version: FunctionVersion = { version: answer.Version ?? '', codeSha256: answer.CodeSha256 ?? '', ...(answer.Description ? { description: answer.Description } : {}) };
        return ok(version);
      } catch (error) {
        return failure(error, `PublishVersion ${ref.functionName}`);
      }
    },

    async listVersions(ref) {
      const versions: FunctionVersion[] = [];
      let marker: string | undefined;
      try {
        do {
          const page = await client(ref.region).send(new ListVersionsByFunctionCommand({ FunctionName: ref.functionName, MaxItems: 50, ...(marker !== undefined ? { Marker: marker } : {}) }));
          for (const entry of page.Versions ?? []) {
            if (entry.Version === undefined || entry.Version === '$LATEST') continue;
            versions.push({ version: entry.Version, codeSha256: entry.CodeSha256 ?? '', ...(entry.Description ? { description: entry.Description } : {}) });
          }
          marker = page.NextMarker;
        } while (marker !== undefined && marker !== '');
      } catch (error) {
        return failure(error, `ListVersionsByFunction ${ref.functionName}`);
      }
      return ok(versions.sort((a, b) => Number.parseInt(a.version, 10) - Number.parseInt(b.version, 10)));
    },

    async getAlias(ref, name) {
      try {
        return ok(aliasOf(await client(ref.region).send(new GetAliasCommand({ FunctionName: ref.functionName, Name: name }))));
      } catch (error) {
        const failed = failure(error, `GetAlias ${ref.functionName}:${name}`);
        return failed.reason === 'not-found' ? ok(undefined) : failed;
      }
    },

    async createAlias(ref, alias) {
      try {
        return ok(aliasOf(await client(ref.region).send(new CreateAliasCommand(aliasInput(ref, alias)))));
      } catch (error) {
        return failure(error, `CreateAlias ${ref.functionName}:${alias.name}`, true);
      }
    },

    async updateAlias(ref, alias, updateOptions) {
      try {
        const input = { ...aliasInput(ref, alias), ...(updateOptions?.revisionId !== undefined ? { RevisionId: updateOptions.revisionId } : {}) };
        return ok(aliasOf(await client(ref.region).send(new UpdateAliasCommand(input))));
      } catch (error) {
        return failure(error, `UpdateAlias ${ref.functionName}:${alias.name}`);
      }
    },

    async invoke(ref, request) {
      try {
        const answer = await client(ref.region).send(
          new InvokeCommand({
            FunctionName: ref.functionName,
            InvocationType: 'RequestResponse',
            LogType: 'Tail',
            Payload: new TextEncoder().encode(request.payload),
            ...(request.qualifier !== undefined ? { Qualifier: request.qualifier } : {}),
          }),
        );
        return ok({
          statusCode: answer.StatusCode ?? 200,
          payload: answer.Payload ? decoder.decode(answer.Payload) : '',
          ...(answer.ExecutedVersion ? { executedVersion: answer.ExecutedVersion } : {}),
          ...(answer.FunctionError ? { functionError: answer.FunctionError } : {}),
          ...(answer.LogResult ? { logTail: decoder.decode(Uint8Array.from(atob(answer.LogResult), (char) => char.charCodeAt(0))) } : {}),
        });
      } catch (error) {
        return failure(error, `Invoke ${ref.functionName}${request.qualifier !== undefined ? `:${request.qualifier}` : ''}`);
      }
    },

    async delete(ref, request) {
      try {
        await client(ref.region).send(new DeleteFunctionCommand({ FunctionName: ref.functionName, ...(request.qualifier !== undefined ? { Qualifier: request.qualifier } : {}) }));
        return ok('done' as const);
      } catch (error) {
        const failed = failure(error, `DeleteFunction ${ref.functionName}${request.qualifier !== undefined ? `:${request.qualifier}` : ''}`);
        return failed.reason === 'not-found' ? ok('already-done' as const) : failed;
      }
    },
  };
}
