/**
 * The simulated Lambda, driven by the real @aws-sdk/client-lambda over HTTP: State and
 * LastUpdateStatus moving on the simulator's clock (and the SDK's waiters ending on them), 409
 * while an update is in progress, 412 on a stale RevisionId, immutable versions, weighted
 * aliases, and Invoke picking versions by weight with the seeded randomness.
 */
import { createHash } from 'node:crypto';
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteAliasCommand,
  DeleteFunctionCommand,
  GetAliasCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
  ListAliasesCommand,
  ListTagsCommand,
  ListVersionsByFunctionCommand,
  GetProvisionedConcurrencyConfigCommand,
  PublishVersionCommand,
  PutProvisionedConcurrencyConfigCommand,
  TagResourceCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startAwsSimulator, type AwsSimulator } from '../../../sandbox/aws/server.ts';
import { credentials } from './aws-world.ts';

const ACCOUNT = '123456789012';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/lambda-exec`;
const START = Date.UTC(2026, 0, 1);
const ARN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:checkout`;

let sim: AwsSimulator;
const lambda = () => new LambdaClient({ endpoint: sim.endpoint, region: 'us-east-1', credentials });

beforeEach(async () => {
  sim = await startAwsSimulator({ seed: 5, startTime: START });
});
afterEach(async () => {
  await sim.close();
});

const zip = (text: string) => Buffer.from(text, 'utf8');
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('base64');

async function createFunction(extra: Record<string, unknown> = {}) {
  return lambda().send(
    new CreateFunctionCommand({
      FunctionName: 'checkout',
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Role: ROLE,
      Code: { ZipFile: zip('v1') },
      MemorySize: 256,
      Timeout: 10,
      Environment: { Variables: { STAGE: 'prod' } },
      Tags: { 'spinnaker:application': 'shop' },
      ...extra,
    }),
  );
}

/** A client whose every call first advances the simulated clock, so a waiter sees time pass between polls. */
function tickingClient(ms: number): LambdaClient {
  const client = lambda();
  client.middlewareStack.add(
    (next) => async (args) => {
      sim.tick(ms);
      return next(args);
    },
    { step: 'initialize', name: 'tickPerCall' },
  );
  return client;
}

const fastWaiter = { minDelay: 0.01, maxDelay: 0.02, maxWaitTime: 30 };

interface Failure {
  readonly name: string;
  readonly message: string;
  readonly status: number | undefined;
}

/** Fails the test when a call expected to fail succeeds. */
function unexpected(): Failure {
  throw new Error('expected the call to fail, it succeeded');
}

function failure(error: unknown): Failure {
  const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
  return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
}

describe('the simulated Lambda', () => {
  it('creates a function Pending, turns it Active after the activation time, and the SDK waiter ends on it', async () => {
    const created = await createFunction();
    expect(created).toMatchObject({
      FunctionName: 'checkout',
      FunctionArn: ARN,
      Runtime: 'nodejs22.x',
      Role: ROLE,
      Handler: 'index.handler',
      CodeSize: 2,
      CodeSha256: sha(zip('v1')),
      Version: '$LATEST',
      MemorySize: 256,
      Timeout: 10,
      State: 'Pending',
      StateReasonCode: 'Creating',
      Environment: { Variables: { STAGE: 'prod' } },
      PackageType: 'Zip',
      LastModified: '2026-01-01T00:00:00.000+0000',
    });
    expect(created.RevisionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.$metadata.httpStatusCode).toBe(201);
    const pending = await lambda().send(new InvokeCommand({ FunctionName: 'checkout' })).then(unexpected, failure);
    expect(pending).toEqual({ name: 'ResourceConflictException', message: 'The operation cannot be performed at this time. The function is currently in the following state: Pending', status: 409 });

    const waited = await waitUntilFunctionActiveV2({ client: tickingClient(500), ...fastWaiter }, { FunctionName: 'checkout' });
    expect(waited.state).toBe('SUCCESS');
    expect(sim.events({ kind: 'lambda.state' }).map((e) => [e.detail['state'], e.time - START])).toEqual([['Active', 2_000]]);
    const got = await lambda().send(new GetFunctionCommand({ FunctionName: ARN }));
    expect(got.Configuration).toMatchObject({ State: 'Active', LastUpdateStatus: 'Successful' });
    expect(got.Configuration!.StateReasonCode).toBeUndefined();
    expect(got.Code).toMatchObject({ RepositoryType: 'S3', Location: expect.stringMatching(/^https:\/\//) });
    expect(got.Tags).toEqual({ 'spinnaker:application': 'shop' });

    expect(await createFunction().then(unexpected, failure)).toEqual({ name: 'ResourceConflictException', message: 'Function already exist: checkout', status: 409 });
    expect(await lambda().send(new GetFunctionCommand({ FunctionName: 'nothing' })).then(unexpected, failure)).toEqual({
      name: 'ResourceNotFoundException',
      message: `Function not found: arn:aws:lambda:us-east-1:${ACCOUNT}:function:nothing`,
      status: 404,
    });
    const badRole = await lambda().send(new CreateFunctionCommand({ FunctionName: 'other', Runtime: 'nodejs22.x', Handler: 'i.h', Role: 'lambda-exec', Code: { ZipFile: zip('x') } })).then(unexpected, failure);
    expect(badRole).toMatchObject({ name: 'InvalidParameterValueException', status: 400, message: expect.stringContaining("Value 'lambda-exec' at 'role' failed to satisfy constraint") });
  });

  it('holds LastUpdateStatus InProgress after an update, refuses another update with 409 until it is Successful, and checks RevisionId', async () => {
    const created = await createFunction();
    sim.tick(2_000);
    const updatedAt = sim.now();
    const code = await lambda().send(new UpdateFunctionCodeCommand({ FunctionName: 'checkout', ZipFile: zip('v2') }));
    expect(code).toMatchObject({ LastUpdateStatus: 'InProgress', State: 'Active', CodeSha256: sha(zip('v2')) });
    expect(code.RevisionId).not.toBe(created.RevisionId);
    const busy = await lambda().send(new UpdateFunctionConfigurationCommand({ FunctionName: 'checkout', MemorySize: 512 })).then(unexpected, failure);
    expect(busy).toEqual({ name: 'ResourceConflictException', message: `The operation cannot be performed at this time. An update is in progress for resource: ${ARN}`, status: 409 });
    const publishBusy = await lambda().send(new PublishVersionCommand({ FunctionName: 'checkout' })).then(unexpected, failure);
    expect(publishBusy.status).toBe(409);

    const waited = await waitUntilFunctionUpdatedV2({ client: tickingClient(500), ...fastWaiter }, { FunctionName: 'checkout' });
    expect(waited.state).toBe('SUCCESS');
    expect(sim.events({ kind: 'lambda.update' }).map((e) => [e.detail['lastUpdateStatus'], e.time - updatedAt])).toEqual([['InProgress', 0], ['Successful', 2_000]]);

    // The update's RevisionId stays current once it completes; the one from before it is stale.
    const stale = await lambda().send(new UpdateFunctionConfigurationCommand({ FunctionName: 'checkout', MemorySize: 512, RevisionId: created.RevisionId })).then(unexpected, failure);
    expect(stale).toEqual({
      name: 'PreconditionFailedException',
      message: 'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
      status: 412,
    });
    const current = (await lambda().send(new GetFunctionConfigurationCommand({ FunctionName: 'checkout' }))).RevisionId;
    expect(current).toBe(code.RevisionId);
    const config = await lambda().send(new UpdateFunctionConfigurationCommand({ FunctionName: 'checkout', MemorySize: 512, Timeout: 30, RevisionId: current }));
    expect(config).toMatchObject({ MemorySize: 512, Timeout: 30, LastUpdateStatus: 'InProgress', CodeSha256: sha(zip('v2')) });
    expect(config.RevisionId).not.toBe(current);
    sim.tick(2_000);
    expect(await lambda().send(new UpdateFunctionConfigurationCommand({ FunctionName: 'checkout', Timeout: 901 })).then(unexpected, failure)).toEqual({
      name: 'InvalidParameterValueException',
      message: "1 validation error detected: Value '901' at 'timeout' failed to satisfy constraint: Member must have value between 1 and 900",
      status: 400,
    });
    expect((await lambda().send(new GetFunctionConfigurationCommand({ FunctionName: 'checkout' }))).Timeout).toBe(30);
  });

  it('publishes immutable versions, returns the latest version when nothing changed, and lists them after $LATEST', async () => {
    await createFunction();
    sim.tick(2_000);
    const v1 = await lambda().send(new PublishVersionCommand({ FunctionName: 'checkout', Description: 'first' }));
    expect(v1).toMatchObject({ Version: '1', FunctionArn: `${ARN}:1`, Description: 'first', CodeSha256: sha(zip('v1')), State: 'Active', LastUpdateStatus: 'Successful' });
    expect(v1.$metadata.httpStatusCode).toBe(201);
    const again = await lambda().send(new PublishVersionCommand({ FunctionName: 'checkout' }));
    expect(again.Version).toBe('1');

    await lambda().send(new UpdateFunctionCodeCommand({ FunctionName: 'checkout', ZipFile: zip('v2') }));
    sim.tick(2_000);
    const wrongSha = await lambda().send(new PublishVersionCommand({ FunctionName: 'checkout', CodeSha256: sha(zip('v1')) })).then(unexpected, failure);
    expect(wrongSha).toMatchObject({ name: 'InvalidParameterValueException', status: 400 });
    const v2 = await lambda().send(new PublishVersionCommand({ FunctionName: 'checkout', CodeSha256: sha(zip('v2')) }));
    expect(v2.Version).toBe('2');

    const old = await lambda().send(new GetFunctionConfigurationCommand({ FunctionName: 'checkout', Qualifier: '1' }));
    expect(old).toMatchObject({ Version: '1', CodeSha256: sha(zip('v1')), FunctionArn: `${ARN}:1` });
    const versions = await lambda().send(new ListVersionsByFunctionCommand({ FunctionName: 'checkout' }));
    expect(versions.Versions!.map((v) => [v.Version, v.FunctionArn])).toEqual([['$LATEST', `${ARN}:$LATEST`], ['1', `${ARN}:1`], ['2', `${ARN}:2`]]);
    expect(await lambda().send(new GetFunctionConfigurationCommand({ FunctionName: 'checkout', Qualifier: '7' })).then(unexpected, failure)).toMatchObject({ name: 'ResourceNotFoundException', status: 404 });
    expect(sim.events({ kind: 'lambda.version-published' }).map((e) => e.detail['version'])).toEqual(['1', '2']);
  });

  it('routes an alias between two published versions by weight, answers Invoke with the executed version, and refuses invalid routing', async () => {
    await createFunction({ Publish: true });
    sim.tick(2_000);
    await lambda().send(new UpdateFunctionCodeCommand({ FunctionName: 'checkout', ZipFile: zip('v2'), Publish: true }));
    sim.tick(2_000);
    sim.seed.lambda.behaviour({ functionName: 'checkout', version: '1', output: { version: 1 } });
    sim.seed.lambda.behaviour({ functionName: 'checkout', version: '2', output: { version: 2 }, latencyMs: 80 });

    const alias = await lambda().send(new CreateAliasCommand({ FunctionName: 'checkout', Name: 'live', FunctionVersion: '1', Description: 'production' }));
    expect(alias).toEqual(expect.objectContaining({ AliasArn: `${ARN}:live`, Name: 'live', FunctionVersion: '1', Description: 'production', RevisionId: expect.stringMatching(/^[0-9a-f-]{36}$/) }));
    expect(alias.RoutingConfig).toBeUndefined();
    const weighted = await lambda().send(new UpdateAliasCommand({ FunctionName: 'checkout', Name: 'live', RoutingConfig: { AdditionalVersionWeights: { '2': 0.25 } }, RevisionId: alias.RevisionId }));
    expect(weighted.RoutingConfig).toEqual({ AdditionalVersionWeights: { '2': 0.25 } });
    expect((await lambda().send(new GetAliasCommand({ FunctionName: 'checkout', Name: 'live' }))).RoutingConfig).toEqual({ AdditionalVersionWeights: { '2': 0.25 } });
    expect((await lambda().send(new ListAliasesCommand({ FunctionName: 'checkout', FunctionVersion: '2' }))).Aliases!.map((a) => a.Name)).toEqual(['live']);

    const executed: Record<string, number> = {};
    for (let i = 0; i < 200; i++) {
      const out = await lambda().send(new InvokeCommand({ FunctionName: 'checkout', Qualifier: 'live', Payload: Buffer.from('{"order":1}') }));
      expect(out.StatusCode).toBe(200);
      const version = out.ExecutedVersion!;
      expect(JSON.parse(Buffer.from(out.Payload!).toString('utf8'))).toEqual({ version: Number(version) });
      executed[version] = (executed[version] ?? 0) + 1;
    }
    expect(Object.keys(executed).sort()).toEqual(['1', '2']);
    // 200 draws at 0.25: 50 expected, standard deviation 6.1; the bound is 5 deviations wide.
    expect(executed['2']).toBeGreaterThan(19);
    expect(executed['2']).toBeLessThan(81);

    const invalid = async (routing: Record<string, number>, version = '1') =>
      failure(await lambda().send(new UpdateAliasCommand({ FunctionName: 'checkout', Name: 'live', FunctionVersion: version, RoutingConfig: { AdditionalVersionWeights: routing } })).catch((e: unknown) => e));
    expect(await invalid({ '2': 1.5 })).toMatchObject({ name: 'InvalidParameterValueException', status: 400, message: expect.stringContaining('Member must have value less than or equal to 1.0') });
    expect(await invalid({ '2': 0.1, '3': 0.1 })).toMatchObject({ name: 'InvalidParameterValueException', message: expect.stringContaining('Member must have length less than or equal to 1') });
    expect(await invalid({ '1': 0.5 })).toMatchObject({ name: 'InvalidParameterValueException', message: 'Invalid function version 1. Function version 1 is already included in routing configuration.' });
    expect(await invalid({ '2': 0.5 }, '$LATEST')).toMatchObject({ name: 'InvalidParameterValueException', message: '$LATEST is not supported for an alias pointing to more than 1 version' });
    expect(await invalid({ '9': 0.5 })).toMatchObject({ name: 'ResourceNotFoundException', status: 404 });
    const stale = await lambda().send(new UpdateAliasCommand({ FunctionName: 'checkout', Name: 'live', FunctionVersion: '2', RevisionId: alias.RevisionId })).then(unexpected, failure);
    expect(stale).toMatchObject({ name: 'PreconditionFailedException', status: 412 });

    const inUse = await lambda().send(new DeleteFunctionCommand({ FunctionName: 'checkout', Qualifier: '2' })).then(unexpected, failure);
    expect(inUse).toEqual({ name: 'ResourceConflictException', message: 'Unable to delete version because the following aliases reference it: [live]', status: 409 });
    // Shift everything to version 2 (Spinnaker's last step), then the old version can go.
    const shifted = await lambda().send(new UpdateAliasCommand({ FunctionName: 'checkout', Name: 'live', FunctionVersion: '2', RoutingConfig: { AdditionalVersionWeights: {} } }));
    expect(shifted).toMatchObject({ FunctionVersion: '2' });
    expect(shifted.RoutingConfig).toBeUndefined();
    await lambda().send(new DeleteFunctionCommand({ FunctionName: 'checkout', Qualifier: '1' }));
    expect((await lambda().send(new ListVersionsByFunctionCommand({ FunctionName: 'checkout' }))).Versions!.map((v) => v.Version)).toEqual(['$LATEST', '2']);
    const aliasEvents = sim.events({ kind: 'lambda.alias' }).map((e) => [e.detail['functionVersion'], e.detail['additionalVersionWeights']]);
    expect(aliasEvents).toEqual([['1', {}], ['1', { '2': 0.25 }], ['2', {}]]);
  });

  it('reports a failing version as FunctionError Unhandled with the error payload, tails the log, and tags by ARN', async () => {
    await createFunction({ Publish: true });
    sim.tick(2_000);
    sim.seed.lambda.behaviour({ functionName: 'checkout', version: '1', errorRate: 1, errorType: 'TypeError', errorMessage: 'boom', latencyMs: 12 });
    const out = await lambda().send(new InvokeCommand({ FunctionName: `${ARN}:1`, LogType: 'Tail' }));
    expect(out).toMatchObject({ StatusCode: 200, FunctionError: 'Unhandled', ExecutedVersion: '1' });
    expect(JSON.parse(Buffer.from(out.Payload!).toString('utf8'))).toEqual({ errorMessage: 'boom', errorType: 'TypeError', stackTrace: [] });
    const log = Buffer.from(out.LogResult!, 'base64').toString('utf8');
    expect(log).toMatch(/^START RequestId: [0-9a-f-]{36} Version: 1\n/);
    expect(log).toContain('Duration: 12.00 ms');
    const event = await lambda().send(new InvokeCommand({ FunctionName: 'checkout', InvocationType: 'Event' }));
    expect(event.StatusCode).toBe(202);

    await lambda().send(new TagResourceCommand({ Resource: ARN, Tags: { team: 'payments' } }));
    expect((await lambda().send(new ListTagsCommand({ Resource: ARN }))).Tags).toEqual({ 'spinnaker:application': 'shop', team: 'payments' });
    await lambda().send(new DeleteAliasCommand({ FunctionName: 'checkout', Name: 'none' }));
    await lambda().send(new DeleteFunctionCommand({ FunctionName: 'checkout' }));
    expect((await lambda().send(new GetFunctionCommand({ FunctionName: 'checkout' })).then(unexpected, failure)).status).toBe(404);
    expect(sim.snapshot().services['lambda']).toMatchObject({ functions: [] });
  });
  it('takes code from a seeded S3 object, refuses a missing one, readies provisioned concurrency on the clock, and seeds behaviour through the side door', async () => {
    const object = sim.seed.lambda.codeObject({ bucket: 'artifacts', key: 'checkout/1.0.zip', content: 'zip-1.0' });
    expect(object).toEqual({ bucket: 'artifacts', key: 'checkout/1.0.zip', codeSha256: sha(zip('zip-1.0')), size: 7 });
    const created = await createFunction({ Code: { S3Bucket: 'artifacts', S3Key: 'checkout/1.0.zip' }, Publish: true });
    expect(created).toMatchObject({ CodeSha256: object.codeSha256, CodeSize: 7, Version: '1' });
    sim.tick(2_000);
    const noKey = await lambda().send(new UpdateFunctionCodeCommand({ FunctionName: 'checkout', S3Bucket: 'artifacts', S3Key: 'checkout/2.0.zip' })).then(unexpected, failure);
    expect(noKey).toEqual({ name: 'InvalidParameterValueException', message: 'Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist.', status: 400 });
    const noBucket = await lambda().send(new UpdateFunctionCodeCommand({ FunctionName: 'checkout', S3Bucket: 'elsewhere', S3Key: 'x.zip' })).then(unexpected, failure);
    expect(noBucket.message).toBe('Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3 Error Message: The specified bucket does not exist');

    const put = await lambda().send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'checkout', Qualifier: '1', ProvisionedConcurrentExecutions: 5 }));
    expect(put).toMatchObject({ RequestedProvisionedConcurrentExecutions: 5, AvailableProvisionedConcurrentExecutions: 0, Status: 'IN_PROGRESS' });
    expect(put.$metadata.httpStatusCode).toBe(202);
    sim.tick(59_000);
    expect((await lambda().send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'checkout', Qualifier: '1' }))).Status).toBe('IN_PROGRESS');
    sim.tick(1_000);
    expect(await lambda().send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'checkout', Qualifier: '1' }))).toMatchObject({ Status: 'READY', AvailableProvisionedConcurrentExecutions: 5 });
    const onLatest = await lambda().send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'checkout', Qualifier: '$LATEST', ProvisionedConcurrentExecutions: 1 })).then(unexpected, failure);
    expect(onLatest).toEqual({ name: 'InvalidParameterValueException', message: 'Provisioned Concurrency Configs cannot be applied to unpublished function versions.', status: 400 });

    const seeded = await fetch(`${sim.endpoint}/__sandbox/lambda/behaviour`, { method: 'POST', body: JSON.stringify({ functionName: 'checkout', output: 'plain text' }) });
    expect([seeded.status, await seeded.json()]).toEqual([200, { functionName: 'checkout', version: '*' }]);
    const out = await lambda().send(new InvokeCommand({ FunctionName: 'checkout', Qualifier: '1' }));
    expect(Buffer.from(out.Payload!).toString('utf8')).toBe('plain text');
    const dry = await lambda().send(new InvokeCommand({ FunctionName: 'checkout', InvocationType: 'DryRun' }));
    expect(dry.StatusCode).toBe(204);
    const bad = await fetch(`${sim.endpoint}/__sandbox/lambda/behaviour`, { method: 'POST', body: JSON.stringify({ functionName: 'checkout', errorRate: 2 }) });
    expect([bad.status, await bad.json()]).toEqual([400, { error: "behaviour: 'errorRate' must be between 0 and 1, got 2" }]);
  });
});
