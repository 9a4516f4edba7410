/**
 * `--sandbox` with an awsCodeBuild stage: the account it names is served as an `aws` account whose
 * target builds through the real CodeBuild adapter on the simulator, and the project it builds is
 * seeded once, so the build runs there and its calls are counted as the run's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../../local/sandbox/sandbox.ts';

const pipeline = {
  application: 'app',
  name: 'build app',
  stages: [{ refId: '1', type: 'awsCodeBuild', name: 'Build', account: 'build-prod', region: 'eu-west-1', projectName: 'app-build', environmentVariables: { TAG: 'v1' } }],
};

describe('the AWS sandbox and awsCodeBuild', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ speed: 100 });
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it('serves the account, seeds the project once, and builds it through the target', async () => {
    const served = await sandbox.serve([pipeline]);
    expect(served.accounts).toEqual([expect.objectContaining({ name: 'build-prod', cloudProvider: 'aws', regions: ['eu-west-1'] })]);
    expect(served.seeded).toEqual([{ kind: 'CodeBuild project', id: 'app-build', detail: 'build-prod, eu-west-1' }]);
    expect((await sandbox.serve([pipeline])).seeded).toEqual([]);

    const builds = sandbox.targets({ account: 'build-prod' })!.builds!;
    const started = await builds.start({ account: 'build-prod', region: 'eu-west-1' }, { projectName: 'app-build', idempotencyToken: 't-1', environmentVariables: { TAG: 'v1' } });
    expect(started).toMatchObject({ ok: true, value: { status: 'IN_PROGRESS' } });
    expect(sandbox.callCounts()).toContainEqual({ call: 'codebuild:StartBuild', count: 1 });
  });
});
