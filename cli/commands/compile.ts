/** `gennaker compile`: one pipeline to Amazon States Language, with its budgets on request. */
import { writeFile } from 'node:fs/promises';
import type { IoHost, ReportFigure } from '../../core/io-host.ts';
import { parsePipeline } from '../../core/pipeline/parse.ts';
import type { Pipeline } from '../../core/pipeline/model.ts';
import type { ValidationIssue } from '../../core/issues.ts';
import { compilePipeline, type CompileReport } from '../../statemachines/index.ts';
import type { LoadedDocument } from '../pipeline-files.ts';
import { EXIT, UsageError } from '../usage.ts';

export interface CompileCommandOptions {
  readonly file: string | undefined;
  readonly pipeline: string | undefined;
  readonly report: boolean;
  readonly json: boolean;
  readonly stateMap: boolean;
  readonly out: string | undefined;
}

/** Picks the pipeline to compile from a document that may hold several. */
export function pickPipeline(document: LoadedDocument, wanted: string | undefined): { pointer: string; input: unknown } {
  const { pipelines } = document;
  const labelOf = (input: unknown) => {
    const record = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
    return { name: typeof record.name === 'string' ? record.name : undefined, id: typeof record.id === 'string' ? record.id : undefined };
  };
  if (wanted !== undefined) {
    const found = pipelines.find(({ input }) => {
      const { name, id } = labelOf(input);
      return name === wanted || id === wanted;
    });
    if (!found) {
      const names = pipelines.map(({ input }) => labelOf(input).name ?? '(unnamed)').join(', ');
      throw new UsageError(`${document.source} has no pipeline named '${wanted}'; its pipelines are: ${names}`);
    }
    return found;
  }
  if (pipelines.length === 1) return pipelines[0]!;
  const names = pipelines.map(({ input }) => `'${labelOf(input).name ?? '(unnamed)'}'`).join(', ');
  throw new UsageError(
    pipelines.length === 0
      ? `${document.source} holds no pipeline`
      : `${document.source} holds ${pipelines.length} pipelines; choose one with --pipeline NAME (${names})`,
  );
}

/** The report as figures a person reads, with the Step Functions limits beside them. */
export function reportFigures(pipeline: Pipeline, report: CompileReport): { figures: ReportFigure[]; notes: string[] } {
  const figures: ReportFigure[] = [
    { name: 'stages', value: pipeline.stages.length },
    { name: 'states', value: report.states },
    { name: 'definition bytes', value: report.definitionBytes, limit: report.limits.definitionBytes },
    { name: 'worst-case history events', value: report.worstCaseHistoryEvents, limit: report.limits.historyEvents },
  ];
  const notes: string[] = [];
  for (const stage of pipeline.stages) {
    const transitions = report.transitionsPerStage[stage.refId];
    const events = report.historyEventsPerStage[stage.refId];
    notes.push(`stage ${stage.refId} '${stage.name}' (${stage.type}): ${transitions ?? '?'} transitions, ${events ?? '?'} history events at most`);
  }
  for (const child of report.children) {
    notes.push(`stage ${child.refId} runs as child state machine '${child.key}': ${child.worstCaseHistoryEvents} history events at most in its own history`);
  }
  for (const edge of report.addedOrderingEdges) {
    notes.push(`added ordering edge ${edge.from} → ${edge.to} (the graph is not series-parallel; stage ${edge.to} now also waits for ${edge.from})`);
  }
  return { figures, notes };
}

export async function runCompile(
  options: CompileCommandOptions,
  io: IoHost,
  load: (path: string) => Promise<LoadedDocument>,
): Promise<number> {
  if (options.file === undefined) throw new UsageError('compile needs a file: gennaker compile pipeline.json');
  const document = await load(options.file);
  const issues: ValidationIssue[] = [...document.issues];
  let pipeline: Pipeline | undefined;
  if (document.pipelines.length > 0 || issues.length === 0) {
    const picked = pickPipeline(document, options.pipeline);
    const parsed = parsePipeline(picked.input, { pointer: picked.pointer });
    issues.push(...parsed.issues);
    pipeline = parsed.pipeline;
  }
  const compiled = pipeline ? compilePipeline(pipeline) : undefined;
  if (compiled) issues.push(...compiled.issues);
  const failed = issues.some((issue) => issue.severity === 'error') || !compiled;

  if (options.json) {
    io.emit({
      kind: 'data',
      text: JSON.stringify(
        {
          ok: !failed,
          issues,
          ...(compiled && !failed ? { definition: compiled.definition, stateMap: compiled.stateMap, report: compiled.report } : {}),
        },
        null,
        2,
      ),
    });
    return failed ? EXIT.failed : EXIT.ok;
  }

  for (const issue of issues) io.emit({ kind: 'validation-issue', source: document.source, issue });
  if (failed || !compiled || !pipeline) {
    io.emit({ kind: 'error', message: `${document.source}: not compiled; fix the issues above and run again` });
    return EXIT.failed;
  }
  const text = options.stateMap
    ? JSON.stringify({ definition: compiled.definition, stateMap: compiled.stateMap }, null, 2)
    : JSON.stringify(compiled.definition, null, 2);
  if (options.out) {
    await writeFile(options.out, text.endsWith('\n') ? text : `${text}\n`);
    io.emit({ kind: 'info', message: `wrote ${options.out} (${compiled.report.states} states, ${compiled.report.definitionBytes} bytes)` });
  } else {
    io.emit({ kind: 'data', text });
  }
  if (options.report) {
    const { figures, notes } = reportFigures(pipeline, compiled.report);
    io.emit({ kind: 'report', title: `Budgets for '${pipeline.name}'`, figures, notes });
  }
  return EXIT.ok;
}
