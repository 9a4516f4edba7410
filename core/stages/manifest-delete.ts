/**
 * The tasks of `deleteManifest` (core/pipeline/stage-types/delete-manifest.ts):
 *
 * 1. deleteManifest: resolves the objects once — the one `manifestName` names, the one a
 *    cluster's `criteria` picks, or every object of `kinds` matching `labelSelectors` — saves them,
 *    then deletes each (`options.cascading` true: background propagation, false: orphan;
 *    `gracePeriodSeconds`). What is gone already counts as deleted.
 * 2. waitForManifestToBeDeleted: until none of them exists any more; one still there on the step's
 *    last poll (a finalizer holding it) fails the stage naming it.
 */
import { z } from 'zod';
import { apiKindOf, clusterMembers, formatManifestName, isTargetCriteria, labelSelectorText, manifestNamesByNamespace, nameOf, parseManifestName, selectTarget, type LabelSelector } from '../deploy/kubernetes/index.ts';
import type { JsonObject } from '../ports/execution-store.ts';
import { deleteTargetMode, type DeleteManifestConfig, type DeleteManifestStage } from '../pipeline/stage-types/index.ts';
import { MANIFEST_STABLE_MAX_POLLS } from '../pipeline/stage-types/manifest-target.ts';
import { manifestFailure, manifestScope, type ManifestScope } from './manifest-common.ts';
import { deleteOutcome, evaluatedManifestConfig, manifestOwner, manifestWaitSeconds, refOf, type DeployManifestDeps } from './manifest-deploy-common.ts';
import { booleanFrom, failed, numberFrom, running, succeeded, type TaskInput, type TaskResult } from './task-result.ts';

/** The runtime key of the stage's progress. */
export const DELETE_MANIFEST_KEY = 'deleteManifest';

const refSchema = z.object({ kind: z.string(), name: z.string(), namespace: z.string() });
type Ref = z.output<typeof refSchema>;
const progressSchema = z.looseObject({ targets: z.array(refSchema).optional(), deleted: z.array(z.string()).optional() });
type Progress = z.output<typeof progressSchema>;

function progressOf(input: TaskInput): Progress {
  const parsed = progressSchema.safeParse(input.record.runtime[DELETE_MANIFEST_KEY] ?? {});
  return parsed.success ? parsed.data : {};
}

const keyOf = (ref: Ref) => `${ref.namespace}/${ref.kind}/${ref.name}`;
const nameOfRef = (ref: Ref) => formatManifestName(ref.kind, ref.name);

/** Runs one task of a `deleteManifest` stage. */
export async function runDeleteManifestTask(input: TaskInput<DeleteManifestStage>, deps: DeployManifestDeps): Promise<TaskResult> {
  const scoped = manifestScope(input, deps);
  if (!scoped.ok) return failed(scoped.message);
  const evaluated = evaluatedManifestConfig(input);
  if (!evaluated.ok) return failed(evaluated.message);
  switch (input.task) {
    case 'deleteManifest':
      return deleteTask(input, scoped.scope, evaluated.config);
    case 'waitForManifestToBeDeleted':
      return waitTask(input, scoped.scope);
    default:
      return failed(`${scoped.scope.label}: deleteManifest has no task '${input.task}'`);
  }
}

/** The objects the stage deletes, or why it cannot say. */
async function resolveTargets(input: TaskInput<DeleteManifestStage>, scope: ManifestScope, config: DeleteManifestConfig): Promise<{ ok: true; targets: Ref[] } | { ok: false; result: TaskResult }> {
  const namespace = scope.namespace;
  const mode = deleteTargetMode(config);
  if (mode === 'static') {
    const parsed = parseManifestName(config.manifestName ?? '');
    if (!parsed.ok) return { ok: false, result: failed(`${scope.label}: ${parsed.message}`) };
    return { ok: true, targets: [{ kind: apiKindOf(parsed.value.kind), name: parsed.value.name, namespace }] };
  }
  if (mode === 'dynamic') {
    const cluster = config.cluster?.trim() ?? '';
    const criteria = config.criteria;
    if (!isTargetCriteria(criteria)) return { ok: false, result: failed(`${scope.label}: criteria is ${JSON.stringify(criteria ?? null)}; use one of newest, second_newest, oldest, largest, smallest`) };
    const kind = apiKindOf(config.kind !== undefined && config.kind.trim() !== '' ? config.kind : (cluster.split(/\s+/)[0] ?? ''));
    const listed = await scope.port.list({ account: scope.account, kind, namespace });
    if (!listed.ok) return { ok: false, result: manifestFailure(listed, `listing the ${kind} objects of namespace '${namespace}'`, scope.label) };
    const app = config.app !== undefined && config.app !== '' ? config.app : input.execution.application;
    const target = selectTarget(clusterMembers(listed.value, cluster, app), criteria);
    if (target === undefined) {
      return { ok: false, result: failed(`${scope.label}: no ${kind} of cluster '${cluster}' (application '${app}') in namespace '${namespace}' is the ${criteria} one; check cluster, app and location, or deploy the cluster first`) };
    }
    return { ok: true, targets: [{ kind, name: nameOf(target) ?? '', namespace }] };
  }
  const selector = labelSelectorText((config.labelSelectors?.selectors ?? []) as LabelSelector[]);
  if (!selector.ok) return { ok: false, result: failed(`${scope.label}: ${selector.message}`) };
  const targets: Ref[] = [];
  for (const kindText of config.kinds) {
    const kind = apiKindOf(kindText);
    const listed = await scope.port.list({ account: scope.account, kind, namespace, ...(selector.value !== '' ? { labelSelector: selector.value } : {}) });
    if (!listed.ok) return { ok: false, result: manifestFailure(listed, `listing the ${kind} objects of namespace '${namespace}'${selector.value !== '' ? ` matching '${selector.value}'` : ''}`, scope.label) };
    for (const object of listed.value) targets.push({ kind, name: nameOf(object) ?? '', namespace });
  }
  return { ok: true, targets };
}

function propagationOf(config: DeleteManifestConfig): 'background' | 'orphan' {
  return booleanFrom(config.options.cascading) === false ? 'orphan' : 'background';
}

async function deleteTask(input: TaskInput<DeleteManifestStage>, scope: ManifestScope, config: DeleteManifestConfig): Promise<TaskResult> {
  let progress = progressOf(input);
  if (progress.targets === undefined) {
    const resolved = await resolveTargets(input, scope, config);
    if (!resolved.ok) return resolved.result;
    const saved = await input.saveRuntime(DELETE_MANIFEST_KEY, { targets: resolved.targets, deleted: [] } as JsonObject);
    if (saved.ok) progress = { targets: resolved.targets, deleted: [] };
    else {
      const current = progressSchema.safeParse(saved.current ?? {});
      if (!current.success || current.data.targets === undefined) return running(0);
      progress = current.data;
    }
  }
  const targets = progress.targets ?? [];
  const deleted = [...(progress.deleted ?? [])];
  const grace = numberFrom(config.options.gracePeriodSeconds ?? config.gracePeriodSeconds);
  for (const ref of targets) {
    if (deleted.includes(keyOf(ref))) continue;
    const result = await scope.port.delete(refOf(scope.account, ref.kind, ref.name, ref.namespace), {
      owner: manifestOwner(input, 'deleteManifest'),
      propagation: propagationOf(config),
      ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}),
    });
    const problem = deleteOutcome(result, `deleting ${nameOfRef(ref)} in namespace '${ref.namespace}'`, scope.label);
    if (problem) return problem;
    deleted.push(keyOf(ref));
  }
  const names = manifestNamesByNamespace(targets.map((ref) => ({ namespace: ref.namespace, manifestName: nameOfRef(ref) })));
  return succeeded(
    { 'deploy.account.name': scope.account, 'outputs.manifestNamesByNamespace': names, manifestNamesByNamespace: names },
    { runtime: { [DELETE_MANIFEST_KEY]: { ...progress, deleted } as JsonObject } },
  );
}

async function waitTask(input: TaskInput<DeleteManifestStage>, scope: ManifestScope): Promise<TaskResult> {
  const targets = progressOf(input).targets ?? [];
  const remaining: string[] = [];
  for (const ref of targets) {
    const found = await scope.port.get(refOf(scope.account, ref.kind, ref.name, ref.namespace));
    if (!found.ok) return manifestFailure(found, `reading ${nameOfRef(ref)}`, scope.label);
    if (found.value !== undefined) remaining.push(nameOfRef(ref));
  }
  if (remaining.length === 0) return succeeded();
  const wait = manifestWaitSeconds(input.poll);
  // Fail naming what is still there while there is a reason to give: on the step's last poll, or
  // before the next poll would pass the stage's own timeout (either would end it without the names).
  const stageTimeout = input.stage.stageTimeoutMs;
  const startTime = input.record.startTime ?? input.now;
  if (input.poll >= MANIFEST_STABLE_MAX_POLLS || (stageTimeout !== undefined && input.now + wait * 1000 - startTime > stageTimeout)) {
    return failed(`${scope.label}: ${remaining.join(', ')} still exist${remaining.length === 1 ? 's' : ''} in namespace '${scope.namespace}' after ${Math.round((input.now - startTime) / 1000)} s of waiting for the deletion (a finalizer holding it?); remove what holds it, then restart the stage`);
  }
  return running(wait, { context: { waitingFor: `${remaining.join(', ')} to be deleted` } });
}
