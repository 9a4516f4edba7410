/**
 * `gennaker canary judge`: one judgement of a canary by NetflixACAJudge-v1.0, from a Kayenta
 * canary config and a metrics file. Exit 0 when the judgement ran, whatever its verdict (the
 * verdict is printed); 1 when a file is invalid; 2 for a wrong command line.
 * `gennaker canary report ID`: the execution's canary report as an HTML file (see canaryReport).
 * `gennaker canary config save -f FILE` / `canary config list`: canary configs kept by the API
 * (`/v2/canaryConfig`), for stages that name theirs by `canaryConfigId` or `canaryConfigName`.
 */
import type { IoHost } from '../../core/io-host.ts';
import type { ValidationIssue } from '../../core/issues.ts';
import { hasErrors, showValue } from '../../core/issues.ts';
import {
  DEFAULT_SCORE_THRESHOLDS,
  judgeCanary,
  parseCanaryConfig,
  parseMetricData,
  stringifyJudgeResult,
  type CanaryJudgeResult,
  type ScoreThresholds,
} from '../../core/canary/index.ts';
import { canaryStagesOf, noCanaryStageMessage, renderCanaryReport } from '../../core/canary/report.ts';
import type { OrcaExecution } from '../../core/execution/orca-shape.ts';
import { SUB_COMMANDS, unknownCommand } from '../arguments.ts';
import { EXIT, UsageError } from '../usage.ts';
import type { ApiCommandContext } from './api-commands.ts';

export interface CanaryCommandOptions {
  readonly config?: string;
  readonly data?: string;
  readonly thresholds?: string;
  readonly json: boolean;
}

export interface CanaryCommandDeps {
  readonly readText: (path: string) => Promise<string>;
}

/** Kayenta's (and Orca's) warning when a control series is short. */
const FEW_POINTS = 50;

export async function runCanary(args: readonly string[], options: CanaryCommandOptions, io: IoHost, deps: CanaryCommandDeps): Promise<number> {
  const [subcommand, ...extra] = args;
  if (subcommand !== 'judge') {
    throw unknownCommand('canary command', subcommand, SUB_COMMANDS['canary'] ?? [], 'gennaker canary judge --config canary-config.json --data metrics.json');
  }
  if (extra.length > 0) throw new UsageError(`canary judge takes no positional arguments, got ${extra.join(' ')}; pass files with --config and --data`);
  if (!options.config) throw new UsageError('canary judge needs --config <canary-config.json> (a Kayenta canary config)');
  if (!options.data) throw new UsageError('canary judge needs --data <metrics.json> ({"control": {"<metric>": [numbers]}, "experiment": {...}})');
  const override = options.thresholds === undefined ? undefined : parseThresholds(options.thresholds);

  const configDocument = await readJson(options.config, deps, io);
  const dataDocument = await readJson(options.data, deps, io);
  if (configDocument === undefined || dataDocument === undefined) return EXIT.failed;

  const parsedConfig = parseCanaryConfig(configDocument.value);
  report(options.config, parsedConfig.issues, io);
  if (!parsedConfig.config) return EXIT.failed;
  const parsedData = parseMetricData(dataDocument.value, parsedConfig.config);
  report(options.data, parsedData.issues, io);
  if (!parsedData.pairs) return EXIT.failed;

  const thresholds = override ?? parsedConfig.config.scoreThresholds ?? DEFAULT_SCORE_THRESHOLDS;
  const result = judgeCanary(parsedConfig.config, parsedData.pairs, { thresholds });
  if (options.json) {
    io.emit({ kind: 'data', text: stringifyJudgeResult({ judgeResult: result }) });
  } else {
    for (const line of renderJudgement(result, thresholds)) io.emit({ kind: 'data', text: line });
  }
  if (result.results.some((metric) => metric.controlMetadata.stats.count < FEW_POINTS)) {
    io.emit({ kind: 'info', message: `One of the metrics returned fewer than ${FEW_POINTS} data points, which can reduce confidence in the final canary score.` });
  }
  return EXIT.ok;
}

/** `--thresholds marginal,pass`, e.g. `50,75`. */
export function parseThresholds(text: string): ScoreThresholds {
  const parts = text.split(',').map((part) => part.trim());
  const numbers = parts.map((part) => (/^\d+(\.\d+)?$/.test(part) ? Number(part) : Number.NaN));
  if (parts.length !== 2 || numbers.some((value) => Number.isNaN(value))) {
    throw new UsageError(`--thresholds ${showValue(text)} is not two numbers; give marginal,pass, e.g. --thresholds 50,75`);
  }
  const [marginal, pass] = numbers as [number, number];
  if (marginal > pass) throw new UsageError(`--thresholds ${showValue(text)} puts marginal ${marginal} above pass ${pass}; give marginal,pass, e.g. --thresholds 50,75`);
  return { marginal, pass };
}

async function readJson(path: string, deps: CanaryCommandDeps, io: IoHost): Promise<{ value: unknown } | undefined> {
  let text: string;
  try {
    text = await deps.readText(path);
  } catch (error) {
    const code = (error as { code?: string }).code;
    io.emit({ kind: 'error', message: `${path}: cannot read the file (${code ?? (error as Error).message}); check the path` });
    return undefined;
  }
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (error) {
    io.emit({ kind: 'error', message: `${path}: not valid JSON (${(error as Error).message}); fix the syntax` });
    return undefined;
  }
}

function report(source: string, issues: readonly ValidationIssue[], io: IoHost): void {
  for (const issue of issues) io.emit({ kind: 'validation-issue', source, issue });
  if (hasErrors(issues)) io.emit({ kind: 'error', message: `${source}: invalid, nothing judged` });
}

/** The judgement as a table, one row per metric, then the group scores and the score. */
export function renderJudgement(result: CanaryJudgeResult, thresholds: ScoreThresholds): string[] {
  const header = ['metric', 'classification', 'control mean', 'experiment mean', 'ratio', 'reason'];
  const rows = result.results.map((metric) => [
    metric.name,
    metric.classification + (metric.critical ? ' (critical)' : '') + (metric.muted ? ' (muted)' : ''),
    formatNumber(metric.controlMetadata.stats.mean),
    formatNumber(metric.experimentMetadata.stats.mean),
    metric.resultMetadata ? formatNumber(metric.resultMetadata.ratio) : '-',
    metric.classificationReason ?? '',
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ').trimEnd();
  const groups = result.groupScores.map((group) => `${group.name} ${formatNumber(group.score)}`).join(', ');
  const { score } = result;
  return [
    line(header),
    ...rows.map(line),
    '',
    `groups: ${groups || 'none'}`,
    `score: ${score.score} ${score.classification} (marginal ${thresholds.marginal}, pass ${thresholds.pass})${score.classificationReason ? ` - ${score.classificationReason}` : ''}`,
  ];
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 1000 || Math.abs(value) < 0.001 ? value.toPrecision(4) : String(Number(value.toFixed(4)));
}

/**
 * `gennaker canary config save -f canary-config.json`: saves a Kayenta canary config through the
 * API: under its `id` (created or replaced), or under a new id when it has none. Prints the id.
 */
export async function canaryConfigSave(context: ApiCommandContext, path: string, deps: CanaryCommandDeps): Promise<number> {
  const document = await readJson(path, deps, context.io);
  if (document === undefined) return EXIT.failed;
  const config = document.value;
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    context.io.emit({ kind: 'error', message: `${path}: holds ${showValue(config)}; a canary config is one JSON object with "name" and "metrics"` });
    return EXIT.failed;
  }
  const id = (config as Record<string, unknown>).id;
  const saved =
    typeof id === 'string' && id !== ''
      ? await context.client.request<{ canaryConfigId: string }>('PUT', `/v2/canaryConfig/${encodeURIComponent(id)}`, config)
      : await context.client.request<{ canaryConfigId: string }>('POST', '/v2/canaryConfig', config);
  const name = (config as Record<string, unknown>).name;
  context.io.emit(context.json ? { kind: 'data', text: JSON.stringify(saved) } : { kind: 'info', message: `saved canary config '${String(name)}' as ${saved.canaryConfigId}` });
  if (!context.json) context.io.emit({ kind: 'data', text: saved.canaryConfigId });
  return EXIT.ok;
}

/** `gennaker canary config list`: every saved canary config, one line each (id, name, applications, updated). */
export async function canaryConfigList(context: ApiCommandContext): Promise<number> {
  const configs = await context.client.request<Array<{ id: string; name: string; applications: string[]; updatedTimestamp: number }>>('GET', '/v2/canaryConfig');
  if (context.json) {
    context.io.emit({ kind: 'data', text: JSON.stringify(configs, null, 2) });
    return EXIT.ok;
  }
  if (configs.length === 0) context.io.emit({ kind: 'info', message: 'no canary configs saved; save one with gennaker canary config save -f canary-config.json' });
  for (const config of configs) {
    const applications = config.applications.length > 0 ? config.applications.join(',') : '-';
    context.io.emit({ kind: 'data', text: `${config.id}  ${config.name}  ${applications}  ${new Date(config.updatedTimestamp).toISOString()}` });
  }
  return EXIT.ok;
}

/** The default file of `canary report`: `canary-report-<id>.html`, the id reduced to file-name characters. */
export function defaultReportPath(executionId: string): string {
  return `canary-report-${executionId.replace(/[^A-Za-z0-9._-]/g, '_')}.html`;
}

/**
 * `gennaker canary report ID [--out FILE]`: reads the execution through the API of `gennaker up`
 * and writes its canary report, rendered by the same function as `GET /pipelines/{id}/canaryReport`.
 * Prints the path; exit 1 when the execution does not exist or has no canary stage.
 */
export async function canaryReport(
  context: ApiCommandContext,
  executionId: string,
  out: string | undefined,
  deps: { readonly writeText: (path: string, text: string) => Promise<void> },
): Promise<number> {
  const execution = await context.client.request<OrcaExecution>('GET', `/pipelines/${encodeURIComponent(executionId)}`);
  const stages = canaryStagesOf(execution);
  if (stages.length === 0) {
    context.io.emit({ kind: 'error', message: noCanaryStageMessage(executionId) });
    return EXIT.failed;
  }
  const path = out ?? defaultReportPath(executionId);
  await deps.writeText(path, renderCanaryReport({ execution, stages, generatedAt: new Date(context.now()).toISOString() }));
  context.io.emit({ kind: 'data', text: context.json ? JSON.stringify({ path, stages: stages.length }) : path });
  return EXIT.ok;
}
