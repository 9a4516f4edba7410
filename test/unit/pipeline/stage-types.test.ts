/**
 * Stage types: each one's required fields (with the exact message) and the plan the compiler
 * emits — deploy strategies in Spinnaker's exact step order (reference/spinnaker.md §1.5).
 */
import { describe, expect, it } from 'vitest';
import type { TaskStep } from '../../../core/pipeline/model.ts';
import { parsePipeline } from '../../../core/pipeline/parse.ts';
import type { Stage } from '../../../core/pipeline/stage-types/index.ts';
import { KNOWN_SPINNAKER_STAGE_TYPES, SUPPORTED_STAGE_TYPES, SUPPORTED_STAGE_TYPES_SUMMARY, getStageType, planStage } from '../../../core/pipeline/stage-types/index.ts';
import { issuesOf, pipeline, stage } from './builders.ts';

function parsedStage(type: string, fields: Record<string, unknown>): Stage {
  const { pipeline: parsed, issues } = parsePipeline(pipeline([stage(type, fields)]));
  if (!parsed) throw new Error(`expected a valid ${type} stage: ${JSON.stringify(issues)}`);
  return parsed.stages[0] as Stage;
}

function planOf(type: string, fields: Record<string, unknown>): string[] {
  return planStage(parsedStage(type, fields)).map((step) => `${step.name}:${step.kind}`);
}

const target = { cluster: 'hello-prod', credentials: 'prod', regions: ['us-east-1'], target: 'current_asg_dynamic' };
const location = { cluster: 'hello-prod', credentials: 'prod', regions: ['us-east-1'] };
const canaryConfig = { canaryConfigId: 'cfg', lifetimeDuration: 'PT1H', scopes: [{ controlScope: 'hello-baseline', experimentScope: 'hello-canary' }] };

describe('the catalog', () => {
  it('lists the supported types, sorted, each with a definition', () => {
    expect(SUPPORTED_STAGE_TYPES).toEqual([...SUPPORTED_STAGE_TYPES].sort());
    expect(SUPPORTED_STAGE_TYPES).toHaveLength(48);
    for (const type of SUPPORTED_STAGE_TYPES) expect(getStageType(type)?.type).toBe(type);
  });

  it('names them in messages on one short line, grouped by family', () => {
    expect(SUPPORTED_STAGE_TYPES_SUMMARY).toBe(
      'awsCodeBuild, bake, checkPreconditions, continueServiceDeployment, deploy, evaluateVariables, kayentaCanary, manualJudgment, pipeline, runJob, wait, waitUntil, webhook, find{ArtifactFromExecution,ArtifactsFromResource,Image,ImageFromTags}, ' +
        '{clone,destroy,disable,enable,resize,rollback}ServerGroup, {disable,rollback,scaleDown,shrink}Cluster, Kubernetes *Manifest, Aws.Lambda*Stage',
    );
  });

  it("includes the supported types and Spinnaker's others in the known catalog", () => {
    for (const type of [...SUPPORTED_STAGE_TYPES, 'deployManifest', 'deleteManifest', 'findArtifactFromExecution', 'cloneServerGroup', 'rollingPush', 'bakeManifest', 'lambdaDeployment']) {
      expect(KNOWN_SPINNAKER_STAGE_TYPES).toContain(type);
    }
    expect(getStageType('rollingPush')).toBeUndefined();
  });
});

describe('plans', () => {
  it.each([
    ['wait', { waitTime: 120 }, ['wait:poll']],
    ['waitUntil', { epochMillis: 1_900_000_000_000 }, ['waitUntil:poll']],
    ['manualJudgment', {}, ['waitForJudgment:callback']],
    ['checkPreconditions', { preconditions: [] }, ['checkPreconditions:run']],
    ['evaluateVariables', { variables: [{ key: 'a', value: 1 }] }, ['evaluateVariables:run']],
    ['webhook', { url: 'https://ci.example.com/hook' }, ['createWebhook:poll']],
    [
      'webhook',
      { url: 'https://ci.example.com/hook', waitForCompletion: true, statusJsonPath: '$.status', successStatuses: 'OK', waitBeforeMonitor: 10 },
      ['createWebhook:poll', 'waitBeforeMonitor:poll', 'monitorWebhook:poll'],
    ],
    ['pipeline', { application: 'hello', pipeline: 'abc' }, ['startPipeline:run', 'monitorPipeline:poll']],
    ['pipeline', { application: 'hello', pipeline: 'abc', waitForCompletion: false }, ['startPipeline:run']],
    ['disableServerGroup', target, ['disableServerGroup:run', 'waitForDisabledServerGroup:poll']],
    ['enableServerGroup', target, ['enableServerGroup:run', 'waitForUpInstances:poll']],
    ['resizeServerGroup', { ...target, action: 'scale_up', scaleNum: 1 }, ['resizeServerGroup:run', 'waitForCapacityMatch:poll']],
    ['destroyServerGroup', target, ['disableServerGroup:run', 'waitForDisabledServerGroup:poll', 'destroyServerGroup:run', 'waitForDestroyedServerGroup:poll']],
    ['rollbackCluster', location, ['rollbackCluster:poll']],
    [
      'rollbackServerGroup',
      { credentials: 'prod', regions: ['us-east-1'], rollbackType: 'EXPLICIT', rollbackContext: { rollbackServerGroupName: 'hello-v002', restoreServerGroupName: 'hello-v001' } },
      ['enableRestoreServerGroup:poll', 'disableRollbackServerGroup:poll'],
    ],
    ['rollbackServerGroup', { credentials: 'prod', region: 'us-east-1', rollbackType: 'PREVIOUS_IMAGE' }, ['deployPreviousImage:poll']],
    ['continueServiceDeployment', { ...location, action: 'rollback' }, ['continueServiceDeployment:run', 'waitForServiceDeployment:poll']],
    ['scaleDownCluster', location, ['scaleDownCluster:poll']],
    ['shrinkCluster', location, ['shrinkCluster:poll']],
    ['disableCluster', location, ['disableCluster:poll']],
    ['kayentaCanary', { canaryConfig }, ['runCanaryIntervals:poll', 'aggregateCanaryResults:run']],
    ['bake', { package: 'hello', regions: ['us-east-1'] }, ['createBake:run', 'monitorBake:poll']],
    ['findImage', location, ['findImage:run']],
    ['findImageFromTags', { packageName: 'hello', tags: { stage: 'candidate' } }, ['findImageFromTags:run']],
    ['runJob', { account: 'k8s', cloudProvider: 'kubernetes', manifest: { kind: 'Job', metadata: { name: 'migrate' }, spec: { template: { spec: { containers: [{ name: 'main', image: 'busybox' }] } } } } }, ['runJob:poll', 'waitOnJobCompletion:poll']],
  ])('%s %j → %j', (type, fields, expected) => {
    expect(planOf(type, fields)).toEqual(expected);
  });

  it.each([
    [0, 1],
    [30, 2],
    [120, 5],
    [121, 6],
  ])('bounds a wait of %i s to %i polls (every 30 s, the first call starts the clock)', (waitTime, maxPolls) => {
    expect(planStage(parsedStage('wait', { waitTime }))).toEqual([{ name: 'wait', kind: 'poll', maxPolls }]);
  });

  it('leaves the poll bound open for a waitTime expression', () => {
    expect(planStage(parsedStage('wait', { waitTime: '${parameters.pause}' }))).toEqual([{ name: 'wait', kind: 'poll' }]);
  });

  it('gives manual judgment the stage timeout, or 3 days', () => {
    expect(planStage(parsedStage('manualJudgment', {}))).toEqual([{ name: 'waitForJudgment', kind: 'callback', timeoutSeconds: 259200 }]);
    expect(planStage(parsedStage('manualJudgment', { stageTimeoutMs: 3_600_500 }))).toEqual([{ name: 'waitForJudgment', kind: 'callback', timeoutSeconds: 3601 }]);
  });

  it('bounds a canary by its intervals', () => {
    const steps = planStage(parsedStage('kayentaCanary', { canaryConfig: { ...canaryConfig, canaryAnalysisIntervalMins: '15', beginCanaryAnalysisAfterMins: 2 } }));
    expect(steps).toEqual<TaskStep[]>([
      { name: 'warmupWait', kind: 'poll', maxPolls: 5 },
      { name: 'runCanaryIntervals', kind: 'poll', maxPolls: 25 },
      { name: 'aggregateCanaryResults', kind: 'run' },
    ]);
  });

  it('deploys and cleans up canary server groups when the stage manages them', () => {
    const steps = planOf('kayentaCanary', { canaryConfig, deployments: { serverGroupPairs: [{ control: {}, experiment: {} }] } });
    expect(steps).toEqual(['deployCanaryServerGroups:poll', 'runCanaryIntervals:poll', 'aggregateCanaryResults:run', 'cleanupCanaryServerGroups:poll']);
  });

  it('gives every supported type a non-empty plan', () => {
    const lambda = { account: 'a', region: 'us-east-1', functionName: 'f' };
    const minimal: Record<string, Record<string, unknown>> = {
      wait: { waitTime: 1 },
      waitUntil: { epochMillis: 1 },
      webhook: { url: 'https://x.example' },
      awsCodeBuild: { account: 'a', projectName: 'p' },
      pipeline: { application: 'a', pipeline: 'p' },
      deploy: { clusters: [{ account: 'a' }] },
      cloneServerGroup: { credentials: 'a', region: 'r' },
      kayentaCanary: { canaryConfig },
      findImageFromTags: { packageName: 'p' },
      findArtifactFromExecution: { pipeline: 'p', expectedArtifact: { id: 'a', matchArtifact: { type: 'docker/image' } } },
      rollbackServerGroup: { credentials: 'c', region: 'r', rollbackType: 'PREVIOUS_IMAGE' },
      rollbackCluster: location,
      continueServiceDeployment: location,
      scaleDownCluster: location,
      shrinkCluster: location,
      disableCluster: location,
      findImage: location,
      disableServerGroup: target,
      enableServerGroup: target,
      destroyServerGroup: target,
      resizeServerGroup: { ...target, capacity: { desired: 1 } },
      deployManifest: { account: 'k8s', manifests: [{ kind: 'Service', metadata: { name: 's' } }] },
      deleteManifest: { account: 'k8s', manifestName: 'service s' },
      ...Object.fromEntries(
        ['Aws.LambdaDeploymentStage', 'lambdaDeployment'].map((type) => [type, { ...lambda, runtime: 'nodejs22.x', handler: 'i.h', role: 'arn:aws:iam::1:role/r', s3bucket: 'b', s3key: 'k' }]),
      ),
      ...Object.fromEntries(['Aws.LambdaUpdateCodeStage', 'lambdaUpdateCode'].map((type) => [type, { ...lambda, s3bucket: 'b', s3key: 'k' }])),
      ...Object.fromEntries(['Aws.LambdaTrafficRoutingStage', 'lambdaTrafficRouting'].map((type) => [type, { ...lambda, aliasName: 'live', deploymentStrategy: '$SIMPLE', versionNameA: '$LATEST' }])),
      ...Object.fromEntries(['Aws.LambdaInvokeStage', 'lambdaInvoke'].map((type) => [type, lambda])),
      ...Object.fromEntries(
        ['disableManifest', 'enableManifest', 'findArtifactsFromResource', 'pauseRolloutManifest', 'resumeRolloutManifest', 'rollingRestartManifest', 'undoRolloutManifest'].map((type) => [
          type,
          { account: 'k8s', location: 'default', manifestName: 'deployment web' },
        ]),
      ),
      scaleManifest: { account: 'k8s', manifestName: 'deployment web', replicas: '0' },
      patchManifest: { account: 'k8s', manifestName: 'deployment web', patchBody: [{ spec: { replicas: 2 } }] },
      runJobManifest: { account: 'k8s', manifest: { kind: 'Job', metadata: { name: 'migrate' }, spec: { template: { spec: { containers: [{ name: 'main', image: 'busybox' }] } } } } },
      ...Object.fromEntries(['Aws.LambdaDeleteStage', 'lambdaDelete'].map((type) => [type, { ...lambda, version: '$ALL' }])),
    };
    for (const type of SUPPORTED_STAGE_TYPES) expect(planStage(parsedStage(type, minimal[type] ?? {})).length).toBeGreaterThan(0);
  });
});

describe('deploy strategies (Spinnaker §1.5 order)', () => {
  const deploy = (cluster: Record<string, unknown>) => planOf('deploy', { clusters: [{ account: 'prod', ...cluster }] });

  it.each([
    ['none', {}, ['createServerGroup:run', 'waitForUpInstances:poll']],
    ['an empty strategy as none', { strategy: '' }, ['createServerGroup:run', 'waitForUpInstances:poll']],
    ['highlander', { strategy: 'highlander' }, ['createServerGroup:run', 'waitForUpInstances:poll', 'shrinkCluster:poll']],
    ['redblack, plain', { strategy: 'redblack' }, ['createServerGroup:run', 'waitForUpInstances:poll', 'disableCluster:poll']],
    [
      'redblack with shrink, delays and scale down',
      { strategy: 'redblack', maxRemainingAsgs: 2, delayBeforeDisableSec: 60, scaleDown: true, delayBeforeScaleDownSec: 30 },
      ['createServerGroup:run', 'waitForUpInstances:poll', 'shrinkCluster:poll', 'waitBeforeDisable:poll', 'disableCluster:poll', 'waitBeforeScaleDown:poll', 'scaleDownCluster:poll'],
    ],
    [
      'redblack with zero delays and maxRemainingAsgs 0',
      { strategy: 'redblack', maxRemainingAsgs: 0, delayBeforeDisableSec: 0, scaleDown: true, delayBeforeScaleDownSec: 0 },
      ['createServerGroup:run', 'waitForUpInstances:poll', 'disableCluster:poll', 'scaleDownCluster:poll'],
    ],
    [
      'redblack preferring delayBeforeCleanup over delayBeforeDisableSec',
      { strategy: 'redblack', delayBeforeCleanup: '${parameters.soak}', delayBeforeDisableSec: 0 },
      ['createServerGroup:run', 'waitForUpInstances:poll', 'waitBeforeDisable:poll', 'disableCluster:poll'],
    ],
    [
      'rollingredblack, appending 100',
      { strategy: 'rollingredblack', targetPercentages: [25, 50] },
      [
        'createServerGroup:run',
        'pinSourceServerGroup:run',
        'resizeTo25Percent:poll',
        'disableSource25Percent:poll',
        'resizeTo50Percent:poll',
        'disableSource50Percent:poll',
        'resizeTo100Percent:poll',
        'disableSource100Percent:poll',
        'unpinSourceServerGroup:run',
      ],
    ],
    [
      'rollingredblack with a validation pipeline, a delay and scale down',
      { strategy: 'rollingredblack', targetPercentages: [50, 100], delayBeforeCleanup: 60, scaleDown: true, pipelineBeforeCleanup: { application: 'hello', pipelineId: 'smoke' } },
      [
        'createServerGroup:run',
        'pinSourceServerGroup:run',
        'resizeTo50Percent:poll',
        'waitBeforeDisable50Percent:poll',
        'validate50Percent:poll',
        'disableSource50Percent:poll',
        'resizeTo100Percent:poll',
        'waitBeforeDisable100Percent:poll',
        'validate100Percent:poll',
        'disableSource100Percent:poll',
        'scaleDownCluster:poll',
      ],
    ],
    ['custom', { strategy: 'custom', strategyApplication: 'hello', strategyPipeline: 'my-strategy' }, ['startStrategyPipeline:run', 'monitorStrategyPipeline:poll']],
    ['canary', { strategy: 'canary', canary: { canaryConfig: { canaryConfigId: 'cfg' }, lifetimeDuration: 'PT1H' } }, ['deployCanaryServerGroups:poll', 'runCanaryAnalysis:poll', 'finishCanary:poll']],
  ])('%s', (_label, cluster, expected) => {
    expect(deploy(cluster)).toEqual(expected);
  });

  it('prefixes the steps of each cluster when there are several', () => {
    expect(planOf('deploy', { clusters: [{ account: 'a', strategy: 'highlander' }, { account: 'b' }] })).toEqual([
      'cluster0.createServerGroup:run',
      'cluster0.waitForUpInstances:poll',
      'cluster0.shrinkCluster:poll',
      'cluster1.createServerGroup:run',
      'cluster1.waitForUpInstances:poll',
    ]);
  });

  it('bounds the red/black waits by their delays', () => {
    const steps = planStage(parsedStage('deploy', { clusters: [{ account: 'a', strategy: 'redblack', delayBeforeDisableSec: 90 }] }));
    expect(steps.find((step) => step.name === 'waitBeforeDisable')).toEqual({ name: 'waitBeforeDisable', kind: 'poll', maxPolls: 4 });
  });

  it("runs an unknown strategy as 'none' with a warning, as Spinnaker does", () => {
    const input = pipeline([stage('deploy', { clusters: [{ account: 'prod', strategy: 'bluegreen' }] })]);
    const { pipeline: parsed, issues } = parsePipeline(input);
    expect(issues).toEqual([
      {
        pointer: '/stages/0/clusters/0/strategy',
        code: 'invalid-value',
        severity: 'warning',
        message: "deploy strategy 'bluegreen' is unknown, so it runs as 'none' (as in Spinnaker) and older server groups stay enabled; use one of redblack, rollingredblack, highlander, none, custom, canary",
        value: 'bluegreen',
      },
    ]);
    expect(parsed && planStage(parsed.stages[0] as Stage).map((step) => step.name)).toEqual(['createServerGroup', 'waitForUpInstances']);
  });
});

describe('required fields and checks per stage type', () => {
  it.each([
    ['wait', {}, '/stages/0/waitTime', 'required', "'waitTime' is required; add a number of seconds"],
    ['wait', { waitTime: 'abc' }, '/stages/0/waitTime', 'wrong-type', "expected a number of seconds, got 'abc'"],
    ['wait', { waitTime: -5 }, '/stages/0/waitTime', 'invalid-value', 'expected a number of seconds (at least 0), got -5'],
    ['wait', { waitTime: 5, skipRemainingWait: 'no' }, '/stages/0/skipRemainingWait', 'wrong-type', "expected true or false, got 'no'"],
    ['waitUntil', {}, '/stages/0/epochMillis', 'required', "'epochMillis' is required; add a time in epoch milliseconds"],
    ['manualJudgment', { judgmentInputs: [{}] }, '/stages/0/judgmentInputs/0/value', 'required', "'value' is required; add the choice offered to the judge"],
    ['manualJudgment', { selectedStageRoles: 'admins' }, '/stages/0/selectedStageRoles', 'wrong-type', "expected a list of role names, got 'admins'"],
    [
      'checkPreconditions',
      { preconditions: [{ type: 'expresion', context: {} }] },
      '/stages/0/preconditions/0/type',
      'invalid-value',
      "precondition type 'expresion' is unknown; use one of expression, clusterSize, stageStatus",
    ],
    ['checkPreconditions', { preconditions: [{ context: {} }] }, '/stages/0/preconditions/0/type', 'required', "'type' is required; add the precondition type: one of expression, clusterSize, stageStatus"],
    ['checkPreconditions', { preconditions: [{ type: 'expression', context: {} }] }, '/stages/0/preconditions/0/context/expression', 'required', "'expression' is required; add the expression that must be true"],
    ['checkPreconditions', { preconditions: [{ type: 'clusterSize', context: { credentials: 'prod' } }] }, '/stages/0/preconditions/0/context/cluster', 'required', "'cluster' is required; add the cluster to count, e.g. 'hello-prod', in the precondition's context or on the stage"],
    [
      'checkPreconditions',
      { preconditions: [{ type: 'clusterSize', context: { cluster: 'c', credentials: 'p', comparison: '=<' } }] },
      '/stages/0/preconditions/0/context/comparison',
      'invalid-value',
      "expected one of ==, !=, <, <=, >, >=, got '=<'",
    ],
    ['checkPreconditions', { preconditions: [{ type: 'stageStatus', context: { stageName: 'Deploy' } }] }, '/stages/0/preconditions/0/context/stageStatus', 'required', "'stageStatus' is required; add the status it must have, e.g. 'SUCCEEDED'"],
    ['evaluateVariables', { variables: [{ value: 1 }] }, '/stages/0/variables/0/key', 'required', "'key' is required; add the variable's name"],
    ['evaluateVariables', { variables: [{ key: 'a' }] }, '/stages/0/variables/0/value', 'required', "'value' is required; add the variable's value, e.g. '${parameters.env}'"],
    ['webhook', {}, '/stages/0/url', 'required', "'url' is required; add the URL to call, e.g. 'https://ci.example.com/hooks/deploy'"],
    ['webhook', { url: 'ftp://files' }, '/stages/0/url', 'invalid-value', "expected an http(s) URL, got 'ftp://files'; write it as 'https://host/path'"],
    ['webhook', { url: 'https://x.example', method: 'get' }, '/stages/0/method', 'invalid-value', "expected one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, TRACE, got 'get'"],
    [
      'webhook',
      { url: 'https://x.example', statusUrlResolution: 'poll' },
      '/stages/0/statusUrlResolution',
      'invalid-value',
      "expected one of getMethod, locationHeader, webhookResponse, got 'poll'",
    ],
    [
      'webhook',
      { url: 'https://x.example', waitForCompletion: true, successStatuses: 'OK' },
      '/stages/0/statusJsonPath',
      'required',
      "'statusJsonPath' is required when waitForCompletion is true; add a JSONPath to the status in the status response, e.g. '$.status'",
    ],
    [
      'webhook',
      { url: 'https://x.example', waitForCompletion: true, statusJsonPath: '$.s', successStatuses: 'OK', statusUrlResolution: 'webhookResponse' },
      '/stages/0/statusUrlJsonPath',
      'required',
      "'statusUrlJsonPath' is required when statusUrlResolution is webhookResponse; add a JSONPath to the status URL, e.g. '$.statusUrl'",
    ],
    ['webhook', { url: 'https://x.example', failFastStatusCodes: [700] }, '/stages/0/failFastStatusCodes/0', 'invalid-value', 'expected an HTTP status code (100-599), got 700'],
    ['pipeline', { application: 'hello' }, '/stages/0/pipeline', 'required', "'pipeline' is required; add the id of the pipeline to run (or an expression such as ${#pipelineId('Deploy')})"],
    ['deploy', {}, '/stages/0/clusters', 'required', "'clusters' is required; add at least one cluster to deploy"],
    ['deploy', { clusters: [] }, '/stages/0/clusters', 'invalid-value', 'lists no clusters; add at least one cluster to deploy'],
    ['deploy', { clusters: [{}] }, '/stages/0/clusters/0/account', 'required', "'account' is required; add the account to deploy to"],
    [
      'deploy',
      { clusters: [{ account: 'a', capacity: { min: 3, max: 2, desired: 2 } }] },
      '/stages/0/clusters/0/capacity',
      'invalid-value',
      'capacity is inconsistent (min 3 > max 2, desired 2 < min 3); use min ≤ desired ≤ max',
    ],
    ['deploy', { clusters: [{ account: 'a', strategy: 'monitored' }] }, '/stages/0/clusters/0/strategy', 'invalid-value', "deploy strategy 'monitored' is not supported yet; use one of redblack, rollingredblack, highlander, none, custom, canary"],
    [
      'deploy',
      { clusters: [{ account: 'a', strategy: 'custom', strategyPipeline: 'p' }] },
      '/stages/0/clusters/0/strategyApplication',
      'required',
      "'strategyApplication' is required for the custom strategy; add the application of the strategy pipeline",
    ],
    [
      'deploy',
      { clusters: [{ account: 'a', strategy: 'rollingredblack', targetPercentages: [50, 25] }] },
      '/stages/0/clusters/0/targetPercentages/1',
      'invalid-value',
      'targetPercentages must increase, but 25 follows 50; list them in increasing order, e.g. [25, 50, 100]',
    ],
    ['deploy', { clusters: [{ account: 'a', maxRemainingAsgs: '${x}' }] }, '/stages/0/clusters/0/maxRemainingAsgs', 'wrong-type', "expected a number of server groups, got '${x}'"],
    ['disableServerGroup', { ...target, target: undefined }, '/stages/0/target', 'required', "'target' is required with cluster; add current_asg_dynamic (newest), ancestor_asg_dynamic (previous) or oldest_asg_dynamic (oldest)"],
    ['disableServerGroup', { ...target, target: 'current_asg' }, '/stages/0/target', 'invalid-value', "expected one of current_asg_dynamic, ancestor_asg_dynamic, oldest_asg_dynamic, got 'current_asg'"],
    ['enableServerGroup', { ...target, cluster: undefined }, '/stages/0/cluster', 'required', "'cluster' is required; add the cluster with a target (e.g. 'hello-prod' and current_asg_dynamic), or name the server group with serverGroupName"],
    ['destroyServerGroup', { ...target, credentials: undefined }, '/stages/0/credentials', 'required', "'credentials' is required; add the account to act in"],
    ['destroyServerGroup', { ...target, regions: [] }, '/stages/0/regions', 'required', "'regions' is required; add the regions to act in, e.g. [\"us-east-1\"]"],
    ['resizeServerGroup', { ...target, action: 'scale_exact' }, '/stages/0/capacity', 'required', "'capacity' needs min, max or desired for scale_exact; add e.g. {\"min\": 2, \"max\": 4, \"desired\": 2}"],
    ['resizeServerGroup', { ...target, action: 'scale_down' }, '/stages/0/scaleNum', 'required', 'scale_down needs scaleNum (instances) or scalePct (percent); add one, e.g. "scaleNum": 1'],
    ['resizeServerGroup', { ...target, action: 'grow' }, '/stages/0/action', 'invalid-value', "expected one of scale_exact, scale_up, scale_down, scale_to_cluster, scale_to_server_group, got 'grow'"],
    [
      'rollbackServerGroup',
      { credentials: 'p', regions: ['r'], rollbackType: 'EXPLICIT', rollbackContext: { restoreServerGroupName: 'hello-v001' } },
      '/stages/0/rollbackContext/rollbackServerGroupName',
      'required',
      "'rollbackServerGroupName' is required for an EXPLICIT rollback; add the server group to roll back, e.g. 'hello-prod-v004'",
    ],
    ['rollbackCluster', { credentials: 'p', regions: ['r'] }, '/stages/0/cluster', 'required', "'cluster' is required; add the cluster, e.g. 'hello-prod'"],
    ['shrinkCluster', { ...location, shrinkToSize: -1 }, '/stages/0/shrinkToSize', 'invalid-value', 'expected a number of server groups (at least 0), got -1'],
    ['findImage', { ...location, selectionStrategy: 'BIGGEST' }, '/stages/0/selectionStrategy', 'invalid-value', "expected one of LARGEST, NEWEST, OLDEST, FAIL, got 'BIGGEST'"],
    ['findImageFromTags', {}, '/stages/0/packageName', 'required', "'packageName' is required; add the image's package name"],
    ['kayentaCanary', {}, '/stages/0/canaryConfig', 'required', "'canaryConfig' is required; add the canary configuration: canaryConfigId, scopes and lifetimeDuration"],
    [
      'kayentaCanary',
      { canaryConfig: { ...canaryConfig, scopes: [] } },
      '/stages/0/canaryConfig/scopes',
      'required',
      'canaryConfig.scopes is empty; add at least one scope with controlScope and experimentScope',
    ],
    [
      'kayentaCanary',
      { canaryConfig: { ...canaryConfig, lifetimeDuration: undefined } },
      '/stages/0/canaryConfig/lifetimeDuration',
      'required',
      "'lifetimeDuration' is required unless scopes[0].endTimeIso is set; add how long the canary runs, e.g. 'PT1H'",
    ],
    ['kayentaCanary', { canaryConfig: { ...canaryConfig, lifetimeDuration: '1h' } }, '/stages/0/canaryConfig/lifetimeDuration', 'invalid-value', "expected an ISO-8601 duration such as 'PT1H30M', got '1h'"],
    [
      'kayentaCanary',
      { canaryConfig: { ...canaryConfig, canaryConfigId: undefined } },
      '/stages/0/canaryConfig/canaryConfigId',
      'required',
      "'canaryConfigId' is required; add the id of the canary configuration (or canaryConfigName, or an inline canaryConfig.config)",
    ],
    [
      'kayentaCanary',
      { canaryConfig: { ...canaryConfig, scoreThresholds: { marginal: 90, pass: 80 } } },
      '/stages/0/canaryConfig/scoreThresholds',
      'invalid-value',
      'marginal threshold 90 is above pass threshold 80; use marginal ≤ pass, e.g. 50 and 75',
    ],
    [
      'kayentaCanary',
      { canaryConfig: { ...canaryConfig, scopes: [{ experimentScope: 'c' }] } },
      '/stages/0/canaryConfig/scopes/0/controlScope',
      'required',
      "'controlScope' is required; add the baseline's scope, e.g. 'hello-baseline'",
    ],
    [
      'kayentaCanary',
      { analysisType: 'retrospective', canaryConfig },
      '/stages/0/canaryConfig/scopes/0',
      'required',
      'a retrospective analysis needs scopes[0].startTimeIso and endTimeIso; add both, or use analysisType realTime',
    ],
  ])('%s %j: %s', (type, fields, pointer, code, message) => {
    expect(issuesOf(pipeline([stage(type, fields)]))).toContainEqual({ pointer, code, severity: 'error', message });
  });

  it.each([
    ['manualJudgment', { judgmentInputs: [{ value: 'ship' }, { value: 'ship' }] }, '/stages/0/judgmentInputs/1/value', "judgment input 'ship' is offered twice (also at index 0); remove the duplicate"],
    ['evaluateVariables', { variables: [] }, '/stages/0/variables', 'defines no variables, so the stage does nothing; add {"key": ..., "value": ...} entries'],
    [
      'evaluateVariables',
      { variables: [{ key: 'region', value: 'us-east-1' }] },
      '/stages/0/variables/0/key',
      "variable 'region' clashes with a field stages read from their context; rename it, e.g. 'regionValue'",
    ],
    [
      'evaluateVariables',
      { variables: [{ key: 'a', value: 1 }, { key: 'a', value: 2 }] },
      '/stages/0/variables/1/key',
      "variable 'a' is also defined at index 0; the later value wins, rename one of them",
    ],
    [
      'webhook',
      { url: 'https://x.example', waitForCompletion: true, statusJsonPath: '$.status' },
      '/stages/0/successStatuses',
      "no successStatuses: the stage can never succeed and waits until it times out; add e.g. 'SUCCESS'",
    ],
    [
      'deploy',
      { clusters: [{ account: 'a', strategy: 'redblack', maxRemainingAsgs: 1 }] },
      '/stages/0/clusters/0/maxRemainingAsgs',
      'maxRemainingAsgs 1 destroys the previous server group before it is disabled, leaving nothing to roll back to; use 2 or more (it counts the new server group)',
    ],
    [
      'kayentaCanary',
      { canaryConfig: { ...canaryConfig, canaryAnalysisIntervalMins: 90 } },
      '/stages/0/canaryConfig/canaryAnalysisIntervalMins',
      'the interval (90 min) is longer than the lifetime (60 min), so one interval covering the lifetime is used; shorten it or lengthen the lifetime',
    ],
  ])('warns about %s %j', (type, fields, pointer, message) => {
    const { pipeline: parsed, issues } = parsePipeline(pipeline([stage(type, fields)]));
    expect(parsed).toBeDefined();
    expect(issues.map(({ pointer: at, severity, message: text }) => ({ at, severity, text }))).toContainEqual({ at: pointer, severity: 'warning', text: message });
  });
});

describe('typed configs', () => {
  it('reads Deck numbers written as strings and null thresholds as defaults', () => {
    const parsed = parsedStage('kayentaCanary', {
      canaryConfig: { ...canaryConfig, canaryAnalysisIntervalMins: '5', beginCanaryAnalysisAfterMins: '0', scoreThresholds: { marginal: null, pass: '95' } },
    });
    expect(parsed.config).toMatchObject({
      analysisType: 'realTime',
      canaryConfig: { canaryAnalysisIntervalMins: 5, beginCanaryAnalysisAfterMins: 0, scoreThresholds: { marginal: 50, pass: 95 }, lookbackMins: 0 },
    });
  });

  it('keeps expressions as text where a number is expected', () => {
    expect(parsedStage('wait', { waitTime: '${parameters.pause}' }).config).toEqual({ waitTime: '${parameters.pause}', skipRemainingWait: false, refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'My wait' });
  });

  it('applies defaults: webhook POST without waiting, pipeline waits, findImage NEWEST and enabled only', () => {
    expect(parsedStage('webhook', { url: 'https://x.example' }).config).toMatchObject({ method: 'POST', waitForCompletion: false, statusUrlResolution: 'getMethod' });
    expect(parsedStage('pipeline', { application: 'a', pipeline: 'p' }).config).toMatchObject({ waitForCompletion: true, pipelineParameters: {} });
    expect(parsedStage('findImage', location).config).toMatchObject({ selectionStrategy: 'NEWEST', onlyEnabled: true });
  });

  it("keeps provider fields of a deploy cluster (they are the target's business)", () => {
    const parsed = parsedStage('deploy', { clusters: [{ account: 'ecs', launchType: 'FARGATE', containerPort: 80, strategy: 'redblack', rollback: { onFailure: true } }] });
    expect(parsed.config).toMatchObject({ clusters: [{ account: 'ecs', launchType: 'FARGATE', containerPort: 80, strategy: 'redblack', rollback: { onFailure: true, destroyLatest: false } }] });
  });
});
