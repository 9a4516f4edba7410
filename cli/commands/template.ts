/**
 * `gennaker template ...`: Managed Pipeline Templates v2 from the command line, as `spin
 * pipeline-template` offers them. `plan` renders a templated pipeline: with `--template FILE`
 * here, from files alone; otherwise through the API with the saved templates. `save`, `list`,
 * `get` and `delete` call `/v2/pipelineTemplates`; `from-pipeline` makes a template of a
 * pipeline file, as Deck's "Export as template" does.
 */
import type { IoHost } from '../../core/io-host.ts';
import { hasErrors, type ValidationIssue } from '../../core/issues.ts';
import { parsePipeline } from '../../core/pipeline/parse.ts';
import { isTemplatedPipeline, parsePipelineTemplate, renderedIssues, templateIdProblem, undecoratedId } from '../../core/pipeline/templates/model.ts';
import { templateFromPipeline } from '../../core/pipeline/templates/render.ts';
import { resolveTemplatedPipeline } from '../../core/pipeline/templates/resolve.ts';
import { ApiError } from '../api-client.ts';
import type { LoadedDocument } from '../pipeline-files.ts';
import { EXIT, UsageError } from '../usage.ts';
import type { ApiCommandContext } from './api-commands.ts';

type Json = Record<string, unknown>;

/** The one object of a document, or the issues that say why there is none. */
function single(document: LoadedDocument, what: string): { ok: true; value: Json } | { ok: false; issues: readonly ValidationIssue[] } {
  if (document.issues.length > 0) return { ok: false, issues: document.issues };
  const [first, ...others] = document.pipelines;
  if (first === undefined || others.length > 0 || typeof first.input !== 'object' || first.input === null || Array.isArray(first.input)) {
    return { ok: false, issues: [{ pointer: '', code: 'invalid-document', message: `expected one ${what} object, got ${document.pipelines.length === 1 ? 'something else' : `${document.pipelines.length} documents`}`, severity: 'error' }] };
  }
  return { ok: true, value: first.input as Json };
}

function report(io: IoHost, source: string, issues: readonly ValidationIssue[]): void {
  for (const issue of issues) io.emit({ kind: 'validation-issue', source, issue });
}

/** Prints a rendered pipeline after checking it as a pipeline; exit 1 on any error. */
function printPlan(io: IoHost, source: string, rendered: Json | undefined, issues: readonly ValidationIssue[]): number {
  const checked = rendered ? renderedIssues(parsePipeline(rendered).issues) : [];
  const all = [...issues, ...checked];
  report(io, source, all);
  if (!rendered || hasErrors(all)) {
    io.emit({ kind: 'error', message: `${source}: the templated pipeline does not render to a valid pipeline` });
    return EXIT.failed;
  }
  io.emit({ kind: 'data', text: JSON.stringify(rendered, null, 2) });
  return EXIT.ok;
}

function templatedConfig(io: IoHost, config: LoadedDocument): Json | undefined {
  const read = single(config, 'templated pipeline');
  if (!read.ok) {
    report(io, config.source, read.issues);
    return undefined;
  }
  if (!isTemplatedPipeline(read.value)) {
    io.emit({ kind: 'error', message: `${config.source}: not a templated pipeline; give "schema": "v2", "type": "templatedPipeline" and a "template" with its reference (a plain pipeline needs no plan: gennaker validate checks it)` });
    return undefined;
  }
  return read.value;
}

/**
 * `gennaker template plan CONFIG --template TEMPLATE`: renders here. The configuration's
 * reference must name the template file's id (any tag or digest matches the file).
 */
export async function templatePlanLocal(io: IoHost, config: LoadedDocument, template: LoadedDocument): Promise<number> {
  const value = templatedConfig(io, config);
  if (value === undefined) return EXIT.failed;
  const read = single(template, 'pipeline template');
  if (!read.ok) {
    report(io, template.source, read.issues);
    return EXIT.failed;
  }
  const templateId = read.value.id;
  const resolved = await resolveTemplatedPipeline(value, async (key) => (undecoratedId(key) === templateId ? read.value : undefined));
  return printPlan(io, config.source, resolved.pipeline, resolved.issues);
}

/** `gennaker template plan CONFIG`: renders through the API, with the saved templates. */
export async function templatePlan(context: ApiCommandContext, config: LoadedDocument): Promise<number> {
  const value = templatedConfig(context.io, config);
  if (value === undefined) return EXIT.failed;
  try {
    const rendered = await context.client.request<Json>('POST', '/v2/pipelineTemplates/plan', value);
    return printPlan(context.io, config.source, rendered, []);
  } catch (error) {
    const issues = error instanceof ApiError ? (error.body as { issues?: ValidationIssue[] } | undefined)?.issues : undefined;
    if (!issues) throw error;
    return printPlan(context.io, config.source, undefined, issues);
  }
}

/**
 * `gennaker template save -f TEMPLATE [--tag TAG]`: creates the template, or updates it when it
 * exists (as `spin pipeline-template save` does).
 */
export async function templateSave(context: ApiCommandContext, document: LoadedDocument, tag: string | undefined): Promise<number> {
  const { io } = context;
  const read = single(document, 'pipeline template');
  if (!read.ok) {
    report(io, document.source, read.issues);
    return EXIT.failed;
  }
  const parsed = parsePipelineTemplate(read.value);
  if (!parsed.template) {
    report(io, document.source, parsed.issues);
    io.emit({ kind: 'error', message: `${document.source}: invalid pipeline template, nothing saved` });
    return EXIT.failed;
  }
  const id = parsed.template.id;
  const query = tag !== undefined ? `?tag=${encodeURIComponent(tag)}` : '';
  let saved: Json;
  let created = true;
  try {
    saved = await context.client.request<Json>('POST', `/v2/pipelineTemplates${query}`, read.value);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 409) throw error;
    saved = await context.client.request<Json>('PUT', `/v2/pipelineTemplates/${encodeURIComponent(id)}${query}`, read.value);
    created = false;
  }
  if (context.json) io.emit({ kind: 'data', text: JSON.stringify(saved, null, 2) });
  else io.emit({ kind: 'info', message: `${created ? 'created' : 'updated'} pipeline template ${id}${tag ? `:${tag}` : ''} (digest ${String(saved.digest)}); reference it as spinnaker://${id}${tag ? `:${tag}` : ''}` });
  return EXIT.ok;
}

/** `gennaker template list`: every saved template version, one line each. */
export async function templateList(context: ApiCommandContext): Promise<number> {
  const templates = await context.client.request<Json[]>('GET', '/v2/pipelineTemplates');
  if (context.json) {
    context.io.emit({ kind: 'data', text: JSON.stringify(templates, null, 2) });
    return EXIT.ok;
  }
  const lines = templates.map((template) => {
    const version = typeof template.tag === 'string' ? `:${template.tag}` : typeof template.digest === 'string' ? `@sha256:${template.digest.slice(0, 12)}` : '';
    const metadata = (template.metadata ?? {}) as { name?: unknown };
    return `${String(template.id)}${version}  ${typeof metadata.name === 'string' ? metadata.name : ''}`.trimEnd();
  });
  context.io.emit({ kind: 'data', text: lines.length > 0 ? lines.join('\n') : 'no pipeline templates saved' });
  return EXIT.ok;
}

/** `gennaker template get ID [--tag TAG]`: the template as saved. */
export async function templateGet(context: ApiCommandContext, id: string, tag: string | undefined): Promise<number> {
  const template = await context.client.request<Json>('GET', `/v2/pipelineTemplates/${encodeURIComponent(id)}${tag !== undefined ? `?tag=${encodeURIComponent(tag)}` : ''}`);
  context.io.emit({ kind: 'data', text: JSON.stringify(template, null, 2) });
  return EXIT.ok;
}

/** `gennaker template delete ID [--tag TAG]`: refused while templated pipelines use it. */
export async function templateDelete(context: ApiCommandContext, id: string, tag: string | undefined): Promise<number> {
  await context.client.request<Json>('DELETE', `/v2/pipelineTemplates/${encodeURIComponent(id)}${tag !== undefined ? `?tag=${encodeURIComponent(tag)}` : ''}`);
  context.io.emit({ kind: 'info', message: `deleted pipeline template ${id}${tag ? `:${tag}` : ''}` });
  return EXIT.ok;
}

/** `gennaker template from-pipeline PIPELINE ID`: a v2 template of the pipeline, on stdout. */
export function templateFromPipelineFile(io: IoHost, document: LoadedDocument, id: string): number {
  const problem = templateIdProblem(id);
  if (problem !== undefined) throw new UsageError(`the template id ${problem}`);
  const read = single(document, 'pipeline');
  if (!read.ok) {
    report(io, document.source, read.issues);
    return EXIT.failed;
  }
  io.emit({ kind: 'data', text: JSON.stringify(templateFromPipeline(read.value, { id }), null, 2) });
  return EXIT.ok;
}
