/**
 * The canary report: one self-contained HTML page per execution (inline CSS and SVG, no
 * scripts, no external URLs), showing for each canary stage the verdict, the score over
 * intervals, and per metric of the last interval its classification, statistics and plots.
 * The CLI writes it to a file and the API serves it; both render it from the stage outputs of
 * run-model.ts with this pure function, so they cannot disagree. Same input, same bytes: the
 * only time on the page is the `generatedAt` the caller passes.
 */
import type { CanaryIntervalSummary, CanaryMetricSummary, CanaryRunOutputs } from './run-model.ts';
import { hasNoCanaryFields, parseCanaryOutputs } from './report-parse.ts';
import { COLOURS, distributionPlot, escapeHtml, formatNumber, scorePlot, seriesPlot } from './report-svg.ts';

export { escapeHtml, formatNumber } from './report-svg.ts';

/** A canary stage of the execution: its results, nothing yet (not started), or why they cannot be shown. */
export interface CanaryReportStage {
  readonly name: string;
  readonly refId: string;
  readonly status: string;
  /** Absent when the stage has not written results yet, or when they are malformed (see `problem`). */
  readonly outputs?: CanaryRunOutputs;
  /** Why the outputs cannot be shown: the field, its value, what was expected. */
  readonly problem?: string;
}

export interface CanaryReportInput {
  readonly execution: {
    readonly id: string;
    readonly name: string;
    readonly application: string;
    readonly status: string;
    /** Epoch milliseconds. */
    readonly startTime?: number | null;
    readonly endTime?: number | null;
  };
  readonly stages: readonly CanaryReportStage[];
  /** When the page was made (ISO-8601), printed in the footer. */
  readonly generatedAt: string;
}

/** The parts of an execution (store record or Orca's shape) the report reads. */
export interface ExecutionWithStages {
  readonly stages: readonly {
    readonly name: string;
    readonly refId: string;
    readonly type: string;
    readonly status: string;
    readonly outputs: Readonly<Record<string, unknown>>;
  }[];
}

/**
 * The canary stages of an execution, in stage order: `kayentaCanary` stages (results at the
 * top level of their outputs) and deploy stages with results under `outputs.canary`.
 */
export function canaryStagesOf(execution: ExecutionWithStages): CanaryReportStage[] {
  const stages: CanaryReportStage[] = [];
  for (const stage of execution.stages) {
    const base = { name: stage.name, refId: stage.refId, status: stage.status };
    let raw: unknown;
    if (stage.type === 'kayentaCanary') raw = stage.outputs;
    else if (stage.outputs['canary'] !== undefined) raw = stage.outputs['canary'];
    else continue;
    if (hasNoCanaryFields(raw)) {
      stages.push(base);
      continue;
    }
    const parsed = parseCanaryOutputs(raw);
    stages.push(parsed.ok ? { ...base, outputs: parsed.outputs } : { ...base, problem: parsed.problem });
  }
  return stages;
}

/** The one line both the API and the CLI give when an execution has no canary stage. */
export function noCanaryStageMessage(executionId: string): string {
  return `execution '${executionId}' has no canary stage (a kayentaCanary stage, or a deploy with strategy canary); the report covers canary analyses only`;
}

/** Kayenta's warning when a control series is short (reference/kayenta-judge.md §9.4). */
const FEW_POINTS = 50;

const CSS = `
:root{color-scheme:light;--text:${COLOURS.text};--muted:#5a6778;--line:#d9dee5;--pass:${COLOURS.pass};--marginal:${COLOURS.marginal};--fail:${COLOURS.fail}}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--text);background:#f7f8fa}
main{max-width:1080px;margin:0 auto;padding:24px}
h1{font-size:1.6em;margin:0 0 4px}h2{font-size:1.3em;margin:32px 0 8px;border-bottom:2px solid var(--line);padding-bottom:4px}
h3{font-size:1.1em;margin:24px 0 8px}h4{font-size:1.05em;margin:0 0 6px;word-break:break-word}
.meta{color:var(--muted);margin:0}.meta span{margin-right:16px;white-space:nowrap}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:16px;margin:12px 0}
.verdict{border-left:8px solid var(--muted)}.verdict.pass{border-left-color:var(--pass)}.verdict.marginal{border-left-color:var(--marginal)}.verdict.fail{border-left-color:var(--fail)}
.verdict .score{font-size:2em;font-weight:700;margin-right:12px}
.badge{display:inline-block;border-radius:4px;padding:0 8px;margin-right:6px;font-weight:600;font-size:.9em;color:#fff;background:var(--muted)}
.badge.pass{background:var(--pass)}.badge.marginal{background:var(--marginal)}.badge.fail,.badge.high,.badge.low,.badge.nodatafailmetric{background:var(--fail)}
.badge.critical{background:#fff;color:var(--fail);border:1px solid var(--fail)}
.badge.nodata{background:#718096}.badge.error{background:#6b46c1}.badge.running{background:#2b6cb0}
table{border-collapse:collapse;margin:8px 0;background:#fff}th,td{border:1px solid var(--line);padding:4px 10px;text-align:left;vertical-align:top}
th{background:#eef1f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
.metric{display:grid;grid-template-columns:minmax(280px,1fr) auto;gap:8px 24px}
.metric .facts{grid-column:1/-1}.metric dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:6px 0}.metric dt{color:var(--muted)}.metric dd{margin:0}
.plots{display:flex;flex-wrap:wrap;gap:12px;grid-column:1/-1}
pre{background:#f1f3f6;padding:6px 8px;border-radius:4px;overflow-x:auto;margin:0;white-space:pre-wrap;word-break:break-all}
svg{max-width:100%;height:auto;font-size:11px;fill:var(--text)}svg text{fill:var(--text)}
.warning{color:#744210;background:#fefcbf;border:1px solid #ecc94b;border-radius:4px;padding:6px 10px}
.problem{color:#742a2a;background:#fff5f5;border:1px solid #feb2b2;border-radius:4px;padding:6px 10px}
nav ul{margin:4px 0;padding-left:20px}footer{color:var(--muted);font-size:.85em;margin-top:32px}
`.trim();

/** The CSS class of a label (Pass, Marginal, High, NodataFailMetric...): lower case, letters only. */
function labelClass(label: string): string {
  return label.toLowerCase().replace(/[^a-z]/g, '');
}

function badge(label: string, kind = labelClass(label)): string {
  return `<span class="badge ${escapeHtml(kind)}">${escapeHtml(label)}</span>`;
}

function timeText(epochMs: number | null | undefined): string | undefined {
  if (epochMs === null || epochMs === undefined || !Number.isFinite(epochMs)) return undefined;
  return new Date(epochMs).toISOString();
}

/** The judge's score classification for a score (reference/kayenta-judge.md §8.6). */
function scoreClass(score: number, thresholds: CanaryRunOutputs['scoreThresholds']): 'Pass' | 'Marginal' | 'Fail' {
  return score >= thresholds.pass ? 'Pass' : score >= thresholds.marginal ? 'Marginal' : 'Fail';
}

/** Why the analysis ended as it did: the stage's own message, else Orca's rule applied to the last score. */
function whyText(outputs: CanaryRunOutputs): string {
  if (outputs.canaryScoreMessage !== undefined && outputs.canaryScoreMessage !== '') return outputs.canaryScoreMessage;
  const finished = outputs.intervals.length;
  if (outputs.overallResult === 'running') return `The analysis is running: ${finished} interval${finished === 1 ? '' : 's'} finished so far.`;
  const last = outputs.overallScore;
  const { marginal, pass } = outputs.scoreThresholds;
  if (last === null) return outputs.overallResult === 'success' ? 'The stage succeeded without a score.' : 'The stage failed before any interval was judged.';
  if (outputs.overallResult === 'success') return `The last score ${formatNumber(last)} is above the marginal threshold ${formatNumber(marginal)} and reaches the pass threshold ${formatNumber(pass)}.`;
  if (last <= marginal) return `The score ${formatNumber(last)} is not above the marginal threshold ${formatNumber(marginal)}.`;
  if (last < pass) return `The last score ${formatNumber(last)} is below the pass threshold ${formatNumber(pass)}.`;
  return 'The stage failed although the last score reached the pass threshold; see the stage for the error.';
}

function verdict(outputs: CanaryRunOutputs): string {
  const { marginal, pass } = outputs.scoreThresholds;
  const score = outputs.overallScore;
  const classification = score === null ? undefined : scoreClass(score, outputs.scoreThresholds);
  const resultLabel = { success: 'Succeeded', failure: 'Failed', running: 'Running' }[outputs.overallResult];
  const resultKind = { success: 'pass', failure: 'fail', running: 'running' }[outputs.overallResult];
  const cardKind = outputs.overallResult === 'running' ? (classification === undefined ? '' : labelClass(classification)) : resultKind;
  const lines = [
    `<div class="card verdict ${cardKind}">`,
    `<p><span class="score">${score === null ? 'no score yet' : escapeHtml(formatNumber(score))}</span>${classification === undefined ? '' : badge(classification)}${badge(resultLabel, resultKind)}</p>`,
    `<p>Score thresholds: pass at ${escapeHtml(formatNumber(pass))} or more, marginal at ${escapeHtml(formatNumber(marginal))} or more (below: fail). Scores by interval: ${
      outputs.canaryScores.length === 0 ? 'none yet' : escapeHtml(outputs.canaryScores.map((value) => formatNumber(value)).join(', '))
    }.</p>`,
    `<p><strong>Why:</strong> ${escapeHtml(whyText(outputs))}</p>`,
    `<p class="meta"><span>control: ${escapeHtml(outputs.controlScope || 'n/a')}</span><span>experiment: ${escapeHtml(outputs.experimentScope || 'n/a')}</span>${
      outputs.canaryConfigName === undefined ? '' : `<span>canary config: ${escapeHtml(outputs.canaryConfigName)}</span>`
    }</p>`,
    '</div>',
  ];
  return lines.join('\n');
}

function intervalTable(intervals: readonly CanaryIntervalSummary[]): string {
  if (intervals.length === 0) return '<p>No interval has finished yet.</p>';
  const rows = intervals.map(
    (interval) =>
      `<tr><td class="num">${escapeHtml(formatNumber(interval.index))}</td><td>${escapeHtml(interval.start)} – ${escapeHtml(interval.end)}</td><td class="num">${escapeHtml(formatNumber(interval.score))}</td><td>${badge(interval.classification)}</td><td>${
        interval.groupScores.length === 0 ? 'none' : interval.groupScores.map((group) => `${escapeHtml(group.name)} ${escapeHtml(formatNumber(group.score))}`).join('; ')
      }</td></tr>`,
  );
  return [
    '<table class="intervals">',
    '<caption>Each interval&#39;s judgement</caption>',
    '<thead><tr><th scope="col">#</th><th scope="col">Window (UTC)</th><th scope="col">Score</th><th scope="col">Classification</th><th scope="col">Group scores</th></tr></thead>',
    `<tbody>${rows.join('\n')}</tbody>`,
    '</table>',
  ].join('\n');
}

function statsTable(metric: CanaryMetricSummary): string {
  const row = (label: string, pick: (side: CanaryMetricSummary['control']) => number | null) =>
    `<tr><th scope="row">${label}</th><td class="num">${escapeHtml(formatNumber(pick(metric.control)))}</td><td class="num">${escapeHtml(formatNumber(pick(metric.experiment)))}</td></tr>`;
  return [
    '<table class="stats">',
    `<caption>${escapeHtml(metric.name)}: statistics</caption>`,
    '<thead><tr><th scope="col">Statistic</th><th scope="col">Control</th><th scope="col">Experiment</th></tr></thead>',
    '<tbody>',
    row('count', (side) => side.count),
    row('mean', (side) => side.mean),
    row('median', (side) => side.median),
    row('min', (side) => side.min),
    row('max', (side) => side.max),
    '</tbody></table>',
  ].join('');
}

function metricArticle(metric: CanaryMetricSummary, id: string): string {
  const interval = metric.interval;
  const facts: string[] = [
    `<dt>Why</dt><dd>${escapeHtml(metric.classificationReason ?? (metric.classification === 'Pass' ? 'No significant difference between experiment and control.' : 'no reason given'))}</dd>`,
    `<dt>Groups</dt><dd>${metric.groups.length === 0 ? 'none' : escapeHtml(metric.groups.join(', '))}</dd>`,
    `<dt>Critical</dt><dd>${metric.critical ? 'yes: this result fails the whole canary' : 'no'}</dd>`,
    `<dt>Ratio</dt><dd>${escapeHtml(formatNumber(metric.ratio))}${metric.ratio === null || metric.ratio === undefined ? '' : ' (experiment mean ÷ control mean)'}</dd>`,
    `<dt>Interval</dt><dd>${
      interval === null || interval === undefined
        ? 'n/a'
        : `[${escapeHtml(formatNumber(interval.lower))}, ${escapeHtml(formatNumber(interval.upper))}] (98% confidence interval of the shift experiment − control)`
    }</dd>`,
  ];
  if (metric.query !== undefined) facts.push(`<dt>Query</dt><dd><pre><code>${escapeHtml(metric.query)}</code></pre></dd>`);
  const controlValues = metric.control.values;
  const experimentValues = metric.experiment.values;
  const plots = [distributionPlot(`${id}-dist`, metric.name, metric.control, metric.experiment)];
  if (controlValues !== undefined || experimentValues !== undefined) plots.push(seriesPlot(`${id}-series`, metric.name, controlValues ?? [], experimentValues ?? []));
  return [
    `<article class="card metric" id="${id}" aria-labelledby="${id}-name">`,
    `<div class="facts"><h4 id="${id}-name">${escapeHtml(metric.name)}</h4>`,
    `<p>${badge(metric.classification)}${metric.critical ? badge('critical', 'critical') : ''}</p>`,
    `<dl>${facts.join('')}</dl></div>`,
    `<div>${statsTable(metric)}</div>`,
    `<div class="plots">${plots.join('\n')}</div>`,
    '</article>',
  ].join('\n');
}

function stageSection(stage: CanaryReportStage, position: number): string {
  const id = `stage-${position}`;
  const heading = `<h2 id="${id}-heading">${escapeHtml(stage.name)} <small>(stage ${escapeHtml(stage.refId)}, ${escapeHtml(stage.status)})</small></h2>`;
  const open = `<section class="canary-stage" id="${id}" aria-labelledby="${id}-heading">`;
  if (stage.problem !== undefined) {
    return [open, heading, `<p class="problem">The canary results of this stage cannot be shown: ${escapeHtml(stage.problem)}.</p>`, '</section>'].join('\n');
  }
  const outputs = stage.outputs;
  if (outputs === undefined) return [open, heading, '<p>The analysis has not written any results yet.</p>', '</section>'].join('\n');
  const last = outputs.intervals[outputs.intervals.length - 1];
  const points = outputs.intervals.map((interval) => ({ index: interval.index, score: interval.score, classification: interval.classification }));
  const parts = [open, heading, verdict(outputs), '<h3>Score over intervals</h3>', scorePlot(`${id}-score`, points, outputs.scoreThresholds), intervalTable(outputs.intervals)];
  if (last === undefined) {
    parts.push('<h3>Metrics</h3>', '<p>No interval has finished yet, so no metric has been judged.</p>');
  } else {
    parts.push(`<h3>Metrics of interval ${escapeHtml(formatNumber(last.index))} (${escapeHtml(last.start)} – ${escapeHtml(last.end)})</h3>`);
    if (last.metrics.some((metric) => metric.control.count < FEW_POINTS)) {
      parts.push(`<p class="warning">One of the metrics returned fewer than ${FEW_POINTS} data points, which can reduce confidence in the final canary score.</p>`);
    }
    if (last.metrics.length === 0) parts.push('<p>This interval judged no metric.</p>');
    last.metrics.forEach((metric, index) => parts.push(metricArticle(metric, `${id}-metric-${index + 1}`)));
  }
  parts.push('</section>');
  return parts.join('\n');
}

const GUIDE = `<section class="guide" id="guide" aria-labelledby="guide-heading">
<h2 id="guide-heading">How to read this report</h2>
<dl>
<dt>Control and experiment</dt><dd>The control (baseline) runs the version in production, the experiment (canary) the new one; both get the same share of traffic, so their metrics are compared like for like.</dd>
<dt>Metric classification</dt><dd><strong>Pass</strong>: no significant difference. <strong>High</strong> / <strong>Low</strong>: the experiment is significantly higher / lower than the control, by the Mann-Whitney test and beyond the allowed effect size. <strong>Nodata</strong>: a side had no data. <strong>NodataFailMetric</strong>: no data for a metric that must have data. <strong>Error</strong>: the metric could not be classified (e.g. every value tied).</dd>
<dt>Critical</dt><dd>A critical metric that does not pass fails the whole canary: the score is 0.</dd>
<dt>Ratio</dt><dd>The experiment&#39;s mean divided by the control&#39;s: 1.5 means 50% higher.</dd>
<dt>Interval</dt><dd>The 98% confidence interval of the shift between experiment and control (Mann-Whitney). A metric is High when the whole interval lies above a tolerance band around zero, Low when it lies below.</dd>
<dt>Score</dt><dd>Per group, the percentage of metrics that passed; the score is the weighted sum of the group scores. 50% or more Nodata metrics, or a failed critical metric, score 0.</dd>
<dt>Verdict</dt><dd>An interval scoring at or below the marginal threshold ends the analysis as failed; otherwise the last interval decides: it must reach the pass threshold.</dd>
</dl>
</section>`;

/** The report page for an execution's canary stages. */
export function renderCanaryReport(input: CanaryReportInput): string {
  const { execution, stages, generatedAt } = input;
  const started = timeText(execution.startTime);
  const ended = timeText(execution.endTime);
  const meta = [
    `<span>application: ${escapeHtml(execution.application)}</span>`,
    `<span>execution: ${escapeHtml(execution.id)}</span>`,
    `<span>status: ${escapeHtml(execution.status)}</span>`,
    started === undefined ? '' : `<span>started: ${started}</span>`,
    ended === undefined ? '' : `<span>ended: ${ended}</span>`,
  ].join('');
  const nav =
    stages.length > 1
      ? `<nav aria-label="Canary stages"><ul>${stages.map((stage, index) => `<li><a href="#stage-${index + 1}">${escapeHtml(stage.name)}</a></li>`).join('')}</ul></nav>`
      : '';
  const body = stages.length === 0 ? `<p class="problem">${escapeHtml(noCanaryStageMessage(execution.id))}.</p>` : stages.map((stage, index) => stageSection(stage, index + 1)).join('\n');
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    // No script, style only inline, no fetches: the page shows the same wherever it is opened.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>Canary report: ${escapeHtml(execution.name)} (${escapeHtml(execution.id)})</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    '<main>',
    `<header><h1>Canary report: ${escapeHtml(execution.name)}</h1><p class="meta">${meta}</p></header>`,
    nav,
    body,
    GUIDE,
    `<footer>Generated by Gennaker at ${escapeHtml(generatedAt)}.</footer>`,
    '</main>',
    '</body>',
    '</html>',
    '',
  ]
    .filter((line) => line !== '')
    .join('\n')
    .concat('\n');
}
