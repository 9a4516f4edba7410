/**
 * Renders a templated pipeline against its v2 template, as Orca does when it plans or starts
 * one: variables first (`V2DefaultVariableAssignmentTransform`: defaults, missing, null and type
 * checks), then the stage graph (`V2ConfigStageInjectionTransform`: configuration stages replace
 * template stages of the same refId, stages with `requisiteStageRefIds` join the graph, `inject`
 * rules place stages first, last, before or after others), then the pipeline
 * (`V2SchemaExecutionGenerator`: the configuration's id, application and name; triggers,
 * parameters and notifications merged with the template's, marked `inherited`, unless
 * excluded; `templateVariables`). Expressions that read only `templateVariables` are resolved
 * here; the rest stay text for the stage that evaluates them at run time. A reference to a
 * variable that has no value is an error, as in Orca's plan.
 *
 * Pure: the template is passed in, no I/O.
 */
import { evaluateDeep } from '../../expressions/index.ts';
import { pointerJoin, showValue, type ValidationIssue } from '../../issues.ts';
import { clonePlainData } from '../plain-data.ts';
import { stableJson, type PipelineTemplate, type TemplatedPipelineConfig, type TemplateVariable } from './model.ts';

type Json = Record<string, unknown>;

/** A stage while the graph is built: its refId and parents are what the rules change. */
interface GraphStage {
  readonly refId: string;
  requisiteStageRefIds: string[];
  readonly inject?: InjectionRule;
  readonly raw: Json;
  /** Where the stage came from, for messages: `/pipeline/stages/2` of the template, or `/stages/0` of the configuration. */
  readonly origin: string;
}

interface InjectionRule {
  readonly first?: boolean;
  readonly last?: boolean;
  readonly before?: readonly string[];
  readonly after?: readonly string[];
}

export interface RenderResult {
  /** The rendered pipeline (Spinnaker's pipeline JSON); undefined iff an issue is an error. */
  readonly pipeline?: Json;
  readonly issues: readonly ValidationIssue[];
}

class RenderProblem extends Error {
  constructor(
    readonly pointer: string,
    message: string,
  ) {
    super(message);
  }
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function error(pointer: string, message: string, code: ValidationIssue['code'] = 'invalid-value', value?: unknown): ValidationIssue {
  return { pointer, code, message, severity: 'error', ...(value === undefined ? {} : { value }) };
}

/** Java's simple class name of a JSON value, as Orca's type-mismatch message names it. */
function javaTypeName(value: unknown): string {
  if (typeof value === 'string') return 'String';
  if (typeof value === 'boolean') return 'Boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'Integer' : 'Double';
  if (Array.isArray(value)) return 'ArrayList';
  if (value === null) return 'null';
  return 'LinkedHashMap';
}

/** Orca's check of a value against a variable's declared type (case-insensitive, Java names accepted too). */
function matchesType(type: string, value: unknown): boolean {
  const expected = type.toLowerCase();
  if (expected === 'object') return true;
  if (expected === 'int') return typeof value === 'number' && Number.isInteger(value);
  if (expected === 'bool') return typeof value === 'boolean';
  if (expected === 'list') return Array.isArray(value);
  if (expected === 'string') return typeof value === 'string';
  // JSON cannot tell 3 from 3.0, so any number is a float here (Orca would refuse a whole number).
  if (expected === 'float') return typeof value === 'number';
  return expected === javaTypeName(value).toLowerCase();
}

/**
 * The variables the pipeline renders with (`configurationVariables`): the configuration's values
 * of declared variables, then the defaults of the others. Undeclared values are dropped.
 */
export function templateVariableValues(variables: readonly TemplateVariable[], given: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const variable of variables) {
    if (Object.prototype.hasOwnProperty.call(given, variable.name)) values[variable.name] = given[variable.name];
    else if (variable.defaultValue !== undefined) values[variable.name] = variable.defaultValue;
  }
  return values;
}

/** The variable checks of Orca, each failure an issue at `/variables/<name>` of the configuration. */
function variableIssues(variables: readonly TemplateVariable[], values: Readonly<Record<string, unknown>>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const missing = variables.filter((variable) => !Object.prototype.hasOwnProperty.call(values, variable.name) && !variable.nullable);
  if (missing.length > 0) {
    issues.push(
      error(
        '/variables',
        `missing variable values for: ${missing.map((variable) => variable.name).join(', ')}; give each a value in "variables" (e.g. ${JSON.stringify({ [missing[0]!.name]: exampleOf(missing[0]!) })}) or a defaultValue in the template`,
        'required',
      ),
    );
  }
  for (const variable of variables) {
    if (!Object.prototype.hasOwnProperty.call(values, variable.name)) continue;
    const value = values[variable.name];
    const at = pointerJoin('/variables', variable.name);
    if (value === null) {
      if (!variable.nullable) issues.push(error(at, `variable '${variable.name}' supplied value is null but variable is not nullable; give a ${variable.type} value`, 'invalid-value', value));
      continue;
    }
    if (!matchesType(variable.type, value)) {
      issues.push(error(at, `variable '${variable.name}' is ${showValue(value)} (expected type '${variable.type}' found type '${javaTypeName(value)}'); give a ${variable.type} value`, 'wrong-type', value));
    }
  }
  return issues;
}

function exampleOf(variable: TemplateVariable): unknown {
  switch (variable.type.toLowerCase()) {
    case 'int':
    case 'float':
      return 1;
    case 'bool':
      return true;
    case 'list':
      return [];
    default:
      return '...';
  }
}

function refIdOf(stage: Json): string {
  return String(stage.refId);
}

function toGraphStage(stage: Json, origin: string): GraphStage {
  const parents = Array.isArray(stage.requisiteStageRefIds) ? stage.requisiteStageRefIds.map(String) : [];
  const inject = isObject(stage.inject) ? (stage.inject as InjectionRule) : undefined;
  return { refId: refIdOf(stage), requisiteStageRefIds: [...new Set(parents)], ...(inject ? { inject } : {}), raw: stage, origin };
}

function hasInjection(rule: InjectionRule | undefined): rule is InjectionRule {
  return rule !== undefined && (rule.first === true || rule.last === true || Array.isArray(rule.before) || Array.isArray(rule.after));
}

/** Parents before children, in list order otherwise; a cycle is an error naming the stage it was found on. */
function topologicalOrder(stages: readonly GraphStage[]): GraphStage[] {
  const byRefId = new Map(stages.map((stage) => [stage.refId, stage]));
  const state = new Map<string, 'visiting' | 'visited'>();
  const sorted: GraphStage[] = [];
  const visit = (refId: string): void => {
    state.set(refId, 'visiting');
    const stage = byRefId.get(refId);
    if (stage === undefined) {
      state.set(refId, 'visited');
      return;
    }
    for (const parent of stage.requisiteStageRefIds) {
      const seen = state.get(parent);
      if (seen === 'visiting') throw new RenderProblem(stage.origin, `cycle detected in the stage graph (discovered on stage '${refId}'); remove one of the requisiteStageRefIds or inject rules that close it`);
      if (seen === undefined) visit(parent);
    }
    sorted.push(stage);
    state.set(refId, 'visited');
  };
  for (const stage of stages) if (!state.has(stage.refId)) visit(stage.refId);
  return sorted;
}

function injectionTarget(stage: GraphStage, targetId: string, all: readonly GraphStage[], field: 'before' | 'after'): GraphStage {
  const target = all.find((candidate) => candidate.refId === targetId);
  if (target === undefined) {
    throw new RenderProblem(
      pointerJoin(stage.origin, 'inject', field),
      `could not inject '${stage.refId}' stage: unknown target stage id '${targetId}' (stages: ${all.map((candidate) => candidate.refId).join(', ') || 'none'})`,
    );
  }
  return target;
}

/** Applies the inject rules of `injected` to `all` (Orca's `injectStages`), in place. */
function applyInjections(injected: readonly GraphStage[], all: GraphStage[]): void {
  for (const stage of injected) {
    if (!hasInjection(stage.inject)) continue;
    // A stage with a rule is placed by it, wherever it stood before.
    for (let index = all.length - 1; index >= 0; index--) if (all[index]!.refId === stage.refId) all.splice(index, 1);
    const rule = stage.inject;
    if (rule.first === true) {
      for (const other of all) if (other.requisiteStageRefIds.length === 0) other.requisiteStageRefIds.push(stage.refId);
      all.unshift(stage);
    } else if (rule.last === true) {
      const parents = new Set(all.flatMap((other) => other.requisiteStageRefIds));
      for (const leaf of topologicalOrder(all)) if (!parents.has(leaf.refId) && !stage.requisiteStageRefIds.includes(leaf.refId)) stage.requisiteStageRefIds.push(leaf.refId);
      all.push(stage);
    } else if (Array.isArray(rule.before)) {
      const inherited: string[] = [];
      let at = -1;
      for (const targetId of rule.before.map(String)) {
        const target = injectionTarget(stage, targetId, all, 'before');
        for (const parent of target.requisiteStageRefIds) if (!inherited.includes(parent)) inherited.push(parent);
        target.requisiteStageRefIds = [stage.refId];
        at = Math.max(at, all.indexOf(target));
      }
      for (const parent of inherited) if (!stage.requisiteStageRefIds.includes(parent)) stage.requisiteStageRefIds.push(parent);
      all.splice(Math.max(at, 0), 0, stage);
    } else if (Array.isArray(rule.after)) {
      let at = -1;
      for (const targetId of rule.after.map(String)) {
        const target = injectionTarget(stage, targetId, all, 'after');
        at = Math.max(at, all.indexOf(target));
        if (!stage.requisiteStageRefIds.includes(targetId)) stage.requisiteStageRefIds.push(targetId);
        // The target's children now follow the injected stage instead.
        for (const child of all) {
          if (child === stage || !child.requisiteStageRefIds.includes(targetId)) continue;
          child.requisiteStageRefIds = child.requisiteStageRefIds.filter((parent) => parent !== targetId);
          if (!child.requisiteStageRefIds.includes(stage.refId)) child.requisiteStageRefIds.push(stage.refId);
        }
      }
      all.splice(at + 1, 0, stage);
    }
    topologicalOrder(all);
  }
}

/**
 * The stage graph of the rendered pipeline (`V2ConfigStageInjectionTransform`) with warnings for
 * configuration stages that join nothing.
 */
function renderStages(template: PipelineTemplate, config: TemplatedPipelineConfig): { stages: Json[]; warnings: ValidationIssue[] } {
  const templateStages = (Array.isArray(template.pipeline.stages) ? (template.pipeline.stages as Json[]) : []).map((stage, index) => toGraphStage(stage, pointerJoin('/template/pipeline/stages', index)));
  const configStages = config.stages.map((stage, index) => toGraphStage(stage, pointerJoin('/stages', index)));
  const templateIds = new Set(templateStages.map((stage) => stage.refId));
  const warnings: ValidationIssue[] = [];

  // 1. A configuration stage replaces the template's stage of the same refId, whole.
  const replaced = templateStages.map((stage) => configStages.find((candidate) => candidate.refId === stage.refId) ?? stage);
  // 2. New stages that name their parents join the graph (a replacing stage is there already).
  const joined = [...replaced];
  for (const stage of configStages) {
    if (templateIds.has(stage.refId)) continue;
    if (stage.requisiteStageRefIds.length > 0) joined.push(stage);
    else if (!hasInjection(stage.inject)) {
      warnings.push({
        pointer: stage.origin,
        code: 'invalid-value',
        message: `stage '${stage.refId}' is not in the template and has neither requisiteStageRefIds nor an inject rule, so it is left out (as Spinnaker does); give it requisiteStageRefIds or "inject": {"after": ["<refId>"]}`,
        severity: 'warning',
      });
    }
  }
  const ordered = topologicalOrder(joined);
  // 3. The template's inject rules, then the configuration's.
  applyInjections(ordered.filter((stage) => stage.origin.startsWith('/template/')), ordered);
  applyInjections(configStages, ordered);
  const stages = ordered.map((stage) => {
    const out: Json = {};
    for (const [key, value] of Object.entries(stage.raw)) if (key !== 'inject') out[key] = value;
    out.requisiteStageRefIds = stage.requisiteStageRefIds;
    return out;
  });
  return { stages, warnings };
}

/** Orca's `mergeDistinct`: the template's items (marked `inherited`), then the configuration's, without repeats. */
function mergeDistinct(inherited: readonly unknown[], own: readonly unknown[]): unknown[] {
  const marked = inherited.map((item) => (isObject(item) ? { ...item, inherited: true } : item));
  if (marked.length === 0) return [...own];
  if (own.length === 0) return marked;
  const seen = new Set<string>();
  const merged: unknown[] = [];
  for (const item of [...marked, ...own]) {
    const key = stableJson(item);
    if (seen.has(key)) continue;
    seen.add(key);
    merged.push(item);
  }
  return merged;
}

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** `templateVariables`, `templateVariables.x` or `templateVariables['x']` as a root of an expression. */
const VARIABLE_REFERENCE = /(?<![\w.#$])templateVariables(?:\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)|\s*\[\s*['"]([^'"]+)['"]\s*\])?/g;

/** Names of `templateVariables.x` / `templateVariables['x']` references in an expression. */
function referencedVariables(expression: string): string[] {
  const names: string[] = [];
  for (const match of expression.matchAll(VARIABLE_REFERENCE)) if (match[1] ?? match[2]) names.push((match[1] ?? match[2])!);
  return names;
}

/** A JSON value as a SpEL literal: 'text' (quotes doubled), numbers, booleans, null, {a,b} lists, {'k':v} maps. */
function spelLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return `'${value.replace(/'/g, "''")}'`;
  if (typeof value === 'number') return value < 0 ? `(${String(value)})` : String(value);
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `{${value.map(spelLiteral).join(',')}}`;
  const entries = Object.entries(value as Json);
  return entries.length === 0 ? '{:}' : `{${entries.map(([key, item]) => `${spelLiteral(key)}:${spelLiteral(item)}`).join(',')}}`;
}

/** The index of the `}` closing an expression that starts at `from` (quotes and nested braces skipped), or -1. */
function closingBrace(text: string, from: number): number {
  let depth = 0;
  let quoted = false;
  for (let index = from; index < text.length; index++) {
    const char = text[index];
    if (quoted) {
      if (char === "'") {
        if (text[index + 1] === "'") index++;
        else quoted = false;
      }
    } else if (char === "'") quoted = true;
    else if (char === '{') depth++;
    else if (char === '}') {
      if (depth === 0) return index;
      depth--;
    }
  }
  return -1;
}

/**
 * Writes the values of known template variables into the `${}` expressions of a string, as
 * literals. An expression that reads only them then evaluates now; one that also reads the run
 * (`trigger`, `parameters`, stage outputs) keeps its text, now without template variables, and
 * evaluates when its stage starts.
 */
function inlineVariables(text: string, values: Readonly<Record<string, unknown>>): string {
  if (!text.includes('${') || !text.includes('templateVariables')) return text;
  let out = '';
  let index = 0;
  for (;;) {
    const start = text.indexOf('${', index);
    const end = start < 0 ? -1 : closingBrace(text, start + 2);
    if (end < 0) return out + text.slice(index);
    const expression = text.slice(start + 2, end).replace(VARIABLE_REFERENCE, (reference, dotted?: string, indexed?: string) => {
      const name = dotted ?? indexed;
      if (name === undefined) return spelLiteral(values);
      return Object.prototype.hasOwnProperty.call(values, name) ? spelLiteral(values[name]) : reference;
    });
    out += `${text.slice(index, start)}\${${expression}}`;
    index = end + 1;
  }
}

function inlineDeep(value: unknown, values: Readonly<Record<string, unknown>>): unknown {
  if (typeof value === 'string') return inlineVariables(value, values);
  if (Array.isArray(value)) return value.map((item) => inlineDeep(item, values));
  if (isObject(value)) {
    const out: Json = {};
    for (const [key, item] of Object.entries(value)) out[inlineVariables(key, values)] = inlineDeep(item, values);
    return out;
  }
  return value;
}

/** Renders a templated pipeline with its template. */
export function renderTemplatedPipeline(config: TemplatedPipelineConfig, template: PipelineTemplate): RenderResult {
  const issues: ValidationIssue[] = [];
  if (template.protect && config.stages.length > 0) {
    issues.push(error('/stages', `template '${template.id}' is protected: modification of the stage graph (adding, removing, editing) is disallowed; remove "stages" from the templated pipeline`, 'invalid-value'));
  }
  const application = config.raw.application as string;
  // Defaults may read the application and the other variables (Orca renders them first).
  const defaultsContext = { variables: { application, ...templateVariableValues(template.variables, config.variables) } };
  const variables = template.variables.map((variable) =>
    variable.defaultValue === undefined ? variable : { ...variable, defaultValue: evaluateDeep(variable.defaultValue, defaultsContext).value },
  );
  const values = templateVariableValues(variables, config.variables);
  issues.push(...variableIssues(variables, values));
  if (issues.some((found) => found.severity === 'error')) return { issues };

  let stages: Json[];
  try {
    const rendered = renderStages(template, config);
    stages = rendered.stages;
    issues.push(...rendered.warnings);
  } catch (problem) {
    if (problem instanceof RenderProblem) return { issues: [...issues, error(problem.pointer, problem.message, problem.message.startsWith('cycle') ? 'cycle' : 'requisite-unknown')] };
    throw problem;
  }

  const raw = config.raw;
  const body = clonePlainData(template.pipeline);
  const pipeline: Json = { ...body, stages };
  if (raw.id !== undefined) pipeline.id = raw.id;
  else delete pipeline.id;
  pipeline.application = application;
  pipeline.name = typeof raw.name === 'string' ? raw.name : 'Unnamed Execution';
  for (const [field, fallback] of [['limitConcurrent', true], ['maxConcurrentExecutions', 0], ['keepWaitingPipelines', false]] as const) {
    if (!(field in body)) pipeline[field] = raw[field] ?? fallback;
  }
  // Disabling the templated pipeline disables what it renders.
  if (raw.disabled === true) pipeline.disabled = true;
  const excluded = (name: string) => config.exclude.includes(name);
  pipeline.notifications = excluded('notifications') ? [...config.notifications] : mergeDistinct(listOf(body.notifications), config.notifications);
  pipeline.parameterConfig = excluded('parameters') ? [...config.parameters] : mergeDistinct(listOf(body.parameterConfig), config.parameters);
  pipeline.triggers = excluded('triggers') ? [...config.triggers] : mergeDistinct(listOf(body.triggers), config.triggers);
  delete pipeline.templateVariables;

  // Template variables are decided now; expressions that also read the run wait for their stage.
  const evaluated = evaluateDeep(inlineDeep(pipeline, values), { variables: {} });
  const unknown = new Set<string>();
  for (const failure of evaluated.failures) {
    for (const name of referencedVariables(failure.expression)) if (!Object.prototype.hasOwnProperty.call(values, name)) unknown.add(name);
  }
  if (unknown.size > 0) {
    const declared = template.variables.map((variable) => variable.name);
    issues.push(
      error(
        '/template',
        `missing template variable values for the following variables: ${[...unknown].join(', ')}; template '${template.id}' declares ${declared.length > 0 ? declared.join(', ') : 'no variables'}: declare them in the template's "variables" or fix the expression`,
        'required',
      ),
    );
    return { issues };
  }
  const out = evaluated.value as Json;
  out.templateVariables = values;
  return { pipeline: out, issues };
}

/**
 * A v2 template made from a pipeline, as Deck's "Export as template" (and `spin
 * pipeline-template save` of such a file) makes it: the whole pipeline, no variables, not
 * protected, scoped globally.
 */
export function templateFromPipeline(pipeline: Json, options: { readonly id: string; readonly owner?: string; readonly name?: string }): Json {
  const name = typeof pipeline.name === 'string' ? pipeline.name : undefined;
  const application = typeof pipeline.application === 'string' ? pipeline.application : undefined;
  return {
    schema: 'v2',
    id: options.id,
    protect: false,
    metadata: {
      name: options.name ?? name ?? options.id,
      description: `A pipeline template derived from pipeline "${name ?? 'unnamed'}" in application "${application ?? 'unknown'}"`,
      ...(options.owner !== undefined ? { owner: options.owner } : {}),
      scopes: ['global'],
    },
    variables: [],
    pipeline: clonePlainData(pipeline),
  };
}
