/**
 * The pipeline template commands of Front50's `/v2/pipelineTemplates`, with its bookkeeping: a
 * save writes the template under its id (or `id:tag`), under `id:latest` too (unless that was
 * the tag), and under `id@sha256:<digest>` of its content, so a
 * templated pipeline can pin a tag or an exact content. A template that templated pipelines
 * still reference cannot be deleted. Templates are global, as in Spinnaker: any authenticated
 * caller may read and write them, and every write is in the audit log.
 */
import type { Caller } from '../../execution/execution-service-api.ts';
import { auditedCaller, type AuditLog } from '../../ports/audit-log.ts';
import type { Clock } from '../../ports/clock.ts';
import type { ExecutionStore, JsonObject } from '../../ports/execution-store.ts';
import type { PipelineTemplateStore, StoredPipelineTemplate } from '../../ports/pipeline-template-store.ts';
import type { ValidationIssue } from '../../issues.ts';
import { isTemplatedPipeline, parsePipelineTemplate, stableJson, parseTemplateReference, templateKey, templateTagProblem, undecoratedId, type TemplateReference } from './model.ts';
import type { ResolvedTemplatedPipeline } from './resolve.ts';

export type TemplateCommandResult =
  | { readonly ok: true; readonly template: JsonObject }
  | { readonly ok: false; readonly reason: 'invalid' | 'conflict' | 'not-found' | 'too-large'; readonly message: string; readonly issues?: readonly ValidationIssue[] };

/** A template version asked for: the id with a tag or a digest (never both). */
export interface TemplateVersionQuery {
  readonly id: string;
  readonly tag?: string;
  readonly digest?: string;
}

export interface PipelineTemplates {
  save(caller: Caller, body: JsonObject, options?: { readonly tag?: string }): Promise<TemplateCommandResult>;
  update(caller: Caller, id: string, body: JsonObject, options?: { readonly tag?: string }): Promise<TemplateCommandResult>;
  get(query: TemplateVersionQuery): Promise<TemplateCommandResult>;
  /** Every stored version (every key), optionally only those whose `metadata.scopes` name one of `scopes`. */
  list(scopes?: readonly string[]): Promise<JsonObject[]>;
  /** The v2 templates grouped by undecorated id (`/v2/pipelineTemplates/versions`). */
  versions(scopes?: readonly string[]): Promise<Record<string, JsonObject[]>>;
  remove(caller: Caller, query: TemplateVersionQuery): Promise<TemplateCommandResult>;
  /** The latest versions of the pipelines that reference the template (any tag or digest of it). */
  dependents(id: string): Promise<JsonObject[]>;
  /** Renders a templated pipeline with the saved templates (`/v2/pipelineTemplates/plan`). */
  plan(config: JsonObject): Promise<ResolvedTemplatedPipeline>;
}

export interface PipelineTemplatesDeps {
  readonly templates: PipelineTemplateStore;
  /** Where the templated pipelines are, for the dependents of a template. */
  readonly pipelines: Pick<ExecutionStore, 'listApplications' | 'listPipelineConfigs'>;
  /** Hex SHA-256 of a text (the content digest). */
  readonly sha256: (text: string) => Promise<string>;
  readonly clock: Clock;
  readonly audit?: AuditLog;
  readonly onAuditError?: (error: unknown) => void;
}

/** Fields Front50 keeps in a stored template for itself, left out of the digest and of answers. */
const BOOKKEEPING = ['tag', 'digest', 'lastModified', 'lastModifiedBy', 'updateTs'];

function withoutBookkeeping(template: JsonObject): Record<string, unknown> {
  const out: Record<string, unknown> = { ...template };
  for (const field of BOOKKEEPING) delete out[field];
  return out;
}

function scopesOf(template: JsonObject): string[] {
  const metadata = template.metadata as { scopes?: unknown } | undefined;
  return Array.isArray(metadata?.scopes) ? metadata.scopes.filter((scope): scope is string => typeof scope === 'string') : [];
}

/** Creates the template commands. */
export function createPipelineTemplates(deps: PipelineTemplatesDeps): PipelineTemplates {
  const { templates } = deps;

  const audit = async (caller: Caller, action: string, target: string, result: string, detail?: string): Promise<void> => {
    if (!deps.audit) return;
    try {
      await deps.audit.append({
        time: deps.clock.now(),
        ...auditedCaller(caller),
        action,
        target,
        result,
        ...(detail !== undefined ? { detail } : {}),
      });
    } catch (error) {
      deps.onAuditError?.(error);
    }
  };

  const audited = async (caller: Caller, action: string, target: string, run: () => Promise<TemplateCommandResult>): Promise<TemplateCommandResult> => {
    const result = await run();
    await audit(caller, action, target, result.ok ? 'ok' : result.reason, result.ok ? undefined : result.message);
    return result;
  };

  const versionKey = (query: TemplateVersionQuery): { ok: true; key: string } | { ok: false; message: string } => {
    if (query.tag !== undefined && query.tag !== '' && query.digest !== undefined && query.digest !== '') {
      return { ok: false, message: "cannot query a pipeline template by 'tag' and 'digest' simultaneously; specify one of 'tag' or 'digest'" };
    }
    const reference: TemplateReference = { id: query.id, ...(query.tag ? { tag: query.tag } : {}), ...(query.digest ? { digest: query.digest } : {}) };
    return { ok: true, key: templateKey(reference) };
  };

  /** Writes the template under its key, `id:latest` and its digest (Front50's save/update). */
  const write = async (caller: Caller, key: string, id: string, template: Record<string, unknown>, tag: string | undefined, create: boolean): Promise<TemplateCommandResult> => {
    const stored = { ...template, ...(tag !== undefined ? { tag } : {}), lastModifiedBy: caller.user, updateTs: deps.clock.now() };
    const put = await templates.put({ key, id, template: stored, updatedBy: caller.user }, { create });
    if (!put.ok) {
      return put.reason === 'exists'
        ? { ok: false, reason: 'conflict', message: `a pipeline template with the id ${key} already exists; change it with PUT /v2/pipelineTemplates/${id}${tag ? `?tag=${tag}` : ''}` }
        : { ok: false, reason: 'too-large', message: put.message };
    }
    if (tag === undefined || tag !== 'latest') {
      await templates.put({ key: `${id}:latest`, id, template: { ...stored, tag: 'latest' }, updatedBy: caller.user });
    }
    const digest = await deps.sha256(stableJson(withoutBookkeeping(template)));
    const digestKey = `${id}@sha256:${digest}`;
    // Same content, same digest: the first write stands.
    await templates.put({ key: digestKey, id, template: { ...withoutBookkeeping(stored), digest, lastModifiedBy: caller.user, updateTs: deps.clock.now() }, updatedBy: caller.user }, { create: true });
    return { ok: true, template: { ...stored, digest } };
  };

  const checked = (body: JsonObject, tagParameter: string | undefined): { ok: true; id: string; tag?: string; template: Record<string, unknown> } | Extract<TemplateCommandResult, { ok: false }> => {
    const tag = tagParameter !== undefined && tagParameter !== '' ? tagParameter : typeof body.tag === 'string' && body.tag !== '' ? body.tag : undefined;
    if (tag !== undefined) {
      const problem = templateTagProblem(tag);
      if (problem !== undefined) return { ok: false, reason: 'invalid', message: problem };
    }
    const template = withoutBookkeeping(body);
    const parsed = parsePipelineTemplate(template);
    const errors = parsed.issues.filter((issue) => issue.severity === 'error');
    if (!parsed.template) {
      const first = errors[0];
      return { ok: false, reason: 'invalid', message: `the pipeline template is invalid; nothing was saved${first ? ` (first: ${first.pointer || '/'}: ${first.message})` : ''}`, issues: parsed.issues };
    }
    return { ok: true, id: parsed.template.id, ...(tag !== undefined ? { tag } : {}), template };
  };

  const answer = (stored: StoredPipelineTemplate): JsonObject => withoutBookkeeping(stored.template);

  const listed = async (scopes: readonly string[] | undefined): Promise<StoredPipelineTemplate[]> => {
    const all = await templates.list();
    const wanted = (scopes ?? []).map((scope) => scope.toLowerCase());
    return wanted.length === 0 ? [...all] : all.filter((stored) => scopesOf(stored.template).some((scope) => wanted.includes(scope.toLowerCase())));
  };

  const dependentConfigs = async (key: string): Promise<JsonObject[]> => {
    const id = undecoratedId(key);
    const found: JsonObject[] = [];
    let cursor: string | undefined;
    do {
      const page = await deps.pipelines.listApplications(cursor === undefined ? {} : { cursor });
      for (const application of page.items) {
        for (const version of await deps.pipelines.listPipelineConfigs(application.name)) {
          if (!isTemplatedPipeline(version.config)) continue;
          const reference = parseTemplateReference((version.config.template as { reference?: unknown } | undefined)?.reference);
          if (!reference.ok || reference.value.id !== id) continue;
          if (key === id || templateKey(reference.value) === key) found.push({ ...version.config, id: version.id, application: version.application, name: version.name });
        }
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
    return found;
  };

  return {
    save: (caller, body, options = {}) =>
      audited(caller, 'savePipelineTemplate', String(body.id ?? ''), async () => {
        const input = checked(body, options.tag);
        if (!input.ok) return input;
        const key = input.tag !== undefined ? `${input.id}:${input.tag}` : input.id;
        return write(caller, key, input.id, input.template, input.tag, true);
      }),

    update: (caller, id, body, options = {}) =>
      audited(caller, 'updatePipelineTemplate', id, async () => {
        if (body.id !== undefined && body.id !== id) {
          return { ok: false, reason: 'invalid', message: `/id: is ${JSON.stringify(body.id)} but the path names '${id}'; leave 'id' out or make them equal` };
        }
        const input = checked({ ...body, id }, options.tag);
        if (!input.ok) return input;
        const key = input.tag !== undefined ? `${input.id}:${input.tag}` : input.id;
        return write(caller, key, input.id, input.template, input.tag, false);
      }),

    async get(query) {
      const key = versionKey(query);
      if (!key.ok) return { ok: false, reason: 'invalid', message: key.message };
      const stored = await templates.get(key.key);
      return stored === undefined
        ? { ok: false, reason: 'not-found', message: `no pipeline template is saved as '${key.key}'; GET /v2/pipelineTemplates lists them` }
        : { ok: true, template: answer(stored) };
    },

    async list(scopes) {
      return (await listed(scopes)).map((stored) => stored.template);
    },

    async versions(scopes) {
      const grouped: Record<string, JsonObject[]> = {};
      for (const stored of await listed(scopes)) {
        if (stored.template.schema !== 'v2') continue;
        (grouped[stored.id] ??= []).push(stored.template);
      }
      return grouped;
    },

    remove: (caller, query) =>
      audited(caller, 'deletePipelineTemplate', query.id, async () => {
        const key = versionKey(query);
        if (!key.ok) return { ok: false, reason: 'invalid', message: key.message };
        const dependents = await dependentConfigs(key.key);
        if (dependents.length > 0) {
          return {
            ok: false,
            reason: 'conflict',
            message: `the following pipeline configs depend on template '${key.key}': ${dependents.map((config) => `${String(config.application)}/${String(config.name)} (${String(config.id)})`).join(', ')}; point them at another template or delete them first`,
          };
        }
        const stored = await templates.get(key.key);
        if (stored === undefined) return { ok: false, reason: 'not-found', message: `no pipeline template is saved as '${key.key}'; GET /v2/pipelineTemplates lists them` };
        await templates.delete(key.key);
        return { ok: true, template: answer(stored) };
      }),

    dependents: (id) => dependentConfigs(undecoratedId(id)),

    plan: async (config) => (await import('./resolve.ts')).resolveTemplatedPipeline(config, async (key) => (await templates.get(key))?.template),
  };
}
