/**
 * rollbackServerGroup's checks before it touches a deploy target: what it needs from
 * rollbackContext, and the rollback types it does not support yet. The rollback itself runs on
 * the real local target in test/integration/artifact-stages.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { parsePipeline, type RollbackServerGroupStage } from '../../../core/pipeline/index.ts';
import type { Execution, JsonObject, StageRecord } from '../../../core/ports/execution-store.ts';
import { runRollbackServerGroupTask } from '../../../core/stages/rollback-server-group.ts';
import type { DeployTaskDeps } from '../../../core/stages/deploy-scope.ts';
import type { TaskInput } from '../../../core/stages/task-result.ts';
import { createMemoryTarget } from '../../../adapters/targets/memory/memory-target.ts';

/** These stages never save a plan mid-task; a call would be a bug. */
const refuseSave: TaskInput['saveRuntime'] = async () => {
  throw new Error('this stage saves no runtime mid-task');
};

const saved = { credentials: 'local', regions: ['local'], rollbackContext: { rollbackServerGroupName: 'hello-prod-v002', restoreServerGroupName: 'hello-prod-v001' } };

/** `fields`: the context as evaluated at stage start (expressions may have given anything). */
function input(fields: JsonObject, task = 'enableRestoreServerGroup', stage: JsonObject = saved): TaskInput<RollbackServerGroupStage> {
  const parsed = parsePipeline({ application: 'hello', name: 'p', stages: [{ refId: '1', type: 'rollbackServerGroup', name: 'Rollback', ...stage }] });
  if (!parsed.pipeline) throw new Error(JSON.stringify(parsed.issues));
  const record: StageRecord = { id: '1', refId: '1', type: 'rollbackServerGroup', name: 'Rollback', requisiteStageRefIds: [], status: 'RUNNING', context: { ...saved, ...fields }, outputs: {}, runtime: {}, awaitingCallback: false, revision: 1, lastModified: 0 };
  return { stage: parsed.pipeline.stages[0] as RollbackServerGroupStage, record, execution: { id: 'e', application: 'hello' } as Execution, task, now: 0, poll: 1, expressions: {} as TaskInput['expressions'], saveRuntime: refuseSave };
}

/** No account has a deploy target, and the application has no traffic guards. */
const deps: DeployTaskDeps = { targets: () => undefined, applications: { getApplication: async () => undefined } };

/** These checks start no child pipeline and read no execution. */
const noTaskDeps = { children: {} as never, store: { getExecution: async () => undefined } };

describe('rollbackServerGroup before it acts', () => {
  it.each([
    [
      'PREVIOUS_IMAGE',
      {},
      'deployPreviousImage',
      { credentials: 'local', regions: ['local'], rollbackType: 'PREVIOUS_IMAGE' },
      "stage 'Rollback': rollbackType \"PREVIOUS_IMAGE\" is not supported yet; use EXPLICIT with rollbackContext.restoreServerGroupName, or a rollbackCluster stage",
    ],
    [
      'a rollback server group that is not a name',
      { rollbackContext: { rollbackServerGroupName: 7, restoreServerGroupName: 'hello-prod-v001' } },
      'enableRestoreServerGroup',
      saved,
      "stage 'Rollback': rollbackContext.rollbackServerGroupName is 7; set the server group to roll back, e.g. \"hello-prod-v004\"",
    ],
    [
      'no server group to restore',
      { rollbackContext: { rollbackServerGroupName: 'hello-prod-v002', restoreServerGroupName: '' } },
      'enableRestoreServerGroup',
      saved,
      "stage 'Rollback': rollbackContext.restoreServerGroupName is \"\"; set the server group to restore, e.g. \"hello-prod-v003\"",
    ],
    [
      'the same server group twice',
      { rollbackContext: { rollbackServerGroupName: 'hello-prod-v002', restoreServerGroupName: 'hello-prod-v002' } },
      'enableRestoreServerGroup',
      saved,
      "stage 'Rollback': rollbackContext restores hello-prod-v002 and rolls it back too; restoreServerGroupName must be another server group of the cluster",
    ],
    ['an account without a deploy target', {}, 'enableRestoreServerGroup', saved, "stage 'Rollback': no deploy target serves account 'local'; check credentials, or configure the account"],
  ])('fails with %s', async (_case, fields, task, stage, message) => {
    expect(await runRollbackServerGroupTask(input(fields, task, stage), deps, noTaskDeps, 10)).toEqual({ kind: 'failed', message });
  });

  it('fails the disable step when the enable step never planned the rollback', async () => {
    const withTarget: DeployTaskDeps = { ...deps, targets: () => createMemoryTarget() };
    expect(await runRollbackServerGroupTask(input({}, 'disableRollbackServerGroup'), withTarget, noTaskDeps, 10)).toMatchObject({
      kind: 'failed',
      message: "stage 'Rollback': step 'disableRollbackServerGroup' ran before the stage was planned; restart the stage",
    });
  });
});
