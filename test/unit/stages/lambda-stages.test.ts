/**
 * Spinnaker's Lambda stages over an in-memory function port that keeps Lambda's lifecycle
 * (test/support/lambda-fake.ts): the call order of each stage, the waits for State and
 * LastUpdateStatus between mutations, idempotence when a task is delivered twice or loses its
 * write, and every failure as one line. The same stages against the AWS simulator with the real
 * SDK client: test/integration/lambda-stages.test.ts.
 */
import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { unknownAccountIssues } from '../../../core/accounts/pipeline-accounts.ts';
import { createAccountRegistry } from '../../../core/accounts/registry.ts';
import type { Account } from '../../../core/ports/accounts.ts';
import { compilePipeline } from '../../../statemachines/index.ts';
import { createMemoryClock, createMemoryTarget, type MemoryClock } from '../../../adapters/targets/memory/memory-target.ts';
import { parsePipeline, type LambdaStage } from '../../../core/pipeline/index.ts';
import type { JsonObject } from '../../../core/ports/execution-store.ts';
import type { FunctionPort } from '../../../core/ports/functions.ts';
import type { Target, TargetLookup } from '../../../core/ports/target.ts';
import { qualifiedFunctionName, resolveVersions } from '../../../core/stages/lambda-common.ts';
import { differingSettings, functionTags } from '../../../core/stages/lambda-deployment.ts';
import { runLambdaTask } from '../../../core/stages/lambda.ts';
import { answerBody } from '../../../core/stages/lambda-traffic-routing.ts';
import type { TaskInput } from '../../../core/stages/task-result.ts';
import { createLambdaFake, type LambdaFake } from '../../support/lambda-fake.ts';
import { driveStage, type DriveOptions } from '../../support/stage-driver.ts';

const REGION = 'us-east-1';
/** The application of every stage driven here: function `api` is `hello-api`. */
const FN = 'hello-api';
const ref = { account: 'aws-prod', region: REGION, functionName: FN };

let clock: MemoryClock;
let fake: LambdaFake;
let targets: TargetLookup;

function lookupWith(functions: FunctionPort | undefined): TargetLookup {
  const memory = createMemoryTarget({ clock });
  const target: Target = { cloudProvider: 'aws', serverGroups: memory.serverGroups, traffic: memory.traffic, ...(functions ? { functions } : {}) };
  return ({ account }) => (account === 'aws-prod' ? target : account === 'local' ? { cloudProvider: 'local', serverGroups: memory.serverGroups, traffic: memory.traffic } : undefined);
}

beforeEach(() => {
  clock = createMemoryClock();
  fake = createLambdaFake({ clock });
  targets = lookupWith(fake);
});

function drive(stage: JsonObject, options: DriveOptions = {}) {
  return driveStage(stage, (input) => runLambdaTask(input as TaskInput<LambdaStage>, { targets, accounts: () => ['aws-prod', 'local'] }), clock, options);
}

const deployStage = (fields: JsonObject = {}): JsonObject => ({
  type: 'Aws.LambdaDeploymentStage',
  account: 'aws-prod',
  cloudProvider: 'aws',
  region: REGION,
  functionName: 'api',
  runtime: 'nodejs22.x',
  handler: 'index.handler',
  role: 'arn:aws:iam::123456789012:role/hello-lambda',
  s3bucket: 'hello-artifacts',
  s3key: 'api/1.0.0.zip',
  memorySize: 256,
  timeout: 30,
  publish: true,
  envVariables: { STAGE: 'prod' },
  tags: { team: 'payments' },
  aliases: ['live'],
  ...fields,
});

/** A function with versions 1..n (package api/<i>.0.0.zip each), Active, alias `live` on `aliasOn`. */
async function seedFunction(versions: number, aliasOn = String(versions)): Promise<void> {
  const code = (i: number) => ({ s3Bucket: 'hello-artifacts', s3Key: `api/${i}.0.0.zip` });
  await fake.create(ref, { code: code(1), settings: { handler: 'index.handler', runtime: 'nodejs22.x', role: 'arn:aws:iam::123456789012:role/hello-lambda' }, tags: {}, publish: true, owner: 'seed' });
  clock.advance(10_000);
  for (let i = 2; i <= versions; i++) {
    const got = await fake.get(ref);
    if (!got.ok || !got.value) throw new Error('seed');
    await fake.updateCode(ref, { code: code(i), publish: true, revisionId: got.value.revisionId });
    clock.advance(10_000);
  }
  await fake.createAlias(ref, { name: 'live', functionVersion: aliasOn, additionalVersionWeights: {} });
}

describe('stage types', () => {
  it.each([
    ['Aws.LambdaDeploymentStage', 'lambdaDeployment'],
    ['Aws.LambdaUpdateCodeStage', 'lambdaUpdateCode'],
    ['Aws.LambdaTrafficRoutingStage', 'lambdaTrafficRouting'],
    ['Aws.LambdaInvokeStage', 'lambdaInvoke'],
    ['Aws.LambdaDeleteStage', 'lambdaDelete'],
  ])('accepts %s under its Orca name %s too, with the same tasks', (plugin, orca) => {
    const fields: Record<string, JsonObject> = {
      'Aws.LambdaDeploymentStage': deployStage(),
      'Aws.LambdaUpdateCodeStage': { account: 'aws-prod', region: REGION, functionName: 'api', s3bucket: 'b', s3key: 'k' },
      'Aws.LambdaTrafficRoutingStage': { account: 'aws-prod', region: REGION, functionName: 'api', aliasName: 'live', deploymentStrategy: '$SIMPLE', versionNameA: '$LATEST' },
      'Aws.LambdaInvokeStage': { account: 'aws-prod', region: REGION, functionName: 'api' },
      'Aws.LambdaDeleteStage': { account: 'aws-prod', region: REGION, functionName: 'api', version: '$ALL' },
    };
    const plan = (type: string) => {
      const parsed = parsePipeline({ application: 'hello', name: 'p', stages: [{ refId: '1', name: 's', ...fields[plugin], type }] });
      expect(parsed.issues.filter((issue) => issue.severity === 'error')).toEqual([]);
      return parsed.pipeline!.stages[0]!.type;
    };
    expect(plan(plugin)).toBe(plugin);
    expect(plan(orca)).toBe(orca);
  });

  it.each([
    ['a missing runtime, handler, role and package', { runtime: undefined, handler: undefined, role: undefined, s3bucket: undefined, s3key: undefined }, ['/stages/0/runtime', '/stages/0/handler', '/stages/0/role', '/stages/0/s3bucket', '/stages/0/s3key']],
    ['no account', { account: '', credentials: '' }, ['/stages/0/account']],
    ['a memory size Lambda refuses', { memorySize: 64 }, ['/stages/0/memorySize']],
    ['target groups', { targetGroups: 'hello-tg' }, ['/stages/0/targetGroups']],
    ['event sources', { triggerArns: ['arn:aws:sqs:us-east-1:123456789012:jobs'] }, ['/stages/0/triggerArns']],
    ['a tracing mode Lambda does not have', { tracingConfig: { mode: 'On' } }, ['/stages/0/tracingConfig/mode']],
  ])('refuses a deployment stage with %s, naming each field', (_case, fields, pointers) => {
    const parsed = parsePipeline({ application: 'hello', name: 'p', stages: [{ refId: '1', name: 'Deploy', ...deployStage(fields as JsonObject) }] });
    expect(parsed.issues.filter((issue) => issue.severity === 'error').map((issue) => issue.pointer).sort()).toEqual([...pointers].sort());
  });

  it('accepts the Lambda plugin functional test stage as written (aliases as one string, blank optional fields)', () => {
    const stage = {
      type: 'Aws.LambdaDeploymentStage', name: 'AWS Lambda Deployment', refId: '2', requisiteStageRefIds: [], account: 'aws-prod', credentials: '', cloudProvider: 'aws',
      region: 'us-east-1', functionName: 'sandbox-test-functional-scenario2', functionUid: 'scenario2', stackName: 'test', describeName: 'functional', aliases: 'prod',
      description: 'Functional Test for Scenario 2.', envVariables: { scenario: '2' }, handler: 'lambda_func.handler', runtime: 'python3.7', memorySize: 128, timeout: 100,
      publish: true, role: 'arn:aws:iam::111122223333:role/spinnaker-lambda-role', s3bucket: 'lambda-test-bucket-0900', s3key: 'lambda_func.zip', securityGroupIds: [],
      subnetIds: [], vpcId: '', tags: { Project: 'Autodesk' }, targetGroups: '', tracingConfig: { mode: 'PassThrough' }, deadLetterConfig: { targetArn: '' }, KMSKeyArn: '',
      kmskeyArn: '', operation: '', triggerArns: [''],
    };
    const parsed = parsePipeline({ application: 'sandbox', name: 'p', stages: [stage] });
    expect(parsed.issues).toEqual([]);
    expect((parsed.pipeline!.stages[0]!.config as unknown as { aliases: string[] }).aliases).toEqual(['prod']);
  });

  it.each([
    ['$WEIGHTED without trafficPercentA', { deploymentStrategy: '$WEIGHTED', versionNameA: '$PREVIOUS', versionNameB: '$LATEST' }, '/stages/0/trafficPercentA', "'trafficPercentA' is required for $WEIGHTED"],
    ['$WEIGHTED without versionNameB', { deploymentStrategy: '$WEIGHTED', versionNameA: '$PREVIOUS', trafficPercentA: 90 }, '/stages/0/versionNameB', "'versionNameB' is required"],
    ['$PROVIDED without a number', { deploymentStrategy: '$SIMPLE', versionNameA: '$PROVIDED' }, '/stages/0/versionNumberA', '$PROVIDED needs the version number'],
    ['an unknown selector', { deploymentStrategy: '$SIMPLE', versionNameA: '$NEWEST' }, '/stages/0/versionNameA', "versionNameA is '$NEWEST'; use one of $LATEST, $PREVIOUS, $OLDEST, $PROVIDED"],
    ['$BLUEGREEN without artifacts', { deploymentStrategy: '$BLUEGREEN' }, '/stages/0/payloadArtifact', "'payloadArtifact' is required for $BLUEGREEN"],
    ['$BLUEGREEN with an artifact it cannot read', { deploymentStrategy: '$BLUEGREEN', payloadArtifact: { artifact: { type: 's3/object', reference: 's3://b/k' } }, outputArtifact: { artifact: { type: 'embedded/base64', reference: 'e30=' } } }, '/stages/0/payloadArtifact', "artifact type 's3/object', which Gennaker cannot read yet"],
    ['no aliasName', { aliasName: undefined, deploymentStrategy: '$SIMPLE', versionNameA: '$LATEST' }, '/stages/0/aliasName', "'aliasName' is required"],
    ['provisioned concurrency', { deploymentStrategy: '$SIMPLE', versionNameA: '$LATEST', provisionedConcurrentExecutions: 5 }, '/stages/0/provisionedConcurrentExecutions', 'not supported yet'],
  ])('refuses a traffic routing stage with %s', (_case, fields, pointer, message) => {
    const parsed = parsePipeline({
      application: 'hello',
      name: 'p',
      stages: [{ refId: '1', name: 'Route', type: 'Aws.LambdaTrafficRoutingStage', account: 'aws-prod', region: REGION, functionName: 'api', aliasName: 'live', ...fields }],
    });
    const errors = parsed.issues.filter((issue) => issue.severity === 'error');
    expect(errors).toContainEqual(expect.objectContaining({ pointer, message: expect.stringContaining(message) }));
  });
});

describe('pure rules', () => {
  it.each([
    ['$LATEST', ['3', '2', '1'], {}, ['3']],
    ['$PREVIOUS', ['3', '2', '1'], {}, ['2']],
    ['$PREVIOUS', ['1'], {}, []],
    ['$OLDEST', ['3', '2', '1'], {}, ['1']],
    ['$PROVIDED', ['3', '2', '1'], { versionNumber: '2' }, ['2']],
    ['$MOVING', ['4', '3', '2', '1'], { retention: 2 }, ['2', '1']],
    ['7', ['3'], {}, ['7']],
  ])('resolves %s over %j', (selector, newest, options, expected) => {
    expect(resolveVersions(selector, newest, options)).toEqual(expected);
  });

  it("prefixes the application as clouddriver does, unless the name has it or is an ARN", () => {
    expect(qualifiedFunctionName('hello', 'api')).toBe('hello-api');
    expect(qualifiedFunctionName('hello', 'hello-api')).toBe('hello-api');
    expect(qualifiedFunctionName('hello', 'arn:aws:lambda:us-east-1:1:function:x')).toBe('arn:aws:lambda:us-east-1:1:function:x');
  });

  it("writes Spinnaker's moniker tags from the Frigga name, keeping the stage's own", () => {
    expect(functionTags('hello', 'hello-prod-api', { 'moniker.spinnaker.io/stack': 'mine' }, 'e/s/lambda/create')).toEqual({
      'moniker.spinnaker.io/application': 'hello',
      'moniker.spinnaker.io/cluster': 'hello-prod-api',
      'moniker.spinnaker.io/stack': 'mine',
      'moniker.spinnaker.io/detail': 'api',
      'gennaker:owner': 'e/s/lambda/create',
    });
  });

  it('compares only the settings the stage sets, with Lambda defaults for the absent ones', () => {
    expect(differingSettings({ handler: 'a', environment: {}, tracingMode: 'PassThrough', kmsKeyArn: '', vpc: { subnetIds: [], securityGroupIds: [] } }, { handler: 'a' })).toEqual([]);
    expect(differingSettings({ memorySize: 256, environment: { A: '1' } }, { memorySize: 128, environment: { A: '2' } })).toEqual(['MemorySize', 'Environment']);
  });

  it("reads an answer's body as Orca does", () => {
    expect(answerBody('{"statusCode":200,"body":"ok"}')).toBe('ok');
    expect(answerBody('{"payload":"p"}')).toBe('p');
    expect(answerBody('{"body":{"a":1}}')).toBe('{"body":{"a":1}}');
    expect(answerBody('plain')).toBe('plain');
  });
});

describe('Aws.LambdaDeploymentStage', () => {
  it('creates a missing function, waits for it to be Active, and points the alias at version 1', async () => {
    const result = await drive(deployStage());
    expect(result.message).toBeUndefined();
    expect(result.status).toBe('SUCCEEDED');
    // Orca's order: look up, create (publishing version 1), wait, no publish of its own, aliases, output.
    expect(fake.callOrder()).toEqual(['get', 'create', 'get', 'getAlias', 'createAlias', 'get']);
    expect(fake.calls({ operation: 'get' }).length).toBeGreaterThan(3);
    expect(fake.publishedVersions(FN)).toEqual(['1']);
    expect(fake.alias(FN, 'live')).toMatchObject({ functionVersion: '1', additionalVersionWeights: {} });
    expect(result.record.outputs).toMatchObject({ lambdaCreated: true, lambdaVersionPublished: true, versionId: '1', functionName: FN, lambdaAliasesUpdated: true });
  });

  it('updates an existing function: code, wait, configuration, wait, publish, alias; never a mutation while Lambda is busy', async () => {
    await seedFunction(1);
    const before = fake.calls().length;
    const result = await drive(deployStage({ s3key: 'api/2.0.0.zip' }));
    expect(result.status).toBe('SUCCEEDED');
    expect(fake.callOrder(before)).toEqual(['get', 'updateCode', 'get', 'updateSettings', 'get', 'tag', 'get', 'listVersions', 'publishVersion', 'getAlias', 'updateAlias', 'get']);
    expect(fake.calls().slice(before).filter((call) => call.outcome !== 'ok')).toEqual([]);
    expect(fake.publishedVersions(FN)).toEqual(['1', '2']);
    expect(fake.alias(FN, 'live')).toMatchObject({ functionVersion: '2', additionalVersionWeights: {} });
    expect(result.record.outputs).toMatchObject({ lambdaCreated: false, lambdaVersionPublished: true, versionId: '2' });
  });

  it('waits out an update someone else started, instead of failing on the 409', async () => {
    await seedFunction(1);
    fake.startForeignUpdate(FN);
    const result = await drive(deployStage({ s3key: 'api/2.0.0.zip' }));
    expect(result.status).toBe('SUCCEEDED');
    expect(fake.calls().filter((call) => call.outcome === 'conflict')).toEqual([]);
    // It looked again (and again) until the foreign update was over, then updated the code once.
    const calls = fake.calls().map((call) => call.operation);
    expect(calls.slice(0, calls.indexOf('updateCode')).filter((operation) => operation === 'get').length).toBeGreaterThan(2);
    expect(fake.calls({ operation: 'updateCode' })).toHaveLength(1);
  });

  it('sends its code again when another update started between its read and its own, never taking that update for its own', async () => {
    await seedFunction(1);
    let raced = false;
    const racing: FunctionPort = {
      ...fake,
      async updateCode(at, request) {
        if (!raced) {
          raced = true;
          fake.startForeignUpdate(FN);
        }
        return fake.updateCode(at, request);
      },
    };
    targets = lookupWith(racing);
    const result = await drive(deployStage({ s3key: 'api/2.0.0.zip' }));
    expect(result.status).toBe('SUCCEEDED');
    expect(fake.calls({ operation: 'updateCode' }).map((call) => call.outcome)).toEqual(['conflict', 'ok']);
    expect(fake.publishedVersions(FN)).toEqual(['1', '2']);
    expect(fake.alias(FN, 'live')?.functionVersion).toBe('2');
  });

  it.each<[string, DriveOptions]>([
    ['delivered twice at once', { twice: true }],
    ['losing the write of every other call after it acted', { loseWritesOf: Array.from({ length: 30 }, (_, i) => 2 * i + 2) }],
  ])('acts once when %s: one create, one code update, one version', async (_case, options) => {
    await seedFunction(1);
    const result = await drive(deployStage({ s3key: 'api/2.0.0.zip' }), options);
    expect(result.status).toBe('SUCCEEDED');
    expect(fake.calls({ operation: 'updateCode' }).filter((call) => call.outcome === 'ok')).toHaveLength(1);
    expect(fake.publishedVersions(FN)).toEqual(['1', '2']);
    expect(fake.alias(FN, 'live')?.functionVersion).toBe('2');
  });

  it('creates once when the create is delivered twice', async () => {
    const result = await drive(deployStage(), { twice: true });
    expect(result.status).toBe('SUCCEEDED');
    expect(fake.calls({ operation: 'create' }).filter((call) => call.outcome === 'ok')).toHaveLength(1);
    expect(fake.publishedVersions(FN)).toEqual(['1']);
  });

  it('retries a throttled call through the retryable catalog error', async () => {
    fake.throttleNext(2, 'create');
    const result = await drive(deployStage());
    expect(result.status).toBe('SUCCEEDED');
    expect(result.retried).toEqual(['Gennaker.TargetUnavailable', 'Gennaker.TargetUnavailable']);
  });

  it('fails with one line when the account has no Lambda target, naming the account', async () => {
    targets = lookupWith(undefined);
    const result = await drive(deployStage());
    expect(result.status).toBe('TERMINAL');
    expect(result.message).toBe("stage 'Stage': account 'aws-prod' (aws) has no Lambda target wired in; name an AWS account whose functions Gennaker manages");
    const local = await drive(deployStage({ account: 'local' }));
    expect(local.message).toContain("account 'local' (local) has no Lambda target wired in");
  });

  it('fails with one line for a region the account does not serve', async () => {
    const result = await drive(deployStage({ region: 'eu-west-1' }));
    expect(result.message).toBe("stage 'Stage': account 'aws-prod' has no Lambda target in region 'eu-west-1' (its regions: us-east-1); set region to one of them");
    expect(fake.calls()).toEqual([]);
  });
});

describe('Aws.LambdaTrafficRoutingStage', () => {
  const route = (fields: JsonObject): JsonObject => ({ type: 'Aws.LambdaTrafficRoutingStage', account: 'aws-prod', region: REGION, functionName: 'api', aliasName: 'live', ...fields });

  it.each([
    [90, { '2': 0.1 }],
    [50, { '2': 0.5 }],
    [100, {}],
  ])('$WEIGHTED with trafficPercentA %i sends (100 - A)/100 to version B', async (percent, weights) => {
    await seedFunction(2, '1');
    const result = await drive(route({ deploymentStrategy: '$WEIGHTED', versionNameA: '$PREVIOUS', versionNameB: '$LATEST', trafficPercentA: percent, trafficPercentB: 100 - percent }));
    expect(result.status).toBe('SUCCEEDED');
    expect(fake.alias(FN, 'live')).toMatchObject({ functionVersion: '1', additionalVersionWeights: weights });
    expect(result.record.outputs).toMatchObject({ 'deployment:majorVersionDeployed': '1', 'deployment:minorVersionDeployed': '2', 'deployment:strategyUsed': 'WeightedDeploymentStrategy' });
  });

  it('$SIMPLE points the alias at one version and clears a split', async () => {
    await seedFunction(2, '1');
    await fake.updateAlias(ref, { name: 'live', functionVersion: '1', additionalVersionWeights: { '2': 0.5 } });
    const result = await drive(route({ deploymentStrategy: '$SIMPLE', versionNameA: '$LATEST' }));
    expect(result.status).toBe('SUCCEEDED');
    expect(fake.alias(FN, 'live')).toMatchObject({ functionVersion: '2', additionalVersionWeights: {} });
  });

  it('resolves $LATEST once: a version published while the stage runs does not change its target', async () => {
    await seedFunction(2, '1');
    let published = false;
    const result = await driveStage(route({ deploymentStrategy: '$SIMPLE', versionNameA: '$LATEST' }), async (input) => {
      const answer = await runLambdaTask(input as TaskInput<LambdaStage>, { targets });
      if (!published) {
        published = true;
        const got = await fake.get(ref);
        if (got.ok && got.value) await fake.updateCode(ref, { code: { s3Bucket: 'hello-artifacts', s3Key: 'api/3.0.0.zip' }, publish: true, revisionId: got.value.revisionId });
      }
      return answer;
    }, clock);
    expect(result.status).toBe('SUCCEEDED');
    expect(fake.publishedVersions(FN)).toEqual(['1', '2', '3']);
    expect(fake.alias(FN, 'live')?.functionVersion).toBe('2');
  });

  it('fails $WEIGHTED when $PREVIOUS names nothing, and leaves the alias alone', async () => {
    await seedFunction(1);
    const result = await drive(route({ deploymentStrategy: '$WEIGHTED', versionNameA: '$PREVIOUS', versionNameB: '$LATEST', trafficPercentA: 90 }));
    expect(result.status).toBe('TERMINAL');
    expect(result.message).toBe("stage 'Stage': versionNameA $PREVIOUS names no version: the function has published versions 1; publish one first (publish: true on its deploy stage), or pick another selector");
    expect(fake.calls({ operation: 'updateAlias' })).toEqual([]);
  });

  const base64 = (text: string) => btoa(text);
  const blueGreen = (expected: string): JsonObject =>
    route({
      deploymentStrategy: '$BLUEGREEN',
      timeout: 30,
      payloadArtifact: { artifact: { type: 'embedded/base64', reference: base64('{"ping": true}') } },
      outputArtifact: { artifact: { type: 'embedded/base64', reference: base64(expected) } },
    });

  it('$BLUEGREEN invokes the new version, compares its answer without whitespace, then shifts the alias', async () => {
    await seedFunction(2, '1');
    fake.behave({ s3Bucket: 'hello-artifacts', s3Key: 'api/2.0.0.zip' }, () => ({ payload: JSON.stringify({ statusCode: 200, body: '{"pong": true}' }) }));
    const result = await drive(blueGreen('{ "pong" : true }\n'));
    expect(result.status).toBe('SUCCEEDED');
    expect(fake.callOrder()).toContain('invoke');
    expect(fake.alias(FN, 'live')).toMatchObject({ functionVersion: '2', additionalVersionWeights: {} });
  });

  it('$BLUEGREEN fails on a mismatch with the reason in one line, the alias still on the old version', async () => {
    await seedFunction(2, '1');
    fake.behave({ s3Bucket: 'hello-artifacts', s3Key: 'api/2.0.0.zip' }, () => ({ payload: JSON.stringify({ body: '{"pong": false}' }) }));
    const result = await drive(blueGreen('{"pong": true}'));
    expect(result.status).toBe('TERMINAL');
    expect(result.message).toBe(`stage 'Stage': $BLUEGREEN health check failed: version 2 answered '{"pong":false}', expected '{"pong":true}'; alias 'live' still routes to version 1`);
    expect(fake.alias(FN, 'live')?.functionVersion).toBe('1');
    expect(fake.calls({ operation: 'updateAlias' })).toEqual([]);
  });

  it('$BLUEGREEN fails when the new version throws', async () => {
    await seedFunction(2, '1');
    fake.behave({ s3Bucket: 'hello-artifacts', s3Key: 'api/2.0.0.zip' }, () => ({ functionError: 'Unhandled', payload: '{"errorMessage":"boom","errorType":"Error"}' }));
    const result = await drive(blueGreen('{}'));
    expect(result.message).toBe(`stage 'Stage': $BLUEGREEN health check failed: version 2 answered with an error (Unhandled): {"errorMessage":"boom","errorType":"Error"}; alias 'live' still routes to version 1`);
  });

  it('$BLUEGREEN invokes once when its write is lost after the check', async () => {
    await seedFunction(2, '1');
    fake.behave({ s3Bucket: 'hello-artifacts', s3Key: 'api/2.0.0.zip' }, () => ({ payload: 'ok' }));
    const result = await drive(blueGreen('ok'), { loseWritesOf: [1] });
    expect(result.status).toBe('SUCCEEDED');
    expect(fake.calls({ operation: 'invoke' })).toHaveLength(1);
    expect(fake.calls({ operation: 'updateAlias' })).toHaveLength(1);
  });
});

describe('Aws.LambdaInvokeStage', () => {
  const invoke = (fields: JsonObject = {}): JsonObject => ({ type: 'Aws.LambdaInvokeStage', account: 'aws-prod', region: REGION, functionName: 'api', aliasName: 'live', payload: '{"n":1}', ...fields });

  it('invokes through the alias executionCount times and keeps the answers', async () => {
    await seedFunction(1);
    fake.behave({ s3Bucket: 'hello-artifacts', s3Key: 'api/1.0.0.zip' }, (payload) => ({ payload: JSON.stringify({ body: `got ${payload}` }) }));
    const result = await drive(invoke({ executionCount: 3 }));
    expect(result.status).toBe('SUCCEEDED');
    expect(fake.calls({ operation: 'invoke' })).toHaveLength(3);
    expect(result.record.outputs.invokeResultsList).toEqual([1, 2, 3].map(() => expect.objectContaining({ body: 'got {"n":1}', executedVersion: '1' })));
  });

  it('fails when an invocation fails, keeping every answer', async () => {
    await seedFunction(1);
    fake.behave({ s3Bucket: 'hello-artifacts', s3Key: 'api/1.0.0.zip' }, () => ({ functionError: 'Unhandled', payload: '{"errorMessage":"no such order"}' }));
    const result = await drive(invoke());
    expect(result.status).toBe('TERMINAL');
    expect(result.message).toBe("stage 'Stage': 1 of 1 invocations of 'hello-api' failed: Unhandled: no such order");
  });

  it('waits while the function is still Pending', async () => {
    await fake.create(ref, { code: { s3Bucket: 'b', s3Key: 'k' }, settings: {}, tags: {}, publish: false, owner: 'seed' });
    const result = await drive(invoke({ aliasName: '' }));
    expect(result.status).toBe('SUCCEEDED');
    const outcomes = fake.calls({ operation: 'invoke' }).map((call) => call.outcome);
    expect(outcomes.at(-1)).toBe('ok');
    expect(new Set(outcomes.slice(0, -1))).toEqual(new Set(['conflict']));
  });
});

describe('Aws.LambdaDeleteStage', () => {
  const remove = (fields: JsonObject): JsonObject => ({ type: 'Aws.LambdaDeleteStage', account: 'aws-prod', region: REGION, functionName: 'api', ...fields });

  it.each([
    ['$PREVIOUS', {}, ['1', '3']],
    ['$OLDEST', {}, ['2', '3']],
    ['$PROVIDED', { versionNumber: '1' }, ['2', '3']],
    ['2', {}, ['1', '3']],
    ['$MOVING', { retentionNumber: 1 }, ['3']],
  ])('deletes %s', async (version, fields, left) => {
    await seedFunction(3);
    const result = await drive(remove({ version, ...fields }));
    expect(result.status).toBe('SUCCEEDED');
    expect(fake.publishedVersions(FN)).toEqual(left);
  });

  it('deletes the whole function with $ALL, and succeeds again when it is gone', async () => {
    await seedFunction(1);
    expect((await drive(remove({ version: '$ALL' }))).status).toBe('SUCCEEDED');
    expect(fake.exists(FN)).toBe(false);
    expect((await drive(remove({ version: '$ALL' }))).status).toBe('SUCCEEDED');
  });

  it('fails with Lambda\'s reason when an alias still names the version', async () => {
    await seedFunction(2);
    const result = await drive(remove({ version: '$LATEST' }));
    expect(result.status).toBe('TERMINAL');
    expect(result.message).toBe("stage 'Stage': deleting version 2 of 'hello-api' failed: Unable to delete version because the following aliases reference it: [live]");
  });

  it('succeeds when there is nothing to delete, as Orca does', async () => {
    await seedFunction(1);
    const result = await drive(remove({ version: '$PREVIOUS' }));
    expect(result.status).toBe('SUCCEEDED');
    expect(result.record.outputs).toMatchObject({ LambdaDeleteTask: 'Found no version of function to delete' });
  });
});

describe('Aws.LambdaUpdateCodeStage', () => {
  it('waits for the function, updates its code once and publishes with it', async () => {
    await seedFunction(1);
    fake.startForeignUpdate(FN);
    const result = await drive({ type: 'Aws.LambdaUpdateCodeStage', account: 'aws-prod', region: REGION, functionName: 'api', s3bucket: 'hello-artifacts', s3key: 'api/2.0.0.zip', publish: true }, { twice: true });
    expect(result.status).toBe('SUCCEEDED');
    expect(fake.calls({ operation: 'updateCode' }).filter((call) => call.outcome === 'ok')).toHaveLength(1);
    expect(fake.publishedVersions(FN)).toEqual(['1', '2']);
    expect(result.record.outputs).toMatchObject({ versionId: '2' });
  });

  it('fails when the function does not exist', async () => {
    const result = await drive({ type: 'lambdaUpdateCode', account: 'aws-prod', region: REGION, functionName: 'api', s3bucket: 'b', s3key: 'k' });
    expect(result.message).toBe("stage 'Stage': function 'hello-api' does not exist in account 'aws-prod', region us-east-1; deploy it first (Aws.LambdaDeploymentStage) or fix functionName");
  });
});

describe('examples/pipelines/lambda-weighted.json', () => {
  const example = JSON.parse(readFileSync(new URL('../../../examples/pipelines/lambda-weighted.json', import.meta.url), 'utf8')) as JsonObject;
  const account = (name: string): Account => ({ name, cloudProvider: 'aws', accountType: name, environment: name, regions: ['us-east-1'] });

  it('saves: it parses without an issue, compiles, and names only its account', () => {
    const parsed = parsePipeline(example);
    expect(parsed.issues).toEqual([]);
    const compiled = compilePipeline(parsed.pipeline!, { stageRunnerArn: 'arn:aws:lambda:us-east-1:123456789012:function:runner' });
    expect(compiled.issues.filter((issue) => issue.severity === 'error')).toEqual([]);
    expect(unknownAccountIssues(example, createAccountRegistry([account('aws-sandbox')]))).toEqual([]);
    expect(unknownAccountIssues(example, createAccountRegistry([account('aws-prod')])).map((issue) => issue.pointer)).toEqual([
      '/stages/0/account',
      '/stages/1/account',
      '/stages/3/account',
      '/stages/5/account',
    ]);
  });

  it('shifts 10% → 50% → 100% when the function was there before', async () => {
    // given: version 1 serving behind `live`, in the example's account
    const stages = (example.stages as JsonObject[]).map((stage): JsonObject => ({ ...stage, account: 'aws-prod' }));
    await seedFunction(1);
    const routed: string[] = [];
    // when: its Lambda stages run in order (the waits only wait)
    for (const stage of stages.filter((candidate) => String(candidate.type).startsWith('Aws.'))) {
      const { refId: _refId, requisiteStageRefIds: _requisites, stageEnabled: _enabled, ...fields } = stage;
      const json = JSON.parse(JSON.stringify(fields).replaceAll('${parameters.version}', '2.0.0')) as JsonObject;
      const result = await drive(json);
      expect(result.status).toBe('SUCCEEDED');
      const alias = fake.alias(FN, 'live')!;
      routed.push(`${alias.functionVersion} ${JSON.stringify(alias.additionalVersionWeights)}`);
    }
    // then
    expect(routed).toEqual(['1 {}', '1 {"2":0.1}', '1 {"2":0.5}', '2 {}']);
    expect(fake.aliasEvents().every((event) => [event.functionVersion, ...Object.keys(event.weights)].every((version) => event.published.includes(version)))).toBe(true);
  });
});
