/**
 * Kayenta canary configs and metric data files: Kayenta's defaults (kayenta-judge.md §2),
 * unknown fields kept, and one-line issues that name the place, the value and the fix.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCanaryConfig, parseMetricData } from '../../../core/canary/index.ts';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/canary');

function metricConfig(canary: unknown) {
  return parseCanaryConfig({ metrics: [{ name: 'm', query: { type: 'x' }, groups: ['g'], analysisConfigurations: { canary } }] });
}

describe('parseCanaryConfig', () => {
  it('§2 fills in Kayenta’s defaults: either, remove NaN, keep outliers (factor 3), effect sizes 1.0', () => {
    const { config, issues } = metricConfig({});
    expect(issues).toEqual([]);
    expect(config!.metrics[0]!.analysis).toEqual({
      direction: 'either',
      nanStrategy: 'remove',
      critical: false,
      mustHaveData: false,
      muted: false,
      effectSize: { measure: 'meanRatio', allowedIncrease: 1, allowedDecrease: 1, criticalIncrease: 1, criticalDecrease: 1 },
      outliers: { strategy: 'keep', outlierFactor: 3 },
    });
  });

  it('§2 effect-size thresholds default to 0.5 when the measure is cles', () => {
    const { config } = metricConfig({ effectSize: { measure: 'cles', allowedIncrease: 0.7 } });
    expect(config!.metrics[0]!.analysis.effectSize).toEqual({ measure: 'cles', allowedIncrease: 0.7, allowedDecrease: 0.5, criticalIncrease: 0.5, criticalDecrease: 0.5 });
  });

  it('§2 accepts Kayenta’s spelt-out default "none" for both strategies', () => {
    const { config } = metricConfig({ nanStrategy: 'none', outliers: { strategy: 'none' } });
    expect(config!.metrics[0]!.analysis).toMatchObject({ nanStrategy: 'remove', outliers: { strategy: 'keep' } });
  });

  it('reads the fixture config: four metrics in two groups, one critical, weights and thresholds, unknown fields kept', () => {
    const raw = JSON.parse(readFileSync(join(fixtures, 'canary-config.json'), 'utf8')) as Record<string, unknown>;
    const { config, issues } = parseCanaryConfig(raw);
    expect(issues).toEqual([]);
    expect(config!.metrics.map((metric) => [metric.name, metric.groups, metric.analysis.critical])).toEqual([
      ['error-rate', ['errors'], true],
      ['http-5xx', ['errors'], false],
      ['latency-p50', ['latency'], false],
      ['latency-p99', ['latency'], false],
    ]);
    expect(config!.groupWeights).toEqual({ errors: 60, latency: 40 });
    expect(config!.scoreThresholds).toEqual({ marginal: 50, pass: 75 });
    expect(config!.raw.applications).toEqual(['checkout']);
    expect(config!.metrics[0]!.query).toMatchObject({ type: 'prometheus', metricName: 'http_server_requests_errors_ratio' });
  });

  it.each([
    [{ direction: 'up' }, '/metrics/0/analysisConfigurations/canary/direction', "expected one of increase, decrease, either, got 'up'"],
    [{ nanStrategy: 'drop' }, '/metrics/0/analysisConfigurations/canary/nanStrategy', "expected one of remove, replace, none, got 'drop'"],
    [{ critical: 'yes' }, '/metrics/0/analysisConfigurations/canary/critical', "expected true or false, got 'yes'"],
    [{ effectSize: { measure: 'cohen' } }, '/metrics/0/analysisConfigurations/canary/effectSize/measure', "expected one of meanRatio, cles, got 'cohen'"],
    [{ effectSize: { allowedIncrease: '1.2' } }, '/metrics/0/analysisConfigurations/canary/effectSize/allowedIncrease', "got '1.2'"],
    [{ outliers: { outlierFactor: -1 } }, '/metrics/0/analysisConfigurations/canary/outliers/outlierFactor', 'of at least 0, got -1'],
  ])('fails on %j with one line at the field', (canary, pointer, message) => {
    const { config, issues } = metricConfig(canary);
    expect(config).toBeUndefined();
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ pointer, severity: 'error' });
    expect(issues[0]!.message).toContain(message);
  });

  it('fails on a judge other than NetflixACAJudge-v1.0, saying it is not supported yet', () => {
    const { issues } = parseCanaryConfig({ judge: { name: 'dredd-v1.0' }, metrics: [{ name: 'm', groups: ['g'] }] });
    expect(issues).toEqual([expect.objectContaining({ pointer: '/judge/name', value: 'dredd-v1.0', message: "judge 'dredd-v1.0' is not supported yet; set it to 'NetflixACAJudge-v1.0' (or leave it out)" })]);
  });

  it('fails on a missing metrics list, an empty one, a metric without a name and duplicate names', () => {
    expect(parseCanaryConfig({ name: 'x' }).issues[0]).toMatchObject({ pointer: '/metrics', code: 'required' });
    expect(parseCanaryConfig({ metrics: [] }).issues[0]!.message).toBe('expected at least one metric to judge, got an empty list');
    expect(parseCanaryConfig({ metrics: [{ groups: ['g'] }] }).issues[0]).toMatchObject({ pointer: '/metrics/0/name', code: 'required' });
    const duplicate = parseCanaryConfig({ metrics: [{ name: 'm', groups: ['g'] }, { name: 'm', groups: ['g'] }] });
    expect(duplicate.issues[0]).toMatchObject({ pointer: '/metrics/1/name', severity: 'error' });
    expect(duplicate.issues[0]!.message).toContain('also used by metrics/0');
  });

  it('fails on a marginal threshold above the pass threshold', () => {
    const { issues } = parseCanaryConfig({ metrics: [{ name: 'm', groups: ['g'] }], classifier: { scoreThresholds: { marginal: 80, pass: 75 } } });
    expect(issues[0]).toMatchObject({ pointer: '/classifier/scoreThresholds/marginal', value: 80, severity: 'error' });
  });

  it('warns, without failing, about weights that cannot add up and metrics in no group', () => {
    const { config, issues } = parseCanaryConfig({
      metrics: [{ name: 'a', groups: ['g1'] }, { name: 'b', groups: [] }],
      classifier: { groupWeights: { g1: 70, ghost: 10 } },
    });
    expect(config).toBeDefined();
    expect(issues.map((issue) => [issue.pointer, issue.severity])).toEqual([
      ['/metrics/1/groups', 'warning'],
      ['/classifier/groupWeights/ghost', 'warning'],
      ['/classifier/groupWeights', 'warning'],
    ]);
    expect(issues[2]!.message).toBe('group weights add up to 80: scores are not normalised, so a perfect canary scores 80; make all weights add up to 100');
  });
});

describe('parseMetricData', () => {
  const { config } = parseCanaryConfig({ metrics: [{ name: 'latency', groups: ['g'] }, { name: 'errors', groups: ['g'] }] });

  it('pairs the series in the config’s order, null kept as missing', () => {
    const { pairs, issues } = parseMetricData({ control: { errors: [1, null], latency: [3] }, experiment: { latency: [4], errors: [2] } }, config!);
    expect(issues).toEqual([]);
    expect(pairs).toEqual([
      { name: 'latency', control: [3], experiment: [4] },
      { name: 'errors', control: [1, null], experiment: [2] },
    ]);
  });

  it('warns that a metric without data on a side is judged as missing data', () => {
    const { pairs, issues } = parseMetricData({ control: { latency: [1] }, experiment: { latency: [1] } }, config!);
    expect(pairs![1]).toEqual({ name: 'errors', control: [], experiment: [] });
    expect(issues.map((issue) => [issue.pointer, issue.severity])).toEqual([
      ['/control/errors', 'warning'],
      ['/experiment/errors', 'warning'],
    ]);
  });

  it.each([
    [{ control: {} }, '/experiment', "'experiment' is required"],
    [[1, 2], '', 'expected {"control"'],
    [{ control: { latency: 'fast' }, experiment: {} }, '/control/latency', "expected a list of numbers (null where missing), got 'fast'"],
    [{ control: { latency: [1, '2'] }, experiment: {} }, '/control/latency/1', "expected a number, or null where the value is missing, got '2'"],
    [{ control: {}, experiment: { latncy: [1] } }, '/experiment/latncy', "no metric named 'latncy' in the canary config; use one of latency, errors"],
  ])('fails on %j with one line at the place', (input, pointer, message) => {
    const { pairs, issues } = parseMetricData(input, config!);
    expect(pairs).toBeUndefined();
    expect(issues[0]).toMatchObject({ pointer, severity: 'error' });
    expect(issues[0]!.message).toContain(message);
  });
});
