/**
 * The plots of the canary report as inline SVG strings: the score over intervals with the
 * threshold lines, and per metric the control vs experiment box plots and their series over
 * time. Pure and deterministic: coordinates are rounded to 2 decimals, so the same input gives
 * the same bytes. Every plot carries a `<title>` and a `<desc>` (screen readers), and never
 * relies on colour alone: series are labelled and the experiment's line is dashed.
 */
import type { CanaryMetricSide } from './run-model.ts';

/** Text for HTML (and SVG) content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** A number for people: integers as they are, others to 4 significant places; null as `n/a`. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return 'n/a';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '-∞';
  if (Number.isInteger(value)) return String(value);
  const magnitude = Math.abs(value);
  return String(Number(magnitude >= 10_000 || magnitude < 0.001 ? value.toPrecision(4) : value.toFixed(magnitude >= 100 ? 2 : 4)));
}

/** An SVG coordinate: 2 decimals, no `-0`. */
function at(value: number): string {
  const rounded = Math.round(value * 100) / 100;
  return String(rounded === 0 ? 0 : rounded);
}

export const COLOURS = {
  control: '#2b6cb0',
  experiment: '#c05621',
  pass: '#2f855a',
  marginal: '#b7791f',
  fail: '#c53030',
  grid: '#d9dee5',
  text: '#2d3748',
} as const;

/** Geometry of the score plot: 0-100 on y, one point per interval on x. */
export const SCORE_PLOT = { width: 640, height: 240, left: 44, right: 16, top: 16, bottom: 36 } as const;

/** The y of a score in the score plot (100 at the top edge of the plot area, 0 at the bottom). */
export function scoreY(score: number): number {
  const plotHeight = SCORE_PLOT.height - SCORE_PLOT.top - SCORE_PLOT.bottom;
  return SCORE_PLOT.top + plotHeight * (1 - Math.min(100, Math.max(0, score)) / 100);
}

/** The x of interval `position` (0-based) of `count` in the score plot; a single interval sits in the middle. */
export function scoreX(position: number, count: number): number {
  const plotWidth = SCORE_PLOT.width - SCORE_PLOT.left - SCORE_PLOT.right;
  return count <= 1 ? SCORE_PLOT.left + plotWidth / 2 : SCORE_PLOT.left + (plotWidth * position) / (count - 1);
}

function svgOpen(id: string, className: string, width: number, height: number, title: string, description: string): string {
  return (
    `<svg class="${className}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${id}-title ${id}-desc">` +
    `<title id="${id}-title">${escapeHtml(title)}</title><desc id="${id}-desc">${escapeHtml(description)}</desc>`
  );
}

function text(x: number, y: number, content: string, anchor: 'start' | 'middle' | 'end' = 'middle', extra = ''): string {
  return `<text x="${at(x)}" y="${at(y)}" text-anchor="${anchor}"${extra}>${escapeHtml(content)}</text>`;
}

export interface ScorePoint {
  readonly index: number;
  readonly score: number;
  readonly classification: string;
}

/** The score of each interval as a line, over the Fail/Marginal/Pass bands and the two threshold lines. */
export function scorePlot(id: string, points: readonly ScorePoint[], thresholds: { readonly marginal: number; readonly pass: number }): string {
  const { width, height, left, right, top, bottom } = SCORE_PLOT;
  const marginalY = scoreY(thresholds.marginal);
  const passY = scoreY(thresholds.pass);
  const bottomY = scoreY(0);
  const description =
    points.length === 0
      ? 'No interval has finished yet.'
      : `Scores by interval: ${points.map((point) => `#${point.index} ${formatNumber(point.score)} (${point.classification})`).join(', ')}. Pass threshold ${formatNumber(thresholds.pass)}, marginal threshold ${formatNumber(thresholds.marginal)}.`;
  const parts = [svgOpen(id, 'score-plot', width, height, 'Canary score over intervals', description)];
  // Bands: at or above pass, between the thresholds, at or below marginal.
  parts.push(`<rect class="band-pass" x="${left}" y="${at(scoreY(100))}" width="${width - left - right}" height="${at(passY - scoreY(100))}" fill="${COLOURS.pass}" fill-opacity="0.08"/>`);
  parts.push(`<rect class="band-marginal" x="${left}" y="${at(passY)}" width="${width - left - right}" height="${at(marginalY - passY)}" fill="${COLOURS.marginal}" fill-opacity="0.08"/>`);
  parts.push(`<rect class="band-fail" x="${left}" y="${at(marginalY)}" width="${width - left - right}" height="${at(bottomY - marginalY)}" fill="${COLOURS.fail}" fill-opacity="0.08"/>`);
  for (const tick of [0, 25, 50, 75, 100]) {
    parts.push(`<line class="grid" x1="${left}" y1="${at(scoreY(tick))}" x2="${width - right}" y2="${at(scoreY(tick))}" stroke="${COLOURS.grid}" stroke-width="1"/>`);
    parts.push(text(left - 6, scoreY(tick) + 4, String(tick), 'end'));
  }
  parts.push(
    `<line class="threshold-pass" x1="${left}" y1="${at(passY)}" x2="${width - right}" y2="${at(passY)}" stroke="${COLOURS.pass}" stroke-width="1.5" stroke-dasharray="6 3"/>`,
    text(width - right - 4, passY - 4, `pass ${formatNumber(thresholds.pass)}`, 'end', ` class="threshold-label"`),
    `<line class="threshold-marginal" x1="${left}" y1="${at(marginalY)}" x2="${width - right}" y2="${at(marginalY)}" stroke="${COLOURS.marginal}" stroke-width="1.5" stroke-dasharray="2 3"/>`,
    text(width - right - 4, marginalY - 4, `marginal ${formatNumber(thresholds.marginal)}`, 'end', ` class="threshold-label"`),
  );
  if (points.length === 0) {
    parts.push(text(left + (width - left - right) / 2, top + (height - top - bottom) / 2, 'no interval has finished yet'));
  } else {
    const xy = points.map((point, position) => `${at(scoreX(position, points.length))},${at(scoreY(point.score))}`);
    if (points.length > 1) parts.push(`<polyline class="score-line" points="${xy.join(' ')}" fill="none" stroke="${COLOURS.text}" stroke-width="2"/>`);
    points.forEach((point, position) => {
      const x = scoreX(position, points.length);
      const y = scoreY(point.score);
      parts.push(
        `<circle class="score-point" cx="${at(x)}" cy="${at(y)}" r="4" fill="${COLOURS.text}"><title>interval ${point.index}: ${escapeHtml(formatNumber(point.score))} (${escapeHtml(point.classification)})</title></circle>`,
        text(x, y - 8, formatNumber(point.score)),
        text(x, height - bottom + 16, `#${point.index}`),
      );
    });
  }
  parts.push(text(left + (width - left - right) / 2, height - 4, 'interval'));
  parts.push('</svg>');
  return parts.join('');
}

/** The finite values of a series. */
export function finiteValues(values: readonly (number | null)[] | undefined): number[] {
  return (values ?? []).filter((value): value is number => typeof value === 'number' && Number.isFinite(value));
}

/** Percentile of sorted values, R-7 (linear interpolation, as the judge's IQR detector). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 1) return sorted[0]!;
  const position = (sorted.length - 1) * p;
  const below = Math.floor(position);
  const lower = sorted[below]!;
  const upper = sorted[Math.min(below + 1, sorted.length - 1)]!;
  return lower + (position - below) * (upper - lower);
}

interface Domain {
  readonly low: number;
  readonly high: number;
  readonly ticks: readonly number[];
}

/** A y range holding every value, widened to round tick steps (1, 2 or 5 × 10^k). */
function niceDomain(values: readonly number[]): Domain | undefined {
  if (values.length === 0) return undefined;
  let low = Math.min(...values);
  let high = Math.max(...values);
  if (low === high) {
    const pad = low === 0 ? 1 : Math.abs(low) * 0.1;
    low -= pad;
    high += pad;
  }
  const raw = (high - low) / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((factor) => factor * power >= raw) ?? 10) * power;
  const first = Math.floor(low / step) * step;
  const last = Math.ceil(high / step) * step;
  const ticks: number[] = [];
  for (let index = 0; first + index * step <= last + step / 2; index += 1) ticks.push(Number((first + index * step).toPrecision(12)));
  return { low: first, high: last, ticks };
}

const DISTRIBUTION = { width: 320, height: 200, left: 52, right: 12, top: 12, bottom: 28 } as const;

function scaleY(domain: Domain, value: number): number {
  const { top, bottom, height } = DISTRIBUTION;
  return top + (height - top - bottom) * (1 - (value - domain.low) / (domain.high - domain.low));
}

function axis(domain: Domain): string {
  const { left, right, width } = DISTRIBUTION;
  return domain.ticks
    .map((tick) => `<line class="grid" x1="${left}" y1="${at(scaleY(domain, tick))}" x2="${width - right}" y2="${at(scaleY(domain, tick))}" stroke="${COLOURS.grid}" stroke-width="1"/>${text(left - 6, scaleY(domain, tick) + 4, formatNumber(tick), 'end')}`)
    .join('');
}

/** Every number a side contributes to the y range: its series when present, else its stats. */
function sideExtent(side: CanaryMetricSide): number[] {
  const values = finiteValues(side.values);
  if (values.length > 0) return values;
  return [side.min, side.max, side.mean, side.median].filter((value): value is number => value !== null && Number.isFinite(value));
}

/** One box: quartiles from the series when there is one, else the min-max range with median and mean from the stats. */
function box(domain: Domain, side: CanaryMetricSide, centre: number, colour: string, label: string): string {
  const half = 28;
  const values = finiteValues(side.values).sort((a, b) => a - b);
  const parts: string[] = [];
  const y = (value: number) => at(scaleY(domain, value));
  if (values.length > 0) {
    const [q1, median, q3] = [percentile(values, 0.25), percentile(values, 0.5), percentile(values, 0.75)];
    const min = values[0]!;
    const max = values[values.length - 1]!;
    parts.push(
      `<g class="box box-${label}"><title>${escapeHtml(`${label}: min ${formatNumber(min)}, 25% ${formatNumber(q1)}, median ${formatNumber(median)}, 75% ${formatNumber(q3)}, max ${formatNumber(max)}`)}</title>`,
      `<line x1="${at(centre)}" y1="${y(min)}" x2="${at(centre)}" y2="${y(max)}" stroke="${colour}" stroke-width="1.5"/>`,
      `<line x1="${at(centre - half / 2)}" y1="${y(min)}" x2="${at(centre + half / 2)}" y2="${y(min)}" stroke="${colour}" stroke-width="1.5"/>`,
      `<line x1="${at(centre - half / 2)}" y1="${y(max)}" x2="${at(centre + half / 2)}" y2="${y(max)}" stroke="${colour}" stroke-width="1.5"/>`,
      `<rect x="${at(centre - half)}" y="${y(q3)}" width="${half * 2}" height="${at(Math.max(0, scaleY(domain, q1) - scaleY(domain, q3)))}" fill="${colour}" fill-opacity="0.25" stroke="${colour}" stroke-width="1.5"/>`,
      `<line class="median" x1="${at(centre - half)}" y1="${y(median)}" x2="${at(centre + half)}" y2="${y(median)}" stroke="${colour}" stroke-width="3"/>`,
    );
  } else if (side.min !== null && side.max !== null) {
    parts.push(
      `<g class="box box-${label}"><title>${escapeHtml(`${label}: min ${formatNumber(side.min)}, median ${formatNumber(side.median)}, max ${formatNumber(side.max)} (from the statistics; the series is kept for the last interval only)`)}</title>`,
      `<rect x="${at(centre - half)}" y="${y(side.max)}" width="${half * 2}" height="${at(Math.max(0, scaleY(domain, side.min) - scaleY(domain, side.max)))}" fill="${colour}" fill-opacity="0.1" stroke="${colour}" stroke-width="1" stroke-dasharray="3 2"/>`,
    );
    if (side.median !== null) parts.push(`<line class="median" x1="${at(centre - half)}" y1="${y(side.median)}" x2="${at(centre + half)}" y2="${y(side.median)}" stroke="${colour}" stroke-width="3"/>`);
  } else {
    return text(centre, DISTRIBUTION.height / 2, 'no data');
  }
  if (side.mean !== null) parts.push(`<path class="mean" d="M${at(centre)} ${at(scaleY(domain, side.mean) - 5)}l5 5l-5 5l-5 -5z" fill="#fff" stroke="${colour}" stroke-width="1.5"/>`);
  parts.push('</g>');
  return parts.join('');
}

/** Control and experiment side by side as box plots on one scale (the diamond is the mean). */
export function distributionPlot(id: string, metricName: string, control: CanaryMetricSide, experiment: CanaryMetricSide): string {
  const { width, height, left, right, bottom } = DISTRIBUTION;
  const title = `${metricName}: control vs experiment distribution`;
  const domain = niceDomain([...sideExtent(control), ...sideExtent(experiment)]);
  const describe = (label: string, side: CanaryMetricSide) =>
    `${label} ${side.count} points, median ${formatNumber(side.median)}, mean ${formatNumber(side.mean)}, min ${formatNumber(side.min)}, max ${formatNumber(side.max)}`;
  const parts = [svgOpen(id, 'metric-distribution', width, height, title, `${describe('Control', control)}; ${describe('experiment', experiment)}.`)];
  const plotWidth = width - left - right;
  const controlX = left + plotWidth / 4;
  const experimentX = left + (plotWidth * 3) / 4;
  if (domain === undefined) {
    parts.push(text(left + plotWidth / 2, height / 2, 'no data for either side'));
  } else {
    parts.push(axis(domain), box(domain, control, controlX, COLOURS.control, 'control'), box(domain, experiment, experimentX, COLOURS.experiment, 'experiment'));
  }
  parts.push(text(controlX, height - bottom + 18, 'control'), text(experimentX, height - bottom + 18, 'experiment'), '</svg>');
  return parts.join('');
}

/** The runs of consecutive finite values of a series, as [position, value] pairs (null breaks the line). */
function segments(values: readonly (number | null)[]): Array<Array<readonly [number, number]>> {
  const runs: Array<Array<readonly [number, number]>> = [];
  let current: Array<readonly [number, number]> = [];
  values.forEach((value, position) => {
    if (typeof value === 'number' && Number.isFinite(value)) current.push([position, value]);
    else if (current.length > 0) {
      runs.push(current);
      current = [];
    }
  });
  if (current.length > 0) runs.push(current);
  return runs;
}

/** Both series over time on one scale; gaps where a value is missing. */
export function seriesPlot(id: string, metricName: string, control: readonly (number | null)[], experiment: readonly (number | null)[]): string {
  const { width, height, left, right, top, bottom } = DISTRIBUTION;
  const domain = niceDomain([...finiteValues(control), ...finiteValues(experiment)]);
  const length = Math.max(control.length, experiment.length);
  const missing = (values: readonly (number | null)[]) => values.length - finiteValues(values).length;
  const parts = [
    svgOpen(
      id,
      'metric-series',
      width,
      height,
      `${metricName}: control and experiment over the last interval`,
      `Control ${control.length} points (${missing(control)} missing), experiment ${experiment.length} points (${missing(experiment)} missing); the experiment line is dashed.`,
    ),
  ];
  if (domain === undefined) {
    parts.push(text(left + (width - left - right) / 2, height / 2, 'no values'), '</svg>');
    return parts.join('');
  }
  const x = (position: number) => (length <= 1 ? left + (width - left - right) / 2 : left + ((width - left - right) * position) / (length - 1));
  parts.push(axis(domain));
  const draw = (values: readonly (number | null)[], colour: string, label: string, dash: string) => {
    for (const run of segments(values)) {
      if (run.length === 1) {
        const [position, value] = run[0]!;
        parts.push(`<circle class="series-${label}" cx="${at(x(position))}" cy="${at(scaleY(domain, value))}" r="2" fill="${colour}"/>`);
      } else {
        const points = run.map(([position, value]) => `${at(x(position))},${at(scaleY(domain, value))}`).join(' ');
        parts.push(`<polyline class="series-${label}" points="${points}" fill="none" stroke="${colour}" stroke-width="1.5"${dash}/>`);
      }
    }
  };
  draw(control, COLOURS.control, 'control', '');
  draw(experiment, COLOURS.experiment, 'experiment', ' stroke-dasharray="5 3"');
  // Legend: the words, not only the colours.
  parts.push(
    `<line x1="${left + 4}" y1="${top + 6}" x2="${left + 24}" y2="${top + 6}" stroke="${COLOURS.control}" stroke-width="2"/>`,
    text(left + 28, top + 10, 'control', 'start'),
    `<line x1="${left + 90}" y1="${top + 6}" x2="${left + 110}" y2="${top + 6}" stroke="${COLOURS.experiment}" stroke-width="2" stroke-dasharray="5 3"/>`,
    text(left + 114, top + 10, 'experiment', 'start'),
    text(left + (width - left - right) / 2, height - bottom + 18, `data point (${length})`),
    '</svg>',
  );
  return parts.join('');
}
