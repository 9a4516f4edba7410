/**
 * The canary report page: what it draws (one plot per metric, thresholds and scores where the
 * geometry puts them), that user text cannot inject markup, that it is self-contained and
 * byte-for-byte deterministic, and how it shows runs that are not complete or not well formed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canaryStagesOf, renderCanaryReport, type CanaryReportInput, type CanaryReportStage } from '../../../core/canary/report.ts';
import type { CanaryMetricSummary, CanaryRunOutputs } from '../../../core/canary/run-model.ts';
import { defaultReportPath } from '../../../cli/commands/canary.ts';

const fixture = JSON.parse(readFileSync(new URL('../../fixtures/canary/run-outputs.json', import.meta.url), 'utf8')) as CanaryRunOutputs;

const EXECUTION = { id: 'exec-1', name: 'Deploy checkout', application: 'checkout', status: 'TERMINAL', startTime: 1_749_632_292_000, endTime: 1_749_636_041_000 };

function page(outputs: unknown, overrides: Partial<CanaryReportInput> = {}): string {
  const stages = canaryStagesOf({ stages: [{ name: 'Canary analysis', refId: '2', type: 'kayentaCanary', status: 'TERMINAL', outputs: outputs as Record<string, unknown> }] });
  return renderCanaryReport({ execution: EXECUTION, stages, generatedAt: '2025-06-11T10:05:00Z', ...overrides });
}

function count(text: string, pattern: RegExp): number {
  return [...text.matchAll(new RegExp(pattern.source, 'g'))].length;
}

/** The element with this class, from its opening tag. */
function tag(html: string, className: string): string {
  const match = new RegExp(`<[a-z]+ class="${className}"[^>]*>`).exec(html);
  if (!match) throw new Error(`no element with class ${className}`);
  return match[0];
}

const lastInterval = (outputs: CanaryRunOutputs) => outputs.intervals[outputs.intervals.length - 1]!;

function withLastMetrics(outputs: CanaryRunOutputs, metrics: CanaryMetricSummary[]): CanaryRunOutputs {
  return { ...outputs, intervals: [...outputs.intervals.slice(0, -1), { ...lastInterval(outputs), metrics }] };
}

describe('renderCanaryReport: structure', () => {
  const html = page(fixture);

  it('is one complete HTML5 document with inline CSS, no scripts and no external references', () => {
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html).toContain('<style>');
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script|<link|<img|\bsrc=|@import|url\(/i);
  });

  it('draws one distribution plot per metric of the last interval, and the series of each metric that has values', () => {
    expect(lastInterval(fixture).metrics).toHaveLength(4);
    expect(count(html, /<svg class="metric-distribution"/)).toBe(4);
    expect(count(html, /<svg class="metric-series"/)).toBe(4);
    expect(count(html, /<svg class="score-plot"/)).toBe(1);
    for (const metric of lastInterval(fixture).metrics) expect(html).toContain(`<h4 id="stage-1-metric-`);
    expect(html).toContain('>latency p99</h4>');
  });

  it('puts the pass and marginal lines at the y of their scores (75 → 63, 50 → 110 on a 188-pixel-high 0-100 axis from y 16)', () => {
    expect(tag(html, 'threshold-pass')).toContain('y1="63" x2="624" y2="63"');
    expect(tag(html, 'threshold-marginal')).toContain('y1="110" x2="624" y2="110"');
  });

  it('draws the score line through one point per interval, spread across the plot', () => {
    // Scores 100, 75, 50 at x 44, 334, 624.
    expect(tag(html, 'score-line')).toContain('points="44,16 334,63 624,110"');
    expect(count(html, /<circle class="score-point"/)).toBe(3);
  });

  it('shows the verdict, why it ended, and a table row per interval with its group scores', () => {
    expect(html).toContain('<span class="score">50</span><span class="badge marginal">Marginal</span><span class="badge fail">Failed</span>');
    expect(html).toContain('<strong>Why:</strong> Canary score is not above the marginal score threshold.');
    expect(count(html, /<tr><td class="num">\d+<\/td>/)).toBe(3);
    expect(html).toContain('<td class="num">2</td><td>2025-06-11T09:00:00Z – 2025-06-11T09:40:00Z</td><td class="num">75</td><td><span class="badge pass">Pass</span></td><td>Latency 50; Errors 100</td>');
  });

  it('gives each metric its classification, reason, critical flag, groups, ratio, interval, query and statistics', () => {
    const errorRate = html.slice(html.indexOf('>error rate</h4>'), html.indexOf('>5xx count</h4>'));
    expect(errorRate).toContain('<span class="badge pass">Pass</span><span class="badge critical">critical</span>');
    expect(errorRate).toContain('<dt>Critical</dt><dd>yes: this result fails the whole canary</dd>');
    expect(errorRate).toContain('<dt>Groups</dt><dd>Errors</dd>');
    expect(errorRate).toContain('[-0.0006, 0.0009] (98% confidence interval of the shift experiment − control)');
    expect(errorRate).toContain('sum(rate(http_server_requests_total{server_group=&#34;checkout-prod-canary-v005&#34;');
    const p99 = html.slice(html.indexOf('>latency p99</h4>'), html.indexOf('>error rate</h4>'));
    const metric = lastInterval(fixture).metrics.find((entry) => entry.name === 'latency p99')!;
    expect(p99).toContain('<span class="badge high">High</span>');
    expect(p99).toContain('latency p99 was classified as High');
    expect(p99).toContain(`<tr><th scope="row">count</th><td class="num">${metric.control.count}</td><td class="num">${metric.experiment.count}</td></tr>`);
    expect(p99).toContain(`<dt>Ratio</dt><dd>${metric.ratio}`);
  });

  it('is accessible: every plot has a title and a description, every table has header cells', () => {
    const svgs = count(html, /<svg /);
    expect(count(html, /<svg [^>]*role="img"[^>]*><title id="[^"]+">[^<]+<\/title><desc id="[^"]+">/)).toBe(svgs);
    expect(count(html, /<table/)).toBe(count(html, /<table[^>]*>\n?<caption>/));
    expect(html).toContain('<th scope="col">Control</th>');
  });

  it('is deterministic: the same input gives the same bytes', () => {
    expect(page(structuredClone(fixture))).toBe(html);
    expect(page(fixture)).toBe(html);
  });

  it('matches the example page in docs/ (UPDATE_GOLDEN=1 regenerates it)', () => {
    const examplePath = new URL('../../../docs/canary-report-example.html', import.meta.url);
    const stages = canaryStagesOf({ stages: [{ name: 'Canary analysis', refId: '2', type: 'kayentaCanary', status: 'TERMINAL', outputs: fixture as unknown as Record<string, unknown> }] });
    const rendered = renderCanaryReport({
      execution: { id: '01JXB7Q2ZK8M3N4P5R6S7T8V9W', name: 'Deploy checkout', application: 'checkout', status: 'TERMINAL', startTime: Date.parse('2025-06-11T08:58:12Z'), endTime: Date.parse('2025-06-11T10:00:41Z') },
      stages,
      generatedAt: '2025-06-11T10:05:00Z',
    });
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(examplePath, rendered);
    expect(rendered).toBe(readFileSync(examplePath, 'utf8'));
  });
});

describe('renderCanaryReport: escaping', () => {
  it('escapes markup in metric names, queries, reasons, groups, scopes and the execution name', () => {
    const evil = '<script>alert("x")</script>';
    const metric = { ...lastInterval(fixture).metrics[0]!, name: evil, query: `up{a="${evil}"}`, classificationReason: evil, groups: [evil] };
    const html = page({ ...withLastMetrics(fixture, [metric]), controlScope: evil }, { execution: { ...EXECUTION, name: evil } });
    expect(html).not.toContain('<script');
    expect(html).not.toContain('alert("x")');
    expect(html).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;');
    // The plot titles carry the name too, escaped.
    expect(html).toContain('<title id="stage-1-metric-1-dist-title">&#60;script&#62;');
  });
});

describe('renderCanaryReport: runs that are not complete', () => {
  it('shows a running analysis with no interval yet: no score, an empty score plot, no metric plots', () => {
    const running: CanaryRunOutputs = { ...fixture, canaryScores: [], overallScore: null, overallResult: 'running', canaryScoreMessage: undefined, intervals: [] };
    const html = page(running);
    expect(html).toContain('<span class="score">no score yet</span><span class="badge running">Running</span>');
    expect(html).toContain('The analysis is running: 0 intervals finished so far.');
    expect(html).toContain('no interval has finished yet');
    expect(html).not.toContain('class="score-line"');
    expect(html).toContain(tag(html, 'threshold-pass'));
    expect(count(html, /<svg class="metric-/)).toBe(0);
  });

  it('centres a single interval as one point, without a line', () => {
    const single: CanaryRunOutputs = { ...fixture, canaryScores: [90], overallScore: 90, overallResult: 'running', intervals: [{ ...lastInterval(fixture), index: 1, score: 90 }] };
    const html = page(single);
    expect(html).not.toContain('class="score-line"');
    // 90 on the 0-100 axis: 16 + 188 × 0.1.
    expect(html).toContain('<circle class="score-point" cx="334" cy="34.8" r="4"');
  });

  it('draws a Nodata metric as "no data" and says why', () => {
    const html = page(fixture);
    const nodata = html.slice(html.indexOf('>5xx count</h4>'), html.indexOf('</article>', html.indexOf('>5xx count</h4>')));
    expect(nodata).toContain('<span class="badge nodata">Nodata</span>');
    expect(nodata).toContain('Missing data for 5xx count');
    expect(nodata).toContain('no data for either side');
    expect(nodata).toContain('<tr><th scope="row">mean</th><td class="num">n/a</td><td class="num">n/a</td></tr>');
  });

  it('takes NaN and null values and statistics: gaps in the series, n/a in the tables, never "NaN"', () => {
    const base = lastInterval(fixture).metrics[0]!;
    const metric = {
      ...base,
      ratio: Number.NaN,
      control: { count: 3, mean: Number.NaN, median: null, min: 1, max: 3, values: [1, Number.NaN, 2, null, 3] },
      experiment: { count: 2, mean: 2.5, median: 2.5, min: 2, max: 3, values: [2, 3, null] },
    };
    const html = page(withLastMetrics(fixture, [metric]));
    expect(html).not.toMatch(/NaN/);
    expect(html).toContain('<dt>Ratio</dt><dd>n/a</dd>');
    // Control 1, gap, 2, gap, 3: three single points; experiment 2, 3: one line.
    expect(count(html, /<circle class="series-control"/)).toBe(3);
    expect(count(html, /<polyline class="series-experiment"/)).toBe(1);
  });

  it('draws the range from the statistics when an interval kept no series', () => {
    const base = lastInterval(fixture).metrics[0]!;
    const metric = { ...base, control: { count: 40, mean: 2, median: 2, min: 1, max: 3 }, experiment: { count: 40, mean: 5, median: 5, min: 4, max: 6 } };
    const html = page(withLastMetrics(fixture, [metric]));
    expect(count(html, /<svg class="metric-distribution"/)).toBe(1);
    expect(count(html, /<svg class="metric-series"/)).toBe(0);
    expect(html).toContain('(from the statistics; the series is kept for the last interval only)');
    expect(html).toContain('One of the metrics returned fewer than 50 data points');
  });
});

describe('canaryStagesOf', () => {
  const stage = (type: string, outputs: Record<string, unknown>, refId = '1') => ({ name: `stage ${refId}`, refId, type, status: 'SUCCEEDED', outputs });

  it('finds kayentaCanary results at the top level and canary deploys under outputs.canary, in stage order', () => {
    const found = canaryStagesOf({
      stages: [stage('wait', { waited: 3 }, '1'), stage('deploy', { canary: fixture }, '2'), stage('deploy', { 'deploy.server.groups': {} }, '3'), stage('kayentaCanary', fixture as never, '4')],
    });
    expect(found.map((entry: CanaryReportStage) => [entry.refId, entry.outputs?.overallScore, entry.problem])).toEqual([
      ['2', 50, undefined],
      ['4', 50, undefined],
    ]);
  });

  it('reports a malformed result in the page, naming the field and its value, without hiding the other stages', () => {
    const broken = { ...fixture, intervals: [{ ...fixture.intervals[0]!, score: 'high' }] };
    const found = canaryStagesOf({ stages: [stage('kayentaCanary', broken, '1'), stage('kayentaCanary', fixture as never, '2')] });
    expect(found[0]!.problem).toBe("intervals[0].score is 'high': expected a number");
    expect(found[1]!.outputs).toBeDefined();
    const html = renderCanaryReport({ execution: EXECUTION, stages: found, generatedAt: 'now' });
    expect(html).toContain('The canary results of this stage cannot be shown: intervals[0].score is &#39;high&#39;: expected a number.');
    expect(count(html, /<svg class="score-plot"/)).toBe(1);
    expect(html).toContain('<a href="#stage-2">stage 2</a>');
  });

  it('reports outputs.canary that is not an object, and a kayentaCanary stage without thresholds', () => {
    const found = canaryStagesOf({ stages: [stage('deploy', { canary: 'oops' }), stage('kayentaCanary', { intervals: [] }, '2')] });
    expect(found[0]!.problem).toBe("the canary outputs are 'oops'; expected an object with intervals, scoreThresholds and canaryScores");
    expect(found[1]!.problem).toMatch(/^scoreThresholds is undefined: /);
  });

  it('shows a kayentaCanary stage that has written nothing yet as waiting for results', () => {
    const found = canaryStagesOf({ stages: [stage('kayentaCanary', {})] });
    expect(found).toEqual([{ name: 'stage 1', refId: '1', status: 'SUCCEEDED' }]);
    expect(renderCanaryReport({ execution: EXECUTION, stages: found, generatedAt: 'now' })).toContain('The analysis has not written any results yet.');
  });
});

describe('defaultReportPath', () => {
  it.each([
    ['01JXB7Q2ZK8M3N4P5R6S7T8V9W', 'canary-report-01JXB7Q2ZK8M3N4P5R6S7T8V9W.html'],
    ['../etc/passwd', 'canary-report-.._etc_passwd.html'],
  ])('names the file after the execution %s, keeping it in the current directory', (id, expected) => {
    expect(defaultReportPath(id)).toBe(expected);
  });
});
