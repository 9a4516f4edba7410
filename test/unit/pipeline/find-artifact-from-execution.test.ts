/**
 * The findArtifactFromExecution stage type at save: Spinnaker's fields (`pipeline`,
 * `executionOptions`, `expectedArtifact` or `expectedArtifacts`) parse, the statuses are Orca's
 * ExecutionOptions.toCriteria, and what cannot bind anything is refused with the fix.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findArtifactStatuses } from '../../../core/pipeline/stage-types/find-artifact-from-execution.ts';
import { parsePipeline } from '../../../core/pipeline/parse.ts';
import { planStage } from '../../../core/pipeline/stage-types/index.ts';
import { CONFORMANCE_CORPUS } from '../../support/conformance.ts';
import { issuesOf, pipeline, stage } from './builders.ts';

const expected = { id: 'baseline', matchArtifact: { type: 'kubernetes/configMap', name: 'app-config' } };

describe('findArtifactFromExecution at save', () => {
  it('accepts the stage of the automated-canary conformance pipeline as written', () => {
    const document = JSON.parse(readFileSync(join(CONFORMANCE_CORPUS, 'spinnaker_spinnaker_automated-canary-1-10.json'), 'utf8'));
    const find = (document.stages as Array<Record<string, unknown>>).find((candidate) => candidate['type'] === 'findArtifactFromExecution');
    expect(issuesOf(pipeline([find]))).toEqual([]);
  });

  it.each([
    [{ successful: true }, ['SUCCEEDED']],
    [{ succeeded: true }, ['SUCCEEDED']],
    [{ successful: true, terminal: true, running: true }, ['SUCCEEDED', 'TERMINAL', 'RUNNING']],
    [{}, []],
    [undefined, []],
  ])('executionOptions %j searches %j', (options, statuses) => {
    expect(findArtifactStatuses(options)).toEqual(statuses);
  });

  it('warns that no status chosen means any status', () => {
    expect(issuesOf(pipeline([stage('findArtifactFromExecution', { pipeline: 'Deploy', expectedArtifact: expected })]))).toEqual([
      {
        pointer: '/stages/0/executionOptions',
        code: 'invalid-value',
        severity: 'warning',
        message: 'chooses no status, so the newest execution in any status is searched (a running or failed one included); set e.g. {"successful": true}',
      },
    ]);
  });

  it.each([
    [{ executionOptions: { successful: true }, expectedArtifact: expected }, '/stages/0/pipeline', 'required', "'pipeline' is required; add the pipeline whose executions to search (its id or name), e.g. 'Deploy to Production'"],
    [{ pipeline: 'Deploy', executionOptions: { successful: true } }, '/stages/0/expectedArtifact', 'required', 'names no expected artifact to bind; add expectedArtifact, e.g. {"id": "baseline-config", "matchArtifact": {"type": "kubernetes/configMap", "name": "app-config"}}'],
    [{ pipeline: 'Deploy', executionOptions: { successful: true }, expectedArtifact: { matchArtifact: {} } }, '/stages/0/expectedArtifact/id', 'required', 'has no id, so no later stage can name what it binds; add an id, e.g. "baseline-config"'],
    [{ pipeline: 'Deploy', executionOptions: { successful: true }, expectedArtifacts: [expected, expected] }, '/stages/0/expectedArtifacts/1/id', 'invalid-value', "'baseline' is used twice; give each expected artifact its own id"],
    [{ pipeline: 'Deploy', executionOptions: { successful: true }, expectedArtifacts: [{ id: 'x' }] }, '/stages/0/expectedArtifacts/0/matchArtifact', 'required', 'is missing, so nothing can match; add matchArtifact, e.g. {"type": "docker/image", "name": "gcr.io/project/app"}'],
    [{ pipeline: 'Deploy', executionOptions: { successful: 'yes' }, expectedArtifact: expected }, '/stages/0/executionOptions/successful', 'wrong-type', 'expected true or false, got "yes"'],
  ])('refuses %j', (fields, pointer, code, message) => {
    expect(issuesOf(pipeline([stage('findArtifactFromExecution', fields)]))).toContainEqual({ pointer, code, severity: 'error', message });
  });

  it('plans one task, findArtifactFromExecution', () => {
    const parsed = parsePipeline(pipeline([stage('findArtifactFromExecution', { pipeline: 'Deploy', executionOptions: { successful: true }, expectedArtifact: expected })])).pipeline;
    expect(parsed && planStage(parsed.stages[0]!)).toEqual([{ name: 'findArtifactFromExecution', kind: 'run' }]);
  });
});
