/** Docker (ECR) and pipeline-completion matching. */
import { describe, expect, it } from 'vitest';
import { matchDockerTrigger, tagMatches } from '../../../core/triggers/docker-match.ts';
import { matchPipelineTrigger, triggerStatusOf } from '../../../core/triggers/pipeline-match.ts';
import type { PipelineExecutionCompleted } from '../../../core/ports/event-bus.ts';
import type { ExecutionStatus } from '../../../core/execution/status.ts';
import { triggered } from './fixtures.ts';

const REGISTRY = '123456789012.dkr.ecr.us-west-2.amazonaws.com';

describe('docker tags', () => {
  it.each([
    [undefined, 'v1.2.3', true],
    [undefined, 'latest', false],
    ['', 'latest', false],
    ['  ', 'v1', true],
    ['latest', 'latest', true],
    ['v\\d+', 'v12', true],
    ['v\\d+', 'v12-rc1', false],
    ['v\\d+', 'xv12', false],
    ['.*', 'latest', true],
  ])('tag pattern %j and tag %j → %s', (pattern, tag, expected) => {
    expect(tagMatches(pattern, tag)).toBe(expected);
  });
});

describe('matchDockerTrigger', () => {
  const event = { account: '123456789012', registry: REGISTRY, repository: 'my-org/hello', tag: 'v2', digest: 'sha256:abc', eventId: 'eb-1' };

  it.each([
    ['repository only', { repository: 'my-org/hello' }, true],
    ['account and repository', { account: '123456789012', repository: 'my-org/hello' }, true],
    ['registry, any case', { registry: REGISTRY.toUpperCase(), repository: 'my-org/hello' }, true],
    ['another account', { account: '999', repository: 'my-org/hello' }, false],
    ['another registry', { registry: 'docker.io', repository: 'my-org/hello' }, false],
    ['another repository', { repository: 'my-org/other' }, false],
    ['a tag regex that fails', { repository: 'my-org/hello', tag: 'v1' }, false],
  ])('%s → %s', (_what, fields, expected) => {
    const pipeline = triggered([{ type: 'docker', ...fields }]);
    expect(matchDockerTrigger([pipeline], event).length === 1).toBe(expected);
  });

  it('emits a docker/image artifact and keys the start on the image digest', () => {
    const pipeline = triggered([{ type: 'docker', repository: 'my-org/hello' }]);
    const [match] = matchDockerTrigger([pipeline], event);
    const [redelivered] = matchDockerTrigger([pipeline], { ...event, eventId: 'eb-2' });
    expect(match!.trigger.artifacts).toEqual([{ type: 'docker/image', name: `${REGISTRY}/my-org/hello`, version: 'v2', reference: `${REGISTRY}/my-org/hello@sha256:abc` }]);
    expect(redelivered!.idempotencyKey).toBe(match!.idempotencyKey);
  });
});

describe('matchPipelineTrigger', () => {
  it.each<[ExecutionStatus, string]>([
    ['SUCCEEDED', 'successful'],
    ['CANCELED', 'canceled'],
    ['SUSPENDED', 'suspended'],
    ['TERMINAL', 'failed'],
    ['STOPPED', 'failed'],
    ['FAILED_CONTINUE', 'failed'],
  ])('maps %s to %s', (status, expected) => {
    expect(triggerStatusOf(status)).toBe(expected);
  });

  const completed = (status: ExecutionStatus): PipelineExecutionCompleted => ({
    type: 'Pipeline Execution Completed',
    executionId: 'exec-1',
    application: 'upstream',
    pipelineConfigId: 'up-1',
    pipelineName: 'Build',
    status,
    endTime: 1000,
  });

  it('starts the pipelines that follow the completed one with a listed status', () => {
    // given
    const onSuccess = triggered([{ type: 'pipeline', application: 'upstream', pipeline: 'up-1', status: ['successful'] }]);
    const onFailure = triggered([{ type: 'pipeline', application: 'upstream', pipeline: 'up-1', status: ['failed'] }]);
    const elsewhere = triggered([{ type: 'pipeline', application: 'upstream', pipeline: 'up-2', status: ['successful'] }]);
    const disabled = triggered([{ type: 'pipeline', application: 'upstream', pipeline: 'up-1', status: ['successful'], enabled: false }]);

    // when
    const matches = matchPipelineTrigger([onSuccess, onFailure, elsewhere, disabled], completed('SUCCEEDED'));

    // then
    expect(matches.map((match) => match.pipeline)).toEqual([onSuccess]);
    expect(matches[0]!.idempotencyKey).toBe(`pipeline:exec-1:${onSuccess.id}`);
    expect(matches[0]!.trigger).toMatchObject({ type: 'pipeline', parentExecution: { id: 'exec-1', status: 'SUCCEEDED' }, parentPipelineId: 'up-1' });
    expect(matchPipelineTrigger([onSuccess, onFailure], completed('TERMINAL')).map((match) => match.pipeline)).toEqual([onFailure]);
  });
});
