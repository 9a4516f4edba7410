/**
 * The stage runner publishes no state machine (its role may not: it runs user expressions and
 * calls user webhooks). A child pipeline whose version is live starts on the alias; one whose
 * version is not (its save's publish was deferred) is published by the publisher function, which
 * the stage runner asks for the ARN to start on. In-process: the API, stage runner, publisher and
 * reconciler handlers on dynalite and the Step Functions fake.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCloud, type Cloud } from '../support/aws-cloud.ts';

const MACHINES = 'arn:aws:states:us-east-1:123456789012:stateMachine:';

const child = (stageName: string) => ({
  application: 'shop',
  name: 'Child',
  stages: [{ refId: '1', requisiteStageRefIds: [], type: 'wait', name: stageName, waitTime: 0 }],
});

describe('child pipelines started by the stage runner on AWS', () => {
  let cloud: Cloud;
  beforeAll(async () => {
    cloud = await startCloud();
  });
  afterAll(async () => {
    await cloud?.close();
  });

  it('run a version the save could not publish, published by the publisher the stage runner asks', async () => {
    // given: Child v1 saved and published; v2 saved without its publish (as when the control plane stayed throttled)
    const saved = await cloud.call('POST', '/pipelines', child('Warm up'));
    expect(saved.status).toBe(200);
    const childId: string = saved.json.id;
    const v2 = await cloud.apiRuntime.store.savePipelineConfig({ id: childId, application: 'shop', name: 'Child', config: { ...child('Warm up again'), id: childId } as never });
    expect(v2).toMatchObject({ ok: true, saved: { version: 2 } });
    const parent = await cloud.call('POST', '/pipelines', {
      application: 'shop',
      name: 'Parent',
      stages: [{ refId: '1', requisiteStageRefIds: [], type: 'pipeline', name: 'Run child', application: 'shop', pipeline: childId, waitForCompletion: true }],
    });
    expect(parent.status).toBe(200);
    const machine = `${MACHINES}gennaker-${childId}`;
    const createsBefore = cloud.sfn.calls.filter((call) => call.command === 'UpdateStateMachine').length;

    // when
    const started = await cloud.call('POST', '/pipelines/shop/Parent', {});
    expect(started.status).toBe(202);
    const parentId = String(started.json.ref).split('/').pop()!;
    await cloud.settled();

    // then: the stage runner asked the publisher, which published v2 behind the alias the child ran on
    const shown = await cloud.call('GET', `/pipelines/${parentId}`);
    expect(shown.json).toMatchObject({ status: 'SUCCEEDED' });
    const childExecution = shown.json.stages[0].context.executionId as string;
    expect(cloud.runnerAsked).toEqual([{ pipelineConfigId: childId, version: 2, start: true }]);
    expect(cloud.sfn.execution(childExecution)).toMatchObject({ status: 'SUCCEEDED', startedOn: `${machine}:live` });
    expect(cloud.sfn.stateMachine(machine)!.aliases.get('live')!.description).toBe('v2 of shop/Child');
    expect(cloud.sfn.calls.filter((call) => call.command === 'UpdateStateMachine').length).toBe(createsBefore + 1);
    expect((await cloud.call('GET', `/pipelines/${childExecution}`)).json.stages.map((stage: { name: string }) => stage.name)).toEqual(['Warm up again']);
  });

  it('start a live version on its alias without asking the publisher', async () => {
    // given
    const saved = await cloud.call('POST', '/pipelines', { ...child('Live'), name: 'LiveChild' });
    const childId: string = saved.json.id;
    await cloud.call('POST', '/pipelines', {
      application: 'shop',
      name: 'LiveParent',
      stages: [{ refId: '1', requisiteStageRefIds: [], type: 'pipeline', name: 'Run child', application: 'shop', pipeline: childId, waitForCompletion: true }],
    });
    const asked = cloud.runnerAsked.length;

    // when
    const started = await cloud.call('POST', '/pipelines/shop/LiveParent', {});
    await cloud.settled();

    // then
    const shown = await cloud.call('GET', `/pipelines/${String(started.json.ref).split('/').pop()}`);
    expect(shown.json).toMatchObject({ status: 'SUCCEEDED' });
    expect(cloud.runnerAsked.length).toBe(asked);
  });

  it("refuses to publish from the stage runner's own engine, naming who publishes", async () => {
    await expect(cloud.runnerRuntime.engine.publish({ pipelineConfigId: 'p', application: 'shop', name: 'P', version: 1, definition: '{}' })).rejects.toThrow(
      'this function does not publish state machines (v1 of pipeline p): the API and the publisher function do',
    );
    await expect(cloud.runnerRuntime.engine.publishNow({ pipelineConfigId: 'p', application: 'shop', name: 'P', version: 1, definition: '{}' })).rejects.toThrow('this function does not publish state machines');
  });
});
