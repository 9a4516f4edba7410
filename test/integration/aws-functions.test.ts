// The cloud functions end to end, in-process: the API, publisher, stage runner and reconciler
// handlers on dynalite, with the Step Functions fake running the ASL that was published.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePipeline } from '../../core/pipeline/parse.ts';
import { compilePipeline, DEFAULT_STAGE_RUNNER_ARN } from '../../statemachines/index.ts';
import { validateAsl } from '../support/asl.ts';
import { DEPLOY_ROLE_ARN, STAGE_RUNNER_ARN, startCloud, type Cloud } from '../support/aws-cloud.ts';

const MACHINES = 'arn:aws:states:us-east-1:123456789012:stateMachine:';

function releasePipeline(name: string): Record<string, unknown> {
  return {
    application: 'shop',
    name,
    parameterConfig: [{ name: 'env', default: 'staging' }],
    stages: [
      { refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'Warm up', waitTime: 0 },
      { refId: '2', requisiteStageRefIds: ['1'], type: 'manualJudgment', name: 'Approve', judgmentInputs: [{ value: 'ship' }] },
      { refId: '3', requisiteStageRefIds: ['2'], type: 'wait', name: 'Finish', waitTime: 0 },
    ],
  };
}

async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('Gennaker on AWS, in-process', () => {
  let cloud: Cloud;
  beforeAll(async () => {
    cloud = await startCloud({ notificationSettings: JSON.stringify({ email: { from: 'gennaker@example.com' }, sns: { topicArns: ['arn:aws:sns:us-east-1:123456789012:deploys'] } }) });
  });
  afterAll(async () => {
    await cloud?.close();
  });

  it('saves, publishes, starts, judges and completes a pipeline through the functions', async () => {
    // given: a pipeline saved through the API function, then (re)published by the publisher
    const saved = await cloud.call('POST', '/pipelines', releasePipeline('Release'));
    expect(saved.status).toBe(200);
    const pipelineId: string = saved.json.id;
    const published = await cloud.publish({ pipelineConfigId: pipelineId });
    expect(published).toEqual({ ok: true, published: { pipelineConfigId: pipelineId, version: 1, ref: `${MACHINES}gennaker-${pipelineId}:live` } });

    // when: started through the API, judged through the API
    const started = await cloud.call('POST', '/pipelines/shop/Release', { parameters: { env: 'prod' } });
    expect(started.status).toBe(202);
    const executionId = String(started.json.ref).split('/').pop()!;
    // The runner marks the stage RUNNING, then keeps its task token in a second write: judge once both are there.
    const waiting = await until(
      'the judgment to wait',
      () => cloud.call('GET', `/pipelines/${executionId}`),
      (r) => r.json.stages?.[1]?.status === 'RUNNING' && cloud.sfn.pendingTokens(executionId).length === 1,
    );
    await until('the task token to be kept', async () => cloud.apiRuntime.store.getExecution(executionId), (execution) => execution?.stages[1]?.awaitingCallback === true);
    const judged = await cloud.call('PATCH', `/pipelines/${executionId}/stages/${waiting.json.stages[1].id}`, { judgmentStatus: 'continue', judgmentInput: 'ship' });
    expect(judged.status).toBe(200);
    await cloud.settled();

    // then: the run succeeded in Step Functions, was reconciled, and the API shows it
    expect(cloud.sfn.execution(executionId)).toMatchObject({ status: 'SUCCEEDED', startedOn: `${MACHINES}gennaker-${pipelineId}:live` });
    expect(cloud.reconciled).toContainEqual({ reconciled: true, executionId, outcome: 'SUCCEEDED' });
    const shown = await cloud.call('GET', `/pipelines/${executionId}`);
    expect(shown.json).toMatchObject({ id: executionId, status: 'SUCCEEDED', trigger: { type: 'manual', user: 'alice', parameters: { env: 'prod' } } });
    expect(shown.json.stages.map((stage: { status: string }) => stage.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(await cloud.apiRuntime.store.getSlotHolders(pipelineId)).toEqual([]);
    expect(cloud.bus.events.filter((event) => event['detail-type'] === 'Pipeline Execution Completed').map((event) => event.detail)).toContainEqual(
      expect.objectContaining({ executionId, status: 'SUCCEEDED', pipelineConfigId: pipelineId }),
    );
    expect(cloud.sfn.calls.find((call) => call.command === 'SendTaskSuccess')).toBeDefined();
  });

  it('publishes byte for byte what the local compiler emits, modulo the stage runner ARN', async () => {
    // given
    const saved = await cloud.call('POST', '/pipelines', releasePipeline('Same bytes'));
    const pipelineId: string = saved.json.id;

    // when
    const machine = cloud.sfn.stateMachine(`${MACHINES}gennaker-${pipelineId}`)!;
    const local = compilePipeline(parsePipeline({ ...releasePipeline('Same bytes'), id: pipelineId }).pipeline!).json;

    // then
    expect(machine.definition).toBe(local.split(DEFAULT_STAGE_RUNNER_ARN).join(STAGE_RUNNER_ARN));
    expect(machine.definition.split(STAGE_RUNNER_ARN).join(DEFAULT_STAGE_RUNNER_ARN)).toBe(local);
    expect(validateAsl(JSON.parse(machine.definition))).toEqual([]);
    expect(machine.versions.map((version) => version.description)).toEqual(['v1 of shop/Same bytes']);
  });

  it('ends an execution stopped from the Step Functions console CANCELED, frees its slot and starts the queued one', async () => {
    // given: one running execution, one queued behind it (limitConcurrent)
    const saved = await cloud.call('POST', '/pipelines', { ...releasePipeline('Serial'), limitConcurrent: true, keepWaitingPipelines: true });
    const pipelineId: string = saved.json.id;
    const first = String((await cloud.call('POST', '/pipelines/shop/Serial', {})).json.ref).split('/').pop()!;
    const second = await cloud.call('POST', '/pipelines/shop/Serial', {});
    const secondId = String(second.json.ref).split('/').pop()!;
    expect((await cloud.call('GET', `/pipelines/${secondId}`)).json.status).toBe('NOT_STARTED');
    await until('the first run to wait for judgment', async () => cloud.sfn.pendingTokens(first), (tokens) => tokens.length === 1);
    await until('the task token to be kept', async () => cloud.apiRuntime.store.getExecution(first), (execution) => execution?.stages[1]?.awaitingCallback === true);

    // when: someone stops it in the console
    const { StopExecutionCommand } = await import('@aws-sdk/client-sfn');
    await cloud.sfn.client.send(new StopExecutionCommand({ executionArn: cloud.sfn.execution(first)!.arn, cause: 'stopped in the console' }));
    await until('the queued execution to start', () => cloud.call('GET', `/pipelines/${secondId}`), (r) => r.json.status === 'RUNNING');
    // The reconciler starts the queued execution before it returns: wait for its answer too.
    await until('the stop to be reconciled', async () => cloud.reconciled, (answers) => answers.some((answer) => 'executionId' in answer && answer.executionId === first));

    // then
    expect((await cloud.call('GET', `/pipelines/${first}`)).json).toMatchObject({ status: 'CANCELED' });
    expect(cloud.reconciled).toContainEqual({ reconciled: true, executionId: first, outcome: 'ABORTED' });
    expect((await cloud.apiRuntime.store.getSlotHolders(pipelineId)).map((holder) => holder.executionId)).toEqual([secondId]);
    await cloud.call('PUT', `/pipelines/${secondId}/cancel`, {});
    await cloud.settled();
    expect((await cloud.call('GET', `/pipelines/${secondId}`)).json.status).toBe('CANCELED');
    expect(cloud.sfn.execution(secondId)?.status).toBe('ABORTED');
  });

  it('ends a run that failed in Step Functions TERMINAL, from the published status-change event shape', async () => {
    // given: a running execution whose run then fails outside the stage runner
    await cloud.call('POST', '/pipelines', releasePipeline('Crashy'));
    const id = String((await cloud.call('POST', '/pipelines/shop/Crashy', {})).json.ref).split('/').pop()!;
    await until('the run to wait for judgment', async () => cloud.sfn.pendingTokens(id), (tokens) => tokens.length === 1);
    // (and the runner done with its writes: it keeps the task token after Step Functions handed it over)
    await until('the task token to be kept', async () => cloud.apiRuntime.store.getExecution(id), (execution) => execution?.stages[1]?.awaitingCallback === true);
    const { default: sample } = await import('../fixtures/aws-events/sfn-execution-status-change-failed.json', { with: { type: 'json' } });
    const execution = cloud.sfn.execution(id)!;
    const event = { ...sample, detail: { ...sample.detail, executionArn: execution.arn, stateMachineArn: execution.machineArn, name: id } };

    // when
    const result = await cloud.reconcile(event);

    // then
    expect(result).toEqual({ reconciled: true, executionId: id, outcome: 'FAILED' });
    const shown = (await cloud.call('GET', `/pipelines/${id}`)).json;
    expect(shown.status).toBe('TERMINAL');
    expect(shown.stages[1].status).toBe('TERMINAL');
    // A redelivery changes nothing.
    expect(await cloud.reconcile(event)).toEqual({ reconciled: true, executionId: id, outcome: 'FAILED' });
    expect((await cloud.call('GET', `/pipelines/${id}`)).json.status).toBe('TERMINAL');
    await cloud.sfn.client.send(new (await import('@aws-sdk/client-sfn')).StopExecutionCommand({ executionArn: execution.arn }));
    await cloud.settled();
  });

  it('refuses a deploy cluster with a wrong field or a region its account does not list, with 400 and one issue each', async () => {
    // when: an EC2 cluster of the account prod (us-east-1) with an instance type that is no name and a region prod does not list
    const cluster = { account: 'prod', cloudProvider: 'aws', application: 'shop', availabilityZones: { 'eu-west-1': [] }, amiName: 'shop-1.0.0', instanceType: 5, subnetType: 'internal', capacity: { min: 1, max: 1, desired: 1 } };
    const refused = await cloud.call('POST', '/pipelines', { application: 'shop', name: 'Bad cluster', stages: [{ refId: '1', type: 'deploy', name: 'Deploy', clusters: [cluster] }] });
    // then
    expect(refused.status).toBe(400);
    expect(refused.json.issues.map((issue: { pointer: string; message: string }) => `${issue.pointer}: ${issue.message}`)).toEqual([
      "/stages/0/clusters/0/availabilityZones/eu-west-1: region 'eu-west-1' is not a region of account 'prod' (its regions: us-east-1); deploy to one of them or add the region to the account",
      '/stages/0/clusters/0/instanceType: provider field instanceType is 5; set an EC2 instance type, e.g. "m5.large"',
    ]);
  });

  it('refuses a value for a secret parameter, having no key to store it encrypted, and fails a #secret Secrets Manager does not answer in one line', async () => {
    // given
    await cloud.call('POST', '/pipelines', { application: 'shop', name: 'Secretive', parameterConfig: [{ name: 'token', secret: true }], stages: [{ refId: '1', type: 'wait', name: 'Wait', waitTime: 0 }] });
    await cloud.call('POST', '/pipelines', { application: 'shop', name: 'Named secret', stages: [{ refId: '1', type: 'wait', name: 'Wait', waitTime: 0, note: "${#secret('db')}", failOnFailedExpressions: true }] });

    // when
    const refused = await cloud.call('POST', '/pipelines/shop/Secretive', { parameters: { token: 'would-be-plaintext' } });
    const started = await cloud.call('POST', '/pipelines/shop/Named secret', {});
    const id = String(started.json.ref).split('/').pop()!;
    const ended = await until('the run to end', async () => (await cloud.call('GET', `/pipelines/${id}`)).json, (execution) => execution.status === 'TERMINAL');

    // then
    expect(refused.status).toBe(400);
    expect(refused.json.error).toBe("the parameter 'token' is secret, and this installation has no key to store secrets encrypted; configure one (on AWS, a KMS key) or start without a value for it");
    expect(JSON.stringify((await cloud.apiRuntime.store.listExecutions({ application: 'shop' }, { limit: 100 })).items)).not.toContain('would-be-plaintext');
    // (this test cloud's Secrets Manager client has no Region: the read fails, naming the secret)
    expect(ended.stages[0].context.exception.details.error).toContain("#secret('db'): reading 'gennaker/db' from Secrets Manager failed");
    await cloud.settled();
  });

  it('ignores status changes of other state machines and runs that have not ended', async () => {
    const { default: sample } = await import('../fixtures/aws-events/sfn-execution-status-change-failed.json', { with: { type: 'json' } });
    expect(await cloud.reconcile(sample)).toEqual({ reconciled: false, reason: "state machine 'state-machine' is not one of Gennaker's (prefix 'gennaker-')" });
    const running = { ...sample, detail: { ...sample.detail, stateMachineArn: `${MACHINES}gennaker-x`, status: 'RUNNING' } };
    expect(await cloud.reconcile(running)).toEqual({ reconciled: false, reason: 'status RUNNING is not an end' });
  });

  it('answers the publisher what it needs when the event names no saved pipeline', async () => {
    expect(await cloud.publish({ version: 1 })).toEqual({ ok: false, message: 'the publisher expects {"pipelineConfigId": "...", "version"?: n}; pipelineConfigId: Invalid input: expected string, received undefined' });
    expect(await cloud.publish({ pipelineConfigId: 'nope', version: 3 })).toEqual({ ok: false, message: 'pipeline nope version 3 is not saved (or no longer parses); save it first' });
  });

  it('knows the accounts of the CDK context: GET /credentials lists them, and a pipeline naming another is refused at save', async () => {
    const listed = await cloud.call('GET', '/credentials');
    expect(listed.status).toBe(200);
    expect(listed.json).toEqual([
      expect.objectContaining({ name: 'prod', type: 'aws', cloudProvider: 'aws', accountType: 'prod', environment: 'prod', accountId: '210987654321', assumeRole: DEPLOY_ROLE_ARN, regions: [{ name: 'us-east-1' }] }),
    ]);
    const refused = await cloud.call('POST', '/pipelines', {
      application: 'shop',
      name: 'Deploy to local',
      stages: [{ refId: '1', type: 'disableCluster', name: 'Disable', credentials: 'local', cluster: 'shop', regions: ['us-east-1'], remainingEnabledServerGroups: 1 }],
    });
    expect(refused.status).toBe(400);
    expect(refused.json.issues).toContainEqual(expect.objectContaining({ pointer: '/stages/0/credentials', message: "account 'local' is not known (known accounts: prod)" }));
  });

  it('lists the notification types the CDK context notifications let the notifier send: email through SES and SNS', async () => {
    const listed = await cloud.call('GET', '/notifications/metadata');
    expect(listed.status).toBe(200);
    expect((listed.json as Array<{ notificationType: string }>).map((type) => type.notificationType)).toEqual(['slack', 'microsoftteams', 'webhook', 'email', 'sns']);
  });

  it('answers 401 to a request API Gateway passed without an IAM identity', async () => {
    const anonymous = await cloud.call('GET', '/applications', undefined, { userArn: null });
    expect(anonymous.status).toBe(401);
    expect(anonymous.json.error).toMatch(/Signature Version 4/);
  });
});
