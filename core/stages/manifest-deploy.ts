/**
 * The tasks of `deployManifest` (core/pipeline/stage-types/deploy-manifest.ts), Orca's order:
 *
 * 1. resolveDeploySourceManifest: the manifests (from `manifests`, or the text of the manifest
 *    artifact, its expressions evaluated unless `skipExpressionEvaluation`) and the artifacts to
 *    bind (the required ones, then every artifact of the execution).
 * 2. deployManifest: reads the live versions and the Services to attach, prepares every manifest
 *    (core/deploy/kubernetes/deploy.ts), saves that plan — names and versions included — before
 *    the first apply, then applies each. A second delivery, or a run after a crash, applies the
 *    saved plan again (apply is idempotent), so it never makes a second version.
 * 3. waitForManifestStable: until every object is stable (§6.3); a failed one (a Deployment past
 *    its progress deadline, a failed Job) fails the stage, and so does the wait running out, with
 *    the reason in one line.
 * 4. cleanupArtifacts: deletes the versions beyond `strategy.spinnaker.io/max-version-history`.
 * 5. bindProducedArtifacts: the created artifacts as the stage's `artifacts`.
 * 6. With trafficManagement (Orca's after-stages, as tasks of this stage): disableOldManifests takes
 *    the other ReplicaSets of each deployed ReplicaSet's moniker cluster out of their Services (or,
 *    for red/black, deletes one that is neither stable nor failed and has no ready replica);
 *    deleteOldManifests (highlander) then deletes them.
 */
import { z } from 'zod';
import { artifactMatches, bindExpectedArtifacts, boundArtifactFor } from '../deploy/expected-artifacts.ts';
import {
  apiKindOf,
  clusterMembers,
  deployReads,
  disablePatch,
  listKey,
  manifestNamesByNamespace,
  manifestStatus,
  nameOf,
  ownedPods,
  parseLoadBalancerName,
  parseManifestText,
  prepareDeploy,
  readLoadBalancers,
  readMoniker,
  serviceKey,
  flattenManifests,
  isJsonObject,
  stringField,
  versionsToPrune,
  workloadPodSelector,
  numberField,
  objectField,
  type BindableArtifact,
  type DeployRequest,
  type PreparedDeploy,
  type PreparedManifest,
  type TrafficStrategy,
} from '../deploy/kubernetes/index.ts';
import { evaluateDeep } from '../expressions/index.ts';
import type { JsonObject } from '../ports/execution-store.ts';
import type { ApplyMode, KubernetesObject } from '../ports/manifests.ts';
import { trafficStrategyOf, type DeployManifestConfig, type DeployManifestStage } from '../pipeline/stage-types/index.ts';
import { ancestorsOf } from '../execution/evaluation-context.ts';
import { manifestFailure, oneLine, settleWaitSeconds } from './manifest-common.ts';
import { accountScope, deleteOutcome, evaluatedManifestConfig, manifestOwner, manifestWaitSeconds, refOf, type AccountScope, type DeployManifestDeps } from './manifest-deploy-common.ts';
import { manifestArtifactText } from './manifest-source.ts';
import { failed, objectAt, running, succeeded, type TaskInput, type TaskResult } from './task-result.ts';
import { jobNameSuffix } from './run-job-manifest.ts';
import { labelSelectorText, labelsMatch, type LabelSelector } from '../deploy/kubernetes/selectors.ts';

/** The runtime key of the stage's progress. */
export const DEPLOY_MANIFEST_KEY = 'deployManifest';

/** Orca's WaitForManifestStableTask timeout. */
export const STABLE_TIMEOUT_MS = 30 * 60 * 1000;

const refSchema = z.object({ kind: z.string(), name: z.string(), namespace: z.string(), apiVersion: z.string().optional() });
type Ref = z.output<typeof refSchema>;

const progressSchema = z.looseObject({
  resolved: z.object({ manifests: z.array(z.record(z.string(), z.unknown())), artifacts: z.array(z.record(z.string(), z.unknown())), requiredArtifacts: z.array(z.record(z.string(), z.unknown())) }).optional(),
  plan: z.custom<PreparedDeploy>((value) => isJsonObject(value) && Array.isArray(value['manifests'])).optional(),
  /** `"<kind> <name>"` of the manifests applied (recreate and replace are not repeated). */
  applied: z.array(z.string()).optional(),
  waitStart: z.number().optional(),
  cleanup: z.object({ refs: z.array(refSchema), done: z.array(z.string()) }).optional(),
  old: z.object({ disable: z.array(refSchema), delete: z.array(refSchema), done: z.array(z.string()), deleted: z.array(z.string()) }).optional(),
});
type Progress = z.output<typeof progressSchema>;

function progressOf(input: TaskInput): Progress {
  const parsed = progressSchema.safeParse(input.record.runtime[DEPLOY_MANIFEST_KEY] ?? {});
  return parsed.success ? parsed.data : {};
}

/** Saves the progress before acting; on a lost race, the progress the winner saved. */
async function save(input: TaskInput, progress: Progress): Promise<{ ok: true; progress: Progress } | { ok: false; progress: Progress }> {
  const saved = await input.saveRuntime(DEPLOY_MANIFEST_KEY, progress as JsonObject);
  if (saved.ok) return { ok: true, progress };
  const current = progressSchema.safeParse(saved.current ?? {});
  return { ok: false, progress: current.success ? current.data : {} };
}

const refKey = (ref: Ref) => `${ref.namespace}/${ref.kind}/${ref.name}`;

/** Runs one task of a `deployManifest` stage. */
export async function runDeployManifestTask(input: TaskInput<DeployManifestStage>, deps: DeployManifestDeps): Promise<TaskResult> {
  const scoped = accountScope(input, deps);
  if (!scoped.ok) return failed(scoped.message);
  const evaluated = evaluatedManifestConfig(input);
  if (!evaluated.ok) return failed(evaluated.message);
  const scope = scoped.scope;
  const config = evaluated.config;
  switch (input.task) {
    case 'resolveDeploySourceManifest':
      return resolveTask(input, scope, config, deps);
    case 'deployManifest':
      return deployTask(input, scope, config);
    case 'waitForManifestStable':
      return waitTask(input, scope);
    case 'cleanupArtifacts':
      return cleanupTask(input, scope);
    case 'bindProducedArtifacts':
      return bindProducedTask(input, config);
    case 'disableOldManifests':
      return oldManifestsTask(input, scope, trafficStrategyOf(config), 'disable');
    case 'deleteOldManifests':
      return oldManifestsTask(input, scope, trafficStrategyOf(config), 'delete');
    default:
      return failed(`${scope.label}: deployManifest has no task '${input.task}'`);
  }
}

// ---------------------------------------------------------------------------------------------
// 1. resolveDeploySourceManifest

const objects = (value: unknown): JsonObject[] => (Array.isArray(value) ? value.filter(isJsonObject) : []);

/** Every artifact of the execution Orca offers for binding: the trigger's, the bound expected ones, and the ancestors' outputs. */
function executionArtifacts(input: TaskInput): JsonObject[] {
  const trigger = input.execution.trigger;
  const ancestors = ancestorsOf(input.record, input.execution.stages);
  return [
    ...objects(trigger['artifacts']),
    ...objects(trigger['resolvedExpectedArtifacts']).map((expected) => expected['boundArtifact']).filter(isJsonObject),
    ...ancestors.flatMap((stage) => objects(stage.outputs['artifacts'])),
  ];
}

async function resolveTask(input: TaskInput<DeployManifestStage>, scope: AccountScope, config: DeployManifestConfig, deps: DeployManifestDeps): Promise<TaskResult> {
  const context = input.record.context;
  const trigger = input.execution.trigger;
  const ancestorOutputs = ancestorsOf(input.record, input.execution.stages).map((stage) => stage.outputs);
  let manifests: readonly KubernetesObject[];
  if (config.source.trim() === 'artifact') {
    const field = config.manifestArtifact !== undefined ? 'manifestArtifact' : 'manifestArtifactId';
    const text = await manifestArtifactText(input, deps, scope.label, 'manifest');
    if (!text.ok) return text.result;
    const parsed = parseManifestText(text.text, field);
    if (!parsed.ok) return failed(`${scope.label}: ${parsed.message}`);
    manifests = parsed.value;
    if (!config.skipExpressionEvaluation) {
      // Orca evaluates the artifact's manifests as it evaluates the stage (ManifestEvaluator).
      const evaluatedManifests = evaluateDeep(manifests, input.expressions);
      if (evaluatedManifests.failures.length > 0) {
        const list = evaluatedManifests.failures.map((failure) => `${failure.expression} at ${failure.pointer}: ${failure.message}`).join('; ');
        return failed(`${scope.label}: Failure evaluating manifest expressions: ${oneLine(list)}; fix them, or set skipExpressionEvaluation`);
      }
      manifests = evaluatedManifests.value as KubernetesObject[];
    }
  } else {
    const given = context['manifests'];
    if (typeof given === 'string') {
      const parsed = parseManifestText(given, 'manifests');
      if (!parsed.ok) return failed(`${scope.label}: ${parsed.message}`);
      manifests = parsed.value;
    } else {
      const flattened = flattenManifests(Array.isArray(given) ? given : [], 'manifests');
      if (!flattened.ok) return failed(`${scope.label}: ${flattened.message}`);
      if (flattened.value.length === 0) return failed(`${scope.label}: manifests is empty; add at least one Kubernetes object`);
      manifests = flattened.value;
    }
  }

  manifests = manifests.map((manifest, index) => withGeneratedName(manifest, `${input.execution.id}/${input.record.id}/${index}`));
  const selectors = (config.labelSelectors?.selectors ?? []) as readonly LabelSelector[];
  if (selectors.length > 0) {
    const text = labelSelectorText(selectors);
    if (!text.ok) return failed(`${scope.label}: ${text.message}`);
    const selected = manifests.filter((manifest) => labelsMatch(objectAt(objectAt(manifest, 'metadata'), 'labels'), selectors));
    if (selected.length === 0 && !config.allowNothingSelected) {
      return failed(`${scope.label}: labelSelectors '${text.value}' select none of the ${manifests.length} manifests; fix the selectors or the manifests' labels, or set allowNothingSelected to deploy nothing`);
    }
    manifests = selected;
  }

  const required: JsonObject[] = [];
  for (const id of config.requiredArtifactIds.filter((entry) => entry.trim() !== '')) {
    const bound = boundArtifactFor(id, 'requiredArtifactIds', trigger, ancestorOutputs);
    if (!bound.ok) return failed(`${scope.label}: ${bound.message}`);
    required.push(bound.artifact);
  }
  for (const [index, entry] of config.requiredArtifacts.entries()) {
    if (isJsonObject(entry['artifact'])) required.push(entry['artifact']);
    else if (typeof entry['expectedArtifactId'] === 'string') {
      const bound = boundArtifactFor(entry['expectedArtifactId'], `requiredArtifacts[${index}].expectedArtifactId`, trigger, ancestorOutputs);
      if (!bound.ok) return failed(`${scope.label}: ${bound.message}`);
      required.push(bound.artifact);
    }
  }
  const binding = context['enableArtifactBinding'] !== false;
  const resolved = { manifests: [...manifests] as Array<Record<string, unknown>>, requiredArtifacts: binding ? required : [], artifacts: binding ? [...required, ...executionArtifacts(input)] : [] };
  return succeeded(undefined, { runtime: { [DEPLOY_MANIFEST_KEY]: { ...progressOf(input), resolved } as JsonObject } });
}

/**
 * A manifest with `metadata.generateName` and no name gets its name here, `<generateName>` and a
 * 5-character suffix from the execution, the stage and its place in the stage: clouddriver
 * `kubectl create`s such a manifest, a new object each deploy; a name fixed per execution gives the
 * same and keeps the create idempotent (a retried call finds its own object).
 */
function withGeneratedName(manifest: KubernetesObject, seed: string): KubernetesObject {
  const metadata = objectAt(manifest, 'metadata');
  const name = metadata['name'];
  const generateName = metadata['generateName'];
  if ((typeof name === 'string' && name.trim() !== '') || typeof generateName !== 'string' || generateName.trim() === '') return manifest;
  return { ...manifest, metadata: { ...metadata, name: `${generateName.trim().slice(0, 58)}${jobNameSuffix(seed)}` } };
}

// ---------------------------------------------------------------------------------------------
// 2. deployManifest

function applyModeOf(entry: PreparedManifest): ApplyMode {
  return entry.strategy.deployStrategy === 'server-side' ? 'server-side' : entry.strategy.deployStrategy;
}

async function planDeploy(input: TaskInput<DeployManifestStage>, scope: AccountScope, config: DeployManifestConfig, resolved: NonNullable<Progress['resolved']>): Promise<{ ok: true; plan: PreparedDeploy } | { ok: false; result: TaskResult }> {
  const traffic = config.trafficManagement;
  const request: DeployRequest = {
    account: scope.account,
    manifests: resolved.manifests,
    moniker: {
      app: config.moniker?.app !== undefined && config.moniker.app !== '' ? config.moniker.app : input.execution.application,
      ...(config.moniker?.cluster ? { cluster: config.moniker.cluster } : {}),
      ...(config.moniker?.stack ? { stack: config.moniker.stack } : {}),
      ...(config.moniker?.detail ? { detail: config.moniker.detail } : {}),
    },
    ...(config.namespaceOverride !== undefined && config.namespaceOverride.trim() !== '' ? { namespaceOverride: config.namespaceOverride } : {}),
    defaultNamespace: scope.settings.defaultNamespace,
    artifacts: resolved.artifacts as BindableArtifact[],
    requiredArtifacts: resolved.requiredArtifacts as BindableArtifact[],
    services: traffic.enabled ? traffic.options.services : [],
    // Orca: traffic goes to the new version unless traffic management is on without enableTraffic.
    enableTraffic: traffic.enabled ? traffic.options.enableTraffic : true,
    strategy: trafficStrategyOf(config),
    skipSpecTemplateLabels: config.skipSpecTemplateLabels,
  };
  const reads = deployReads(request);
  const lists = new Map<string, readonly KubernetesObject[]>();
  for (const query of reads.lists) {
    const listed = await scope.port.list({ account: scope.account, kind: query.kind, ...(query.namespace !== '' ? { namespace: query.namespace } : {}), ...(query.apiVersion !== undefined ? { apiVersion: query.apiVersion } : {}) });
    if (!listed.ok) return { ok: false, result: manifestFailure(listed, `listing the ${query.kind} objects of namespace '${query.namespace}'`, scope.label) };
    lists.set(listKey(query.kind, query.namespace), listed.value);
  }
  const services = new Map<string, KubernetesObject | undefined>();
  for (const query of reads.services) {
    const found = await scope.port.get(refOf(scope.account, 'Service', query.name, query.namespace, 'v1'));
    if (!found.ok) return { ok: false, result: manifestFailure(found, `reading service ${query.name} in namespace '${query.namespace}'`, scope.label) };
    services.set(serviceKey(query.namespace, query.name), found.value);
  }
  const prepared = prepareDeploy(request, { lists, services });
  if (!prepared.ok) return { ok: false, result: failed(`${scope.label}: ${prepared.message}`) };
  return { ok: true, plan: prepared.value };
}

async function deployTask(input: TaskInput<DeployManifestStage>, scope: AccountScope, config: DeployManifestConfig): Promise<TaskResult> {
  let progress = progressOf(input);
  if (progress.resolved === undefined) return failed(`${scope.label}: the manifests were not resolved (resolveDeploySourceManifest did not run); restart the stage`);
  if (progress.plan === undefined) {
    const planned = await planDeploy(input, scope, config, progress.resolved);
    if (!planned.ok) return planned.result;
    const saved = await save(input, { ...progress, plan: planned.plan, applied: [] });
    // Another delivery saved its plan first: apply that one, never a second set of names.
    progress = saved.progress;
    if (progress.plan === undefined) return running(0);
  }
  const plan = progress.plan;
  const applied = [...(progress.applied ?? [])];
  const messages: string[] = [];
  for (const entry of plan.manifests) {
    const mode = applyModeOf(entry);
    if (mode !== 'apply' && mode !== 'server-side' && applied.includes(entry.manifestName)) continue;
    const result = await scope.port.apply(scope.account, entry.manifest, { owner: manifestOwner(input, 'deployManifest'), mode, ...(entry.strategy.forceConflicts ? { forceConflicts: true } : {}) });
    if (!result.ok) return manifestFailure(result, `applying ${entry.manifestName} in namespace '${entry.namespace}'`, scope.label);
    messages.push(`${entry.reused ? 'Applied the deployed version' : 'Deployed'} ${entry.manifestName}${entry.namespace !== '' ? ` in namespace '${entry.namespace}'` : ''}`);
    if (!applied.includes(entry.manifestName)) applied.push(entry.manifestName);
    if (mode === 'recreate' || mode === 'replace') {
      const saved = await save(input, { ...progress, applied });
      if (!saved.ok) return running(0);
      progress = saved.progress;
    }
  }
  const outputs: JsonObject = config.noOutput
    ? {}
    : {
        'deploy.account.name': scope.account,
        'outputs.manifests': plan.manifests.map((entry) => entry.manifest),
        'outputs.manifestNamesByNamespace': manifestNamesByNamespace(plan.manifests),
        'outputs.boundArtifacts': plan.boundArtifacts as unknown as JsonObject[],
        'outputs.createdArtifacts': plan.createdArtifacts as unknown as JsonObject[],
        manifestNamesByNamespace: manifestNamesByNamespace(plan.manifests),
        messages,
      };
  return succeeded(outputs, { context: { 'deploy.account.name': scope.account, messages }, runtime: { [DEPLOY_MANIFEST_KEY]: { ...progress, applied } as JsonObject } });
}

// ---------------------------------------------------------------------------------------------
// 3. waitForManifestStable

function planOf(input: TaskInput): PreparedDeploy | undefined {
  return progressOf(input).plan;
}

async function waitTask(input: TaskInput<DeployManifestStage>, scope: AccountScope): Promise<TaskResult> {
  const plan = planOf(input);
  if (plan === undefined) return failed(`${scope.label}: nothing was deployed (deployManifest did not run); restart the stage`);
  const unstable: string[] = [];
  const unstableObjects: Array<{ readonly object: KubernetesObject; readonly namespace: string }> = [];
  for (const entry of plan.manifests) {
    const found = await scope.port.get(refOf(scope.account, stringField(entry.manifest, 'kind') ?? '', nameOf(entry.manifest) ?? '', entry.namespace, stringField(entry.manifest, 'apiVersion')));
    if (!found.ok) return manifestFailure(found, `reading ${entry.manifestName}`, scope.label);
    if (found.value === undefined) {
      unstable.push(`${entry.manifestName}: not found in namespace '${entry.namespace}'`);
      continue;
    }
    const status = manifestStatus(found.value);
    if (status.failed) return failed(`${scope.label}: ${entry.manifestName} failed: ${status.message ?? 'the object reports a failure'}`);
    if (!status.stable) {
      unstable.push(`${entry.manifestName}: ${status.message ?? 'not stable'}`);
      unstableObjects.push({ object: found.value, namespace: entry.namespace });
    }
  }
  if (unstable.length === 0) return succeeded(undefined, { context: { waitingFor: null } as unknown as JsonObject });
  const progress = progressOf(input);
  const waitStart = progress.waitStart ?? input.now;
  const wait = settleWaitSeconds(input.now - waitStart);
  // Fail with the reason while there is one to give: at Orca's 30 minutes, or before the next poll
  // would pass the stage's own timeout (which would otherwise fail it without the reason).
  const stageTimeout = input.stage.stageTimeoutMs;
  const startTime = input.record.startTime ?? waitStart;
  const outOfTime = input.now - waitStart >= STABLE_TIMEOUT_MS || (stageTimeout !== undefined && input.now + wait * 1000 - startTime > stageTimeout);
  if (outOfTime) {
    const limit = stageTimeout !== undefined && stageTimeout < STABLE_TIMEOUT_MS ? `${Math.round(stageTimeout / 1000)} s (stageTimeoutMs)` : '30 minutes';
    const waiting = await podsWaitingFor(scope, unstableObjects);
    return failed(`${scope.label}: the manifests did not become stable within ${limit}: ${oneLine(unstable.join('; '))}${waiting}`);
  }
  return running(wait, { context: { waitingFor: unstable.join('; ') }, runtime: { [DEPLOY_MANIFEST_KEY]: { ...progress, waitStart } as JsonObject } });
}

// ---------------------------------------------------------------------------------------------
// 4. cleanupArtifacts

async function cleanupTask(input: TaskInput<DeployManifestStage>, scope: AccountScope): Promise<TaskResult> {
  let progress = progressOf(input);
  const plan = progress.plan;
  if (plan === undefined) return succeeded();
  if (progress.cleanup === undefined) {
    const refs: Ref[] = [];
    for (const entry of plan.manifests) {
      const max = entry.strategy.maxVersionHistory;
      if (max === undefined || entry.version === undefined) continue;
      const kind = stringField(entry.manifest, 'kind') ?? '';
      const apiVersion = stringField(entry.manifest, 'apiVersion');
      const listed = await scope.port.list({ account: scope.account, kind, ...(entry.namespace !== '' ? { namespace: entry.namespace } : {}), ...(apiVersion !== undefined ? { apiVersion } : {}) });
      if (!listed.ok) return manifestFailure(listed, `listing the versions of ${entry.manifestName}`, scope.label);
      for (const old of versionsToPrune(entry.baseName, listed.value, max, entry.version)) {
        refs.push({ kind, name: nameOf(old) ?? '', namespace: entry.namespace, ...(apiVersion !== undefined ? { apiVersion } : {}) });
      }
    }
    const saved = await save(input, { ...progress, cleanup: { refs, done: [] } });
    progress = saved.progress;
    if (progress.cleanup === undefined) return running(0);
  }
  const cleanup = progress.cleanup;
  const done = [...cleanup.done];
  for (const ref of cleanup.refs) {
    if (done.includes(refKey(ref))) continue;
    const result = await scope.port.delete(refOf(scope.account, ref.kind, ref.name, ref.namespace, ref.apiVersion), { owner: manifestOwner(input, 'cleanupArtifacts'), propagation: 'background' });
    const problem = deleteOutcome(result, `deleting ${apiKindOf(ref.kind)} ${ref.name} (max-version-history)`, scope.label);
    if (problem) return problem;
    done.push(refKey(ref));
  }
  const deleted = cleanup.refs.map((ref) => `${ref.kind} ${ref.name}`);
  return succeeded(deleted.length > 0 ? { 'outputs.deletedManifests': deleted } : undefined, { runtime: { [DEPLOY_MANIFEST_KEY]: { ...progress, cleanup: { ...cleanup, done } } as JsonObject } });
}

// ---------------------------------------------------------------------------------------------
// 5. bindProducedArtifacts

/**
 * Orca's BindProducedArtifactsTask: each expected artifact of the stage binds to the first
 * artifact it matches among what the stage created, then the trigger's and the ancestors'
 * artifacts (ArtifactUtils.getArtifacts), else to its `defaultArtifact` when `useDefaultArtifact`;
 * one that binds nothing fails the stage with kork's "Unmatched expected artifact" message. The
 * created artifacts stay in `artifacts` for later stages (findArtifactFromExecution, a next
 * execution's usePriorArtifact), beside the bound ones.
 */
function bindProducedTask(input: TaskInput<DeployManifestStage>, config: DeployManifestConfig): TaskResult {
  const plan = planOf(input);
  if (plan === undefined || config.noOutput) return succeeded();
  const created = plan.createdArtifacts as unknown as JsonObject[];
  const expected = objects(input.record.context['expectedArtifacts']);
  if (expected.length === 0) return succeeded({ artifacts: created });
  const upstream = [...objects(input.execution.trigger['artifacts']), ...ancestorsOf(input.record, input.execution.stages).flatMap((stage) => objects(stage.outputs['artifacts']))];
  const bound = bindExpectedArtifacts(expected, [...created, ...upstream], `the manifests stage '${input.stage.name}' deployed and the artifacts before it`);
  if (!bound.ok) return failed(`stage '${input.stage.name}': ${bound.message}`);
  const artifacts = [...created, ...bound.value.artifacts.filter((artifact) => !created.includes(artifact))];
  return succeeded({ artifacts, resolvedExpectedArtifacts: bound.value.resolvedExpectedArtifacts });
}

// ---------------------------------------------------------------------------------------------
// 6. disableOldManifests / deleteOldManifests

/** Orca's previousDeploymentNeitherStableNorFailed: no ready and available replica, and neither stable nor failed. */
export function neitherStableNorFailed(object: KubernetesObject): boolean {
  const status = objectField(object, 'status');
  const ready = numberField(status, 'readyReplicas') ?? 0;
  const available = numberField(status, 'availableReplicas') ?? 0;
  if (ready > 0 && available > 0) return false;
  const reported = manifestStatus(object);
  return !reported.stable && !reported.failed;
}

async function planOldActions(scope: AccountScope, plan: PreparedDeploy, strategy: TrafficStrategy): Promise<{ ok: true; value: NonNullable<Progress['old']> } | { ok: false; result: TaskResult }> {
  const disable: Ref[] = [];
  const remove: Ref[] = [];
  const deployed = new Set(plan.manifests.map((entry) => `${entry.namespace}/${nameOf(entry.manifest)}`));
  for (const entry of plan.manifests) {
    if (apiKindOf(stringField(entry.manifest, 'kind') ?? '') !== 'ReplicaSet') continue;
    const moniker = readMoniker(entry.manifest);
    if (moniker.cluster === undefined) continue;
    const listed = await scope.port.list({ account: scope.account, kind: 'ReplicaSet', apiVersion: 'apps/v1', ...(entry.namespace !== '' ? { namespace: entry.namespace } : {}) });
    if (!listed.ok) return { ok: false, result: manifestFailure(listed, `listing the ReplicaSets of cluster '${moniker.cluster}'`, scope.label) };
    for (const old of clusterMembers(listed.value, moniker.cluster, moniker.app)) {
      const name = nameOf(old) ?? '';
      if (deployed.has(`${entry.namespace}/${name}`)) continue;
      const ref: Ref = { kind: 'ReplicaSet', name, namespace: entry.namespace, apiVersion: 'apps/v1' };
      if (disable.some((known) => refKey(known) === refKey(ref)) || remove.some((known) => refKey(known) === refKey(ref))) continue;
      if (strategy === 'highlander') {
        disable.push(ref);
        remove.push(ref);
      } else if (neitherStableNorFailed(old)) remove.push(ref);
      else disable.push(ref);
    }
  }
  return { ok: true, value: { disable, delete: remove, done: [], deleted: [] } };
}

/** Takes a ReplicaSet out of the Services of its traffic annotation: a JSON patch on it, then on each pod it owns. */
async function disableOne(input: TaskInput, scope: AccountScope, ref: Ref): Promise<TaskResult | undefined> {
  const owner = { owner: manifestOwner(input, 'disableOldManifests') };
  const found = await scope.port.get(refOf(scope.account, ref.kind, ref.name, ref.namespace, ref.apiVersion));
  if (!found.ok) return manifestFailure(found, `reading ${ref.kind} ${ref.name}`, scope.label);
  const workload = found.value;
  if (workload === undefined) return undefined;
  const names = readLoadBalancers(workload);
  if (!names.ok) return failed(`${scope.label}: replicaSet ${ref.name}: ${names.message}`);
  const services: KubernetesObject[] = [];
  for (const text of names.value) {
    const parsed = parseLoadBalancerName(text);
    if (!parsed.ok) return failed(`${scope.label}: replicaSet ${ref.name}: ${parsed.message}`);
    const service = await scope.port.get(refOf(scope.account, 'Service', parsed.value.name, ref.namespace, 'v1'));
    if (!service.ok) return manifestFailure(service, `reading service ${parsed.value.name}`, scope.label);
    if (service.value !== undefined) services.push(service.value);
  }
  if (services.length === 0) return undefined;
  const patch = services.flatMap((service) => disablePatch(workload, service));
  if (patch.length > 0) {
    const patched = await scope.port.patch(refOf(scope.account, ref.kind, ref.name, ref.namespace, ref.apiVersion), 'json', patch, owner);
    if (!patched.ok && patched.reason !== 'not-found') return manifestFailure(patched, `disabling replicaSet ${ref.name}`, scope.label);
  }
  const selector = workloadPodSelector(workload);
  const pods = await scope.port.list({ account: scope.account, kind: 'Pod', apiVersion: 'v1', ...(ref.namespace !== '' ? { namespace: ref.namespace } : {}), ...(selector !== undefined ? { labelSelector: selector } : {}) });
  if (!pods.ok) return manifestFailure(pods, `listing the pods of replicaSet ${ref.name}`, scope.label);
  for (const pod of ownedPods(workload, pods.value)) {
    const podPatch = services.flatMap((service) => disablePatch(pod, service));
    if (podPatch.length === 0) continue;
    const patched = await scope.port.patch(refOf(scope.account, 'Pod', nameOf(pod) ?? '', ref.namespace, 'v1'), 'json', podPatch, owner);
    // A pod that went away meanwhile receives no traffic either.
    if (!patched.ok && patched.reason !== 'not-found') return manifestFailure(patched, `disabling pod ${nameOf(pod) ?? ''}`, scope.label);
  }
  return undefined;
}

/** Container states that only say a container is on its way. */
const ON_ITS_WAY = new Set(['ContainerCreating', 'PodInitializing']);

/**
 * Why the pods of workloads that never became stable wait, as the kubelet says it (`;
 * its pods wait: CreateContainerConfigError: configmap "settings" not found`), for the failure
 * message; '' when there is nothing to add or the pods cannot be read (the failure stands as it is).
 */
async function podsWaitingFor(scope: AccountScope, workloads: ReadonlyArray<{ readonly object: KubernetesObject; readonly namespace: string }>): Promise<string> {
  const reasons = new Set<string>();
  for (const { object, namespace } of workloads) {
    const selector = workloadPodSelector(object);
    if (selector === undefined) continue;
    const pods = await scope.port.list({ account: scope.account, kind: 'Pod', apiVersion: 'v1', ...(namespace !== '' ? { namespace } : {}), labelSelector: selector });
    if (!pods.ok) continue;
    for (const pod of ownedPods(object, pods.value)) {
      const statuses = objectAt(pod, 'status')['containerStatuses'];
      for (const container of Array.isArray(statuses) ? statuses : []) {
        const waiting = objectAt(objectAt(container as KubernetesObject, 'state'), 'waiting');
        const reason = typeof waiting['reason'] === 'string' ? waiting['reason'] : undefined;
        const message = typeof waiting['message'] === 'string' ? waiting['message'] : undefined;
        if (reason === undefined || (ON_ITS_WAY.has(reason) && message === undefined)) continue;
        reasons.add(message === undefined ? reason : `${reason}: ${message}`);
      }
    }
  }
  return reasons.size === 0 ? '' : `; its pods wait: ${[...reasons].slice(0, 3).join(', ')}`;
}

async function oldManifestsTask(input: TaskInput<DeployManifestStage>, scope: AccountScope, strategy: TrafficStrategy, step: 'disable' | 'delete'): Promise<TaskResult> {
  let progress = progressOf(input);
  const plan = progress.plan;
  if (plan === undefined || strategy === 'none') return succeeded();
  if (progress.old === undefined) {
    const planned = await planOldActions(scope, plan, strategy);
    if (!planned.ok) return planned.result;
    const saved = await save(input, { ...progress, old: planned.value });
    progress = saved.progress;
    if (progress.old === undefined) return running(0);
  }
  const old = progress.old;
  const done = [...old.done];
  const deleted = [...old.deleted];
  const persist = async (): Promise<boolean> => {
    const saved = await save(input, { ...progress, old: { ...old, done, deleted } });
    if (saved.ok) progress = saved.progress;
    return saved.ok;
  };
  if (step === 'disable') {
    for (const ref of old.disable) {
      if (done.includes(refKey(ref))) continue;
      const problem = await disableOne(input, scope, ref);
      if (problem) return problem;
      done.push(refKey(ref));
      if (!(await persist())) return running(0);
    }
  }
  // Red/black deletes the old versions that never came up; highlander deletes every old version after disabling it.
  const toDelete = step === 'delete' || strategy !== 'highlander' ? old.delete : [];
  for (const ref of toDelete) {
    if (deleted.includes(refKey(ref))) continue;
    const result = await scope.port.delete(refOf(scope.account, ref.kind, ref.name, ref.namespace, ref.apiVersion), { owner: manifestOwner(input, `${step}OldManifests`), propagation: 'background' });
    const problem = deleteOutcome(result, `deleting replicaSet ${ref.name}`, scope.label);
    if (problem) return problem;
    deleted.push(refKey(ref));
    if (!(await persist())) return running(0);
  }
  const remaining: string[] = [];
  for (const ref of toDelete) {
    const found = await scope.port.get(refOf(scope.account, ref.kind, ref.name, ref.namespace, ref.apiVersion));
    if (!found.ok) return manifestFailure(found, `reading replicaSet ${ref.name}`, scope.label);
    if (found.value !== undefined) remaining.push(`replicaSet ${ref.name}`);
  }
  const runtime = { [DEPLOY_MANIFEST_KEY]: { ...progress, old: { ...old, done, deleted } } as JsonObject };
  if (remaining.length > 0) return running(manifestWaitSeconds(input.poll), { context: { waitingFor: `${remaining.join(', ')} to be deleted` }, runtime });
  const disabledNames = step === 'disable' ? old.disable.map((ref) => `replicaSet ${ref.name}`) : [];
  const deletedNames = toDelete.map((ref) => `replicaSet ${ref.name}`);
  return succeeded(
    {
      ...(disabledNames.length > 0 ? { 'outputs.disabledManifests': disabledNames } : {}),
      ...(deletedNames.length > 0 ? { [step === 'delete' ? 'outputs.deletedOldManifests' : 'outputs.deletedUnstableManifests']: deletedNames } : {}),
    },
    { runtime },
  );
}
