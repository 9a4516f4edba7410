/** Small builders for pipeline documents in tests: only what a test changes is spelled out. */
import type { ValidationIssue } from '../../../core/issues.ts';
import { parsePipeline } from '../../../core/pipeline/parse.ts';

export function pipeline(stages: unknown[] = [], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { application: 'hello', name: 'Deploy', stages, ...extra };
}

export function wait(refId: string, requisiteStageRefIds: string[] = [], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { refId, requisiteStageRefIds, type: 'wait', name: `Wait ${refId}`, waitTime: 30, ...extra };
}

export function stage(type: string, fields: Record<string, unknown> = {}, refId = '1'): Record<string, unknown> {
  return { refId, requisiteStageRefIds: [], type, name: `My ${type}`, ...fields };
}

/** The issues of a document, without values (tests compare pointer, code, severity and message). */
export function issuesOf(input: unknown): Array<Omit<ValidationIssue, 'value'>> {
  return parsePipeline(input).issues.map(({ pointer, code, severity, message }) => ({ pointer, code, severity, message }));
}

export function errorsOf(input: unknown): Array<Omit<ValidationIssue, 'value'>> {
  return issuesOf(input).filter((issue) => issue.severity === 'error');
}
