/**
 * Parses and validates a pipeline: Spinnaker's pipeline JSON (Front50 shape) in, a typed
 * `Pipeline` and every issue at once out. Never throws on input; the document as given is kept
 * as `raw` (unknown fields included) and is what `serializePipeline` gives back.
 */
import { z } from 'zod';
import type { IssueCode, ValidationIssue } from '../issues.ts';
import { hasErrors, pointerJoin, showValue } from '../issues.ts';
import { findStageTemplateIssues } from './expression-syntax.ts';
import { anyText, flag, oneOf, optional, plainNumber, text, withDefault } from './fields.ts';
import { analyzeStageGraph, compareRefIds } from './graph.ts';
import type { ParameterConfig, Pipeline, RawObject, SpelEvaluatorVersion } from './model.ts';
import { clonePlainData, copyPlainData } from './plain-data.ts';
import { notificationSchema, parseCommonStageFields, toNotifications } from './stage-common.ts';
import type { Stage } from './stage-types/index.ts';
import { stageAlternative } from './ci-alternatives.ts';
import { KNOWN_SPINNAKER_STAGE_TYPES, SUPPORTED_STAGE_TYPES, SUPPORTED_STAGE_TYPES_SUMMARY, getStageType, isSupportedStageType } from './stage-types/index.ts';
import type { Trigger } from './triggers/index.ts';
import { parseTrigger } from './triggers/index.ts';
import { fromConfigIssues, issuesFromZod, safeParse, valueAt } from './zod-issues.ts';

export { readPipelineDocument } from './document.ts';

export interface ParseOptions {
  /** Prefix for every pointer, e.g. `/2` for the third pipeline of an array document. */
  readonly pointer?: string;
}

export interface ParseResult {
  /** Undefined iff some issue has severity 'error'. */
  readonly pipeline: Pipeline | undefined;
  readonly issues: ValidationIssue[];
}

const SPEL_VERSIONS = ['v4', 'v3', 'v2'] as const;

/** A parameter default or option value: Deck writes strings, hand-written JSON has numbers and booleans. */
const scalarText = (what: string) =>
  z.unknown().transform((value, ctx) => {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    ctx.issues.push({ code: 'invalid_type', expected: 'string', input: value, message: value == null ? `add ${what}` : `expected ${what} (a string), got ${showValue(value)}` });
    return z.NEVER;
  });

const parameterSchema = z.looseObject(
  {
    name: text("the parameter's name, e.g. 'env'"),
    label: optional(anyText('a label')),
    description: optional(anyText('a description')),
    default: optional(scalarText('a default value')),
    required: withDefault(flag(), false),
    hasOptions: withDefault(flag(), false),
    options: withDefault(z.array(z.looseObject({ value: scalarText('the option value') })), []),
    secret: withDefault(flag(), false),
  },
  { error: (issue) => `expected a parameter {"name": ..., "default": ...}, got ${showValue(issue.input)}` },
);

const pipelineSchema = z.looseObject({
  application: text("the name of the application that owns this pipeline, e.g. 'hello'"),
  name: text("the pipeline's name, e.g. 'Deploy to prod'"),
  id: optional(text("the pipeline's id")),
  stages: withDefault(z.array(z.unknown()), []),
  triggers: withDefault(z.array(z.unknown()), []),
  parameterConfig: withDefault(z.array(parameterSchema), []),
  limitConcurrent: withDefault(flag(), false),
  keepWaitingPipelines: withDefault(flag(), false),
  maxConcurrentExecutions: withDefault(plainNumber('a number of executions', { min: 0, integer: true }), 0),
  expectedArtifacts: withDefault(z.array(z.record(z.string(), z.unknown(), { error: (issue) => `expected an expected artifact (an object), got ${showValue(issue.input)}` })), []),
  notifications: withDefault(z.array(notificationSchema), []),
  spelEvaluator: withDefault(oneOf(SPEL_VERSIONS, 'the expression evaluator version'), 'v3'),
  disabled: withDefault(flag(), false),
});

/** The longest pipeline name or id: store keys hold at most 1,024 bytes, and a name is four bytes a character at worst. */
export const MAX_PIPELINE_NAME_CHARS = 200;

function checkNameLengths(fields: { readonly name: string; readonly id?: string | undefined }, base: string): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const field of ['name', 'id'] as const) {
    const value = fields[field];
    if (value !== undefined && value.length > MAX_PIPELINE_NAME_CHARS) {
      issues.push(issue(pointerJoin(base, field), 'limit', `is ${value.length} characters long ("${value.slice(0, 24)}…"); a pipeline ${field} may have at most ${MAX_PIPELINE_NAME_CHARS} characters`, 'error'));
    }
  }
  return issues;
}

function isPlainObject(value: unknown): value is RawObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function issue(pointer: string, code: IssueCode, message: string, severity: 'error' | 'warning', value?: unknown): ValidationIssue {
  return value === undefined ? { pointer, code, message, severity } : { pointer, code, message, severity, value };
}

/** Parses and validates one pipeline object; `pipeline` is undefined iff some issue has severity 'error'. Never throws on any input. */
export function parsePipeline(input: unknown, options?: ParseOptions): ParseResult {
  const base = options?.pointer ?? '';
  try {
    return parseOrFail(input, base);
  } catch (error) {
    // Every input path is handled above; reaching this is a bug, still reported as a value.
    const reason = error instanceof Error ? error.message : String(error);
    return {
      pipeline: undefined,
      issues: [issue(base, 'invalid-document', `could not be validated (${reason.split('\n')[0]}); this is a bug in Gennaker, please report it with the pipeline`, 'error')],
    };
  }
}

/** The document as given (unknown fields round-trip unchanged). */
export function serializePipeline(pipeline: Pipeline): Record<string, unknown> {
  return clonePlainData(pipeline.raw) as Record<string, unknown>;
}

function parseOrFail(input: unknown, base: string): ParseResult {
  const copied = copyPlainData(input, base);
  if (!copied.ok) return { pipeline: undefined, issues: [issue(copied.pointer, copied.limit ? 'limit' : 'invalid-document', copied.message, 'error')] };
  const raw = copied.value;
  if (!isPlainObject(raw)) {
    return { pipeline: undefined, issues: [issue(base, 'wrong-type', `expected a pipeline object {"application": ..., "name": ..., "stages": [...]}, got ${showValue(raw)}`, 'error', raw)] };
  }

  const issues: ValidationIssue[] = [];
  const top = safeParse(pipelineSchema, raw);
  if (!top.success) issues.push(...issuesFromZod(top.error, raw, base));
  const fields = top.success ? top.data : undefined;

  // Name and id become store keys and URL segments: bounded, with a message rather than a store error.
  if (fields) issues.push(...checkNameLengths(fields, base));

  // Parameters: names unique.
  if (fields) issues.push(...checkParameterNames(fields.parameterConfig, base));

  // Triggers.
  const rawTriggers = Array.isArray(raw.triggers) ? (raw.triggers as unknown[]) : [];
  const hashBase = typeof raw.id === 'string' && raw.id !== '' ? raw.id : `${String(raw.application)}/${String(raw.name)}`;
  const triggers: Trigger[] = [];
  rawTriggers.forEach((rawTrigger, index) => {
    const parsed = parseTrigger(rawTrigger, index, pointerJoin(base, 'triggers', index), { fallbackHashKey: `${hashBase}#trigger${index}` });
    issues.push(...parsed.issues);
    if (parsed.trigger) triggers.push(parsed.trigger);
  });
  if (fields) issues.push(...checkArtifactReferences(rawTriggers, fields.expectedArtifacts, base));

  // Stages: the graph first, then each stage.
  const rawStages = Array.isArray(raw.stages) ? (raw.stages as unknown[]) : [];
  const graph = analyzeStageGraph(rawStages, base);
  issues.push(...graph.issues);
  const stages: Stage[] = [];
  rawStages.forEach((rawStage, index) => {
    const parsed = parseStage(rawStage, index, base, graph.refIds.get(index), graph.requisites.get(index) ?? []);
    issues.push(...parsed.issues);
    if (parsed.stage) stages.push(parsed.stage);
  });

  if (fields) issues.push(...pipelineWarnings(fields, base));
  if (raw.failOnFailedExpressions !== undefined) {
    // Orca reads it from each stage's context only; at the top it would silently do nothing.
    issues.push(issue(pointerJoin(base, 'failOnFailedExpressions'), 'invalid-value', 'is read on stages only, as in Spinnaker, so here it does nothing; set failOnFailedExpressions on each stage that must fail when an expression fails', 'warning', raw.failOnFailedExpressions));
  }
  const sorted = sortIssues(issues);
  if (hasErrors(sorted) || !fields) return { pipeline: undefined, issues: sorted };

  const pipeline: Pipeline = {
    application: fields.application,
    name: fields.name,
    ...(fields.id !== undefined ? { id: fields.id } : {}),
    stages,
    triggers,
    parameterConfig: fields.parameterConfig.map((parameter, index) => toParameter(parameter, valueAt(raw, ['parameterConfig', index]))),
    limitConcurrent: fields.limitConcurrent,
    keepWaitingPipelines: fields.keepWaitingPipelines,
    maxConcurrentExecutions: fields.maxConcurrentExecutions,
    expectedArtifacts: fields.expectedArtifacts,
    notifications: toNotifications(fields.notifications, raw.notifications),
    spelEvaluator: fields.spelEvaluator as SpelEvaluatorVersion,
    disabled: fields.disabled,
    legacyOrder: graph.legacyOrder,
    raw,
  };
  return { pipeline, issues: sorted };
}

function toParameter(parameter: z.output<typeof parameterSchema>, raw: unknown): ParameterConfig {
  return {
    name: parameter.name,
    ...(parameter.label !== undefined ? { label: parameter.label } : {}),
    ...(parameter.description !== undefined ? { description: parameter.description } : {}),
    ...(parameter.default !== undefined ? { default: parameter.default } : {}),
    required: parameter.required,
    hasOptions: parameter.hasOptions,
    options: parameter.options.map((option) => ({ value: option.value })),
    secret: parameter.secret,
    raw: (isPlainObject(raw) ? raw : {}) as RawObject,
  };
}

function checkParameterNames(parameters: ReadonlyArray<{ name: string }>, base: string): ValidationIssue[] {
  const seen = new Map<string, number>();
  const issues: ValidationIssue[] = [];
  parameters.forEach((parameter, index) => {
    const first = seen.get(parameter.name);
    if (first === undefined) {
      seen.set(parameter.name, index);
      return;
    }
    issues.push(
      issue(
        pointerJoin(base, 'parameterConfig', index, 'name'),
        'invalid-value',
        `parameter '${parameter.name}' is already defined at index ${first}; give each parameter a unique name`,
        'error',
        parameter.name,
      ),
    );
  });
  return issues;
}

/** Triggers that bind expected artifacts by id must name ones the pipeline declares. */
function checkArtifactReferences(rawTriggers: readonly unknown[], expectedArtifacts: readonly RawObject[], base: string): ValidationIssue[] {
  const ids = new Set(expectedArtifacts.flatMap((artifact) => (typeof artifact.id === 'string' ? [artifact.id] : [])));
  const known = ids.size === 0 ? 'none' : [...ids].sort().join(', ');
  const issues: ValidationIssue[] = [];
  rawTriggers.forEach((trigger, index) => {
    const list = isPlainObject(trigger) ? trigger.expectedArtifactIds : undefined;
    if (!Array.isArray(list)) return;
    list.forEach((id: unknown, k: number) => {
      if (typeof id === 'string' && !ids.has(id)) {
        issues.push(
          issue(
            pointerJoin(base, 'triggers', index, 'expectedArtifactIds', k),
            'invalid-value',
            `refers to expected artifact '${id}', which is not in expectedArtifacts (known ids: ${known}); add it there or remove the reference`,
            'warning',
            id,
          ),
        );
      }
    });
  });
  return issues;
}

function pipelineWarnings(fields: z.output<typeof pipelineSchema>, base: string): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (fields.limitConcurrent && fields.maxConcurrentExecutions > 0) {
    issues.push(
      issue(
        pointerJoin(base, 'maxConcurrentExecutions'),
        'invalid-value',
        `is ignored while limitConcurrent is true (one execution at a time); set limitConcurrent to false to allow ${fields.maxConcurrentExecutions} at once`,
        'warning',
        fields.maxConcurrentExecutions,
      ),
    );
  }
  return issues;
}

/** Closest supported type for a typo (case or up to two edits), for "did you mean". */
function closestStageType(type: string): string | undefined {
  let best: { type: string; distance: number } | undefined;
  for (const candidate of SUPPORTED_STAGE_TYPES) {
    const distance = candidate.toLowerCase() === type.toLowerCase() ? 0 : editDistance(candidate.toLowerCase(), type.toLowerCase());
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { type: candidate, distance };
  }
  return best?.type;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] as number;
}

function parseStage(
  rawStage: unknown,
  index: number,
  base: string,
  refId: string | undefined,
  requisiteStageRefIds: readonly string[],
): { stage: Stage | undefined; issues: ValidationIssue[] } {
  const pointer = pointerJoin(base, 'stages', index);
  if (!isPlainObject(rawStage)) {
    return { stage: undefined, issues: [issue(pointer, 'wrong-type', `expected a stage object {"refId": ..., "type": ..., "name": ...}, got ${showValue(rawStage)}`, 'error', rawStage)] };
  }
  const issues: ValidationIssue[] = [];
  const common = parseCommonStageFields(rawStage, pointer);
  issues.push(...common.issues);

  // The type: alias first when it names a supported type (Orca's resolver prefers it).
  const supported = SUPPORTED_STAGE_TYPES_SUMMARY;
  const givenType = rawStage.type;
  const alias = rawStage.alias;
  let type: string | undefined;
  if (typeof alias === 'string' && isSupportedStageType(alias)) {
    type = alias;
  } else if (givenType === undefined || givenType === null) {
    issues.push(issue(pointerJoin(pointer, 'type'), 'required', `'type' is required; add the stage type, one of ${supported}`, 'error'));
  } else if (typeof givenType !== 'string') {
    issues.push(issue(pointerJoin(pointer, 'type'), 'wrong-type', `expected a stage type (a string), got ${showValue(givenType)}; use one of ${supported}`, 'error', givenType));
  } else if (isSupportedStageType(givenType)) {
    type = givenType;
  } else if (KNOWN_SPINNAKER_STAGE_TYPES.includes(givenType)) {
    issues.push(issue(pointerJoin(pointer, 'type'), 'stage-type-unsupported', `stage type '${givenType}' is not supported yet${stageAlternative(givenType)}; use one of ${supported}`, 'error', givenType));
  } else {
    const suggestion = closestStageType(givenType);
    issues.push(
      issue(
        pointerJoin(pointer, 'type'),
        'stage-type-unknown',
        `stage type '${givenType}' is unknown${suggestion ? ` (did you mean '${suggestion}'?)` : ''}; supported types: ${supported}`,
        'error',
        givenType,
      ),
    );
  }

  let config: unknown;
  const definition = type === undefined ? undefined : getStageType(type);
  if (definition) {
    const parsed = safeParse(definition.schema, rawStage);
    if (parsed.success) {
      config = parsed.data;
      issues.push(...fromConfigIssues(definition.check?.(parsed.data, rawStage) ?? [], rawStage, pointer));
    } else {
      issues.push(...issuesFromZod(parsed.error, rawStage, pointer));
    }
  }

  issues.push(...findStageTemplateIssues(rawStage, pointer));

  const fields = common.fields;
  if (fields !== undefined && fields.name === undefined && type !== undefined) {
    issues.push(issue(pointerJoin(pointer, 'name'), 'required', `the stage has no name; add one (expressions such as #stage('...') find stages by name)`, 'warning'));
  }
  if (hasErrors(issues) || fields === undefined || definition === undefined || type === undefined || refId === undefined || config === undefined) {
    return { stage: undefined, issues };
  }
  const { name, ...rest } = fields;
  const stage = {
    type,
    refId,
    requisiteStageRefIds,
    name: name ?? type,
    index,
    ...rest,
    config,
    raw: rawStage,
  } as Stage;
  return { stage, issues };
}

/** Document order: by pointer, numeric segments compared as numbers; stable otherwise. */
function sortIssues(issues: readonly ValidationIssue[]): ValidationIssue[] {
  const segments = (pointer: string) => pointer.split('/').slice(1);
  return issues
    .map((entry, position) => ({ entry, position, keys: segments(entry.pointer) }))
    .sort((a, b) => {
      const length = Math.min(a.keys.length, b.keys.length);
      for (let i = 0; i < length; i++) {
        const order = compareRefIds(a.keys[i] as string, b.keys[i] as string);
        if (order !== 0) return order;
      }
      return a.keys.length - b.keys.length || a.position - b.position;
    })
    .map(({ entry }) => entry);
}
