/**
 * Managed Pipeline Templates v2, as Spinnaker defines them (Orca's `V2PipelineTemplate` and
 * `V2TemplateConfiguration`, Front50's `/v2/pipelineTemplates`): a template is a whole pipeline
 * (`pipeline`) with declared `variables`; a templated pipeline (`type: templatedPipeline`,
 * `schema: "v2"`) names its template by reference and supplies variable values, extra or
 * replacing stages, and its own triggers, parameters and notifications.
 *
 * This file parses both documents into plain values and a list of issues (never throws); the
 * rendering is in render.ts. Pure: no I/O.
 */
import { pointerJoin, showValue, type IssueCode, type ValidationIssue } from '../../issues.ts';
import { copyPlainData } from '../plain-data.ts';

type Json = Record<string, unknown>;

/** Spinnaker's one template artifact type and account for templates kept by Front50. */
export const TEMPLATE_ARTIFACT_TYPE = 'front50/pipelineTemplate';
export const TEMPLATE_ARTIFACT_ACCOUNT = 'front50ArtifactCredentials';
/** How a reference names a template kept here: `spinnaker://<id>[:<tag>]` or `spinnaker://<id>@sha256:<digest>`. */
export const TEMPLATE_REFERENCE_PREFIX = 'spinnaker://';

/** The tags Front50 accepts (`V2PipelineTemplateController.VALID_TEMPLATE_TAGS`). */
export const TEMPLATE_TAGS: readonly string[] = ['latest', 'stable', 'unstable', 'experimental', 'test', 'canary'];

/** Front50's and Orca's rules for names: template ids end up in keys and URLs. */
const TEMPLATE_ID = /^[A-Za-z0-9._-]{1,200}$/;
const VARIABLE_NAME = /^[a-zA-Z0-9_]+$/;

/** One declared template variable (`V2PipelineTemplate.Variable`). */
export interface TemplateVariable {
  readonly name: string;
  /** Orca's type name; absent means `object` (anything). */
  readonly type: string;
  readonly defaultValue?: unknown;
  readonly nullable: boolean;
  readonly description?: string;
}

/** A parsed v2 template. */
export interface PipelineTemplate {
  readonly id: string;
  readonly protect: boolean;
  readonly variables: readonly TemplateVariable[];
  /** The templated pipeline definition (stages, triggers, parameterConfig, notifications...). */
  readonly pipeline: Json;
  /** The document as given. */
  readonly raw: Json;
}

/** Where a templated pipeline's template is: Spinnaker's artifact, of type `front50/pipelineTemplate`. */
export interface TemplateReference {
  readonly id: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** A parsed templated pipeline (`V2TemplateConfiguration`). */
export interface TemplatedPipelineConfig {
  readonly reference: TemplateReference;
  readonly variables: Readonly<Record<string, unknown>>;
  readonly stages: readonly Json[];
  readonly exclude: readonly string[];
  readonly triggers: readonly unknown[];
  readonly parameters: readonly unknown[];
  readonly notifications: readonly unknown[];
  /** The document as given. */
  readonly raw: Json;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function issue(pointer: string, code: IssueCode, message: string, value?: unknown, severity: 'error' | 'warning' = 'error'): ValidationIssue {
  return { pointer, code, message, severity, ...(value === undefined ? {} : { value }) };
}

/**
 * Orca's test for a v2 templated pipeline (`V2Util.isV2Pipeline`): `type: templatedPipeline`
 * with `schema: "v2"`; Orca's preprocessor also takes `schema: "v2"` with a `template`.
 */
export function isTemplatedPipeline(config: unknown): boolean {
  if (!isObject(config)) return false;
  return config.schema === 'v2' && (config.type === 'templatedPipeline' || config.template !== undefined);
}

/** The id without a tag or digest (Front50's `undecoratedId`). */
export function undecoratedId(id: string): string {
  return id.split('@')[0]!.split(':')[0]!;
}

/** `id`, `id:tag` or `id@sha256:digest`: the key a template version is kept under (Front50's `formatId`). */
export function templateKey(reference: TemplateReference): string {
  if (reference.digest !== undefined) return `${reference.id}@sha256:${reference.digest}`;
  if (reference.tag !== undefined) return `${reference.id}:${reference.tag}`;
  return reference.id;
}

/** The problem with a template id, or undefined. */
export function templateIdProblem(id: unknown): string | undefined {
  if (typeof id !== 'string' || id.trim() === '') return `is ${showValue(id)}; a pipeline template requires an id, e.g. "id": "deploy-service"`;
  if (!TEMPLATE_ID.test(id)) return `is ${showValue(id)}; use 1-200 letters, digits, '.', '_' or '-' (a tag goes in ?tag=, not in the id)`;
  return undefined;
}

/** The problem with a tag, or undefined (Front50's `validatePipelineTemplateTag`). */
export function templateTagProblem(tag: string): string | undefined {
  return TEMPLATE_TAGS.includes(tag) ? undefined : `the tag '${tag}' is not supported; a pipeline template tag must be one of ${TEMPLATE_TAGS.join(', ')}`;
}

/** Parses `spinnaker://id`, `spinnaker://id:tag` or `spinnaker://id@sha256:digest`. */
export function parseTemplateReference(reference: unknown): { ok: true; value: TemplateReference } | { ok: false; message: string } {
  const example = `e.g. "${TEMPLATE_REFERENCE_PREFIX}deploy-service:latest"`;
  if (typeof reference !== 'string' || !reference.startsWith(TEMPLATE_REFERENCE_PREFIX)) {
    return { ok: false, message: `is ${showValue(reference)}; name a saved template as ${TEMPLATE_REFERENCE_PREFIX}<id>[:<tag>], ${example}` };
  }
  const rest = reference.slice(TEMPLATE_REFERENCE_PREFIX.length);
  const digestAt = rest.indexOf('@sha256:');
  if (digestAt >= 0) {
    const id = rest.slice(0, digestAt);
    const digest = rest.slice(digestAt + '@sha256:'.length);
    if (templateIdProblem(id) !== undefined || !/^[0-9a-f]{64}$/.test(digest)) {
      return { ok: false, message: `is ${showValue(reference)}; a digest reference is ${TEMPLATE_REFERENCE_PREFIX}<id>@sha256:<64 hex digits>` };
    }
    return { ok: true, value: { id, digest } };
  }
  const [id, tag, extra] = rest.split(':');
  if (extra !== undefined || id === undefined || templateIdProblem(id) !== undefined) {
    return { ok: false, message: `is ${showValue(reference)}; name a saved template as ${TEMPLATE_REFERENCE_PREFIX}<id>[:<tag>], ${example}` };
  }
  if (tag !== undefined) {
    const problem = templateTagProblem(tag);
    if (problem !== undefined) return { ok: false, message: `is ${showValue(reference)}: ${problem}` };
    return { ok: true, value: { id, tag } };
  }
  return { ok: true, value: { id } };
}

/** The reference text for a template key (what `spin pipeline-template` and Deck write). */
export function templateReferenceText(reference: TemplateReference): string {
  return `${TEMPLATE_REFERENCE_PREFIX}${templateKey(reference)}`;
}

/** Parses a v2 pipeline template; `template` is undefined iff an issue is an error. */
export function parsePipelineTemplate(input: unknown, options: { readonly pointer?: string } = {}): { template?: PipelineTemplate; issues: ValidationIssue[] } {
  const base = options.pointer ?? '';
  const copied = copyPlainData(input, base);
  if (!copied.ok) return { issues: [issue(copied.pointer, copied.limit ? 'limit' : 'invalid-document', copied.message)] };
  const raw = copied.value;
  if (!isObject(raw)) {
    return { issues: [issue(base, 'wrong-type', `expected a pipeline template {"schema": "v2", "id": ..., "variables": [...], "pipeline": {...}}, got ${showValue(raw)}`, raw)] };
  }
  const issues: ValidationIssue[] = [];
  if (raw.schema !== 'v2') {
    issues.push(issue(pointerJoin(base, 'schema'), raw.schema === undefined ? 'required' : 'invalid-value', `template schema version is unsupported: expected 'v2', got ${showValue(raw.schema)}; set "schema": "v2"`, raw.schema));
  }
  const idProblem = templateIdProblem(raw.id);
  if (idProblem !== undefined) issues.push(issue(pointerJoin(base, 'id'), raw.id === undefined ? 'required' : 'invalid-value', idProblem, raw.id));
  if (raw.protect !== undefined && typeof raw.protect !== 'boolean') {
    issues.push(issue(pointerJoin(base, 'protect'), 'wrong-type', `is ${showValue(raw.protect)}; use true (configurations may not change the stages) or false`, raw.protect));
  }
  if (raw.metadata !== undefined && !isObject(raw.metadata)) {
    issues.push(issue(pointerJoin(base, 'metadata'), 'wrong-type', `is ${showValue(raw.metadata)}; give an object {"name", "description", "owner", "scopes"}`, raw.metadata));
  }
  let pipeline: Json = {};
  if (raw.pipeline === undefined) {
    issues.push(issue(pointerJoin(base, 'pipeline'), 'required', 'is missing; a template holds the pipeline it renders, e.g. "pipeline": {"stages": [...], "triggers": []}'));
  } else if (!isObject(raw.pipeline)) {
    issues.push(issue(pointerJoin(base, 'pipeline'), 'wrong-type', `is ${showValue(raw.pipeline)}; give the templated pipeline as an object with "stages"`, raw.pipeline));
  } else {
    pipeline = raw.pipeline;
    issues.push(...stageListIssues(pipeline.stages, pointerJoin(base, 'pipeline', 'stages')));
  }
  const variables = parseVariables(raw.variables, pointerJoin(base, 'variables'), issues);
  if (issues.some((found) => found.severity === 'error')) return { issues };
  return { template: { id: raw.id as string, protect: raw.protect === true, variables, pipeline, raw }, issues };
}

function parseVariables(input: unknown, pointer: string, issues: ValidationIssue[]): TemplateVariable[] {
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input)) {
    issues.push(issue(pointer, 'wrong-type', `is ${showValue(input)}; give a list of variables, e.g. [{"name": "waitTime", "type": "int", "defaultValue": 30}]`, input));
    return [];
  }
  const variables: TemplateVariable[] = [];
  const seen = new Set<string>();
  input.forEach((item, index) => {
    const at = pointerJoin(pointer, index);
    if (!isObject(item)) {
      issues.push(issue(at, 'wrong-type', `is ${showValue(item)}; a variable is an object {"name", "type", "defaultValue"}`, item));
      return;
    }
    if (typeof item.name !== 'string' || !VARIABLE_NAME.test(item.name)) {
      issues.push(issue(pointerJoin(at, 'name'), item.name === undefined ? 'required' : 'invalid-value', `is ${showValue(item.name)}; a variable name is letters, digits and '_' (${VARIABLE_NAME.source})`, item.name));
      return;
    }
    if (seen.has(item.name)) {
      issues.push(issue(pointerJoin(at, 'name'), 'invalid-value', `'${item.name}' is declared twice; keep one declaration`, item.name));
      return;
    }
    seen.add(item.name);
    if (item.type !== undefined && typeof item.type !== 'string') {
      issues.push(issue(pointerJoin(at, 'type'), 'wrong-type', `is ${showValue(item.type)}; use one of ${VARIABLE_TYPES.join(', ')}`, item.type));
      return;
    }
    variables.push({
      name: item.name,
      type: typeof item.type === 'string' ? item.type : 'object',
      nullable: item.nullable === true,
      ...(item.defaultValue !== undefined && item.defaultValue !== null ? { defaultValue: item.defaultValue } : {}),
      ...(typeof item.description === 'string' ? { description: item.description } : {}),
    });
  });
  return variables;
}

/** The variable types Orca checks values against (and `object`, which takes anything). */
export const VARIABLE_TYPES: readonly string[] = ['object', 'string', 'int', 'float', 'bool', 'list'];

function stageListIssues(stages: unknown, pointer: string): ValidationIssue[] {
  if (stages === undefined) return [];
  if (!Array.isArray(stages)) return [issue(pointer, 'wrong-type', `is ${showValue(stages)}; give a list of stages`, stages)];
  const issues: ValidationIssue[] = [];
  stages.forEach((stage, index) => {
    const at = pointerJoin(pointer, index);
    if (!isObject(stage)) issues.push(issue(at, 'wrong-type', `is ${showValue(stage)}; a stage is an object with refId, type and name`, stage));
    else if (typeof stage.refId !== 'string' && typeof stage.refId !== 'number') {
      issues.push(issue(pointerJoin(at, 'refId'), 'refid-missing', `is ${showValue(stage.refId)}; every stage of a template or templated pipeline needs a refId (overrides and injections name stages by it)`, stage.refId));
    } else if (stage.inject !== undefined && stage.inject !== null && !isObject(stage.inject)) {
      issues.push(issue(pointerJoin(at, 'inject'), 'wrong-type', `is ${showValue(stage.inject)}; give one rule: {"first": true}, {"last": true}, {"before": ["<refId>"]} or {"after": ["<refId>"]}`, stage.inject));
    }
  });
  return issues;
}

function listField(raw: Json, field: string, base: string, issues: ValidationIssue[]): unknown[] {
  const value = raw[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    issues.push(issue(pointerJoin(base, field), 'wrong-type', `is ${showValue(value)}; give a list`, value));
    return [];
  }
  return value;
}

/** Parses a templated pipeline (v2 template configuration); `config` is undefined iff an issue is an error. */
export function parseTemplatedPipeline(input: unknown, options: { readonly pointer?: string } = {}): { config?: TemplatedPipelineConfig; issues: ValidationIssue[] } {
  const base = options.pointer ?? '';
  const copied = copyPlainData(input, base);
  if (!copied.ok) return { issues: [issue(copied.pointer, copied.limit ? 'limit' : 'invalid-document', copied.message)] };
  const raw = copied.value;
  if (!isObject(raw)) return { issues: [issue(base, 'wrong-type', `expected a templated pipeline object, got ${showValue(raw)}`, raw)] };
  const issues: ValidationIssue[] = [];
  if (raw.schema !== 'v2') {
    issues.push(issue(pointerJoin(base, 'schema'), raw.schema === undefined ? 'required' : 'invalid-value', `config schema version is unsupported: expected 'v2', got ${showValue(raw.schema)}; set "schema": "v2"`, raw.schema));
  }
  if (typeof raw.application !== 'string' || raw.application.trim() === '') {
    issues.push(issue(pointerJoin(base, 'application'), 'required', `is ${showValue(raw.application)}; a templated pipeline names its application, e.g. "application": "hello"`, raw.application));
  }
  let reference: TemplateReference | undefined;
  const template = raw.template;
  if (!isObject(template)) {
    issues.push(
      issue(
        pointerJoin(base, 'template'),
        template === undefined ? 'required' : 'wrong-type',
        `is ${showValue(template)}; name the template: {"artifactAccount": "${TEMPLATE_ARTIFACT_ACCOUNT}", "type": "${TEMPLATE_ARTIFACT_TYPE}", "reference": "${TEMPLATE_REFERENCE_PREFIX}<id>[:<tag>]"}`,
        template,
      ),
    );
  } else {
    if (template.type !== undefined && template.type !== TEMPLATE_ARTIFACT_TYPE) {
      issues.push(issue(pointerJoin(base, 'template', 'type'), 'invalid-value', `is ${showValue(template.type)}; templates are read from the template store only: use "${TEMPLATE_ARTIFACT_TYPE}"`, template.type));
    }
    const parsed = parseTemplateReference(template.reference);
    if (parsed.ok) reference = parsed.value;
    else issues.push(issue(pointerJoin(base, 'template', 'reference'), template.reference === undefined ? 'required' : 'invalid-value', parsed.message, template.reference));
  }
  let variables: Record<string, unknown> = {};
  if (raw.variables !== undefined && raw.variables !== null) {
    if (isObject(raw.variables)) variables = raw.variables;
    else issues.push(issue(pointerJoin(base, 'variables'), 'wrong-type', `is ${showValue(raw.variables)}; give the values by name, e.g. {"waitTime": 30}`, raw.variables));
  }
  const stages = listField(raw, 'stages', base, issues);
  issues.push(...stageListIssues(stages, pointerJoin(base, 'stages')));
  const exclude = listField(raw, 'exclude', base, issues);
  exclude.forEach((item, index) => {
    // Orca ignores what it does not know here (Deck may write 'expectedArtifacts'): a warning, not a refusal.
    if (!EXCLUDABLE.includes(item as string)) {
      issues.push(issue(pointerJoin(base, 'exclude', index), 'invalid-value', `is ${showValue(item)}, which has no effect; a templated pipeline may exclude ${EXCLUDABLE.map((name) => `'${name}'`).join(', ')} of its template`, item, 'warning'));
    }
  });
  const triggers = listField(raw, 'triggers', base, issues);
  const parameters = listField(raw, 'parameters', base, issues);
  const notifications = listField(raw, 'notifications', base, issues);
  if (issues.some((found) => found.severity === 'error') || reference === undefined) return { issues };
  return { config: { reference, variables, stages: stages as Json[], exclude: exclude as string[], triggers, parameters, notifications, raw }, issues };
}

/** Issues of a rendered pipeline, pointed at the templated document as `/rendered/...`. */
export function renderedIssues(issues: readonly ValidationIssue[]): ValidationIssue[] {
  return issues.map((found) => ({ ...found, pointer: `/rendered${found.pointer}` }));
}

/** JSON with object keys sorted: equal documents give equal text whatever their key order (dedup, digests, comparisons). */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (isObject(value)) return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${stableJson(value[key])}`).join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

/** What a templated pipeline may leave out of its template (`exclude`), as Orca reads it. */
export const EXCLUDABLE: readonly string[] = ['triggers', 'parameters', 'notifications'];
