/**
 * `gennaker run --sandbox` on the Istio progressive canary (GoogleCloudPlatform's
 * canary-deploy-pipeline, a conformance file), as a user runs it: the VirtualService moves 10% →
 * 20% → 40% of traffic to the canary/baseline pair with a Kayenta analysis after each step, then
 * 60% and 100% to the new production after a judgment. The simulated cluster's pods fail the share
 * of requests their SUCCESS_RATE says, in the Prometheus series the analyses read.
 *
 * A good release passes all three analyses and reaches 100%; a bad one fails the first analysis
 * (FAILED_CONTINUE, as `continuePipeline` asks), its "passes" precondition stops that branch, its
 * "fails" precondition runs the rollback pipeline stage, which names a pipeline id that does not
 * exist (`CANARY_FAILED_PIPELINE_ID`, a placeholder of the published file), so that stage and the
 * pipeline end TERMINAL, as Spinnaker's would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFORMANCE_CORPUS } from '../support/conformance.ts';
import { callCount, runGennaker } from '../support/sandbox-cli.ts';

const pipeline = join(CONFORMANCE_CORPUS, 'GoogleCloudPlatform_spinnaker-pipelines_canary-deploy-pipeline.json');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gennaker-istio-canary-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Stage = { name: string; refId: string; status: string };

/** Each stage's status by name, and by refId (three stages share the name '100% to old Prod'). */
function statusesOf(stdout: string): { status: string; stages: Record<string, string>; byRef: Record<string, string> } {
  const execution = JSON.parse(stdout.slice(stdout.indexOf('{'), stdout.lastIndexOf('}') + 1)) as { status: string; stages: Stage[] };
  return {
    status: execution.status,
    stages: Object.fromEntries(execution.stages.map((stage) => [stage.name, stage.status])),
    byRef: Object.fromEntries(execution.stages.map((stage) => [stage.refId, stage.status])),
  };
}

describe('gennaker run --sandbox: the Istio progressive canary', () => {
  it('takes a good release to 100% through three analyses; stops a bad one at the first and ends TERMINAL on its missing rollback pipeline', async () => {
    const speed = { GENNAKER_SANDBOX_SPEED: '300' };
    const [good, bad] = await Promise.all([
      runGennaker(['run', pipeline, '--sandbox', '--param', 'successRate=100', '--judge', '38=continue', '--json'], mkdtempSync(join(dir, 'good-')), speed),
      runGennaker(['run', pipeline, '--sandbox', '--param', 'successRate=10', '--json'], mkdtempSync(join(dir, 'bad-')), speed),
    ]);

    const goodOutput = good.stdout + good.stderr;
    expect(good.code, goodOutput).toBe(0);
    expect(goodOutput).toMatch(/metrics account kayenta-tutorial \(prometheus at http:\/\/127\.0\.0\.1:\d+\/prometheus\)/);
    const passed = statusesOf(good.stdout);
    expect(passed.status).toBe('SUCCEEDED');
    expect(passed.stages).toMatchObject({
      'Canary Analysis at 10%': 'SUCCEEDED',
      'If Canary at 10% passes': 'SUCCEEDED',
      'If Canary at 10% fails': 'STOPPED',
      'Canary Analysis at 20%': 'SUCCEEDED',
      'Canary Analysis at 40%': 'SUCCEEDED',
      'Upgrade Production': 'SUCCEEDED',
      'Send 60% to New Prod': 'SUCCEEDED',
      'Confirm new Prod?': 'SUCCEEDED',
      'Send 100% to New Prod': 'SUCCEEDED',
      'Delete Canary': 'SUCCEEDED',
      'Delete Baseline': 'SUCCEEDED',
    });
    // The traffic moved by patching the VirtualService: 10%, 20%, 40%, 60%, 100%.
    expect(callCount(goodOutput, 'kubernetes:PATCH virtualservices')).toBe(5);

    const badOutput = bad.stdout + bad.stderr;
    expect(bad.code, badOutput).toBe(1);
    const failed = statusesOf(bad.stdout);
    expect(failed.status).toBe('TERMINAL');
    expect(failed.stages).toMatchObject({
      'Canary Analysis at 10%': 'FAILED_CONTINUE',
      'If Canary at 10% passes': 'STOPPED',
      'If Canary at 10% fails': 'SUCCEEDED',
    });
    // The rollback after the 10% analysis (refId 32); the ones after 20% and 40% never start.
    expect(failed.byRef).toMatchObject({ '32': 'TERMINAL', '33': 'NOT_STARTED', '36': 'NOT_STARTED' });
    expect(failed.stages['Send 20% to Canary/Baseline']).not.toBe('SUCCEEDED');
    expect(badOutput).toContain("has no pipeline with id or name 'CANARY_FAILED_PIPELINE_ID'");
  }, 120_000);
});
