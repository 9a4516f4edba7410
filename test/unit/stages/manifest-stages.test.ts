/**
 * Spinnaker's Kubernetes stages that act on live objects, without a cluster: each stage type's
 * schema, plan (Orca's task names) and save checks (one line naming the field, the value and the
 * fix), and the pure parts of their tasks — the revision an undo picks, the Job name a run gets,
 * the properties a Job's log prints, the state of a Job. The tasks against the Kubernetes
 * simulator through the real adapter: test/integration/manifest-stages.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unknownAccountIssues } from '../../../core/accounts/pipeline-accounts.ts';
import { createAccountRegistry } from '../../../core/accounts/registry.ts';
import { parsePipeline } from '../../../core/pipeline/parse.ts';
import { patchBodyProblems, planStage, type Stage } from '../../../core/pipeline/stage-types/index.ts';
import type { Account } from '../../../core/ports/accounts.ts';
import type { JsonObject } from '../../../core/ports/execution-store.ts';
import { listArtifacts } from '../../../core/deploy/kubernetes/artifacts.ts';
import { jobNameFor, jobNameSuffix, jobState, propertiesFromLog } from '../../../core/stages/run-job-manifest.ts';
import { pickRevision, revisionsOf, templateForDeployment } from '../../../core/stages/manifest-undo-rollout.ts';
import { CONFORMANCE_CORPUS } from '../../support/conformance.ts';

function parse(fields: JsonObject) {
  return parsePipeline({ application: 'hello', name: 'p', stages: [{ refId: '1', name: 'Stage', ...fields }] });
}

function errorsOf(fields: JsonObject): Array<[string, string]> {
  return parse(fields)
    .issues.filter((issue) => issue.severity === 'error')
    .map((issue) => [issue.pointer, issue.message]);
}

function planOf(fields: JsonObject): string[] {
  const parsed = parse(fields);
  if (!parsed.pipeline) throw new Error(JSON.stringify(parsed.issues));
  return planStage(parsed.pipeline.stages[0] as Stage).map((step) => `${step.name}:${step.kind}`);
}

const coordinates = { account: 'k8s', cloudProvider: 'kubernetes', location: 'default', manifestName: 'deployment web' };
const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'migrate' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] } } } };

describe('plans: Orca task names, a wait for stable where Orca waits', () => {
  it.each([
    ['scaleManifest', { replicas: 3 }, ['resolveTargetManifest:run', 'scaleManifest:poll', 'waitForManifestToStabilize:poll']],
    ['patchManifest', { patchBody: [{ spec: { replicas: 2 } }] }, ['resolveTargetManifest:run', 'resolvePatchSourceManifest:run', 'patchManifest:poll', 'waitForManifestToStabilize:poll']],
    ['undoRolloutManifest', {}, ['undoRolloutManifest:poll', 'waitForManifestToStabilize:poll']],
    ['enableManifest', {}, ['resolveTargetManifest:run', 'enableManifest:poll', 'waitForManifestToStabilize:poll']],
    ['disableManifest', {}, ['resolveTargetManifest:run', 'disableManifest:poll', 'waitForManifestToStabilize:poll']],
    ['findArtifactsFromResource', {}, ['resolveTargetManifest:run', 'findArtifactsFromResource:run']],
    ['rollingRestartManifest', {}, ['rollingRestartManifest:poll']],
    ['pauseRolloutManifest', {}, ['pauseRolloutManifest:poll']],
    ['resumeRolloutManifest', {}, ['resumeRolloutManifest:poll', 'waitForManifestToStabilize:poll']],
  ])('%s', (type, fields, plan) => {
    expect(planOf({ type, ...coordinates, ...fields })).toEqual(plan);
  });

  it('runs runJobManifest and runJob on kubernetes as the same two steps', () => {
    const steps = ['runJob:poll', 'waitOnJobCompletion:poll'];
    expect(planOf({ type: 'runJobManifest', account: 'k8s', manifest: job })).toEqual(steps);
    expect(planOf({ type: 'runJob', account: 'k8s', cloudProvider: 'kubernetes', manifest: job })).toEqual(steps);
  });
});

describe('save checks', () => {
  it('accepts the stages of the conformance pipeline spinnaker_spinnaker_pipeline.json (dynamic, manifestName " ", replicas as written)', () => {
    const document = JSON.parse(readFileSync(join(CONFORMANCE_CORPUS, 'spinnaker_spinnaker_pipeline.json'), 'utf8')) as { stages: JsonObject[] };
    const alone = (stage: JsonObject): JsonObject => ({ ...stage, refId: '1', requisiteStageRefIds: [] });
    for (const stage of document.stages.filter((candidate) => candidate.type !== 'deployManifest')) {
      expect(errorsOf(alone(stage))).toEqual([]);
    }
    expect(planOf({ ...alone(document.stages[2]!), replicas: '0' })).toEqual(['resolveTargetManifest:run', 'scaleManifest:poll', 'waitForManifestToStabilize:poll']);
  });

  it.each<[string, JsonObject, Array<[string, string]>]>([
    ['no account', { type: 'scaleManifest', manifestName: 'deployment web', replicas: 1 }, [['/stages/0/account', `'account' is required; add the Kubernetes account the object lives in, e.g. "k8s-prod"`]]],
    [
      'no manifestName in static mode',
      { type: 'enableManifest', account: 'k8s' },
      [['/stages/0/manifestName', `'manifestName' is required; add the object as '<kind> <name>', e.g. "deployment web" (or set mode to 'dynamic' with cluster and criteria)`]],
    ],
    ['a manifestName without its kind', { type: 'enableManifest', account: 'k8s', manifestName: 'web' }, [['/stages/0/manifestName', `manifestName is 'web'; write it as '<kind> <name>', e.g. "deployment web"`]]],
    [
      'dynamic mode without criteria',
      { type: 'disableManifest', account: 'k8s', mode: 'dynamic', cluster: 'replicaSet web' },
      [['/stages/0/criteria', `'criteria' is required in dynamic mode; add one of newest, second_newest, oldest, largest, smallest`]],
    ],
    ['an unknown criteria', { type: 'disableManifest', account: 'k8s', mode: 'dynamic', cluster: 'replicaSet web', criteria: 'latest' }, [['/stages/0/criteria', `expected one of newest, second_newest, oldest, largest, smallest, got 'latest'`]]],
    [
      'an undo in dynamic mode',
      { type: 'undoRolloutManifest', account: 'k8s', mode: 'dynamic', cluster: 'deployment web', criteria: 'newest' },
      [['/stages/0/mode', `mode is 'dynamic', which this stage does not take (Spinnaker acts on a named object here); set mode to 'static' and name the object in manifestName`]],
    ],
    ['negative replicas', { type: 'scaleManifest', ...coordinates, replicas: -1 }, [['/stages/0/replicas', 'expected a number of replicas (at least 0), got -1']]],
    ['no replicas', { type: 'scaleManifest', ...coordinates }, [['/stages/0/replicas', `'replicas' is required; add a number of replicas`]]],
    ['numRevisionsBack 0', { type: 'undoRolloutManifest', ...coordinates, numRevisionsBack: 0 }, [['/stages/0/numRevisionsBack', 'expected a number of revisions (at least 1), got 0']]],
    [
      'an empty patch body',
      { type: 'patchManifest', ...coordinates, patchBody: [] },
      [['/stages/0/patchBody', `patchBody is empty; the Patch (Manifest) stage needs a patch body: add one inline, e.g. {"spec": {"replicas": 2}}, or set source to 'artifact' with manifestArtifactId`]],
    ],
    [
      'two objects for a strategic patch',
      { type: 'patchManifest', ...coordinates, patchBody: [{ a: 1 }, { b: 2 }] },
      [['/stages/0/patchBody', `patchBody has 2 objects; only one patch object is valid with the 'strategic' merge strategy: merge them into one, or set options.mergeStrategy to 'json' for a list of operations`]],
    ],
    [
      'a json patch with a bad operation',
      { type: 'patchManifest', ...coordinates, options: { mergeStrategy: 'json' }, patchBody: [{ op: 'set', path: 'spec/replicas', value: 2 }] },
      [
        ['/stages/0/patchBody', `patchBody[0].op is 'set'; use one of add, remove, replace, move, copy, test`],
        ['/stages/0/patchBody', `patchBody[0].path is 'spec/replicas'; give a JSON pointer, e.g. "/spec/replicas"`],
      ],
    ],
    [
      'an artifact source without an artifact',
      { type: 'patchManifest', ...coordinates, source: 'artifact' },
      [['/stages/0/manifestArtifactId', `'manifestArtifactId' is required with source 'artifact'; name the expected artifact that holds the patch, or set source to 'text' with patchBody`]],
    ],
    [
      'a run job that is not a Job',
      { type: 'runJobManifest', account: 'k8s', manifest: { ...job, kind: 'Pod' } },
      [['/stages/0/manifest/kind', `manifest.kind is 'Pod'; only kind Job is accepted for the Run Job operation: set kind to "Job" (apiVersion batch/v1)`]],
    ],
    [
      'a run job without a name or a container',
      { type: 'runJobManifest', account: 'k8s', manifest: { kind: 'Job', metadata: {}, spec: {} } },
      [
        ['/stages/0/manifest/metadata/name', `'manifest.metadata.name' is required; name the Job (or set metadata.generateName), e.g. "migrate": a suffix unique to each run is added`],
        ['/stages/0/manifest/spec/template/spec/containers', `'manifest.spec.template.spec.containers' is required; add the Job's container, e.g. [{"name": "main", "image": "busybox", "command": ["true"]}]`],
      ],
    ],
  ])('refuses %s, naming the field, the value and the fix', (_case, fields, expected) => {
    expect(errorsOf(fields)).toEqual(expected);
  });

  it('accepts a patch body as one object (Deck before 1.17) or a list, and leaves expressions to run time', () => {
    expect(errorsOf({ type: 'patchManifest', ...coordinates, patchBody: { metadata: { labels: { tier: 'web' } } } })).toEqual([]);
    expect(errorsOf({ type: 'patchManifest', ...coordinates, options: { mergeStrategy: 'merge', record: false }, patchBody: [{ spec: { replicas: '${parameters.n}' } }] })).toEqual([]);
    expect(patchBodyProblems([{ op: 'replace', path: '/spec/replicas', value: 2 }], 'json')).toEqual([]);
  });

  it('names the account of every manifest stage when it is unknown', () => {
    const account = (name: string): Account => ({ name, cloudProvider: 'kubernetes', accountType: name, environment: name, regions: ['default'] });
    const config = { application: 'hello', name: 'p', stages: [{ refId: '1', type: 'scaleManifest', ...coordinates, account: 'k8s-prd', replicas: 1 }, { refId: '2', type: 'runJobManifest', account: 'k8s-prod', manifest: job }] };
    const issues = unknownAccountIssues(config, createAccountRegistry([account('k8s-prod')]));
    expect(issues.map((issue) => [issue.pointer, issue.message])).toEqual([['/stages/0/account', `account 'k8s-prd' is not known (known accounts: k8s-prod); did you mean 'k8s-prod'?`]]);
  });
});

describe('undo: the revision clouddriver picks', () => {
  const replicaSet = (revision: string, image: string) => ({
    kind: 'ReplicaSet',
    metadata: { name: `web-${revision}`, annotations: { 'deployment.kubernetes.io/revision': revision } },
    spec: { template: { metadata: { labels: { app: 'web', 'pod-template-hash': `h${revision}` } }, spec: { containers: [{ name: 'web', image }] } } },
  });
  const history = revisionsOf([replicaSet('3', 'web:3'), replicaSet('1', 'web:1'), replicaSet('2', 'web:2'), { kind: 'ReplicaSet', metadata: { name: 'stray' } }]);

  it('sorts the revisions and picks n - numRevisionsBack - 1', () => {
    expect(history.map((entry) => entry.revision)).toEqual([1, 2, 3]);
    expect(pickRevision(history, 1)).toMatchObject({ ok: true, revision: { revision: 2 } });
    expect(pickRevision(history, 2)).toMatchObject({ ok: true, revision: { revision: 1 } });
  });

  it('says there is nothing to roll back to, with clouddriver’s count', () => {
    expect(pickRevision(history, 3)).toEqual({ ok: false, message: 'There are 3 revision(s) in total, cannot rollback 3' });
    expect(pickRevision([], 1)).toEqual({ ok: false, message: 'There are 0 revision(s) in total, cannot rollback 1' });
  });

  it('copies the old template without the pod-template-hash label', () => {
    expect(templateForDeployment(replicaSet('2', 'web:2'))).toEqual({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:2' }] } });
  });
});

describe('run job', () => {
  it('names the Job from the execution and the stage: the same on every delivery, another for another run', () => {
    const first = jobNameFor(job, 'exec-1', 'stage-1');
    expect(first).toMatch(/^migrate-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(jobNameFor(job, 'exec-1', 'stage-1')).toBe(first);
    expect(jobNameFor(job, 'exec-2', 'stage-1')).not.toBe(first);
    expect(jobNameFor({ ...job, metadata: { generateName: 'smoke-' } }, 'exec-1', 'stage-1')).toBe(`smoke-${jobNameSuffix('exec-1/stage-1')}`);
    expect(jobNameFor({ ...job, metadata: { name: 'x'.repeat(80) } }, 'exec-1', 'stage-1')!.length).toBe(63);
    expect(jobNameFor({ ...job, metadata: {} }, 'exec-1', 'stage-1')).toBeUndefined();
  });

  it('reads properties from a log as clouddriver does: SPINNAKER_PROPERTY_ lines lower-cased, SPINNAKER_CONFIG_JSON merged', () => {
    const log = ['starting', 'SPINNAKER_PROPERTY_VERSION=1.2.3', '  SPINNAKER_PROPERTY_Region = us-east-1 ', 'SPINNAKER_PROPERTY_BROKEN=a=b', 'SPINNAKER_CONFIG_JSON={"url": "https://x", "n": 2}', 'done'].join('\n');
    expect(propertiesFromLog(log)).toEqual({ ok: true, properties: { version: '1.2.3', region: 'us-east-1', url: 'https://x', n: 2 } });
    expect(propertiesFromLog('SPINNAKER_CONFIG_JSON={oops')).toMatchObject({ ok: false, message: expect.stringMatching(/^its SPINNAKER_CONFIG_JSON line is not JSON/) });
  });

  it.each<[string, JsonObject, string]>([
    ['no status yet', { spec: {} }, 'Running'],
    ['one of one succeeded', { spec: {}, status: { succeeded: 1 } }, 'Succeeded'],
    ['two of three succeeded', { spec: { completions: 3 }, status: { succeeded: 2 } }, 'Running'],
    ['a Failed condition', { spec: {}, status: { failed: 1, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] } }, 'Failed'],
    ['a Failed condition that is not true', { spec: {}, status: { conditions: [{ type: 'Failed', status: 'False' }] } }, 'Running'],
  ])('reads a Job with %s as %s', (_case, object, state) => {
    expect(jobState(object)).toBe(state);
  });
});

describe('findArtifactsFromResource: the artifacts clouddriver lists for a live object', () => {
  it('lists each container image as docker/image named by its repository, and the ConfigMaps and Secrets the pods reference', () => {
    const deployment = {
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        template: {
          spec: {
            initContainers: [{ name: 'init', image: 'registry:5000/tools/migrate@sha256:abc' }],
            containers: [
              { name: 'web', image: 'gcr.io/acme/web:1.2.3', envFrom: [{ configMapRef: { name: 'web-env-v002' } }], env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'web-token', key: 't' } } }] },
              { name: 'sidecar', image: 'gcr.io/acme/web:1.2.3' },
            ],
            volumes: [{ name: 'conf', configMap: { name: 'web-conf' } }, { name: 'tls', secret: { secretName: 'web-tls' } }],
          },
        },
      },
    };
    expect(listArtifacts(deployment)).toEqual([
      { type: 'docker/image', reference: 'gcr.io/acme/web:1.2.3', name: 'gcr.io/acme/web' },
      { type: 'docker/image', reference: 'registry:5000/tools/migrate@sha256:abc', name: 'registry:5000/tools/migrate' },
      { type: 'kubernetes/configMap', reference: 'web-conf', name: 'web-conf' },
      { type: 'kubernetes/configMap', reference: 'web-env-v002', name: 'web-env-v002' },
      { type: 'kubernetes/secret', reference: 'web-tls', name: 'web-tls' },
      { type: 'kubernetes/secret', reference: 'web-token', name: 'web-token' },
    ]);
  });

  it('finds nothing in a Service', () => {
    expect(listArtifacts({ kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' } } })).toEqual([]);
  });
});
