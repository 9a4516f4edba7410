/**
 * Every real Spinnaker pipeline in shared/conformance either compiles to valid ASL or is
 * refused with a clear "not supported yet" issue — never a crash, never a silent stub.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePipeline, readPipelineDocument } from '../../core/pipeline/parse.ts';
import { compilePipeline } from '../../statemachines/index.ts';
import { validateAsl } from '../support/asl.ts';
import { CONFORMANCE_CORPUS } from '../support/conformance.ts';

const corpus = CONFORMANCE_CORPUS;
const files = readdirSync(corpus).filter((file) => file.endsWith('.json')).sort();

const cases = files.flatMap((file) => {
  const { pipelines, issues } = readPipelineDocument(readFileSync(join(corpus, file), 'utf8'));
  expect(issues).toEqual([]);
  return pipelines.map(({ pointer, input }) => ({
    label: `${file}${pointer ? `#${pointer}` : ''} (${String((input as { name?: unknown }).name ?? 'unnamed')})`,
    pointer,
    input,
  }));
});

describe('the conformance corpus', () => {
  it('has every file of shared/conformance', () => {
    expect(files.length).toBeGreaterThanOrEqual(9);
    expect(cases.length).toBeGreaterThanOrEqual(17);
  });

  it.each(cases)('$label compiles, or names what is not supported yet', ({ pointer, input }) => {
    const { pipeline, issues } = parsePipeline(input, { pointer });
    const errors = issues.filter((issue) => issue.severity === 'error');
    if (pipeline) {
      const compiled = compilePipeline(pipeline);
      expect(compiled.issues.filter((issue) => issue.severity === 'error')).toEqual([]);
      expect(validateAsl(compiled.definition)).toEqual([]);
      const stageStates = new Set(Object.values(compiled.stateMap).map((entry) => entry.refId).filter(Boolean));
      for (const stage of pipeline.stages) expect(stageStates.has(stage.refId)).toBe(true);
    } else {
      expect(errors.length).toBeGreaterThan(0);
      for (const issue of errors) {
        expect(issue.message.length).toBeLessThan(600);
        expect(issue.message).not.toMatch(/\n/);
        expect(['stage-type-unsupported', 'trigger-type-unsupported', 'required']).toContain(issue.code);
      }
    }
  });

  it('compiles most of the corpus', () => {
    const compiled = cases.filter(({ pointer, input }) => parsePipeline(input, { pointer }).pipeline !== undefined);
    expect(compiled.length).toBeGreaterThanOrEqual(9);
  });
});
