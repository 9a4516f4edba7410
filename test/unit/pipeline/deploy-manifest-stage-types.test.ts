/**
 * deployManifest and deleteManifest as pipeline JSON: the plan each compiles to (Orca's task order,
 * the traffic follow-ups by strategy) and every save-time check, one line naming the field, the
 * value and the fix.
 */
import { describe, expect, it } from 'vitest';
import { parsePipeline } from '../../../core/pipeline/parse.ts';
import { planStage, type Stage } from '../../../core/pipeline/stage-types/index.ts';
import { errorsOf, pipeline, stage } from './builders.ts';

const rs = (annotations: Record<string, string> = {}) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web', annotations }, spec: {} });
const deploy = (fields: Record<string, unknown> = {}) => stage('deployManifest', { account: 'k8s', source: 'text', manifests: [rs()], ...fields });
const traffic = (options: Record<string, unknown>) => ({ trafficManagement: { enabled: true, options: { enableTraffic: true, services: ['service web-svc'], strategy: 'redblack', ...options } } });

function planOf(fields: Record<string, unknown>, type = 'deployManifest'): string[] {
  const parsed = parsePipeline(pipeline([stage(type, fields)]));
  if (!parsed.pipeline) throw new Error(JSON.stringify(parsed.issues));
  return planStage(parsed.pipeline.stages[0] as Stage).map((step) => step.name);
}

describe('deployManifest plans', () => {
  const base = ['resolveDeploySourceManifest', 'deployManifest', 'waitForManifestStable', 'cleanupArtifacts', 'bindProducedArtifacts'];
  it.each([
    ['no traffic management', {}, base],
    ['strategy none', traffic({ strategy: 'none' }), base],
    ['traffic management disabled', { trafficManagement: { enabled: false, options: { strategy: 'redblack' } } }, base],
    ['red/black', traffic({}), [...base, 'disableOldManifests']],
    ['blue/green', traffic({ strategy: 'bluegreen' }), [...base, 'disableOldManifests']],
    ['highlander', traffic({ strategy: 'highlander' }), [...base, 'disableOldManifests', 'deleteOldManifests']],
  ])('%s', (_, fields, steps) => {
    expect(planOf({ account: 'k8s', manifests: [rs()], ...fields })).toEqual(steps);
  });

  it('deleteManifest deletes, then waits', () => {
    expect(planOf({ account: 'k8s', manifestName: 'service s' }, 'deleteManifest')).toEqual(['deleteManifest', 'waitForManifestToBeDeleted']);
  });
});

describe('deployManifest checks', () => {
  it('accepts manifests, an expression for them, and an artifact source', () => {
    expect(errorsOf(pipeline([deploy()]))).toEqual([]);
    expect(errorsOf(pipeline([deploy({ manifests: '${ #readJson(parameters.manifests) }' })]))).toEqual([]);
    expect(errorsOf(pipeline([deploy({ manifests: ['${ #readJson(parameters.manifest) }'] })]))).toEqual([]);
    expect(errorsOf(pipeline([deploy({ source: 'artifact', manifests: [], manifestArtifactId: 'abc' })]))).toEqual([]);
    expect(errorsOf(pipeline([deploy({ source: 'artifact', manifestArtifact: { type: 'embedded/base64', reference: 'e30=' } })]))).toEqual([]);
  });

  it.each([
    ['no account', { account: undefined }, '/stages/0/account', "'account' is required; add the Kubernetes account to deploy to, e.g. \"my-k8s-account\""],
    ['no manifests', { manifests: [] }, '/stages/0/manifests', "'manifests' is required with source 'text'; add at least one Kubernetes object, or set source to 'artifact' with a manifestArtifactId"],
    ['a manifest that is text', { manifests: [rs(), 'kind: Service'] }, '/stages/0/manifests/1', 'manifests[1] is the text "kind: Service", not a Kubernetes object; write it as an object with apiVersion, kind and metadata.name'],
    ['a manifest without kind', { manifests: [{ metadata: { name: 'x' } }] }, '/stages/0/manifests/0', 'manifests[0] has no kind; add it, e.g. "kind": "ReplicaSet"'],
    ['a manifest without a name', { manifests: [{ kind: 'Service', metadata: {} }] }, '/stages/0/manifests/0', 'manifests[0] (Service) has no metadata.name; add one, e.g. "metadata": {"name": "my-app"}'],
    ['an artifact source without its artifact', { source: 'artifact' }, '/stages/0/manifestArtifactId', "source 'artifact' needs the manifest's artifact: set manifestArtifactId to an expected artifact's id, or manifestArtifact to the artifact itself"],
    ['an unknown source', { source: 'helm' }, '/stages/0/source', "source is 'helm'; use 'text' (manifests in the stage) or 'artifact' (manifestArtifactId)"],
    ['an unknown strategy', traffic({ strategy: 'canary' }), '/stages/0/trafficManagement/options/strategy', "trafficManagement.options.strategy is 'canary'; use one of redblack, bluegreen, highlander, none"],
    ['a service without its kind', traffic({ services: ['web-svc'] }), '/stages/0/trafficManagement/options/services/0', "trafficManagement.options.services[0] is 'web-svc'; write it as 'service <name>', e.g. 'service my-svc'"],
    [
      'max-version-history 1 with red/black',
      { ...traffic({}), manifests: [rs({ 'strategy.spinnaker.io/max-version-history': '1' })] },
      '/stages/0/manifests/0/metadata/annotations/strategy.spinnaker.io~1max-version-history',
      'replicaSet web: strategy.spinnaker.io/max-version-history is "1", which conflicts with the behavior of the Red/Black rollout strategy (it keeps the previous version to roll back to); set it to 2 or more',
    ],
  ])('fails %s', (_, fields, pointer, message) => {
    const issues = errorsOf(pipeline([deploy(fields)]));
    expect(issues).toContainEqual({ pointer, code: expect.any(String), severity: 'error', message });
  });

  it('allows max-version-history 1 without red/black', () => {
    expect(errorsOf(pipeline([deploy({ manifests: [rs({ 'strategy.spinnaker.io/max-version-history': '1' })] })]))).toEqual([]);
  });
});

describe('deleteManifest checks', () => {
  const remove = (fields: Record<string, unknown>) => stage('deleteManifest', { account: 'k8s', location: 'default', ...fields });

  it('accepts a name, a cluster with criteria, and kinds with label selectors', () => {
    expect(errorsOf(pipeline([remove({ mode: 'static', manifestName: 'job validate', options: { cascading: true } })]))).toEqual([]);
    expect(errorsOf(pipeline([remove({ mode: 'dynamic', cluster: 'replicaSet web', criteria: 'oldest', kind: 'replicaSet' })]))).toEqual([]);
    expect(errorsOf(pipeline([remove({ kinds: ['deployment'], labelSelectors: { selectors: [{ key: 'app', kind: 'EQUALS', values: ['web'] }] } })]))).toEqual([]);
  });

  it.each([
    ['no manifest name', { manifestName: ' ' }, '/stages/0/manifestName', "'manifestName' is required; add the object to delete, e.g. 'deployment my-app', or set kinds and labelSelectors"],
    ['a name without its kind', { manifestName: 'web' }, '/stages/0/manifestName', `manifestName is "web"; write it as '<kind> <name>', e.g. 'replicaSet my-app' or 'service my-svc'`],
    ['an unknown criteria', { mode: 'dynamic', cluster: 'replicaSet web', criteria: 'latest' }, '/stages/0/criteria', "criteria is 'latest'; use one of newest, second_newest, oldest, largest, smallest"],
    ['a dynamic target without cluster', { mode: 'dynamic', criteria: 'newest' }, '/stages/0/cluster', "'cluster' is required with mode 'dynamic'; add the moniker cluster, e.g. 'replicaSet my-app'"],
    ['an unknown selector kind', { kinds: ['pod'], labelSelectors: { selectors: [{ key: 'a', kind: 'LIKE', values: [] }] } }, '/stages/0/labelSelectors/selectors/0/kind', "labelSelectors.selectors[0].kind is 'LIKE'; use one of EQUALS, NOT_EQUALS, CONTAINS, NOT_CONTAINS, EXISTS, NOT_EXISTS, ANY"],
  ])('fails %s', (_, fields, pointer, message) => {
    expect(errorsOf(pipeline([remove(fields)]))).toContainEqual({ pointer, code: expect.any(String), severity: 'error', message });
  });
});
