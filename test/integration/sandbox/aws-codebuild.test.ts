/**
 * The simulated CodeBuild (sandbox/codebuild), driven by the real @aws-sdk/client-codebuild (AWS
 * JSON 1.1): projects, builds that walk CodeBuild's phases on the simulator's clock, overrides kept
 * on the build, idempotency tokens, failNext, StopBuild, and throttling the SDK retries.
 */
import { BatchGetBuildsCommand, BatchGetProjectsCommand, CodeBuildClient, CreateProjectCommand, StartBuildCommand, StopBuildCommand } from '@aws-sdk/client-codebuild';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startAwsSimulator, type AwsSimulator } from '../../../sandbox/aws/server.ts';
import { exportedVariableNames } from '../../../sandbox/codebuild/codebuild.ts';
import { credentials } from './aws-world.ts';

const START = Date.UTC(2026, 0, 1);
let sim: AwsSimulator;
let client: CodeBuildClient;

beforeEach(async () => {
  sim = await startAwsSimulator({ seed: 3, startTime: START });
  client = new CodeBuildClient({ endpoint: sim.endpoint, region: 'us-west-2', credentials, maxAttempts: 3 });
  await client.send(
    new CreateProjectCommand({
      name: 'app-build',
      source: { type: 'GITHUB', location: 'https://github.com/acme/app.git', buildspec: 'version: 0.2\nenv:\n  exported-variables:\n    - IMAGE_TAG\nphases:\n  build:\n    commands: [./build.sh]\n' },
      artifacts: { type: 'S3', location: 'acme-builds', path: 'app', name: 'app.zip' },
      environment: { type: 'LINUX_CONTAINER', image: 'aws/codebuild/standard:7.0', computeType: 'BUILD_GENERAL1_SMALL', environmentVariables: [{ name: 'IMAGE_TAG', value: 'latest' }] },
      serviceRole: 'arn:aws:iam::123456789012:role/codebuild',
    }),
  );
});
afterEach(async () => {
  client.destroy();
  await sim.close();
});

const get = async (id: string) => (await client.send(new BatchGetBuildsCommand({ ids: [id] }))).builds![0]!;

describe('simulated CodeBuild', () => {
  it('runs a build through its phases on the clock and reports artifacts, logs and exported variables', async () => {
    // given
    const started = await client.send(
      new StartBuildCommand({ projectName: 'app-build', sourceVersion: 'abc123', environmentVariablesOverride: [{ name: 'IMAGE_TAG', value: 'v42', type: 'PLAINTEXT' }], imageOverride: 'aws/codebuild/standard:8.0' }),
    );
    const id = started.build!.id!;
    expect(id).toMatch(/^app-build:[0-9a-f-]{36}$/);
    expect(started.build).toMatchObject({ arn: `arn:aws:codebuild:us-west-2:123456789012:build/${id}`, buildStatus: 'IN_PROGRESS', currentPhase: 'SUBMITTED', buildNumber: 1, sourceVersion: 'abc123' });
    expect(started.build!.environment).toMatchObject({ image: 'aws/codebuild/standard:8.0' });

    // when
    sim.tick(20_000);
    const running = await get(id);
    sim.tick(60_000);
    const done = await get(id);

    // then
    expect(running.buildStatus).toBe('IN_PROGRESS');
    expect(running.currentPhase).toBe('INSTALL');
    expect(running.phases!.filter((phase) => phase.phaseStatus === 'SUCCEEDED').map((phase) => phase.phaseType)).toEqual(['SUBMITTED', 'QUEUED', 'PROVISIONING', 'DOWNLOAD_SOURCE']);
    expect(done).toMatchObject({ buildStatus: 'SUCCEEDED', currentPhase: 'COMPLETED', buildComplete: true, artifacts: { location: 'arn:aws:s3:::acme-builds/app/app.zip' } });
    expect(done.endTime!.getTime()).toBe(START + 60_000);
    expect(done.exportedEnvironmentVariables).toEqual([{ name: 'IMAGE_TAG', value: 'v42' }]);
    expect(done.logs!.deepLink).toContain('group=%2Faws%2Fcodebuild%2Fapp-build');
    expect(sim.events({ service: 'codebuild', kind: 'BuildCompleted' }).map((event) => event.time)).toEqual([START + 60_000]);
  });

  it('answers the same build for a repeated idempotency token and refuses the token with other parameters', async () => {
    const first = await client.send(new StartBuildCommand({ projectName: 'app-build', idempotencyToken: 'exec-1-stage-2' }));
    const again = await client.send(new StartBuildCommand({ projectName: 'app-build', idempotencyToken: 'exec-1-stage-2' }));
    expect(again.build!.id).toBe(first.build!.id);
    await expect(client.send(new StartBuildCommand({ projectName: 'app-build', idempotencyToken: 'exec-1-stage-2', sourceVersion: 'other' }))).rejects.toMatchObject({ name: 'InvalidInputException' });
    // A token names its build for five minutes only.
    sim.tick(5 * 60_000);
    const later = await client.send(new StartBuildCommand({ projectName: 'app-build', idempotencyToken: 'exec-1-stage-2' }));
    expect(later.build!.id).not.toBe(first.build!.id);
  });

  it('fails the next build in the phase failNext names, and stops a build on StopBuild', async () => {
    sim.control('codebuild', 'failNext', { projectName: 'app-build', phase: 'BUILD' });
    const failing = (await client.send(new StartBuildCommand({ projectName: 'app-build' }))).build!.id!;
    const stopped = (await client.send(new StartBuildCommand({ projectName: 'app-build' }))).build!.id!;
    sim.tick(10_000);
    const stop = await client.send(new StopBuildCommand({ id: stopped }));
    expect(stop.build).toMatchObject({ buildStatus: 'STOPPED', buildComplete: true });
    sim.tick(120_000);
    const failed = await get(failing);
    expect(failed.buildStatus).toBe('FAILED');
    expect(failed.phases!.map((phase) => `${phase.phaseType}:${phase.phaseStatus ?? ''}`).slice(-3)).toEqual(['BUILD:FAILED', 'FINALIZING:SUCCEEDED', 'COMPLETED:']);
    expect(failed.artifacts).toBeUndefined();
    expect((await get(stopped)).phases!.find((phase) => phase.phaseStatus === 'STOPPED')?.phaseType).toBe('PROVISIONING');
  });

  it('answers an unknown project and unknown builds as CodeBuild does', async () => {
    await expect(client.send(new StartBuildCommand({ projectName: 'nope' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException', message: 'Project cannot be found: arn:aws:codebuild:us-west-2:123456789012:project/nope' });
    expect(await client.send(new BatchGetBuildsCommand({ ids: ['nope:1'] }))).toMatchObject({ builds: [], buildsNotFound: ['nope:1'] });
    expect((await client.send(new BatchGetProjectsCommand({ names: ['app-build', 'nope'] }))).projectsNotFound).toEqual(['nope']);
  });

  it('throttles as the JSON protocol does, and the SDK retries', async () => {
    sim.inject({ service: 'codebuild', action: 'StartBuild', error: 'Throttling', times: 2 });
    const started = await client.send(new StartBuildCommand({ projectName: 'app-build' }));
    expect(started.build!.buildNumber).toBe(1);
    expect(sim.calls({ service: 'codebuild', action: 'StartBuild' }).map((call) => call.errorCode ?? 'ok')).toEqual(['ThrottlingException', 'ThrottlingException', 'ok']);
  });

  it.each([
    ['a block list', 'env:\n  exported-variables:\n    - A\n    - "B_2"\nphases: {}', ['A', 'B_2']],
    ['a flow list', 'env: { exported-variables: [A, B] }', ['A', 'B']],
    ['none', 'phases: {}', []],
  ])('reads the exported variables of a buildspec with %s', (_what, buildspec, names) => {
    expect(exportedVariableNames(buildspec)).toEqual(names);
  });
});
