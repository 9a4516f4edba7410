/**
 * `gennaker run --sandbox` on Kubernetes as a user runs it: child processes run two of Spinnaker's
 * own Kubernetes pipelines from the conformance corpus, unchanged, against the Kubernetes
 * simulator through the real client and the real Kubernetes target. The blue/green pipeline
 * deploys `helloworld-v001` beside the `-v000` the sandbox seeded behind its Service, disables the
 * second newest by its Service's selector labels and scales it to 1; the staging pipeline reads its
 * manifests from an artifact account, binds the images its expected artifacts name, runs a Job and
 * waits for a judgment.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callCount, runGennaker } from '../support/sandbox-cli.ts';
import { CONFORMANCE_CORPUS } from '../support/conformance.ts';

let dirs: string[] = [];
const dir = () => {
  const made = mkdtempSync(join(tmpdir(), 'gennaker-run-sandbox-k8s-'));
  dirs.push(made);
  return made;
};

beforeAll(() => {
  dirs = [];
});
afterAll(() => {
  for (const made of dirs) rmSync(made, { recursive: true, force: true });
});

describe('gennaker run --sandbox on Kubernetes', () => {
  it("runs Spinnaker's blue/green and deploy-to-staging pipelines unchanged", async () => {
    const [bluegreen, staging] = await Promise.all([
      runGennaker(['run', join(CONFORMANCE_CORPUS, 'spinnaker_spinnaker_pipeline.json'), '--sandbox', '--param', 'hellotag=v2'], dir()),
      runGennaker(['run', join(CONFORMANCE_CORPUS, 'spinnaker_spinnaker_deploy-to-staging-pipeline.json'), '--sandbox', '--judge', '3=continue'], dir()),
    ]);

    // Blue/green by hand: what was seeded, the run, what it left and the calls it made.
    const blue = bluegreen.stdout + bluegreen.stderr;
    expect(bluegreen.code, blue).toBe(0);
    expect(blue).toContain('sandbox: simulated accounts my-kubernetes-account (kubernetes, default)');
    expect(blue).toContain('service default/hellosvc (my-kubernetes-account, selects frontedBy=hellosvc)');
    expect(blue).toContain('replicaSet default/helloworld-v000 (my-kubernetes-account, 3 pods Ready, behind service hellosvc, the version before the run)');
    expect(blue).toContain("pipeline 'bluegreen' SUCCEEDED");
    // Blue/green by labels: the Service always selected ready pods.
    expect(blue).toMatch(/sandbox: cluster service hellosvc \(my-kubernetes-account, default\) always had healthy capacity in traffic during the run \(at least \d healthy, \d+ samples\)/);
    expect(blue).toMatch(/ReplicaSet helloworld-v000\s+no traffic, 1\/1 Ready, runs us-docker\.pkg\.dev\/spinnaker-community\/codelabs\/helloworld:sandbox-previous/);
    expect(blue).toMatch(/ReplicaSet helloworld-v001\s+serving, 3\/3 Ready, runs us-docker\.pkg\.dev\/spinnaker-community\/codelabs\/helloworld:v2/);
    // One new version; the disable patched the old ReplicaSet's template and each of its 3 pods; the scale went through /scale.
    expect(callCount(blue, 'kubernetes:POST replicasets')).toBe(1);
    expect(callCount(blue, 'kubernetes:PATCH replicasets')).toBe(1);
    expect(callCount(blue, 'kubernetes:PATCH pods')).toBe(3);
    expect(callCount(blue, 'kubernetes:PATCH replicasets/scale')).toBe(1);
    // The Service itself is never written.
    expect(callCount(blue, 'kubernetes:PATCH services')).toBeUndefined();
    expect(callCount(blue, 'kubernetes:PUT services')).toBeUndefined();

    // Deploy to staging: manifests from the artifact account, images bound, the test Job run.
    const stage = staging.stdout + staging.stderr;
    expect(staging.code, stage).toBe(0);
    expect(stage).toContain('namespace staging (my-kubernetes-account)');
    expect(stage).toContain('artifact gcs/object {%BUCKET_URI%}/manifests/frontend.yml (generated Deployment staging/frontend, image gcr.io/{%PROJECT_ID%}/frontend; account my-gcs-account)');
    expect(stage).toContain("pipeline 'Deploy to Staging' SUCCEEDED");
    expect(stage).toMatch(/Deployment frontend\s+no traffic, 1\/1 Ready, runs gcr\.io\/\{%PROJECT_ID%\}\/frontend/);
    expect(stage).toMatch(/Job check-backend\s+/);
    expect(callCount(stage, 'kubernetes:POST deployments')).toBe(2);
    expect(callCount(stage, 'kubernetes:POST jobs')).toBe(1);
  }, 90_000);
});
