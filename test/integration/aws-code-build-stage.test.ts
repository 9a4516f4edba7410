/**
 * The awsCodeBuild stage for real: whole pipelines on the local engine with the real stage runner,
 * whose `build-account` reaches CodeBuild through the real adapter and @aws-sdk/client-codebuild,
 * pointed at the AWS simulator; executions in dynalite. The runner's waits move the simulator's
 * clock, so a build walks its phases while the monitor polls; nothing sleeps.
 */
import { BatchGetBuildsCommand, CodeBuildClient } from '@aws-sdk/client-codebuild';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCodeBuildBuilds } from '../../adapters/builds/codebuild-builds.ts';
import { createDynamoDbExecutionStore } from '../../adapters/dynamodb/dynamodb-execution-store.ts';
import { createMemoryTarget } from '../../adapters/targets/memory/memory-target.ts';
import type { JsonObject } from '../../core/ports/execution-store.ts';
import type { TargetLookup } from '../../core/ports/target.ts';
import { startAwsSimulator, type AwsSimulator } from '../../sandbox/aws/server.ts';
import { createLocalRuntime } from '../../local/wiring.ts';
import { startDynalite, type Dynalite } from '../support/dynalite.ts';
import { createLocalRun, type Finished, type LocalRun } from '../support/local-run.ts';

const REGION = 'us-west-2';
const credentials = { accessKeyId: 'AKID', secretAccessKey: 'x' };
const SOURCE = { type: 'git/repo', reference: 'https://github.com/acme/app.git', version: 'refs/heads/release', artifactAccount: 'github' };
const ASSETS = { type: 's3/object', reference: 's3://acme-assets/app/assets.zip', artifactAccount: 's3' };

let sim: AwsSimulator;
let dynalite: Dynalite;
let client: CodeBuildClient;

beforeEach(async () => {
  sim = await startAwsSimulator({ seed: 5 });
  dynalite = await startDynalite();
  client = new CodeBuildClient({ endpoint: sim.endpoint, region: REGION, credentials, maxAttempts: 1 });
  sim.control('codebuild', 'createProject', {
    region: REGION,
    name: 'app-build',
    source: { type: 'GITHUB', location: 'https://github.com/acme/other.git', buildspec: 'version: 0.2\nenv:\n  exported-variables:\n    - IMAGE_TAG\n' },
    artifacts: { type: 'S3', location: 'acme-builds', name: 'app.zip' },
  });
});
afterEach(async () => {
  client.destroy();
  await Promise.allSettled([sim.close(), dynalite.stop()]);
});

function localRun(options: { deliverTwice?: boolean } = {}): LocalRun {
  const memory = createMemoryTarget();
  const builds = createCodeBuildBuilds({ regions: [REGION], clientFor: () => client });
  const targets: TargetLookup = ({ account }) => (account === 'build-account' ? { cloudProvider: 'aws', serverGroups: memory.serverGroups, traffic: memory.traffic, builds } : undefined);
  let storeTime = 0;
  const store = createDynamoDbExecutionStore({ client: dynalite.client, tableName: dynalite.tableName, clock: { now: () => (storeTime += 1) } });
  return createLocalRun({ store, targets, clock: { now: () => sim.now(), advance: (ms) => void sim.tick(ms) }, waitOverrideMs: 1, ...(options.deliverTwice ? { deliverTwice: true } : {}) });
}

const pipeline = (stage: JsonObject): JsonObject => ({
  application: 'app',
  name: 'Build',
  expectedArtifacts: [{ id: 'assets', matchArtifact: { type: 's3/object' } }],
  stages: [{ refId: '1', type: 'awsCodeBuild', name: 'Build app', account: 'build-account', projectName: 'app-build', ...stage }],
});
const trigger: JsonObject = { type: 'manual', artifacts: [ASSETS], resolvedExpectedArtifacts: [{ id: 'assets', matchArtifact: { type: 's3/object' }, boundArtifact: ASSETS }] };

const stageOf = (finished: Finished) => finished.execution.stages.find((stage) => stage.refId === '1')!;
const startRequests = () => (sim.snapshot().services['codebuild']!['builds'] as Array<{ request: JsonObject }>).map((build) => build.request);

describe('an execution canceled while its awsCodeBuild stage builds', () => {
  it('stops the build, as Orca\'s cancellable stage does, so it goes no further', async () => {
    // given a local runtime whose build-account builds on the simulated CodeBuild
    const builds = createCodeBuildBuilds({ regions: [REGION], clientFor: () => client });
    const runtime = await createLocalRuntime({
      retryDelayMs: 5,
      accounts: [{ name: 'build-account', cloudProvider: 'aws', accountType: 'build-account', environment: 'build-account', regions: [REGION] }],
      cloudTargets: ({ account }) => (account === 'build-account' ? { ...createMemoryTarget(), cloudProvider: 'aws', builds } : undefined),
    });
    try {
      const caller = { user: 'ana', roles: [], admin: true };
      const saved = await runtime.service.savePipeline({ config: pipeline({}) }, caller);
      if (!saved.ok) throw new Error(JSON.stringify(saved));
      const started = await runtime.service.startPipeline({ application: 'app', pipeline: saved.saved.id, trigger: { ...trigger, type: 'manual' } }, caller);
      if (!started.ok) throw new Error(JSON.stringify(started));
      // when the build runs (the simulator's clock stands still: it stays IN_PROGRESS) and the execution is canceled
      await vi.waitFor(() => expect(sim.events({ service: 'codebuild', kind: 'BuildStarted' })).toHaveLength(1), { timeout: 10_000, interval: 20 });
      await vi.waitFor(async () => expect(((await runtime.store.getExecution(started.executionId))?.stages[0]?.context['buildInfo'] as JsonObject | undefined)?.['status']).toBe('IN_PROGRESS'), { timeout: 10_000, interval: 20 });
      expect((await runtime.service.cancelExecution(started.executionId, caller, { reason: 'enough' })).ok).toBe(true);
      await runtime.idle();
      // then the build was stopped once, and CodeBuild says so
      expect((await runtime.store.getExecution(started.executionId))?.status).toBe('CANCELED');
      expect(sim.calls({ service: 'codebuild', action: 'StopBuild' }).map((call) => call.status)).toEqual([200]);
      const [build] = (await client.send(new BatchGetBuildsCommand({ ids: [String(sim.events({ service: 'codebuild', kind: 'BuildStarted' })[0]!.detail['buildId'])] }))).builds ?? [];
      expect(build?.buildStatus).toBe('STOPPED');
    } finally {
      await runtime.close();
    }
  }, 30_000);
});

describe('the awsCodeBuild stage on the simulated CodeBuild', () => {
  it("starts the project with Orca's overrides, waits out the build's phases, and outputs buildInfo and the S3 artifacts", async () => {
    // when
    const finished = await localRun().run(
      pipeline({
        source: { sourceOverride: true, sourceArtifact: { artifact: SOURCE }, buildspec: 'version: 0.2\nenv:\n  exported-variables:\n    - IMAGE_TAG\n' },
        secondarySources: [{ sourceArtifact: { artifactId: 'assets' }, sourceVersion: 'v7' }],
        environmentVariables: { IMAGE_TAG: '${trigger.type}-42' },
        image: 'aws/codebuild/standard:8.0',
      }),
      { trigger },
    );

    // then
    expect(finished.statuses).toEqual({ '1': 'SUCCEEDED' });
    expect(startRequests()).toEqual([
      {
        projectName: 'app-build',
        sourceTypeOverride: 'GITHUB',
        sourceLocationOverride: 'https://github.com/acme/app.git',
        sourceVersion: 'refs/heads/release',
        buildspecOverride: 'version: 0.2\nenv:\n  exported-variables:\n    - IMAGE_TAG\n',
        secondarySourcesOverride: [{ type: 'S3', location: 'acme-assets/app/assets.zip', sourceIdentifier: '0' }],
        secondarySourcesVersionOverride: [{ sourceIdentifier: '0', sourceVersion: 'v7' }],
        environmentVariablesOverride: [{ name: 'IMAGE_TAG', value: 'manual-42', type: 'PLAINTEXT' }],
        imageOverride: 'aws/codebuild/standard:8.0',
        imagePullCredentialsTypeOverride: 'SERVICE_ROLE',
      },
    ]);
    const stage = stageOf(finished);
    const buildInfo = stage.context['buildInfo'] as JsonObject;
    expect(buildInfo).toMatchObject({ status: 'SUCCEEDED', exportedEnvironmentVariables: [{ name: 'IMAGE_TAG', value: 'manual-42' }] });
    expect(buildInfo['arn']).toMatch(/^arn:aws:codebuild:us-west-2:123456789012:build\/app-build:/);
    expect(String(buildInfo['buildUrl'])).toMatch(/^https:\/\/us-west-2\.console\.aws\.amazon\.com\/codesuite\/codebuild\/projects\/app-build\/build\/app-build%3A.+\/log\?region=us-west-2$/);
    expect(String((buildInfo['logs'] as JsonObject)['deepLink'])).toContain('group=%2Faws%2Fcodebuild%2Fapp-build');
    expect(stage.outputs['artifacts']).toEqual([{ type: 's3/object', reference: 's3://acme-builds/app.zip', name: 's3://acme-builds/app.zip', artifactAccount: 's3' }]);
    // The monitor polled while the build ran: 10 s apart, on the simulator's clock.
    expect(sim.calls({ service: 'codebuild', action: 'BatchGetBuilds' }).length).toBeGreaterThan(3);
  });

  it('fails the stage with the failed phase and the logs link when the build fails', async () => {
    sim.control('codebuild', 'failNext', { projectName: 'app-build', phase: 'BUILD' });
    const finished = await localRun().run(pipeline({}), { trigger });
    expect(finished.statuses).toEqual({ '1': 'TERMINAL' });
    const error = (stageOf(finished).context['exception'] as { details: { error: string } }).details.error;
    expect(error).toMatch(/^stage 'Build app': build 'app-build:[0-9a-f-]+' of 'app-build' ended FAILED \(BUILD FAILED: COMMAND_EXECUTION_ERROR: Error while executing command: \.\/build\.sh\. Reason: exit status 1\); logs: https:\/\/console\.aws\.amazon\.com\/cloudwatch\//);
    expect((stageOf(finished).context['buildInfo'] as JsonObject)['status']).toBe('FAILED');
  });

  it('starts one build when every step is delivered twice at once', async () => {
    const finished = await localRun({ deliverTwice: true }).run(pipeline({}), { trigger });
    expect(finished.statuses).toEqual({ '1': 'SUCCEEDED' });
    expect(sim.events({ service: 'codebuild', kind: 'BuildStarted' })).toHaveLength(1);
    expect(sim.calls({ service: 'codebuild', action: 'StartBuild' }).length).toBeGreaterThanOrEqual(1);
  });

  it('retries a throttled StartBuild through the state machine and still starts one build', async () => {
    sim.inject({ service: 'codebuild', action: 'StartBuild', error: 'Throttling', times: 2 });
    const finished = await localRun().run(pipeline({}), { trigger });
    expect(finished.statuses).toEqual({ '1': 'SUCCEEDED' });
    expect(sim.calls({ service: 'codebuild', action: 'StartBuild' }).map((call) => call.errorCode ?? 'ok')).toEqual(['ThrottlingException', 'ThrottlingException', 'ok']);
    expect(sim.events({ service: 'codebuild', kind: 'BuildStarted' })).toHaveLength(1);
  });

  it('fails in one line naming the project when CodeBuild does not know it', async () => {
    const finished = await localRun().run(pipeline({ projectName: 'nope' }), { trigger });
    expect(finished.statuses).toEqual({ '1': 'TERMINAL' });
    expect((stageOf(finished).context['exception'] as { details: { error: string } }).details.error).toBe(
      "stage 'Build app': starting a build of 'nope' in us-west-2 failed: AWS ResourceNotFoundException: Project cannot be found: arn:aws:codebuild:us-west-2:123456789012:project/nope; check projectName, or create the project in account 'build-account', region us-west-2",
    );
  });
});
