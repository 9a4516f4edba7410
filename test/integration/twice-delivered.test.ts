/**
 * At-least-once delivery on the real local target: every Task of a pipeline is delivered twice
 * at the same time (Step Functions may, and a Lambda retried after a timeout does), and the
 * result is what one delivery gives: one job run, one new server group per deploy, the old one
 * disabled once, and the cluster in the same end state.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalJobRunner, type LocalJobRunner } from '../../adapters/jobs/local-job-runner.ts';
import { createLocalTargetPorts } from '../../adapters/targets/local/local-ports.ts';
import { createDynamoDbExecutionStore } from '../../adapters/dynamodb/dynamodb-execution-store.ts';
import { startDynalite, type Dynalite } from '../support/dynalite.ts';
import { createLocalRun, type LocalRun } from '../support/local-run.ts';
import { sampleServiceArtifact, startTestLocalTarget, type TestLocalTarget } from '../support/local-target.ts';

let dynalite: Dynalite;
let local: TestLocalTarget;
let jobs: LocalJobRunner;
let run: LocalRun;
const scratch = mkdtempSync(join(tmpdir(), 'gennaker-twice-'));
const counterFile = join(scratch, 'job-runs.txt');

beforeAll(async () => {
  dynalite = await startDynalite();
  let now = 0;
  const store = createDynamoDbExecutionStore({ client: dynalite.client, tableName: dynalite.tableName, clock: { now: () => (now += 1) } });
  local = await startTestLocalTarget();
  const ports = createLocalTargetPorts(local.target);
  jobs = createLocalJobRunner({ dir: join(scratch, 'jobs'), baseEnv: { PATH: process.env.PATH ?? '' } });
  run = createLocalRun({ store, targets: ({ account }) => (account === 'local' ? ports : undefined), jobs, waitOverrideMs: 50, deliverTwice: true });
});

afterAll(async () => {
  await jobs?.cancelAll();
  expect(await local?.dispose()).toEqual([]);
  await dynalite?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const cluster = (version: string) => ({
  account: 'local',
  application: 'twice',
  stack: 'prod',
  availabilityZones: { local: [] },
  capacity: { min: 2, max: 2, desired: 2 },
  strategy: 'redblack',
  maxRemainingAsgs: 3,
  artifact: sampleServiceArtifact(version),
  healthCheck: { path: '/health', intervalMs: 100 },
  waitForHealthyTimeoutSec: 30,
});

describe('every Task delivered twice at once', () => {
  it('runs the job once and makes one server group per deploy, with one traffic switch', { timeout: 120_000 }, async () => {
    // given / when: a job that counts its runs, then two red/black deploys
    const job = {
      refId: '1',
      requisiteStageRefIds: [],
      type: 'runJob',
      name: 'Count',
      cloudProvider: 'local',
      command: ['node', '-e', `require('fs').appendFileSync(${JSON.stringify(counterFile)}, 'ran\\n')`],
    };
    const first = await run.run({ id: 'twice-1', application: 'twice', name: 'twice-1', stages: [job, { refId: '2', requisiteStageRefIds: ['1'], type: 'deploy', name: 'Deploy', clusters: [cluster('1.0.0')] }] });
    const second = await run.run({ id: 'twice-2', application: 'twice', name: 'twice-2', stages: [{ refId: '1', requisiteStageRefIds: [], type: 'deploy', name: 'Deploy', clusters: [cluster('2.0.0')] }] });
    // then
    expect(first.statuses).toEqual({ '1': 'SUCCEEDED', '2': 'SUCCEEDED' });
    expect(second.statuses).toEqual({ '1': 'SUCCEEDED' });
    expect(readFileSync(counterFile, 'utf8')).toBe('ran\n');
    const described = await local.target.describeCluster({ account: 'local', location: 'local', cluster: 'twice-prod' });
    expect(described.serverGroups.map((group) => `${group.name} ${group.disabled ? 'disabled' : 'enabled'} ${group.instances.length}`)).toEqual(['twice-prod-v000 disabled 2', 'twice-prod-v001 enabled 2']);
    // the plan shows each step done once: one create, one disable of the old server group
    const plan = second.execution.stages[0]!.runtime['deploy:cluster0'] as { steps: Array<{ step: { kind: string; serverGroup?: string }; status: string; expanded?: boolean }> };
    expect(plan.steps.map((step) => `${step.step.kind}${step.step.serverGroup ? ` ${step.step.serverGroup}` : ''} ${step.status}${step.expanded ? ' (expanded)' : ''}`)).toEqual([
      'createServerGroup twice-prod-v001 SUCCEEDED',
      'waitForHealthy twice-prod-v001 SUCCEEDED',
      'shrinkCluster SUCCEEDED (expanded)',
      'disableCluster SUCCEEDED (expanded)',
      'disableServerGroup twice-prod-v000 SUCCEEDED',
    ]);
  });
});
