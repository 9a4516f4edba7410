/**
 * Metric data for one judgement as a file: `{ "control": { "<metric>": [numbers, null where
 * missing] }, "experiment": { ... } }`. Checked against the canary config, so a misspelt metric
 * name is an error rather than a silent Nodata.
 */
import type { ValidationIssue } from '../issues.ts';
import { pointerJoin, showValue } from '../issues.ts';
import type { CanaryConfig } from './config.ts';
import type { MetricSeriesPair } from './judge.ts';

export interface MetricDataParse {
  /** One pair per metric of the config, in the config's order; undefined iff an error was found. */
  readonly pairs: MetricSeriesPair[] | undefined;
  readonly issues: ValidationIssue[];
}

const SIDES = ['control', 'experiment'] as const;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads the metrics file; metrics of the config without data get empty series (judged Nodata) and a warning. */
export function parseMetricData(input: unknown, config: CanaryConfig, options: { readonly pointer?: string } = {}): MetricDataParse {
  const base = options.pointer ?? '';
  const issues: ValidationIssue[] = [];
  const error = (pointer: string, message: string, value?: unknown) =>
    issues.push({ pointer, code: 'wrong-type', severity: 'error', message, ...(value !== undefined ? { value } : {}) });
  if (!isPlainObject(input)) {
    error(base, `expected {"control": {"<metric>": [numbers]}, "experiment": {...}}, got ${showValue(input)}`, input);
    return { pairs: undefined, issues };
  }
  const names = config.metrics.map((metric) => metric.name);
  const series: Record<(typeof SIDES)[number], Map<string, Array<number | null>>> = { control: new Map(), experiment: new Map() };
  for (const side of SIDES) {
    const pointer = pointerJoin(base, side);
    const values = input[side];
    if (values === undefined || values === null) {
      issues.push({ pointer, code: 'required', severity: 'error', message: `'${side}' is required; add the ${side} series: {"<metric>": [numbers, null where missing]}` });
      continue;
    }
    if (!isPlainObject(values)) {
      error(pointer, `expected the ${side} series as an object {"<metric>": [numbers]}, got ${showValue(values)}`, values);
      continue;
    }
    for (const [name, list] of Object.entries(values)) {
      const at = pointerJoin(pointer, name);
      if (!names.includes(name)) {
        issues.push({ pointer: at, code: 'invalid-value', severity: 'error', message: `no metric named '${name}' in the canary config; use one of ${names.join(', ')}` });
        continue;
      }
      if (!Array.isArray(list)) {
        error(at, `expected a list of numbers (null where missing), got ${showValue(list)}`, list);
        continue;
      }
      const bad = list.findIndex((item) => item !== null && (typeof item !== 'number' || !Number.isFinite(item)));
      if (bad >= 0) {
        error(pointerJoin(at, bad), `expected a number, or null where the value is missing, got ${showValue(list[bad])}`, list[bad]);
        continue;
      }
      series[side].set(name, list as Array<number | null>);
    }
  }
  if (issues.length > 0) return { pairs: undefined, issues };
  const pairs = names.map((name) => {
    for (const side of SIDES) {
      if (!series[side].has(name)) {
        issues.push({
          pointer: pointerJoin(base, side, name),
          code: 'required',
          severity: 'warning',
          message: `metric '${name}' has no ${side} data, so it is judged as missing data; add "${name}": [...] to ${side}`,
        });
      }
    }
    return { name, control: series.control.get(name) ?? [], experiment: series.experiment.get(name) ?? [] };
  });
  return { pairs, issues };
}
