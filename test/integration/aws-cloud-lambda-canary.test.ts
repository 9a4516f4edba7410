/**
 * The Lambda canary on the cloud path, in-process: examples/pipelines/lambda-canary.json, saved and
 * started through the API function, runs on the Step Functions fake, whose Tasks invoke the
 * stage-runner handler. Its Lambda stages publish version 2 and send it 10% of alias `live` in the
 * deploy account `aws-sandbox`; its kayentaCanary stage reads the per-version AWS/Lambda metrics
 * with GetMetricData in the metrics account it names (`hello-cloudwatch`, another account of the
 * CDK context `accounts`, with a role of its own), through that account's role, assumed with the
 * session `gennaker-<execution id>`; a good release passes and is promoted. The AWS simulator
 * plays both accounts: its CloudWatch serves the traffic the alias's weights give each version
 * (local/sandbox/lambda-canary.ts, as `run --sandbox` does).
 *
 * Time: every function reads the simulator's clock, and each Wait the state machine makes moves
 * it by the seconds the stage runner asked for. Nothing sleeps.
 */
import { readFileSync } from 'node:fs';
import { CreateAliasCommand, CreateFunctionCommand, GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetAccountActions } from '../../infra/target-account-policy.ts';
import { createLambdaTraffic, type LambdaTraffic } from '../../local/sandbox/lambda-canary.ts';
import type { CloudWatchSim } from '../../sandbox/aws/cloudwatch.ts';
import { startAwsSimulator, type AwsSimulator } from '../../sandbox/aws/server.ts';
import { startCloud, type Cloud } from '../support/aws-cloud.ts';
import { LAMBDA_CANARY_EXAMPLE } from '../support/lambda-canary-run.ts';

const REGION = 'us-east-1';
const DEPLOY_ROLE = 'arn:aws:iam::210987654321:role/gennaker-deploy';
/** The metrics account's role: another account, read-only for Gennaker's purposes. */
const METRICS_ROLE = 'arn:aws:iam::345678901234:role/gennaker-metrics';
const METRICS_EXTERNAL_ID = 'cw-7';
const STAGE_RUNNER_KEY = 'AKIDSTAGERUNNER';

/** IAM's service prefix of a simulated service's signing name (CloudWatch signs as `monitoring`). */
const iamAction = (call: { service: string; action: string }) => `${call.service === 'monitoring' ? 'cloudwatch' : call.service}:${call.action}`;

describe('the Lambda canary on the cloud path', () => {
  let sim: AwsSimulator;
  let cloud: Cloud;
  let traffic: LambdaTraffic;

  beforeAll(async () => {
    sim = await startAwsSimulator({ seed: 31 });
    sim.seed.sts.role({ arn: DEPLOY_ROLE });
    sim.seed.sts.role({ arn: METRICS_ROLE, externalId: METRICS_EXTERNAL_ID });
    // hello-api: version 1 live behind alias `live`, and the package of the release.
    sim.seed.lambda.codeObject({ bucket: 'hello-artifacts', key: 'hello-api/1.0.0.zip', content: 'hello-api 1.0.0' });
    sim.seed.lambda.codeObject({ bucket: 'hello-artifacts', key: 'hello-api/2.0.0.zip', content: 'hello-api 2.0.0' });
    const lambda = new LambdaClient({ region: REGION, endpoint: sim.endpoint, credentials: { accessKeyId: 'AKIDSEED', secretAccessKey: 'sandbox' } });
    await lambda.send(
      new CreateFunctionCommand({ FunctionName: 'hello-api', Runtime: 'nodejs22.x', Handler: 'index.handler', Role: 'arn:aws:iam::210987654321:role/hello-api', Code: { S3Bucket: 'hello-artifacts', S3Key: 'hello-api/1.0.0.zip' }, Publish: true }),
    );
    for (let step = 0; step < 60 && (await lambda.send(new GetFunctionCommand({ FunctionName: 'hello-api' }))).Configuration?.State !== 'Active'; step++) sim.tick(1_000);
    await lambda.send(new CreateAliasCommand({ FunctionName: 'hello-api', Name: 'live', FunctionVersion: '1' }));
    lambda.destroy();
    // The alias's invocations, split by its weights, as per-version metrics in CloudWatch.
    traffic = createLambdaTraffic(sim);
    traffic.watch({ region: REGION, functionName: 'hello-api', alias: 'live' });
    traffic.sync();
    cloud = await startCloud({
      // The CDK context `accounts`: the deploy account, and the account whose CloudWatch the canary reads.
      accounts: JSON.stringify({
        'aws-sandbox': { assumeRole: DEPLOY_ROLE, regions: [REGION] },
        'hello-cloudwatch': { assumeRole: METRICS_ROLE, externalId: METRICS_EXTERNAL_ID, regions: [REGION] },
      }),
      clock: { now: () => sim.now() },
      aws: { clients: { endpoint: sim.endpoint, maxAttempts: 2 }, callerCredentials: { accessKeyId: STAGE_RUNNER_KEY, secretAccessKey: 'sandbox' } },
      wrapStageRunner: (handler) => async (event) => {
        const answer = (await handler(event)) as { status?: string; waitSeconds?: number };
        // An alias moved by this task gets its traffic from the instant it moved, before the clock does.
        traffic.sync();
        if (answer.status === 'RUNNING' && answer.waitSeconds !== undefined) sim.tick(Math.max(1, answer.waitSeconds) * 1000);
        traffic.sync();
        return answer;
      },
    });
  });

  afterAll(async () => {
    await cloud?.close();
    await sim?.close();
  });

  it('promotes a good release, judging its version against the previous one with GetMetricData made as the metrics account role', async () => {
    // given the example saved through the API
    const saved = await cloud.call('POST', '/pipelines', JSON.parse(readFileSync(LAMBDA_CANARY_EXAMPLE, 'utf8')));
    expect(saved.status).toBe(200);
    const firstCall = sim.calls().length;
    const firstEvent = sim.events().length;

    // when
    const started = await cloud.call('POST', `/pipelines/hello/${encodeURIComponent('Lambda canary')}`, { parameters: { version: '2.0.0' } });
    expect(started.status).toBe(202);
    const executionId = String(started.json.ref).split('/').pop()!;
    await cloud.settled();

    // then the canary passed both intervals and the alias was promoted to version 2
    const shown = await cloud.call('GET', `/pipelines/${executionId}`);
    const stages = shown.json.stages as Array<{ refId: string; status: string; outputs: Record<string, any>; context: Record<string, any> }>;
    const canary = stages.find((stage) => stage.refId === '3')!;
    expect(canary.context.exception ?? null).toBeNull();
    expect(Object.fromEntries(stages.filter((stage) => !stage.refId.includes('<')).map((stage) => [stage.refId, stage.status]))).toEqual({ '1': 'SUCCEEDED', '2': 'SUCCEEDED', '3': 'SUCCEEDED', '4': 'SUCCEEDED', '5': 'SKIPPED', '6': 'SUCCEEDED' });
    expect(shown.json.status).toBe('SUCCEEDED');
    expect(canary.outputs).toMatchObject({ overallResult: 'success', canaryScores: [100, 100], controlScope: '1', experimentScope: '2' });
    expect(sim.events({ kind: 'lambda.alias' }).map((event) => `${String(event.detail['functionVersion'])} ${JSON.stringify(event.detail['additionalVersionWeights'])}`)).toEqual(['1 {}', '1 {"2":0.1}', '2 {}']);

    // each account's role was assumed once, by the stage runner, with the session naming the execution
    const assumed = sim.events({ kind: 'role.assumed' }).filter((event) => event.seq > firstEvent);
    expect(assumed.map((event) => [event.detail['roleArn'], event.detail['sessionName'], event.detail['externalId'] ?? null]).sort()).toEqual([
      [DEPLOY_ROLE, `gennaker-${executionId}`, null],
      [METRICS_ROLE, `gennaker-${executionId}`, METRICS_EXTERNAL_ID],
    ]);
    const calls = sim.calls().slice(firstCall);
    expect(calls.filter((call) => call.service === 'sts').map((call) => call.accessKeyId)).toEqual([STAGE_RUNNER_KEY, STAGE_RUNNER_KEY]);
    expect(calls.filter((call) => call.status >= 400)).toEqual([]);
    const sessionOf = (role: string) => String(assumed.find((event) => event.detail['roleArn'] === role)!.detail['accessKeyId']);

    // every GetMetricData was made with the metrics account's session (2 intervals × 3 metrics × 2 scopes), and nothing else was
    const metricsCalls = calls.filter((call) => call.accessKeyId === sessionOf(METRICS_ROLE));
    expect(metricsCalls.map(iamAction)).toEqual(Array.from({ length: 12 }, () => 'cloudwatch:GetMetricData'));
    expect(calls.filter((call) => call.service === 'monitoring' && call.accessKeyId !== sessionOf(METRICS_ROLE))).toEqual([]);
    // the Lambda calls with the deploy account's; each allowed by the account role's policy (docs/aws-target-accounts.md)
    expect(new Set(calls.filter((call) => call.service === 'lambda').map((call) => call.accessKeyId))).toEqual(new Set([sessionOf(DEPLOY_ROLE)]));
    const allowed = new Set(targetAccountActions('aws'));
    expect([...new Set(calls.filter((call) => call.service !== 'sts').map(iamAction))].filter((action) => !allowed.has(action))).toEqual([]);

    // control asked for version 1, experiment for version 2, in the scope's region
    const asked = sim.service<CloudWatchSim>('monitoring')!.metricQueries();
    expect(new Set(asked.map((query) => `${query.region} ${query.metricName} ${query.dimensions['ExecutedVersion']}`))).toEqual(
      new Set(['Errors', 'Throttles', 'Duration'].flatMap((metric) => ['1', '2'].map((version) => `${REGION} ${metric} ${version}`))),
    );
  });
});
