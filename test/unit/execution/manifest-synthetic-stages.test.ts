/**
 * A deployManifest with traffic management shows Orca's disableManifest and deleteManifest
 * after-stages, read from the actions the stage saved: done ones SUCCEEDED, the one in progress
 * with the stage's status, later ones NOT_STARTED.
 */
import { describe, expect, it } from 'vitest';
import { syntheticStagesOf } from '../../../core/execution/synthetic-stages.ts';
import type { StageRecord } from '../../../core/ports/execution-store.ts';

const ref = (name: string) => ({ kind: 'ReplicaSet', name, namespace: 'prod', apiVersion: 'apps/v1' });
const record = (status: StageRecord['status'], old: Record<string, unknown> | undefined): StageRecord => ({
  id: 's1',
  refId: '1',
  type: 'deployManifest',
  name: 'Deploy',
  requisiteStageRefIds: [],
  status,
  context: { account: 'k8s' },
  outputs: {},
  runtime: old ? { deployManifest: { old } } : {},
  awaitingCallback: false,
  revision: 3,
  lastModified: 10,
});

describe('deployManifest synthetic stages', () => {
  it('lists each action with its status while the stage runs', () => {
    const stages = syntheticStagesOf(record('RUNNING', { disable: [ref('web-v000'), ref('web-v001')], delete: [ref('web-v000'), ref('web-v001')], done: ['prod/ReplicaSet/web-v000', 'prod/ReplicaSet/web-v001'], deleted: ['prod/ReplicaSet/web-v000'] }));
    expect(stages.map((stage) => [stage.type, stage.context['manifestName'], stage.status])).toEqual([
      ['disableManifest', 'replicaSet web-v000', 'SUCCEEDED'],
      ['disableManifest', 'replicaSet web-v001', 'SUCCEEDED'],
      ['deleteManifest', 'replicaSet web-v000', 'SUCCEEDED'],
      ['deleteManifest', 'replicaSet web-v001', 'RUNNING'],
    ]);
    expect(stages[0]).toMatchObject({ parentStageId: 's1', syntheticStageOwner: 'STAGE_AFTER', refId: '1>deployManifest.1', context: { account: 'k8s', cloudProvider: 'kubernetes', location: 'prod' } });
  });

  it('marks the action a failed stage stopped at, and those after it not started', () => {
    const stages = syntheticStagesOf(record('TERMINAL', { disable: [ref('a'), ref('b')], delete: [], done: [], deleted: [] }));
    expect(stages.map((stage) => stage.status)).toEqual(['TERMINAL', 'NOT_STARTED']);
  });

  it('has none before the stage planned its actions', () => {
    expect(syntheticStagesOf(record('RUNNING', undefined))).toEqual([]);
  });
});
