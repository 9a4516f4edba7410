/**
 * `gennaker run --sandbox` on Spinnaker's automated canary codelab pipeline (a conformance file),
 * as a user runs it: the canary and baseline Deployments read SUCCESS_RATE from their ConfigMaps,
 * the simulated cluster's pods fail that share of their requests in the Prometheus series it
 * exposes, and Kayenta's judge reads them through the metrics account the stage names. The
 * sandbox seeds that account, the canary config the stage names by id, and a stand-in for the
 * production pipeline the pipeline reads its baseline's ConfigMap from and runs after a good
 * canary. The 5-minute analysis runs on the simulated clock, so the run takes seconds.
 *
 * A good release (successRate 100) passes and is sent to production; a bad one (10) fails the
 * canary, which the pipeline tolerates (`continuePipeline`), skips the production deploy
 * (`stageEnabled`), cleans up, and ends TERMINAL at its checkPreconditions, as Spinnaker would.
 *
 * Beside them, the Kayenta workshop's simple canary pipeline, started by its pipeline trigger with
 * the images the staging pipeline built given on the command line: two canary Deployments from
 * its artifact account's manifests, a wait and a manual judgment.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFORMANCE_CORPUS } from '../support/conformance.ts';
import { callCount, runGennaker } from '../support/sandbox-cli.ts';

const pipeline = join(CONFORMANCE_CORPUS, 'spinnaker_spinnaker_automated-canary-1-10.json');
const simpleCanary = join(CONFORMANCE_CORPUS, 'spinnaker_spinnaker_deploy-canary-pipeline.json');
const image = (name: string) => JSON.stringify({ type: 'docker/image', name: `gcr.io/{%PROJECT_ID%}/${name}`, reference: `gcr.io/{%PROJECT_ID%}/${name}:v2` });

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gennaker-k8s-canary-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Stage = { name: string; status: string; outputs?: Record<string, unknown>; context?: Record<string, unknown> };

function executionOf(stdout: string): { status: string; stages: Stage[] } {
  return JSON.parse(stdout.slice(stdout.indexOf('{'), stdout.lastIndexOf('}') + 1)) as { status: string; stages: Stage[] };
}

const statuses = (stages: readonly Stage[]) => Object.fromEntries(stages.map((stage) => [stage.name, stage.status]));

describe('gennaker run --sandbox: the Kubernetes canary pipelines', () => {
  it('passes a good release and sends it to production; fails a bad one, skips production and ends TERMINAL at its precondition; deploys the simple canary from its trigger\'s images', async () => {
    // given: the codelab pipeline as published; when: a good and a bad release, at the same time
    const speed = { GENNAKER_SANDBOX_SPEED: '300' };
    const [good, bad, simple] = await Promise.all([
      runGennaker(['run', pipeline, '--sandbox', '--param', 'successRate=100', '--json'], mkdtempSync(join(dir, 'good-')), speed),
      runGennaker(['run', pipeline, '--sandbox', '--param', 'successRate=10', '--json'], mkdtempSync(join(dir, 'bad-')), speed),
      // As its pipeline trigger would start it: the staging pipeline's images, the manifests bound by default.
      runGennaker(['run', simpleCanary, '--sandbox', '--trigger-type', 'pipeline', '--artifact', image('frontend'), '--artifact', image('backend'), '--judge', '4=continue', '--sandbox-speed', '30', '--json'], mkdtempSync(join(dir, 'simple-'))),
    ]);

    // then: what the sandbox supplied, reported
    for (const run of [good, bad]) {
      const output = run.stdout + run.stderr;
      expect(output).toMatch(/metrics account kayenta-tutorial \(prometheus at http:\/\/127\.0\.0\.1:\d+\/prometheus\)/);
      expect(output).toMatch(/sandbox: seeded canary config CANARY_CONFIG_ID \(error ratio \(critical\) and mean latency/);
      expect(output).toMatch(/sandbox: seeded pipeline SIMPLE_DEPLOY_PIPELINE_ID \(stand-in .* deploying ConfigMap default\/sampleapp-config-prod; ran once with successRate=100: SUCCEEDED\)/);
    }

    expect(good.code, good.stdout + good.stderr).toBe(0);
    const passed = executionOf(good.stdout);
    expect(passed.status).toBe('SUCCEEDED');
    expect(statuses(passed.stages)).toMatchObject({
      'Find Baseline Version': 'SUCCEEDED',
      'Deploy Canary Config': 'SUCCEEDED',
      'Deploy Canary': 'SUCCEEDED',
      'Deploy Baseline': 'SUCCEEDED',
      'Canary Analysis': 'SUCCEEDED',
      'Deploy to Production': 'SUCCEEDED',
      'Delete Canary': 'SUCCEEDED',
      'Delete Baseline': 'SUCCEEDED',
      'Successful deployment': 'SUCCEEDED',
    });
    // The baseline read the production ConfigMap the stand-in left, bound by Spinnaker's artifact rules.
    expect(JSON.stringify(passed.stages.find((stage) => stage.name === 'Deploy Baseline'))).toContain('sampleapp-config-prod-v000');
    expect((passed.stages.find((stage) => stage.name === 'Canary Analysis')!.outputs as { overallScore: number }).overallScore).toBe(100);

    expect(bad.code, bad.stdout + bad.stderr).toBe(1);
    const failed = executionOf(bad.stdout);
    expect(failed.status).toBe('TERMINAL');
    expect(statuses(failed.stages)).toMatchObject({
      'Canary Analysis': 'FAILED_CONTINUE',
      'Deploy to Production': 'SKIPPED',
      'Delete Canary': 'SUCCEEDED',
      'Delete Baseline': 'SUCCEEDED',
      'Successful deployment': 'TERMINAL',
    });
    const rejected = failed.stages.find((stage) => stage.name === 'Canary Analysis')!.outputs as { overallScore: number; intervals: Array<{ metrics: Array<{ name: string; classification: string; experiment: { mean: number }; control: { mean: number } }> }> };
    expect(rejected.overallScore).toBe(0);
    const errors = rejected.intervals.at(-1)!.metrics.find((metric) => metric.name === 'error-ratio')!;
    expect(errors.classification).toBe('High');
    // 10% success: about 90% of the canary's requests fail, none of the baseline's.
    expect(errors.experiment.mean).toBeGreaterThan(0.85);
    expect(errors.control.mean).toBe(0);
    expect(bad.stderr + bad.stdout).toMatch(/stage 'Successful deployment': precondition expression .* is false/);

    // The simple canary: both Deployments from the gcs manifests, running the images the trigger brought.
    const said = simple.stdout + simple.stderr;
    expect(simple.code, said).toBe(0);
    expect(said).toContain('artifact gcs/object {%BUCKET_URI%}/manifests/frontend.yml (generated Deployment production/frontend-canary, image gcr.io/{%PROJECT_ID%}/frontend; account my-gcs-account)');
    const canaried = executionOf(simple.stdout);
    expect(canaried.status).toBe('SUCCEEDED');
    expect(statuses(canaried.stages)).toEqual({
      'Simple Frontend Canary': 'SUCCEEDED',
      'Simple Backend Canary': 'SUCCEEDED',
      'Wait For Canary Results': 'SUCCEEDED',
      'Manually Validate Canary Results': 'SUCCEEDED',
    });
    expect(said).toMatch(/Deployment backend-canary\s+no traffic, 1\/1 Ready, runs gcr\.io\/\{%PROJECT_ID%\}\/backend:v2\n/);
    expect(said).toMatch(/Deployment frontend-canary\s+no traffic, 1\/1 Ready, runs gcr\.io\/\{%PROJECT_ID%\}\/frontend:v2\n/);
    expect(callCount(said, 'kubernetes:POST deployments')).toBe(2);
  }, 60_000);
});
