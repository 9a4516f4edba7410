/**
 * `cloneServerGroup` for real on the local target: a pipeline deploys a server group, then clones
 * it with red/black (real processes behind the real load balancer, executions in dynalite), with
 * every Task delivered twice at once, as Step Functions may. The clone runs the source's baked
 * artifact and environment with the stage's override, takes the source's capacity, the source is
 * disabled once the clone is healthy, a later stage reads the source from the clone's context as
 * a real pipeline does, and the twice-delivered create makes one server group.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../core/ports/execution-store.ts';
import { startDeployRig, type DeployRig } from '../support/deploy-rig.ts';
import type { Finished } from '../support/local-run.ts';
import { sampleServiceArtifact } from '../support/local-target.ts';

let rig: DeployRig;

beforeAll(async () => {
  rig = await startDeployRig({ deliverTwice: true });
});

afterAll(async () => {
  expect(await rig?.dispose()).toEqual([]);
});

const cluster = (name: string) => ({ account: 'local', location: 'local', cluster: name });

/** The versions the cluster's load balancer answers with. */
async function versionsServed(name: string, requests = 8): Promise<Set<string>> {
  const endpoint = (await rig.local.target.describeCluster(cluster(name))).endpoint!;
  const versions = new Set<string>();
  for (let index = 0; index < requests; index++) versions.add(((await (await fetch(`${endpoint}/`)).json()) as { version: string }).version);
  return versions;
}

function errorOf(finished: Finished, refId: string): string {
  const stage = finished.execution.stages.find((candidate) => candidate.refId === refId);
  const exception = stage?.context.exception as { details?: { error?: string } } | undefined;
  return exception?.details?.error ?? '';
}

/** Deck's clone stage for the local account (its shape for GCE, with the local account and region). */
function cloneStage(application: string, fields: JsonObject = {}): JsonObject {
  return {
    refId: '2',
    requisiteStageRefIds: ['1'],
    type: 'cloneServerGroup',
    name: 'Clone Server Group',
    application,
    cloudProvider: 'local',
    credentials: 'local',
    disableTraffic: false,
    freeFormDetails: '',
    moniker: { app: application, cluster: `${application}-prod` },
    region: 'local',
    stack: 'prod',
    target: 'current_asg_dynamic',
    targetCluster: `${application}-prod`,
    useSourceCapacity: true,
    strategy: 'redblack',
    waitForHealthyTimeoutSec: 30,
    ...fields,
  };
}

describe('cloneServerGroup on the local target', () => {
  it('clones the deployed server group with red/black: source artifact and capacity, the override applied, one server group though delivered twice', { timeout: 90_000 }, async () => {
    // given a pipeline that deploys v000, clones it with one env override, then reads the clone's source
    const deploy = {
      refId: '1',
      requisiteStageRefIds: [],
      type: 'deploy',
      name: 'Deploy',
      clusters: [
        {
          account: 'local',
          application: 'cloned',
          stack: 'prod',
          availabilityZones: { local: [] },
          capacity: { min: 2, max: 2, desired: 2 },
          artifact: sampleServiceArtifact('1.0.0'),
          env: { VERSION: 'source', SEED: 'clone-test' },
          command: ['node', 'server.js'],
          healthCheck: { path: '/health', intervalMs: 100 },
        },
      ],
    };
    const read = {
      refId: '3',
      requisiteStageRefIds: ['2'],
      type: 'evaluateVariables',
      name: 'Read Source',
      variables: [{ key: 'cloned', value: "${#stage('Clone Server Group')['context']['source']['serverGroupName']}" }],
    };
    // when
    const finished = await rig.run.run({ id: 'clone-1', application: 'cloned', name: 'clone-1', stages: [deploy, cloneStage('cloned', { env: { VERSION: 'clone' } }), read] });
    // then every stage succeeded and the source is disabled, the clone serves at the source's capacity
    expect(finished.statuses).toEqual({ '1': 'SUCCEEDED', '2': 'SUCCEEDED', '3': 'SUCCEEDED' });
    const described = await rig.local.target.describeCluster(cluster('cloned-prod'));
    expect(described.serverGroups.map((group) => `${group.name} ${group.disabled ? 'disabled' : 'enabled'} ${group.instances.length}`)).toEqual([
      'cloned-prod-v000 disabled 2',
      'cloned-prod-v001 enabled 2',
    ]);
    const [source, clone] = described.serverGroups;
    expect(clone!.artifact?.version).toBe(source!.artifact?.version);
    expect(clone!.launchConfig).toEqual({ command: ['node', 'server.js'], healthCheck: source!.launchConfig?.healthCheck });
    expect(await versionsServed('cloned-prod')).toEqual(new Set(['clone']));
    // its processes have the source's environment, the stage's key replacing the source's
    const instances = rig.local.target.processes().filter((process) => process.serverGroup === 'cloned-prod-v001');
    expect(instances).toHaveLength(2);
    for (const instance of instances) {
      const environment = readFileSync(`/proc/${instance.pid}/environ`, 'utf8').split('\0');
      expect(environment).toEqual(expect.arrayContaining(['VERSION=clone', 'SEED=clone-test']));
    }
    // and the clone's context names its source, as a later stage reads it
    const stage = finished.execution.stages.find((candidate) => candidate.refId === '2')!;
    expect(stage.context.source).toEqual({ account: 'local', region: 'local', asgName: 'cloned-prod-v000', serverGroupName: 'cloned-prod-v000', useSourceCapacity: true });
    expect(stage.context['deploy.server.groups']).toEqual({ local: ['cloned-prod-v001'] });
    expect(stage.context['deploy.account.name']).toBe('local');
    expect(finished.execution.stages.find((candidate) => candidate.refId === '3')!.outputs.cloned).toBe('cloned-prod-v000');
    // and each step ran once although every Task was delivered twice
    const plan = stage.runtime.clone as { steps: Array<{ task: string; step: { kind: string; serverGroup?: string }; status: string; expanded?: boolean }> };
    expect(plan.steps.map((step) => `${step.task}: ${step.step.kind}${step.step.serverGroup ? ` ${step.step.serverGroup}` : ''} ${step.status}${step.expanded ? ' (expanded)' : ''}`)).toEqual([
      'cloneServerGroup: createServerGroup cloned-prod-v001 SUCCEEDED',
      'waitForUpInstances: waitForHealthy cloned-prod-v001 SUCCEEDED',
      'disableCluster: disableCluster SUCCEEDED (expanded)',
      'disableCluster: disableServerGroup cloned-prod-v000 SUCCEEDED',
    ]);
  });

  it('fails in one line naming the cluster, account and region when there is nothing to clone, creating nothing', { timeout: 30_000 }, async () => {
    // given a clone of a cluster that has no server group
    const stage = { ...cloneStage('empty'), refId: '1', requisiteStageRefIds: [] };
    // when
    const finished = await rig.run.run({ id: 'clone-2', application: 'empty', name: 'clone-2', stages: [stage] });
    // then
    expect(finished.statuses).toEqual({ '1': 'TERMINAL' });
    expect(errorOf(finished, '1')).toBe(
      "stage 'Clone Server Group': no server group to clone in cluster 'empty-prod' of account 'local' in local: it has no server group; deploy one first, or name the source with source.serverGroupName",
    );
    expect((await rig.local.target.describeCluster(cluster('empty-prod'))).serverGroups).toEqual([]);
  });
});
