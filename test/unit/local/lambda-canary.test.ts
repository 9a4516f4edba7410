/**
 * What `--sandbox` reads from a Lambda canary pipeline (local/sandbox/lambda-canary.ts): which
 * code packages are faulty builds, and which metrics accounts the canary stages read from CloudWatch.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cloudWatchMetricsAccounts, isFaultyPackage } from '../../../local/sandbox/lambda-canary.ts';

const example = JSON.parse(readFileSync(new URL('../../../examples/pipelines/lambda-canary.json', import.meta.url), 'utf8')) as Record<string, unknown>;

describe('the Lambda canary sandbox', () => {
  it.each([
    ['hello-artifacts/hello-api/2.0.0-bad.zip', true],
    ['hello-artifacts/hello-api/2.0.0-BAD.jar', true],
    ['hello-artifacts/hello-api/2.0.0.zip', false],
    ['hello-artifacts/bad/2.0.0.zip', false],
    ['hello-artifacts/hello-api/badger.zip', false],
  ])('reads %s as a faulty build: %s', (object, faulty) => {
    expect(isFaultyPackage(object)).toBe(faulty);
  });

  it('serves the metrics account of a canary stage whose inline config reads CloudWatch, and no other', () => {
    expect(cloudWatchMetricsAccounts([example])).toEqual(['hello-cloudwatch']);
    const prometheus = structuredClone(example) as { stages: Array<Record<string, any>> };
    for (const metric of prometheus.stages[2]!['canaryConfig'].config.metrics) metric.query = { type: 'prometheus', metricName: 'up' };
    expect(cloudWatchMetricsAccounts([prometheus])).toEqual([]);
    const byId = structuredClone(example) as { stages: Array<Record<string, any>> };
    delete byId.stages[2]!['canaryConfig'].config;
    byId.stages[2]!['canaryConfig'].canaryConfigId = 'saved-elsewhere';
    expect(cloudWatchMetricsAccounts([byId])).toEqual([]);
  });
});
