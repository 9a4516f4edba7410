// The trigger router and cron schedules on AWS, in-process: AWS's sample events matched by the
// same core/triggers code as local mode, each start through the service's concurrency gate,
// duplicate deliveries starting nothing new; cron triggers saved as Scheduler schedules.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCloud, TRIGGER_ROUTER_ARN, type Cloud } from '../support/aws-cloud.ts';

function fixture(name: string): Record<string, unknown> & { detail: Record<string, unknown> } {
  return JSON.parse(readFileSync(new URL(`../fixtures/aws-events/${name}`, import.meta.url), 'utf8'));
}

function pipeline(name: string, triggers: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { application: 'shop', name, triggers, stages: [{ refId: '1', type: 'wait', name: 'Pause', waitTime: 0 }], ...extra };
}

describe('trigger router and cron schedules', () => {
  let cloud: Cloud;
  beforeAll(async () => {
    cloud = await startCloud();
  });
  afterAll(async () => {
    await cloud?.close();
  });

  const executionsOf = async (pipelineId: string) => (await cloud.call('GET', `/applications/shop/pipelines`)).json.filter((e: { pipelineConfigId: string }) => e.pipelineConfigId === pipelineId);

  it('starts docker triggers on an ECR push: repository equal, tag a full regex match, once per image', async () => {
    // given
    const exact = (await cloud.call('POST', '/pipelines', pipeline('On release tags', [{ type: 'docker', repository: 'my-repository-name', tag: 'v\\d+' }]))).json.id;
    const blank = (await cloud.call('POST', '/pipelines', pipeline('On any tag', [{ type: 'docker', repository: 'my-repository-name' }]))).json.id;
    const push = fixture('ecr-image-push.json');
    const release = { ...push, id: 'evt-2', detail: { ...push.detail, 'image-tag': 'v42', 'image-digest': 'sha256:0042' } };

    // when
    const latest = await cloud.route(push);
    const first = await cloud.route(release);
    const redelivered = await cloud.route(release);
    await cloud.settled();

    // then: `latest` starts neither (blank tag = any tag but latest); v42 starts both, once
    expect(latest.started).toEqual([]);
    expect(first.started.map((s) => [s.pipelineConfigId, s.duplicate]).sort()).toEqual([[blank, false], [exact, false]].sort());
    expect(redelivered.started.map((s) => s.duplicate)).toEqual([true, true]);
    expect(redelivered.started.map((s) => s.executionId).sort()).toEqual(first.started.map((s) => s.executionId).sort());
    const runs = await executionsOf(exact);
    expect(runs).toHaveLength(1);
    expect((await cloud.call('GET', `/pipelines/${runs[0].id}`)).json).toMatchObject({
      status: 'SUCCEEDED',
      trigger: { type: 'docker', repository: 'my-repository-name', tag: 'v42', registry: '123456789012.dkr.ecr.us-west-2.amazonaws.com' },
    });
  });

  it('starts git triggers with source codecommit on a branch full match, for created and updated references', async () => {
    // given
    const id = (await cloud.call('POST', '/pipelines', pipeline('On CodeCommit', [{ type: 'git', source: 'codecommit', project: '123456789012', slug: 'MyDemoRepo', branch: 'release-.*|myBranch' }]))).json.id;
    const other = (await cloud.call('POST', '/pipelines', pipeline('Only main', [{ type: 'git', source: 'codecommit', project: '123456789012', slug: 'MyDemoRepo', branch: 'main' }]))).json.id;

    // when
    const updated = await cloud.route(fixture('codecommit-reference-updated.json'));
    const created = await cloud.route(fixture('codecommit-reference-created.json'));
    const partial = await cloud.route({ ...fixture('codecommit-reference-created.json'), detail: { ...fixture('codecommit-reference-created.json').detail, referenceName: 'release-1.2-hotfix/x', commitId: 'abc' } });
    const tag = await cloud.route({ ...fixture('codecommit-reference-created.json'), detail: { ...fixture('codecommit-reference-created.json').detail, referenceType: 'tag' } });
    await cloud.settled();

    // then
    expect(updated.started.map((s) => s.pipelineConfigId)).toEqual([id]);
    expect(created.started.map((s) => s.pipelineConfigId)).toEqual([id]);
    expect(partial.started.map((s) => s.pipelineConfigId)).toEqual([id]); // 'release-.*' matches the whole 'release-1.2-hotfix/x'
    expect(tag).toMatchObject({ event: 'ignored: CodeCommit tag release-1.2', started: [] });
    expect(await executionsOf(other)).toEqual([]);
    const run = (await executionsOf(id)).find((e: { trigger: { hash: string } }) => e.trigger.hash === '7f0103fMERGE');
    expect(run.trigger).toMatchObject({ type: 'git', source: 'codecommit', slug: 'MyDemoRepo', branch: 'myBranch' });
  });

  it('keeps one Scheduler schedule per cron trigger in step with the saved pipeline, and starts on its invocation once', async () => {
    // given: a pipeline with a Quartz cron trigger
    const saved = await cloud.call('POST', '/pipelines', pipeline('Nightly', [{ type: 'cron', cronExpression: '0 30 2 ? * MON-FRI' }]));
    const id: string = saved.json.id;
    const name = `${id}-cron-0`;

    // then: its schedule invokes the trigger router with EventBridge's cron form
    expect([...cloud.scheduler.schedules.values()]).toEqual([
      expect.objectContaining({ name, group: 'gennaker', expression: 'cron(30 2 ? * 2-6 *)', timezone: 'UTC', targetArn: TRIGGER_ROUTER_ARN }),
    ]);

    // when: the schedule fires (twice: Scheduler may deliver again)
    const fired = cloud.scheduler.fire(name, '2026-03-02T02:30:00Z');
    const first = await cloud.route(fired);
    const again = await cloud.route(fired);
    const early = await cloud.route(cloud.scheduler.fire(name, '2026-03-02T02:31:00Z'));
    await cloud.settled();

    // then
    expect(first.started).toEqual([expect.objectContaining({ pipelineConfigId: id, duplicate: false })]);
    expect(again.started).toEqual([expect.objectContaining({ executionId: first.started[0]!.executionId, duplicate: true })]);
    expect(early.started).toEqual([]);
    const run = (await cloud.call('GET', `/pipelines/${first.started[0]!.executionId}`)).json;
    expect(run.trigger).toMatchObject({ type: 'cron', cronExpression: '0 30 2 ? * MON-FRI', fireTime: Date.parse('2026-03-02T02:30:00Z') });

    // when: the trigger is removed
    await cloud.call('POST', '/pipelines', { ...pipeline('Nightly', []), id });

    // then
    expect(cloud.scheduler.schedules.size).toBe(0);
    expect((await cloud.route(fired)).event).toMatch(/^ignored: cron trigger 0 of .* is not due/);
  });

  it("deletes a deleted pipeline's schedules, and its router ignores a firing already on its way", async () => {
    // given
    const saved = await cloud.call('POST', '/pipelines', pipeline('Hourly', [{ type: 'cron', cronExpression: '0 0 * ? * *' }, { type: 'cron', cronExpression: '0 30 * ? * *' }]));
    const id = saved.json.id as string;
    expect([...cloud.scheduler.schedules.values()].map((schedule) => schedule.name).sort()).toEqual([`${id}-cron-0`, `${id}-cron-1`]);
    const fired = cloud.scheduler.fire(`${id}-cron-0`, '2026-03-02T03:00:00Z');

    // when
    const deleted = await cloud.call('DELETE', '/pipelines/shop/Hourly');

    // then
    expect(deleted.json).toEqual({ deleted: true, application: 'shop', name: 'Hourly', id });
    expect([...cloud.scheduler.schedules.values()].filter((schedule) => schedule.name.startsWith(id))).toEqual([]);
    expect((await cloud.route(fired)).started ?? []).toEqual([]);
  });

  it('refuses to save a cron trigger EventBridge cannot express, naming the field and the fix', async () => {
    const saved = await cloud.call('POST', '/pipelines', pipeline('Every 10 s', [{ type: 'cron', cronExpression: '*/10 * * * * ?' }]));
    expect(saved.status).toBe(400);
    expect(saved.json.issues).toEqual([
      expect.objectContaining({ pointer: '/triggers/0/cronExpression', code: 'cron', message: expect.stringMatching(/EventBridge schedules fire on whole minutes, so set the seconds field to 0/) }),
    ]);
    expect((await cloud.call('GET', '/applications/shop/pipelineConfigs/Every 10 s')).status).toBe(404);
  });

  it("refuses a cron EventBridge cannot express that a templated pipeline inherits, and schedules the one it can", async () => {
    // given: a template with a cron trigger
    const template = (id: string, cronExpression: string) => ({ schema: 'v2', id, variables: [], pipeline: { triggers: [{ type: 'cron', cronExpression }], stages: [{ refId: '1', type: 'wait', name: 'Pause', waitTime: 0 }] } });
    const templated = (name: string, id: string) => ({ schema: 'v2', type: 'templatedPipeline', application: 'shop', name, template: { artifactAccount: 'front50ArtifactCredentials', type: 'front50/pipelineTemplate', reference: `spinnaker://${id}` }, variables: {} });
    expect((await cloud.call('POST', '/v2/pipelineTemplates', template('every-ten-seconds', '*/10 * * * * ?'))).status).toBe(200);
    expect((await cloud.call('POST', '/v2/pipelineTemplates', template('nightly', '0 30 2 ? * MON-FRI'))).status).toBe(200);

    // when
    const refused = await cloud.call('POST', '/pipelines', templated('Templated every 10 s', 'every-ten-seconds'));
    const saved = await cloud.call('POST', '/pipelines', templated('Templated nightly', 'nightly'));

    // then
    expect(refused.status).toBe(400);
    expect(refused.json.issues).toEqual([expect.objectContaining({ pointer: '/rendered/triggers/0/cronExpression', code: 'cron' })]);
    expect(saved.status).toBe(200);
    expect([...cloud.scheduler.schedules.values()].find((schedule) => schedule.name === `${saved.json.id}-cron-0`)).toMatchObject({ expression: 'cron(30 2 ? * 2-6 *)' });
  });

  it('starts pipeline triggers when an execution completes (Pipeline Execution Completed on the bus)', async () => {
    // given
    const upstream = (await cloud.call('POST', '/pipelines', pipeline('Upstream', []))).json.id;
    const downstream = (await cloud.call('POST', '/pipelines', pipeline('Downstream', [{ type: 'pipeline', application: 'shop', pipeline: upstream, status: ['successful'] }]))).json.id;

    // when
    await cloud.call('POST', '/pipelines/shop/Upstream', {});
    await cloud.settled();

    // then
    const runs = await executionsOf(downstream);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'SUCCEEDED', trigger: { type: 'pipeline', parentPipelineId: upstream } });
  });

  it('starts amazon pubsub triggers on an SQS delivery of an SNS message, binding the artifacts it carries, once per message', async () => {
    // given: a pipeline on the queue 'builds' that wants PUSH messages and binds the image they carry
    const image = { type: 'docker/image', name: '123456789012.dkr.ecr.us-west-2.amazonaws.com/app', version: 'v9', reference: '123456789012.dkr.ecr.us-west-2.amazonaws.com/app:v9' };
    const id = (
      await cloud.call(
        'POST',
        '/pipelines',
        pipeline('On build messages', [{ type: 'pubsub', pubsubSystem: 'amazon', subscriptionName: 'builds', attributeConstraints: { eventType: '^PUSH$' }, payloadConstraints: { 'repository': 'app' }, expectedArtifactIds: ['img'] }], {
          expectedArtifacts: [{ id: 'img', matchArtifact: { type: 'docker/image', name: '.*/app' } }],
        }),
      )
    ).json.id;
    const record = (messageId: string, eventType: string, raw = false) => {
      const message = JSON.stringify({ repository: 'app', artifacts: [image] });
      const body = raw ? message : JSON.stringify({ Type: 'Notification', MessageId: messageId, TopicArn: 'arn:aws:sns:us-west-2:123456789012:builds', Message: message, MessageAttributes: { eventType: { Type: 'String', Value: eventType } } });
      return {
        messageId: `sqs-${messageId}`,
        receiptHandle: 'handle',
        body,
        attributes: { ApproximateReceiveCount: '1' },
        messageAttributes: raw ? { eventType: { stringValue: eventType, dataType: 'String' } } : {},
        md5OfBody: 'x',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-west-2:123456789012:builds',
        awsRegion: 'us-west-2',
      };
    };

    // when
    const first = await cloud.route({ Records: [record('m-1', 'PUSH'), record('m-2', 'DELETE')] });
    const redelivered = await cloud.route({ Records: [record('m-1', 'PUSH')] });
    const raw = await cloud.route({ Records: [record('m-3', 'PUSH', true)] });
    await cloud.settled();

    // then: m-1 and the raw m-3 start it; the DELETE message does not; m-1 twice starts once
    expect(first.started.map((s) => [s.pipelineConfigId, s.duplicate])).toEqual([[id, false]]);
    expect(redelivered.started.map((s) => [s.executionId, s.duplicate])).toEqual([[first.started[0]!.executionId, true]]);
    expect(raw.started.map((s) => s.duplicate)).toEqual([false]);
    const run = (await cloud.call('GET', `/pipelines/${first.started[0]!.executionId}`)).json;
    expect(run).toMatchObject({
      status: 'SUCCEEDED',
      trigger: { type: 'pubsub', pubsubSystem: 'amazon', subscriptionName: 'builds', messageId: 'm-1', messageAttributes: { eventType: 'PUSH' }, payload: { repository: 'app' } },
    });
    expect(run.trigger.resolvedExpectedArtifacts).toEqual([expect.objectContaining({ id: 'img', boundArtifact: image })]);
  });

  it('ignores events it does not handle, saying what they were', async () => {
    expect(await cloud.route({ source: 'aws.s3', 'detail-type': 'Object Created' })).toEqual({ event: "ignored: an event the trigger router does not handle (source 'aws.s3', detail-type 'Object Created')", started: [], refused: [] });
    const deleted = { ...fixture('ecr-image-push.json'), detail: { ...fixture('ecr-image-push.json').detail, 'action-type': 'DELETE' } };
    expect((await cloud.route(deleted)).event).toBe('ignored: ECR DELETE SUCCESS');
  });
});
