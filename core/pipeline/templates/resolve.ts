/**
 * A templated pipeline rendered with the template its reference names: parse the configuration,
 * read the template through `lookup` (the template store, or files for `gennaker template plan`),
 * parse it, render. Every problem comes back as issues with pointers into the configuration
 * (`/template/...` for the template's own).
 *
 * Rendering evaluates expressions, so the Lambda bundles load this module (and the evaluator)
 * on first use (scripts/build.js): an API call that renders nothing does not pay for it.
 */
import type { ValidationIssue } from '../../issues.ts';
import { parsePipelineTemplate, parseTemplatedPipeline, templateKey, templateReferenceText } from './model.ts';
import { renderTemplatedPipeline } from './render.ts';

/** Reads a template document by key (`id`, `id:tag`, `id@sha256:digest`); undefined when there is none. */
export type TemplateLookup = (key: string) => Promise<Readonly<Record<string, unknown>> | undefined>;

export interface ResolvedTemplatedPipeline {
  /** The rendered pipeline, undefined iff an issue is an error. */
  readonly pipeline?: Record<string, unknown>;
  readonly issues: readonly ValidationIssue[];
  /** The template key the configuration named, when it named one. */
  readonly templateKey?: string;
}

/** Renders `config` (a `templatedPipeline`) with its template from `lookup`. */
export async function resolveTemplatedPipeline(config: unknown, lookup: TemplateLookup): Promise<ResolvedTemplatedPipeline> {
  const parsed = parseTemplatedPipeline(config);
  if (!parsed.config) return { issues: parsed.issues };
  const key = templateKey(parsed.config.reference);
  const document = await lookup(key);
  if (document === undefined) {
    const issue: ValidationIssue = {
      pointer: '/template/reference',
      code: 'invalid-value',
      message: `no pipeline template is saved as '${key}' (${templateReferenceText(parsed.config.reference)}); save it first (POST /v2/pipelineTemplates, gennaker template save) or fix the reference`,
      severity: 'error',
      value: templateReferenceText(parsed.config.reference),
    };
    return { issues: [...parsed.issues, issue], templateKey: key };
  }
  const template = parsePipelineTemplate(document, { pointer: '/template' });
  if (!template.template) {
    const issues = template.issues.map((found) => ({ ...found, message: `template '${key}': ${found.message}` }));
    return { issues: [...parsed.issues, ...issues], templateKey: key };
  }
  const rendered = renderTemplatedPipeline(parsed.config, template.template);
  return { ...(rendered.pipeline ? { pipeline: rendered.pipeline } : {}), issues: [...parsed.issues, ...template.issues, ...rendered.issues], templateKey: key };
}
