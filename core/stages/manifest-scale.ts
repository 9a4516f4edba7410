/**
 * The scaling task of `scaleManifest` (core/pipeline/stage-types/manifest-scale.ts): sets
 * `spec.replicas` through the `/scale` subresource (`kubectl scale`) unless the object already
 * asks for that many, so a later delivery sends nothing; of two at the same instant, only the one
 * that claimed the step sends it. Kinds without replicas (DaemonSet,
 * Service...) fail naming the kinds that scale.
 */
import type { ScaleManifestStage } from '../pipeline/stage-types/index.ts';
import { claimStep, liveTarget, manifestFailure, operationOutputs, ownerOf, type ManifestTaskDeps } from './manifest-common.ts';
import { failed, numberFrom, succeeded, type TaskInput, type TaskResult } from './task-result.ts';

/** clouddriver's CanScale handlers. */
export const SCALABLE_KINDS = ['Deployment', 'ReplicaSet', 'StatefulSet'] as const;

/** Runs the scaleManifest task. */
export async function runScaleManifest(input: TaskInput<ScaleManifestStage>, deps: ManifestTaskDeps): Promise<TaskResult> {
  const replicas = numberFrom(input.record.context.replicas);
  if (replicas === undefined || !Number.isInteger(replicas) || replicas < 0) {
    return failed(`stage '${input.stage.name}': replicas is ${JSON.stringify(input.record.context.replicas ?? null)} after evaluating expressions; it must give a whole number of at least 0, e.g. 3`);
  }
  const found = await liveTarget(input, deps, { kinds: SCALABLE_KINDS, what: 'scaled' });
  if (!found.ok) return found.result;
  const { scope, target, object } = found.live;
  const spec = object['spec'];
  const current = typeof spec === 'object' && spec !== null && !Array.isArray(spec) ? (spec as Record<string, unknown>)['replicas'] : undefined;
  if (current !== replicas) {
    const lost = await claimStep(input, 'scaleManifest', object);
    if (lost) return lost;
    const scaled = await scope.port.scale(target.ref, replicas, { owner: ownerOf(input) });
    if (!scaled.ok) return manifestFailure(scaled, `scaling ${target.manifestName} to ${replicas}`, scope.label);
  }
  return succeeded(undefined, { context: operationOutputs(scope, target.manifestName) });
}
