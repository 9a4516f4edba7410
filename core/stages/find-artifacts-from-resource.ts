/**
 * The task of `findArtifactsFromResource` (Orca's FindArtifactsFromResourceTask): read the object
 * and output what clouddriver lists for it (KubernetesHandler.listArtifacts, every artifact
 * replacer's finds): a `docker/image` per container image (named by its repository), a
 * `kubernetes/configMap` or `kubernetes/secret` per one the pod template references, a
 * `kubernetes/deployment` or `kubernetes/replicaSet` an autoscaler targets
 * (core/deploy/kubernetes/artifacts.ts). Outputs: `manifest` (the object) and `artifacts`.
 */
import { listArtifacts } from '../deploy/kubernetes/artifacts.ts';
import type { FindArtifactsFromResourceStage } from '../pipeline/stage-types/index.ts';
import type { JsonObject } from '../ports/execution-store.ts';
import { manifestScope, readObject, reportedObject, targetOf, type ManifestTaskDeps } from './manifest-common.ts';
import { failed, succeeded, type TaskInput, type TaskResult } from './task-result.ts';

/** Runs findArtifactsFromResource. */
export async function runFindArtifactsFromResource(input: TaskInput<FindArtifactsFromResourceStage>, deps: ManifestTaskDeps): Promise<TaskResult> {
  const scoped = manifestScope(input, deps);
  if (!scoped.ok) return failed(scoped.message);
  const scope = scoped.scope;
  const targeted = targetOf(input, scope);
  if (!targeted.ok) return failed(targeted.message);
  const target = targeted.target;
  const read = await readObject(scope, target);
  if (!read.ok) return read.result;
  // Orca's message, with the fix.
  if (read.object === undefined) return failed(`${scope.label}: Manifest ${target.manifestName} not found in ${scope.namespace}; deploy it first, or fix manifestName and location`);
  const artifacts = listArtifacts(read.object);
  const outputs = { manifest: reportedObject(read.object), artifacts: artifacts as unknown as JsonObject[] } as JsonObject;
  return succeeded(outputs, { context: outputs });
}
