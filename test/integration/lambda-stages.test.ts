/**
 * Spinnaker's Lambda stages for real: whole pipelines on the local engine with the real stage
 * runner, whose `aws-sandbox` account reaches Lambda through the real aws-lambda adapter and
 * `@aws-sdk/client-lambda`, pointed at the AWS simulator; executions in dynalite. The runner's
 * waits move the simulator's clock (Pending → Active, InProgress → Successful); nothing sleeps.
 * At every instant of a weighted rollout, a $BLUEGREEN and a rollback, the alias names only
 * published versions (the simulator's event log, `aliasRoutingOverTime`).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { GetAliasCommand, ListVersionsByFunctionCommand, GetFunctionCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../core/ports/execution-store.ts';
import type { FunctionPort } from '../../core/ports/functions.ts';
import { startLambdaSandbox, type LambdaSandbox, type LambdaSandboxOptions } from '../support/lambda-sandbox.ts';
import type { Finished } from '../support/local-run.ts';
import { aliasRoutingOverTime } from '../../sandbox/aws/lambda.ts';

const example = JSON.parse(readFileSync(new URL('../../examples/pipelines/lambda-weighted.json', import.meta.url), 'utf8')) as JsonObject;
const FN = 'hello-api';
const PACKAGES = { 'hello-artifacts/hello-api/1.0.0.zip': 'hello-api 1.0.0', 'hello-artifacts/hello-api/2.0.0.zip': 'hello-api 2.0.0' };
const sha = (text: string) => createHash('sha256').update(text).digest('base64');

let sandbox: LambdaSandbox | undefined;

afterEach(async () => {
  await sandbox?.dispose();
  sandbox = undefined;
});

async function start(options: Omit<LambdaSandboxOptions, 'codeObjects'> = {}): Promise<LambdaSandbox> {
  sandbox = await startLambdaSandbox({ codeObjects: PACKAGES, ...options });
  return sandbox;
}

/** The failure message of a stage, as the runner stored it. */
function stageError(finished: Finished, refId: string): string {
  const exception = finished.execution.stages.find((stage) => stage.refId === refId)?.context.exception as { details?: { error?: string } } | undefined;
  return exception?.details?.error ?? '';
}

/** `live`'s routing as the simulator holds it now: `1 {"2":0.1}`. */
function aliasInSimulator(sim: LambdaSandbox['sim']): string {
  const functions = sim.snapshot().services['lambda']?.['functions'] as Array<{ name: string; aliases: Array<{ name: string; functionVersion: string; additionalVersionWeights: Record<string, number> }> }>;
  const alias = functions.find((fn) => fn.name === FN)?.aliases.find((candidate) => candidate.name === 'live');
  return alias === undefined ? 'none' : `${alias.functionVersion} ${JSON.stringify(alias.additionalVersionWeights)}`;
}

/** The function port with a look at the simulator's alias after every alias change the stages make. */
function recordingAliases(routed: string[], sim: () => LambdaSandbox['sim']) {
  return (port: FunctionPort): FunctionPort => ({
    ...port,
    async createAlias(ref, alias) {
      const done = await port.createAlias(ref, alias);
      routed.push(aliasInSimulator(sim()));
      return done;
    },
    async updateAlias(ref, alias, options) {
      const done = await port.updateAlias(ref, alias, options);
      routed.push(aliasInSimulator(sim()));
      return done;
    },
  });
}

describe('examples/pipelines/lambda-weighted.json on the AWS simulator', () => {
  it('creates the function, then rolls version 2 out 10% → 50% → 100%, the alias read from the simulator at each step', async () => {
    const routed: string[] = [];
    const { sim, client, localRun, lastCall, callsSince } = await start({ wrap: recordingAliases(routed, () => sandbox!.sim) });
    const run = localRun();

    // given: version 1.0.0 deployed by the same pipeline: a new function skips the weighted steps, the last one points `live` at it
    const first = await run.run(example, { parameters: { version: '1.0.0' } });
    expect(stageError(first, '1')).toBe('');
    expect(first.statuses).toEqual({ '1': 'SUCCEEDED', '2': 'SKIPPED', '3': 'SKIPPED', '4': 'SKIPPED', '5': 'SKIPPED', '6': 'SUCCEEDED' });
    expect(routed).toEqual(['1 {}']);
    const before = lastCall();
    const eventsBefore = sim.events().at(-1)!.seq;

    // when: version 2.0.0
    const second = await run.run(example, { parameters: { version: '2.0.0' } });

    // then: each step left the alias as it says, both versions published before the alias named them
    expect(second.statuses).toEqual({ '1': 'SUCCEEDED', '2': 'SUCCEEDED', '3': 'SUCCEEDED', '4': 'SUCCEEDED', '5': 'SUCCEEDED', '6': 'SUCCEEDED' });
    expect(routed).toEqual(['1 {}', '1 {"2":0.1}', '1 {"2":0.5}', '2 {}']);
    const events = sim.events({ service: 'lambda' }).filter((event) => event.seq > eventsBefore);
    const aliasChanges = events.filter((event) => event.kind === 'lambda.alias');
    expect(aliasChanges.map((event) => `${String(event.detail.functionVersion)} ${JSON.stringify(event.detail.additionalVersionWeights)}`)).toEqual(['1 {"2":0.1}', '1 {"2":0.5}', '2 {}']);
    const published = events.find((event) => event.kind === 'lambda.version-published' && event.detail.version === '2');
    expect(published!.seq).toBeLessThan(aliasChanges[0]!.seq);
    expect(published!.detail.codeSha256).toBe(sha('hello-api 2.0.0'));
    // and at every instant of both runs, `live` named only published versions (the simulator's event log)
    const routing = aliasRoutingOverTime(sim.events(), FN, 'live');
    expect(routing.flatMap((point) => point.unpublished)).toEqual([]);
    expect(routing.map((point) => point.versions.join('+'))).toEqual(['1', '1', '1+2', '1+2', '2']);
    const alias = await client.send(new GetAliasCommand({ FunctionName: FN, Name: 'live' }));
    expect([alias.FunctionVersion, alias.RoutingConfig?.AdditionalVersionWeights ?? {}]).toEqual(['2', {}]);
    const fn = await client.send(new GetFunctionCommand({ FunctionName: FN }));
    expect(fn.Configuration).toMatchObject({ CodeSha256: sha('hello-api 2.0.0'), Description: 'hello-api 2.0.0', MemorySize: 256, Timeout: 10, State: 'Active', LastUpdateStatus: 'Successful' });
    expect(fn.Tags).toMatchObject({ team: 'hello', 'moniker.spinnaker.io/application': 'hello' });

    // and: in Orca's order, waiting between mutations, never refused
    const calls = callsSince(before);
    expect(calls.filter((action) => !/^(Get|List)/.test(action))).toEqual(['UpdateFunctionCode', 'UpdateFunctionConfiguration', 'PublishVersion', 'UpdateAlias', 'UpdateAlias', 'UpdateAlias']);
    expect(sim.calls({ service: 'lambda' }).filter((call) => call.seq > before && call.status >= 400)).toEqual([]);
  });

  it('acts once when every step is delivered twice at once: one create, one code update, exactly one new version', async () => {
    const { sim, client, localRun, lastCall } = await start();
    const run = localRun({ deliverTwice: true });
    const first = await run.run(example, { parameters: { version: '1.0.0' } });
    expect(first.statuses['6']).toBe('SUCCEEDED');
    const before = lastCall();
    const second = await run.run(example, { parameters: { version: '2.0.0' } });
    expect(Object.values(second.statuses).every((status) => status === 'SUCCEEDED')).toBe(true);

    const succeeded = (action: string) => sim.calls({ service: 'lambda', action }).filter((call) => call.status < 300);
    expect(succeeded('CreateFunction')).toHaveLength(1);
    expect(succeeded('UpdateFunctionCode').filter((call) => call.seq > before)).toHaveLength(1);
    expect(succeeded('PublishVersion').filter((call) => call.seq > before)).toHaveLength(1);
    const versions = await client.send(new ListVersionsByFunctionCommand({ FunctionName: FN }));
    expect(versions.Versions?.map((version) => version.Version)).toEqual(['$LATEST', '1', '2']);
    const aliasChanges = sim.events({ kind: 'lambda.alias' }).map((event) => `${String(event.detail.functionVersion)} ${JSON.stringify(event.detail.additionalVersionWeights)}`);
    expect(aliasChanges).toEqual(['1 {}', '1 {"2":0.1}', '1 {"2":0.5}', '2 {}']);
  });

  it('publishes one version when PublishVersion took effect and its answer was lost, and the step is delivered again', async () => {
    // One SDK attempt: the lost answer reaches the stage, which the state machine delivers again.
    const { sim, client, localRun } = await start({ maxAttempts: 1 });
    const run = localRun();
    await run.run(example, { parameters: { version: '1.0.0' } });
    sim.inject({ service: 'lambda', action: 'PublishVersion', error: 'ServiceException', status: 500, message: 'Internal error', when: 'after' });

    const second = await run.run(example, { parameters: { version: '2.0.0' } });

    expect(Object.values(second.statuses).every((status) => status === 'SUCCEEDED')).toBe(true);
    expect(sim.calls({ service: 'lambda', action: 'PublishVersion' }).map((call) => call.status)).toEqual([500]);
    const versions = await client.send(new ListVersionsByFunctionCommand({ FunctionName: FN }));
    expect(versions.Versions?.map((version) => version.Version)).toEqual(['$LATEST', '1', '2']);
    expect(aliasInSimulator(sim)).toBe('2 {}');
  });
});

describe('$BLUEGREEN, a rollback and deleting versions on the AWS simulator', () => {
  const [deployStage, , , , , simpleRoute] = example.stages as JsonObject[];
  const base64 = (text: string) => Buffer.from(text).toString('base64');
  const route = (name: string, fields: JsonObject): JsonObject => ({ ...simpleRoute!, name, refId: '1', requisiteStageRefIds: [], stageEnabled: undefined, ...fields });
  const pipeline = (...stages: JsonObject[]): JsonObject => ({ application: 'hello', name: 'Lambda', parameterConfig: example.parameterConfig, stages });
  const blueGreen = route('Blue/green', {
    deploymentStrategy: '$BLUEGREEN',
    timeout: 30,
    payloadArtifact: { artifact: { type: 'embedded/base64', reference: base64('{"ping": true}') } },
    outputArtifact: { artifact: { type: 'embedded/base64', reference: base64('{"pong": true}') } },
    refId: '2',
    requisiteStageRefIds: ['1'],
  });

  it('keeps the alias on a published version at every instant: a failed check leaves it, a passed one moves it, a rollback moves it back, and the version it names cannot be deleted', async () => {
    const { sim, localRun } = await start();
    const run = localRun();
    // given 1.0.0 serving through `live`
    expect((await run.run(example, { parameters: { version: '1.0.0' } })).statuses['6']).toBe('SUCCEEDED');
    expect(aliasInSimulator(sim)).toBe('1 {}');

    // when 2.0.0 answers the health check wrongly, the blue/green fails and `live` stays on 1
    sim.seed.lambda.behaviour({ functionName: FN, version: '2', output: { pong: false } });
    const failedCheck = await run.run(pipeline({ ...deployStage!, refId: '1', requisiteStageRefIds: [] }, blueGreen), { parameters: { version: '2.0.0' } });
    expect(failedCheck.statuses).toEqual({ '1': 'SUCCEEDED', '2': 'TERMINAL' });
    expect(stageError(failedCheck, '2')).toBe(`stage 'Blue/green': $BLUEGREEN health check failed: version 2 answered '{"pong":false}', expected '{"pong":true}'; alias 'live' still routes to version 1`);
    expect(aliasInSimulator(sim)).toBe('1 {}');

    // when it answers rightly, the blue/green moves `live` to 2 at once
    sim.seed.lambda.behaviour({ functionName: FN, version: '2', output: { pong: true } });
    const passed = await run.run(pipeline({ ...blueGreen, refId: '1', requisiteStageRefIds: [] }));
    expect(stageError(passed, '1')).toBe('');
    expect(aliasInSimulator(sim)).toBe('2 {}');

    // when rolled back ($SIMPLE to the previous version), `live` names 1 again
    const rolledBack = await run.run(pipeline(route('Roll back', { versionNameA: '$PREVIOUS' })));
    expect(stageError(rolledBack, '1')).toBe('');
    expect(aliasInSimulator(sim)).toBe('1 {}');

    // then Lambda refuses to delete the version `live` names (Spinnaker's traffic guards are for clusters, not functions), and deletes the other
    const remove = (version: string): JsonObject => ({ type: 'Aws.LambdaDeleteStage', name: 'Delete', refId: '1', requisiteStageRefIds: [], cloudProvider: 'aws', account: 'aws-sandbox', region: 'us-east-1', functionName: 'api', version: '$PROVIDED', versionNumber: version });
    const refused = await run.run(pipeline(remove('1')));
    expect(refused.statuses['1']).toBe('TERMINAL');
    expect(stageError(refused, '1')).toBe(
      `stage 'Delete': deleting version 1 of '${FN}' failed: DeleteFunction ${FN}:1: ResourceConflictException: Unable to delete version because the following aliases reference it: [live]`,
    );
    expect((await run.run(pipeline(remove('2')))).statuses['1']).toBe('SUCCEEDED');
    expect(sim.events({ kind: 'lambda.version-deleted' }).map((event) => event.detail.version)).toEqual(['2']);

    // and the event log shows `live` named a published version at every instant
    const routing = aliasRoutingOverTime(sim.events(), FN, 'live');
    expect(routing.flatMap((point) => point.unpublished)).toEqual([]);
    expect(routing.map((point) => point.versions.join('+'))).toEqual(['1', '1', '2', '1', '1']);
  });
});

describe('Lambda refusing a mutation while an update is in progress', () => {
  /**
   * Someone else's update starts between the stage's read (Active, nothing in progress) and its
   * UpdateFunctionCode: Lambda refuses the stage's update. `conflict` answers as Lambda does for
   * an update in progress (409 ResourceConflictException, injected over the real in-progress
   * state: the simulator checks the RevisionId first); `stale` is the simulator's own 412 for the
   * RevisionId the other update moved.
   */
  it.each([
    ['409 ResourceConflictException', 'conflict', 409],
    ['412 PreconditionFailedException', 'stale', 412],
  ] as const)('waits out the other update on the simulator clock after a %s, then applies its own code', async (_case, kind, status) => {
    let raced = false;
    const { sim, client, localRun, lastCall } = await start({
      wrap: (port) => ({
        ...port,
        async updateCode(ref, request) {
          if (!raced) {
            raced = true;
            await client.send(new UpdateFunctionConfigurationCommand({ FunctionName: ref.functionName, MemorySize: 512 }));
            if (kind === 'conflict') {
              const arn = `arn:aws:lambda:us-east-1:${sim.accountId}:function:${ref.functionName}`;
              sim.inject({ service: 'lambda', action: 'UpdateFunctionCode', error: 'ResourceConflictException', status: 409, message: `The operation cannot be performed at this time. An update is in progress for resource: ${arn}` });
            }
          }
          return port.updateCode(ref, request);
        },
      }),
    });
    const run = localRun();
    await run.run(example, { parameters: { version: '1.0.0' } });
    const before = lastCall();

    const second = await run.run(example, { parameters: { version: '2.0.0' } });

    expect(stageError(second, '1')).toBe('');
    expect(Object.values(second.statuses).every((value) => value === 'SUCCEEDED')).toBe(true);
    const updates = sim.calls({ service: 'lambda', action: 'UpdateFunctionCode' }).filter((call) => call.seq > before);
    expect(updates.map((call) => call.status)).toEqual([status, 200]);
    // The other update took the simulator's 2 s; the stage sent again only once it was over, polling in between.
    expect(updates[1]!.time - updates[0]!.time).toBeGreaterThanOrEqual(2_000);
    expect(sim.calls({ service: 'lambda', action: 'GetFunction' }).filter((call) => call.seq > updates[0]!.seq && call.seq < updates[1]!.seq).length).toBeGreaterThanOrEqual(2);
    // Its own package and settings won, and the version it published carries them.
    const fn = await client.send(new GetFunctionCommand({ FunctionName: FN }));
    expect(fn.Configuration).toMatchObject({ CodeSha256: sha('hello-api 2.0.0'), MemorySize: 256 });
    const versions = await client.send(new ListVersionsByFunctionCommand({ FunctionName: FN }));
    expect(versions.Versions?.map((version) => [version.Version, version.CodeSha256, version.MemorySize])).toEqual([
      ['$LATEST', sha('hello-api 2.0.0'), 256],
      ['1', sha('hello-api 1.0.0'), 256],
      ['2', sha('hello-api 2.0.0'), 256],
    ]);
    expect(aliasInSimulator(sim)).toBe('2 {}');
  });
});

describe('what does not exist, in one line', () => {
  const deploy = (fields: JsonObject): JsonObject => ({ ...(example.stages as JsonObject[])[0]!, description: 'hello-api', ...fields });
  const pipeline = (stage: JsonObject): JsonObject => ({ application: 'hello', name: 'One stage', stages: [{ ...stage, refId: '1', requisiteStageRefIds: [] }] });

  it('names functionName when the function to route does not exist', async () => {
    const { localRun } = await start();
    const route = { ...(example.stages as JsonObject[])[5]!, name: 'Route', functionName: 'ghost' };
    const finished = await localRun().run(pipeline(route));
    expect(finished.statuses['1']).toBe('TERMINAL');
    expect(stageError(finished, '1')).toBe("stage 'Route': function 'hello-ghost' does not exist in account 'aws-sandbox', region us-east-1; deploy it first (Aws.LambdaDeploymentStage) or fix functionName");
  });

  it('names role when Lambda cannot assume it, and creates nothing', async () => {
    const { sim, localRun } = await start();
    const role = 'arn:aws:iam::123456789012:role/no-such-role';
    // Lambda's answer for a role that does not exist (the simulator checks the ARN's form, not IAM).
    sim.inject({ service: 'lambda', action: 'CreateFunction', error: 'InvalidParameterValueException', status: 400, message: 'The role defined for the function cannot be assumed by Lambda.' });
    const finished = await localRun().run(pipeline(deploy({ name: 'Deploy', role, s3key: 'hello-api/1.0.0.zip' })));
    expect(finished.statuses['1']).toBe('TERMINAL');
    expect(stageError(finished, '1')).toBe(
      `stage 'Deploy': role is '${role}', which Lambda refused (CreateFunction hello-api: InvalidParameterValueException: The role defined for the function cannot be assumed by Lambda.); set role to the ARN of an IAM role that lambda.amazonaws.com may assume (create it with that trust policy), or fix role`,
    );
    expect(sim.events({ kind: 'lambda.function' })).toEqual([]);
  });

  it('names role when it is not a role ARN, from Lambda\'s own validation', async () => {
    const { sim, localRun } = await start();
    const finished = await localRun().run(pipeline(deploy({ name: 'Deploy', role: 'hello-api-lambda', s3key: 'hello-api/1.0.0.zip' })));
    const message = stageError(finished, '1');
    expect(message).toMatch(/^stage 'Deploy': role is 'hello-api-lambda', which Lambda refused \(CreateFunction hello-api: InvalidParameterValueException: 1 validation error detected: Value 'hello-api-lambda' at 'role' failed to satisfy constraint: .*\); set role to the ARN of an IAM role .*, or fix role$/);
    expect(message).not.toContain('\n');
    expect(sim.events({ kind: 'lambda.function' })).toEqual([]);
  });

  it('names s3key when the package is not in the bucket', async () => {
    const { localRun } = await start();
    const finished = await localRun().run(pipeline(deploy({ name: 'Deploy', s3key: 'hello-api/9.9.9.zip' })));
    expect(stageError(finished, '1')).toBe(
      "stage 'Deploy': s3key is 'hello-api/9.9.9.zip', which is not in bucket 'hello-artifacts' (CreateFunction hello-api: InvalidParameterValueException: Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist.); upload the package there, or fix s3key",
    );
  });
});
