/**
 * `gennaker run --sandbox` on Spinnaker's own Google pipelines (the conformance corpus, unchanged),
 * as a user runs them: each pipeline of the file runs against the GCE simulator through the real
 * `@google-cloud/compute` clients and ends with the status Spinnaker would give it. A resize of the
 * cluster's current server group succeeds; a deploy whose image artifact no trigger bound fails at
 * that deploy; findImage → cloneServerGroup clones the largest enabled group, and the canary after
 * it fails on its unsaved canary config.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callCount, runGennaker } from '../support/sandbox-cli.ts';
import { CONFORMANCE_CORPUS } from '../support/conformance.ts';

const google = join(CONFORMANCE_CORPUS, 'spinnaker_spinnaker_google-pipelineConfigs.json');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gennaker-run-sandbox-gce-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface OrcaExecution {
  readonly status: string;
  readonly stages: ReadonlyArray<{ readonly refId: string; readonly type: string; readonly status: string; readonly context: Record<string, unknown> }>;
}
const executionOf = (stdout: string): OrcaExecution => JSON.parse(stdout.slice(stdout.indexOf('{'), stdout.lastIndexOf('}') + 1)) as OrcaExecution;
const statuses = (execution: OrcaExecution) => Object.fromEntries(execution.stages.filter((stage) => !stage.refId.includes('>')).map((stage) => [`${stage.refId} ${stage.type}`, stage.status]));

describe("Spinnaker's Google pipelines on the simulated GCE", () => {
  it('runs resize-up, clone and Kayenta-Shorter-Lifetimes to the statuses Spinnaker gives them', async () => {
    // resize-up's stage times out after 60 s (stageTimeoutMs): its run keeps the simulated clock at 10× so a busy machine's own delays stay small beside it.
    const [resize, clone, kayenta] = await Promise.all(
      (['resize-up', 'clone', 'Kayenta-Shorter-Lifetimes'] as const).map((name) => runGennaker(['run', google, '--pipeline', name, '--sandbox', '--json'], dir, name === 'resize-up' ? { GENNAKER_SANDBOX_SPEED: '10' } : {})),
    );

    // resize-up: scale_up by 1 of the cluster's current server group, which the sandbox started before the run.
    const resized = resize!.stdout + resize!.stderr;
    expect(resize!.code, resized).toBe(0);
    expect(resized).toContain('sandbox: simulated accounts gce (gce, us-central1)');
    expect(resized).toContain('server group compute-v000 (gce, us-central1-a, 1 instance Up, serving before the run)');
    expect(statuses(executionOf(resize!.stdout))).toEqual({ '1 resizeServerGroup': 'SUCCEEDED' });
    // Orca's relative resize moves min, max and desired by scaleNum.
    expect(resized).toMatch(/compute-v000 {2}serving, 2\/2 Up, capacity min 2 max 2 desired 2/);
    expect(callCount(resized, 'gce:instanceGroupManagers.resize')).toBe(1);

    // clone: the first deploy's imageArtifactId names an expected artifact a manual run cannot bind: TERMINAL there.
    const cloned = clone!.stdout + clone!.stderr;
    expect(clone!.code, cloned).toBe(1);
    const cloneRun = executionOf(clone!.stdout);
    expect(cloneRun.status).toBe('TERMINAL');
    expect(statuses(cloneRun)).toMatchObject({ '2 findImage': 'SUCCEEDED', '1 deploy': 'TERMINAL' });
    expect(cloned).toContain('clusters[0].imageArtifactId is "cd50818c-9334-4aa2-b1c3-0d7d4c0c87a7"; no expected artifact of that id is bound in this execution');

    // Kayenta-Shorter-Lifetimes: findImage, then a clone of the largest enabled group (its settings, a new name); the canary's config is not saved.
    const canary = kayenta!.stdout + kayenta!.stderr;
    expect(kayenta!.code, canary).toBe(1);
    const kayentaRun = executionOf(kayenta!.stdout);
    expect(statuses(kayentaRun)).toEqual({ '3 findImage': 'SUCCEEDED', '4 cloneServerGroup': 'SUCCEEDED', '1 kayentaCanary': 'TERMINAL' });
    expect(kayentaRun.stages.find((stage) => stage.refId === '4')?.context['source']).toMatchObject({ serverGroupName: 'compute-v000', region: 'us-central1' });
    expect(canary).toContain("canaryConfigId 'a62f3be1-5250-4687-a7ed-914372269ef4' names no saved canary config");
    expect(canary).toMatch(/compute-v001 {2}serving, 1\/1 Up/);
    expect(callCount(canary, 'gce:instanceTemplates.insert')).toBe(1);
    expect(callCount(canary, 'gce:instanceGroupManagers.insert')).toBe(1);
  }, 90_000);
});
