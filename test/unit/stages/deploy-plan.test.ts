/**
 * The pure half of the deploy stage: every step a strategy planner returns is bound to a task the
 * compiled stage has (so the runtime and the state machine agree, for every strategy), a cluster
 * entry is read with a message naming the field when it is wrong, the artifact comes from the
 * entry or the nearest bake/findImage output, and the poll budget covers the health timeout.
 */
import { describe, expect, it } from 'vitest';
import type { JsonObject, StageRecord } from '../../../core/ports/execution-store.ts';
import { deployPollSeconds, healthPolls, parseDeployCluster, planCluster, pollsToCover, type DeployClusterConfig } from '../../../core/pipeline/stage-types/deploy.ts';
import { readClusterSettings, resolveArtifact, strategyRequestOf } from '../../../core/stages/deploy-plan.ts';
import { bindDeployTasks } from '../../../core/strategies/deploy-tasks.ts';
import { planDeploy } from '../../../core/strategies/deploy-strategies.ts';
import { cluster, serverGroup } from '../deploy/cluster-fixtures.ts';

function config(raw: Record<string, unknown>): DeployClusterConfig {
  const parsed = parseDeployCluster(raw);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.cluster;
}

function record(refId: string, requisiteStageRefIds: string[], outputs: JsonObject = {}): StageRecord {
  return { id: `stage-${refId}`, refId, type: 'deploy', name: refId, requisiteStageRefIds, status: 'RUNNING', context: {}, outputs, runtime: {}, awaitingCallback: false, revision: 1, lastModified: 0 };
}

const base = { account: 'local', application: 'hello', stack: 'prod', availabilityZones: { local: [] }, capacity: { min: 2, max: 2, desired: 2 } };

describe('binding planned steps to the compiled tasks', () => {
  const withSource = cluster([serverGroup('hello-prod-v000', 1)]);
  const empty = cluster([]);

  it.each<[string, Record<string, unknown>]>([
    ['none', { strategy: 'none' }],
    ['highlander', { strategy: 'highlander' }],
    ['redblack, plain', { strategy: 'redblack' }],
    ['redblack with shrink, delays and scale down', { strategy: 'redblack', maxRemainingAsgs: 2, delayBeforeDisableSec: 60, scaleDown: true, delayBeforeScaleDownSec: 30 }],
    ['redblack whose delayBeforeCleanup 0 falls back to delayBeforeDisableSec', { strategy: 'redblack', delayBeforeCleanup: 0, delayBeforeDisableSec: 45 }],
    ['rollingredblack', { strategy: 'rollingredblack', targetPercentages: [25, 50] }],
    [
      'rollingredblack with validation, delays and scale down',
      { strategy: 'rollingredblack', targetPercentages: [50], delayBeforeCleanup: 10, scaleDown: true, delayBeforeScaleDownSec: 20, pipelineBeforeCleanup: { application: 'hello', pipelineId: 'smoke' } },
    ],
    ['custom', { strategy: 'custom', strategyApplication: 'hello', strategyPipeline: 'mine' }],
  ])('%s: every step, with or without a source, belongs to a compiled task', (_label, fields) => {
    const entry = config({ ...base, ...fields });
    const settings = readClusterSettings(entry, { ...base, ...fields }, 'clusters[0]', 'hello');
    if (!settings.ok) throw new Error(settings.message);
    const request = strategyRequestOf(entry, settings.value, { executionId: 'e1', stageId: 's1' });
    if ('unsupported' in request) throw new Error('unsupported');
    const tasks = planCluster(entry).map((step) => step.name);
    for (const state of [withSource, empty]) {
      const planned = planDeploy(state, request);
      if (!planned.ok) throw new Error(planned.message);
      const bindings = bindDeployTasks(request.strategy, planned.steps, entry.targetPercentages);
      expect(bindings.filter((binding) => !tasks.includes(binding.task) || (binding.awaitTask !== undefined && !tasks.includes(binding.awaitTask)))).toEqual([]);
      // the bound tasks come in the compiled order
      const ranks = bindings.map((binding) => tasks.indexOf(binding.task));
      expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    }
  });

  it('binds rolling red/black steps to their percentage, and its scale-down wait to scaleDownCluster', () => {
    const entry = config({ ...base, strategy: 'rollingredblack', targetPercentages: [50], delayBeforeCleanup: 10, scaleDown: true, delayBeforeScaleDownSec: 20 });
    const planned = planDeploy(withSource, { strategy: 'rollingredblack', capacity: { min: 2, max: 2, desired: 2 }, targetPercentages: [50], delayBeforeCleanup: 10, scaleDown: true, delayBeforeScaleDownSec: 20 });
    if (!planned.ok) throw new Error(planned.message);
    const bindings = bindDeployTasks('rollingredblack', planned.steps, entry.targetPercentages);
    expect(planned.steps.map((step, index) => `${bindings[index]!.task} ${step.kind}`)).toEqual([
      'createServerGroup createServerGroup',
      'createServerGroup waitForHealthy',
      'pinSourceServerGroup captureCapacity',
      'pinSourceServerGroup pinServerGroup',
      'resizeTo50Percent resizeServerGroup',
      'waitBeforeDisable50Percent wait',
      'disableSource50Percent disableServerGroup',
      'resizeTo100Percent resizeServerGroup',
      'waitBeforeDisable100Percent wait',
      'disableSource100Percent disableServerGroup',
      'scaleDownCluster wait',
      'scaleDownCluster scaleDownCluster',
    ]);
  });

  it('has the custom strategy pipeline started by one task and awaited by the next', () => {
    const [binding] = bindDeployTasks('custom', [{ kind: 'runPipeline', label: 'pipeline', application: 'a', pipelineId: 'p', parameters: {} }], []);
    expect(binding).toMatchObject({ task: 'startStrategyPipeline', awaitTask: 'monitorStrategyPipeline' });
  });

  it('leaves the canary strategy to its own steps', () => {
    const entry = config({ ...base, strategy: 'canary' });
    const settings = readClusterSettings(entry, base, 'clusters[0]', 'hello');
    if (!settings.ok) throw new Error(settings.message);
    expect(strategyRequestOf(entry, settings.value, { executionId: 'e', stageId: 's' })).toEqual({ unsupported: 'canary' });
  });
});

describe('reading a cluster entry', () => {
  it('names the Frigga cluster, takes the execution application by default, fills min and max from desired, and leaves provider fields to the target', () => {
    const raw = { account: 'local', freeFormDetails: 'canary', region: 'local', capacity: { desired: 3 }, env: { FLAG: true, PORT_OFFSET: 2 }, healthCheck: { path: '/ready' } };
    const read = readClusterSettings(config(raw), raw, 'clusters[0]', 'hello');
    expect(read).toEqual({
      ok: true,
      value: {
        account: 'local',
        application: 'hello',
        cluster: 'hello--canary',
        locations: ['local'],
        capacity: { min: 3, max: 3, desired: 3 },
      },
    });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['no location', { account: 'local', capacity: { desired: 1 } }, 'clusters[1] names no location to deploy to; set availabilityZones, e.g. {"local": []}, or region'],
    ['no capacity', { account: 'local', region: 'local' }, 'clusters[1].capacity.desired is undefined; set capacity, e.g. {"min": 1, "max": 3, "desired": 2}'],
    ['an inconsistent capacity', { account: 'local', region: 'local', capacity: { min: 3, desired: 2 } }, 'clusters[1].capacity {"min":3,"max":2,"desired":2} is inconsistent; use min ≤ desired ≤ max'],
    ['a stack with a hyphen', { account: 'local', region: 'local', capacity: { desired: 1 }, stack: 'pr-od' }, "clusters[1]: stack 'pr-od' may use only letters, digits, '.' and '_' (a hyphen would move the rest into the detail); use e.g. 'pr_od'"],
    ['a healthy percentage above 100', { account: 'local', region: 'local', capacity: { desired: 1 }, targetHealthyDeployPercentage: 120 }, 'clusters[1].targetHealthyDeployPercentage is 120; set a percentage between 0 and 100'],
  ])('fails on %s, naming the field and the fix', (_label, raw, message) => {
    expect(readClusterSettings(config(raw), raw, 'clusters[1]', 'hello')).toEqual({ ok: false, message });
  });
});

describe('resolving the artifact', () => {
  const artifact = { type: 'directory', reference: '/srv/app', version: '1.2.0' };

  it("takes the entry's own artifact first", () => {
    const stage = record('2', ['1']);
    expect(resolveArtifact({ artifact }, 'local', 'clusters[0]', stage, [record('1', []), stage])).toEqual({ ok: true, value: artifact });
  });

  it("takes the nearest ancestor's deploymentDetails entry for the location", () => {
    const far = record('1', [], { deploymentDetails: [{ region: 'local', artifact: { type: 'git', reference: '/repo', version: 'old' } }] });
    const near = record('2', ['1'], { deploymentDetails: [{ region: 'us-east-1', artifact: { type: 'git', reference: '/repo', version: 'east' } }, { region: 'local', artifact }] });
    const stage = record('3', ['2']);
    expect(resolveArtifact({}, 'local', 'clusters[0]', stage, [far, near, stage])).toEqual({ ok: true, value: artifact });
    expect(resolveArtifact({}, 'us-east-1', 'clusters[0]', stage, [far, near, stage])).toEqual({ ok: true, value: { type: 'git', reference: '/repo', version: 'east' } });
  });

  it("runs a GCE entry's imageSource artifact: the artifact bound to imageArtifactId, never an ancestor's image", () => {
    const image = { type: 'gce/image', name: 'hello-v2', reference: 'https://compute.googleapis.com/compute/v1/projects/p/global/images/hello-v2' };
    const found = record('1', [], { deploymentDetails: [{ region: 'us-central1', artifact: { type: 'gce/image', name: 'hello-v1', reference: 'hello-v1' } }] });
    const stage = record('2', ['1']);
    const entry = { imageSource: 'artifact', imageArtifactId: 'img' };
    const trigger = { type: 'manual', resolvedExpectedArtifacts: [{ id: 'img', boundArtifact: image }] };
    expect(resolveArtifact(entry, 'us-central1', 'clusters[0]', stage, [found, stage], { trigger })).toEqual({ ok: true, value: image });
    // Unbound (a manual run without the artifact or a default): the deploy fails, as Orca fails it.
    expect(resolveArtifact(entry, 'us-central1', 'clusters[0]', stage, [found, stage], { trigger: { type: 'manual' } })).toEqual({
      ok: false,
      message:
        'clusters[0].imageArtifactId is "img"; no expected artifact of that id is bound in this execution (none is bound); declare it in the pipeline\'s expectedArtifacts with useDefaultArtifact and a defaultArtifact, or a matchArtifact the trigger supplies',
    });
  });

  it('fails without one, saying what to set', () => {
    const stage = record('1', []);
    expect(resolveArtifact({}, 'local', 'clusters[0]', stage, [stage])).toEqual({
      ok: false,
      message: 'clusters[0] has no artifact to deploy in local; set artifact, e.g. {"type": "directory", "reference": "examples/service"}, or run a bake or findImage stage before this one',
    });
    expect(resolveArtifact({ artifact: { type: 'directory' } }, 'local', 'clusters[0]', stage, [stage])).toMatchObject({ ok: false, message: expect.stringContaining('clusters[0].artifact is {"type":"directory"}') });
  });
});

describe('deploy polling', () => {
  it.each([
    [0, 1],
    [9_000, 1],
    [15_000, 2],
    [60_000, 6],
    [500_000, 10],
  ])('after %i ms waits %i s', (elapsed, seconds) => {
    expect(deployPollSeconds(elapsed)).toBe(seconds);
  });

  it('budgets enough polls for the health timeout, in every location, plus a rollback', () => {
    // 600 s: 10 one-second polls, then 10% of the time waited up to 10 s, then every 10 s
    let elapsed = 0;
    let polls = 1;
    for (; polls < pollsToCover(600); polls++) elapsed += deployPollSeconds(elapsed) * 1000;
    expect(elapsed).toBeGreaterThanOrEqual(600_000);
    expect(pollsToCover(600)).toBe(82);
    expect(healthPolls(config({ ...base, availabilityZones: { a: [], b: [] }, waitForHealthyTimeoutSec: 30 }))).toBe(pollsToCover(30) * 2 + 20);
  });
});
