/**
 * The pipeline model and its validation: Spinnaker's pipeline JSON in, a typed `Pipeline` and
 * every issue (with a JSON pointer) out. See parse.ts for the entry points.
 */
export type {
  ExecutionWindow,
  FailurePolicy,
  Notification,
  ParameterConfig,
  Pipeline,
  RawObject,
  SpelEvaluatorVersion,
  StageBase,
  StageEnabled,
  TaskKind,
  TaskStep,
} from './model.ts';
export type { ParseOptions, ParseResult } from './parse.ts';
export { parsePipeline, readPipelineDocument, serializePipeline } from './parse.ts';
export type { PipelineDocument } from './document.ts';
export { failurePolicyOf } from './stage-common.ts';
export { regexProblem } from './regex.ts';
export type { ConfigIssue } from './zod-issues.ts';
export * from './stage-types/index.ts';
export * from './triggers/index.ts';
export type { CronSchedule } from '../triggers/cron.ts';
