/**
 * Golden ASL: representative pipelines compile to exactly the JSON in test/fixtures/asl/.
 * A change to the emitted ASL shows up here as a whole-file diff to review; regenerate with
 * `UPDATE_GOLDEN=1 npx vitest run test/unit/statemachines/golden.test.ts`. Generated ASL is
 * never edited by hand.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compilePipeline } from '../../../statemachines/index.ts';
import { validateAsl } from '../../support/asl.ts';
import { callback, poll, run, testPipeline, type BuiltPipeline } from '../../support/pipeline-builder.ts';

const fixtures = resolve(dirname(fileURLToPath(import.meta.url)), '../../fixtures/asl');
const update = process.env.UPDATE_GOLDEN === '1';

const deploySteps = [run('createServerGroup'), poll('waitForUpInstances', 40), poll('disableCluster'), poll('scaleDownCluster')];

/** The pipelines, by golden file name. */
export const GOLDEN_PIPELINES: Record<string, BuiltPipeline> = {
  'empty': testPipeline([], { name: 'Empty' }),
  'single-stage': testPipeline([{ refId: '1', name: 'Evaluate variables' }], { name: 'Single stage' }),
  'chain': testPipeline(
    [
      { refId: '1', name: 'Bake', type: 'bake', steps: [run('createBake'), poll('monitorBake', 60)] },
      { refId: '2', name: 'Find image', type: 'findImage', requisiteStageRefIds: ['1'] },
      { refId: '3', name: 'Notify', requisiteStageRefIds: ['2'] },
    ],
    { name: 'Chain' },
  ),
  'diamond': testPipeline(
    [
      { refId: '1', name: 'Build' },
      { refId: '2', name: 'Test east', requisiteStageRefIds: ['1'] },
      { refId: '3', name: 'Test west', requisiteStageRefIds: ['1'] },
      { refId: '4', name: 'Release', requisiteStageRefIds: ['2', '3'] },
    ],
    { name: 'Fan-out, fan-in' },
  ),
  'nested-fork': testPipeline(
    [
      { refId: '1', name: 'Start' },
      { refId: '2', name: 'Prepare east', requisiteStageRefIds: ['1'] },
      { refId: '3', name: 'East a', requisiteStageRefIds: ['2'] },
      { refId: '4', name: 'East b', requisiteStageRefIds: ['2'] },
      { refId: '5', name: 'East done', requisiteStageRefIds: ['3', '4'] },
      { refId: '6', name: 'West', requisiteStageRefIds: ['1'] },
      { refId: '7', name: 'Finish', requisiteStageRefIds: ['5', '6'] },
    ],
    { name: 'Nested fork' },
  ),
  'n-graph': testPipeline(
    [
      { refId: '1', name: 'Build app' },
      { refId: '2', name: 'Build infra' },
      { refId: '3', name: 'Deploy app', requisiteStageRefIds: ['1', '2'] },
      { refId: '4', name: 'Deploy infra', requisiteStageRefIds: ['2'] },
    ],
    { name: 'Not series-parallel' },
  ),
  'manual-judgment': testPipeline(
    [
      { refId: '1', name: 'Deploy to staging', type: 'deploy', steps: deploySteps },
      { refId: '2', name: 'Promote to prod?', type: 'manualJudgment', requisiteStageRefIds: ['1'], steps: [callback('manualJudgment', 3600)] },
      { refId: '3', name: 'Deploy to prod', type: 'deploy', requisiteStageRefIds: ['2'], steps: deploySteps },
    ],
    { name: 'Manual judgment' },
  ),
  'poll-stage': testPipeline([{ refId: '1', name: 'Wait 5 minutes', type: 'wait', steps: [poll('wait', 11)] }], { name: 'Wait' }),
  'execution-window': testPipeline(
    [{ refId: '1', name: 'Deploy in office hours', type: 'deploy', executionWindow: true, steps: [run('createServerGroup')] }],
    { name: 'Execution window' },
  ),
  'deploy-in-branches': testPipeline(
    [
      { refId: '1', name: 'Bake', type: 'bake', steps: [run('createBake'), poll('monitorBake', 60)] },
      { refId: '2', name: 'Deploy us-east-1', type: 'deploy', requisiteStageRefIds: ['1'], steps: deploySteps, failurePolicy: 'halt-branch' },
      { refId: '3', name: 'Deploy eu-west-1', type: 'deploy', requisiteStageRefIds: ['1'], steps: deploySteps, failurePolicy: 'halt-branch-fail-pipeline' },
    ],
    { name: 'Deploy in two regions' },
  ),
  'legacy-order': testPipeline(
    [
      { refId: '0', name: 'First' },
      { refId: '1', name: 'Second' },
      { refId: '2', name: 'Third' },
    ],
    { name: 'Legacy order', legacyOrder: true },
  ),
};

describe('golden ASL', () => {
  it.each(Object.keys(GOLDEN_PIPELINES))('%s compiles to its golden file', (name) => {
    // given
    const { pipeline, planStage } = GOLDEN_PIPELINES[name]!;
    const path = join(fixtures, `${name}.json`);

    // when
    const { json, definition, issues } = compilePipeline(pipeline, { planStage });
    const pretty = JSON.stringify(definition, null, 2);

    // then
    expect(issues).toEqual([]);
    expect(validateAsl(definition)).toEqual([]);
    expect(JSON.parse(json)).toEqual(definition);
    if (update) writeFileSync(path, `${pretty}\n`);
    expect(`${pretty}\n`).toBe(readFileSync(path, 'utf8'));
  });

  it('reports the ordering edge added to the N graph', () => {
    const { pipeline, planStage } = GOLDEN_PIPELINES['n-graph']!;
    const { report } = compilePipeline(pipeline, { planStage });
    expect(report.addedOrderingEdges).toEqual([{ from: '1', to: '4' }]);
    expect(report.orderingMethod).toBe('exact');
  });
});
