/** `gennaker validate`: every problem of every pipeline in every file, one line each. */
import { unknownAccountIssues } from '../../core/accounts/pipeline-accounts.ts';
import { clusterFieldIssues, unknownRegionIssues } from '../../core/deploy/save-checks.ts';
import type { ClusterFieldChecks } from '../../core/ports/cluster-checks.ts';
import type { IoHost } from '../../core/io-host.ts';
import type { AccountRegistry } from '../../core/ports/accounts.ts';
import type { ValidationIssue } from '../../core/issues.ts';
import { strictExpressionIssues } from '../../core/pipeline/expression-syntax.ts';
import { parsePipeline } from '../../core/pipeline/parse.ts';
import { isTemplatedPipeline, parseTemplatedPipeline } from '../../core/pipeline/templates/model.ts';
import { EXIT, UsageError } from '../usage.ts';
import type { LoadedDocument } from '../pipeline-files.ts';

export interface ValidateOptions {
  readonly files: readonly string[];
  readonly json: boolean;
  /** The accounts pipelines may name; when given, an unknown one (or a region it does not list) is an issue. @default not checked */
  readonly accounts?: AccountRegistry;
  /** Each cloud's check of deploy cluster fields, by cloud provider. @default not checked */
  readonly clusterChecks?: ClusterFieldChecks;
  /** `--strict`: an expression Gennaker cannot evaluate is an error, not a warning. @default false */
  readonly strict?: boolean;
}

export interface FileValidation {
  readonly source: string;
  readonly pipelines: number;
  readonly issues: readonly ValidationIssue[];
}

/**
 * Validates documents already loaded; pure apart from what it emits. With `accounts`, the accounts
 * and regions pipelines name are checked; with `clusterChecks`, each cloud's deploy cluster fields;
 * with `strict`, expression warnings are errors.
 */
export function validateDocuments(documents: readonly LoadedDocument[], accounts?: AccountRegistry, clusterChecks?: ClusterFieldChecks, strict = false): FileValidation[] {
  return documents.map((document) => {
    const issues = [...document.issues];
    for (const { pointer, input } of document.pipelines) {
      // A templated pipeline is checked as one here; its rendering needs the template (gennaker template plan).
      issues.push(...(isTemplatedPipeline(input) ? parseTemplatedPipeline(input, { pointer }).issues : parsePipeline(input, { pointer }).issues));
      // Pointers into a document holding several pipelines start with the pipeline's own.
      const within = (found: readonly ValidationIssue[]) => found.map((issue) => ({ ...issue, pointer: `${pointer}${issue.pointer}` }));
      if (accounts) issues.push(...within(unknownAccountIssues(input, accounts)));
      if (accounts) issues.push(...within(unknownRegionIssues(input, accounts)));
      if (clusterChecks) issues.push(...within(clusterFieldIssues(input, clusterChecks, accounts)));
    }
    return { source: document.source, pipelines: document.pipelines.length, issues: strict ? strictExpressionIssues(issues) : issues };
  });
}

export async function runValidate(
  options: ValidateOptions,
  io: IoHost,
  load: (path: string) => Promise<LoadedDocument>,
): Promise<number> {
  if (options.files.length === 0) {
    throw new UsageError('validate needs at least one file: gennaker validate pipeline.json');
  }
  const results = validateDocuments(await Promise.all(options.files.map(load)), options.accounts, options.clusterChecks, options.strict ?? false);
  if (options.json) {
    const files = results.map((result) => ({
      file: result.source,
      pipelines: result.pipelines,
      valid: !result.issues.some((issue) => issue.severity === 'error'),
      issues: result.issues,
    }));
    io.emit({ kind: 'data', text: JSON.stringify({ valid: files.every((file) => file.valid), files }, null, 2) });
  } else {
    for (const result of results) {
      for (const issue of result.issues) io.emit({ kind: 'validation-issue', source: result.source, issue });
      io.emit({
        kind: 'validation-summary',
        source: result.source,
        pipelines: result.pipelines,
        errors: result.issues.filter((issue) => issue.severity === 'error').length,
        warnings: result.issues.filter((issue) => issue.severity === 'warning').length,
      });
    }
  }
  return results.some((result) => result.issues.some((issue) => issue.severity === 'error')) ? EXIT.failed : EXIT.ok;
}
