/**
 * Expressions never block a real pipeline from saving: no file of shared/conformance (every
 * directory of it) gets an error for an expression at save or `gennaker validate`, only
 * warnings; and the same pipelines, with expressions Gennaker will not evaluate written into
 * every stage, still save, with one warning per expression.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ValidationIssue } from '../../../core/issues.ts';
import { parsePipeline, readPipelineDocument } from '../../../core/pipeline/parse.ts';
import { validateDocuments } from '../../../cli/commands/validate.ts';
import { CONFORMANCE_CORPUS } from '../../support/conformance.ts';

/** shared/conformance: the directory that holds spinnaker-pipelines and any other corpus beside it. */
const ROOT = dirname(CONFORMANCE_CORPUS);

function filesUnder(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return filesUnder(path);
      return /\.(json|ya?ml)$/.test(name) ? [path] : [];
    });
}

const files = filesUnder(ROOT);
const documents = files.map((path) => ({ path, file: relative(ROOT, path), ...readPipelineDocument(readFileSync(path, 'utf8')) }));

/** An issue is about an expression when its code says so or when the value it shows holds one. */
function aboutAnExpression(issue: ValidationIssue): boolean {
  return issue.code === 'expression-syntax' || (typeof issue.value === 'string' && issue.value.includes('${'));
}

function countTemplates(value: unknown): number {
  if (typeof value === 'string') return value.includes('${') ? 1 : 0;
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + countTemplates(item), 0);
  if (value !== null && typeof value === 'object') return Object.values(value).reduce((sum: number, item) => sum + countTemplates(item), 0);
  return 0;
}

const HOSTILE = [
  "${ T(java.lang.Runtime).getRuntime().exec('touch /tmp/pwned') }",
  '${ #notAHelper(trigger) }',
  '${ parameters.list[0:1] }',
  "${ new java.lang.ProcessBuilder('id').start() }",
];

describe('expressions in the conformance corpus', () => {
  it('reads every file of shared/conformance, and the corpus holds expressions', () => {
    expect(files.length).toBeGreaterThanOrEqual(9);
    const templates = documents.reduce((sum, document) => sum + document.pipelines.reduce((inner, { input }) => inner + countTemplates(input), 0), 0);
    expect(templates).toBeGreaterThan(0);
  });

  it.each(documents.map((document) => [document.file, document] as const))('%s: no error for an expression at save or validate', (_file, document) => {
    const saved = document.pipelines.flatMap(({ pointer, input }) => parsePipeline(input, { pointer }).issues);
    const validated = validateDocuments([{ source: document.file, pipelines: document.pipelines, issues: document.issues }]).flatMap((result) => result.issues);
    for (const issues of [saved, validated]) {
      expect(issues.filter((issue) => issue.severity === 'error' && aboutAnExpression(issue))).toEqual([]);
    }
  });

  it.each(documents.map((document) => [document.file, document] as const))('%s: still saves with expressions Gennaker will not evaluate in every stage', (_file, document) => {
    for (const { pointer, input } of document.pipelines) {
      const before = parsePipeline(input, { pointer });
      const raw = input as { stages?: unknown };
      if (!Array.isArray(raw.stages)) continue;
      const stages = raw.stages.map((stage: unknown) =>
        stage !== null && typeof stage === 'object' && !Array.isArray(stage)
          ? { ...stage, gennakerProbe: HOSTILE, stageEnabled: { type: 'expression', expression: "T(java.lang.System).exit(1) == 'x'" } }
          : stage,
      );
      const after = parsePipeline({ ...raw, stages }, { pointer });
      // Saves exactly when the pipeline did without them, and never with an error for an expression.
      expect(after.pipeline !== undefined).toBe(before.pipeline !== undefined);
      expect(after.issues.filter((issue) => issue.severity === 'error' && aboutAnExpression(issue))).toEqual([]);
      const probes = after.issues.filter((issue) => issue.code === 'expression-syntax' && /\/stages\/\d+\/(gennakerProbe\/\d+|stageEnabled\/expression)$/.test(issue.pointer.slice(pointer.length)));
      const stageObjects = stages.filter((stage) => stage !== null && typeof stage === 'object' && !Array.isArray(stage) && (stage as { skipExpressionEvaluation?: unknown }).skipExpressionEvaluation !== true);
      expect(probes).toHaveLength(stageObjects.length * (HOSTILE.length + 1));
      expect(probes.every((issue) => issue.severity === 'warning')).toBe(true);
    }
  });
});
