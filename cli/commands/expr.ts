/**
 * `gennaker expr`: debug an expression the way a stage would evaluate it. Against a real
 * execution through the API (`POST /pipelines/{id}/evaluateExpression`, or the stage form), or
 * against a pipeline file here, with a made-up manual trigger. Prints the value, or the one-line
 * failure and exits 1.
 */
import { evaluateAgainstExecution, unstartedExecution, type EvaluationAnswer } from '../../core/execution/evaluate-expression.ts';
import type { IoHost } from '../../core/io-host.ts';
import { formatIssue } from '../../core/issues.ts';
import { parsePipeline } from '../../core/pipeline/parse.ts';
import type { LoadedDocument } from '../pipeline-files.ts';
import { EXIT, UsageError } from '../usage.ts';
import type { ApiCommandContext } from './api-commands.ts';
import { pickPipeline } from './compile.ts';
import { parseParams } from './progress.ts';

export const EXPR_USAGE = "expr <executionId> [<stageId>] '<expression>', or expr --pipeline <pipeline.json> '<expression>' [--param k=v]...";

/** A bare expression is wrapped in `${ }`: at the terminal `trigger.user` means `${trigger.user}`. */
export function asTemplate(expression: string): string {
  return expression.includes('${') ? expression : `\${${expression}}`;
}

/** Prints an answer: the value (text as is, anything else as JSON), or each failure on one line (exit 1). */
export function printAnswer(io: IoHost, answer: EvaluationAnswer, json: boolean): number {
  const failures = Object.entries(answer.detail ?? {}).flatMap(([expression, entries]) => entries.map((entry) => `\${${expression}}: ${entry.description}`));
  if (json) io.emit({ kind: 'data', text: JSON.stringify(answer, null, 2) });
  else if (failures.length === 0) io.emit({ kind: 'data', text: typeof answer.result === 'string' ? answer.result : JSON.stringify(answer.result) ?? 'null' });
  if (!json) for (const failure of failures) io.emit({ kind: 'error', message: failure });
  return failures.length === 0 ? EXIT.ok : EXIT.failed;
}

/** `gennaker expr <executionId> [<stageId>] '<expression>'`: through the API, with the caller's READ permission. */
export async function exprRemote(context: ApiCommandContext, args: readonly string[]): Promise<number> {
  if (args.length < 2 || args.length > 3) throw new UsageError(`usage: gennaker ${EXPR_USAGE}`);
  const [id, ...rest] = args as [string, ...string[]];
  const expression = asTemplate(rest[rest.length - 1]!);
  const stage = rest.length === 2 ? rest[0]! : undefined;
  const answer =
    stage === undefined
      ? await context.client.request<EvaluationAnswer>('POST', `/pipelines/${encodeURIComponent(id)}/evaluateExpression`, { expression })
      : await context.client.request<EvaluationAnswer>('GET', `/pipelines/${encodeURIComponent(id)}/${encodeURIComponent(stage)}/evaluateExpression?expression=${encodeURIComponent(expression)}`);
  return printAnswer(context.io, answer, context.json);
}

export interface ExprLocalOptions {
  readonly file: string;
  readonly args: readonly string[];
  readonly params: readonly string[];
  readonly json: boolean;
  /** Who the made-up manual trigger names. */
  readonly user: string;
  readonly now: number;
}

/** `gennaker expr --pipeline p.json '<expression>'`: against the pipeline as it would start, here. */
export async function exprLocal(options: ExprLocalOptions, io: IoHost, load: (path: string) => Promise<LoadedDocument>): Promise<number> {
  if (options.args.length !== 1) throw new UsageError(`usage: gennaker ${EXPR_USAGE}`);
  const document = await load(options.file);
  if (document.issues.length > 0) {
    for (const issue of document.issues) io.emit({ kind: 'error', message: `${document.source}#${formatIssue(issue)}` });
    return EXIT.failed;
  }
  if (document.pipelines.length > 1) throw new UsageError(`${document.source} holds ${document.pipelines.length} pipelines; expr --pipeline takes a file with one`);
  const picked = pickPipeline(document, undefined);
  const parsed = parsePipeline(picked.input, { pointer: picked.pointer });
  if (parsed.pipeline === undefined) {
    for (const issue of parsed.issues.filter((candidate) => candidate.severity === 'error')) io.emit({ kind: 'error', message: `${document.source}#${formatIssue(issue)}` });
    return EXIT.failed;
  }
  const parameters = parseParams(options.params);
  const execution = unstartedExecution(parsed.pipeline, { id: 'expr-preview', trigger: { type: 'manual', user: options.user, parameters }, parameters, now: options.now });
  const outcome = evaluateAgainstExecution(execution, asTemplate(options.args[0]!), { kind: 'execution' }, options.now);
  if (!outcome.ok) {
    io.emit({ kind: 'error', message: outcome.message });
    return EXIT.failed;
  }
  return printAnswer(io, outcome.answer, options.json);
}
