/**
 * What "stable" means per kind, as clouddriver's handlers report it and Orca's
 * waitForManifestStable reads it (reference/cloud-targets.md §6.3):
 * - ReplicaSet: unstable until `status.observedGeneration` is the object's generation and
 *   `fullyLabeledReplicas`, `availableReplicas` and `readyReplicas` reach `spec.replicas`;
 * - Deployment: the generation observed; `Progressing` with reason `ProgressDeadlineExceeded`
 *   is failed, `DeploymentPaused` is paused, `Available=False` unavailable; unstable until the
 *   updated, available and ready replicas reach `spec.replicas` and no old replica is left;
 * - StatefulSet and DaemonSet: the generation observed and every replica updated and ready;
 * - Job: stable once `succeeded` reaches `completions`; a `Failed` condition is failed;
 * - everything else (Service, ConfigMap, Secret, Pod, custom resources...): stable at once.
 * Pure: one object (as the server holds it, `status` included) in, its status out.
 */
import type { KubernetesObject } from '../../ports/manifests.ts';
import { apiKindOf } from './kinds.ts';
import { isJsonObject, numberField, objectField, stringField } from './objects.ts';

/** An object's status as Orca reads it (clouddriver's Manifest.Status, flattened). */
export interface ManifestStatus {
  readonly stable: boolean;
  /** Failed for good: waiting longer will not help (a Deployment past its progress deadline, a failed Job). */
  readonly failed: boolean;
  readonly paused: boolean;
  readonly available: boolean;
  /** Why it is not stable, failed, paused or unavailable: one line. */
  readonly message?: string;
}

const STABLE: ManifestStatus = { stable: true, failed: false, paused: false, available: true };

function unstable(message: string, rest: Partial<ManifestStatus> = {}): ManifestStatus {
  return { ...STABLE, ...rest, stable: false, message };
}

/** clouddriver's message when the object has no status yet. */
const NONE_REPORTED = 'No status reported yet (or failed to fetch status)';

function conditions(status: Record<string, unknown>): Array<Record<string, unknown>> {
  const list = status['conditions'];
  return Array.isArray(list) ? list.filter(isJsonObject) : [];
}

function count(status: Record<string, unknown>, key: string): number {
  return numberField(status, key) ?? 0;
}

function generationObserved(object: KubernetesObject, status: Record<string, unknown>): boolean {
  const observed = numberField(status, 'observedGeneration');
  const generation = numberField(objectField(object, 'metadata'), 'generation');
  return observed === undefined || generation === undefined || observed === generation;
}

function replicaSetStatus(object: KubernetesObject): ManifestStatus {
  const status = objectField(object, 'status');
  if (status === undefined) return unstable(NONE_REPORTED);
  if (!generationObserved(object, status)) return unstable('Waiting for replicaset spec update to be observed');
  const desired = numberField(objectField(object, 'spec'), 'replicas') ?? 1;
  if (desired > count(status, 'fullyLabeledReplicas')) return unstable('Waiting for all replicas to be fully-labeled');
  if (desired > count(status, 'availableReplicas')) return unstable('Waiting for all replicas to be available');
  if (desired > count(status, 'readyReplicas')) return unstable('Waiting for all replicas to be ready');
  return STABLE;
}

function deploymentStatus(object: KubernetesObject): ManifestStatus {
  const status = objectField(object, 'status');
  if (status === undefined) return unstable(NONE_REPORTED);
  if (!generationObserved(object, status)) return unstable('Waiting for status generation to match updated object generation');
  const all = conditions(status);
  const progressing = all.find((condition) => condition['type'] === 'Progressing');
  if (stringField(progressing, 'reason') === 'ProgressDeadlineExceeded') {
    return { ...STABLE, stable: false, failed: true, message: `Deployment exceeded its progress deadline${stringField(progressing, 'message') !== undefined ? `: ${stringField(progressing, 'message')}` : ''}` };
  }
  const paused = stringField(progressing, 'reason') === 'DeploymentPaused' || objectField(object, 'spec')?.['paused'] === true;
  const availableCondition = all.find((condition) => condition['type'] === 'Available');
  const available = availableCondition === undefined || availableCondition['status'] !== 'False';
  const extra = { paused, available };
  if (paused) return unstable('Deployment is paused', extra);
  const desired = numberField(objectField(object, 'spec'), 'replicas') ?? 1;
  const updated = count(status, 'updatedReplicas');
  if (updated < desired) return unstable('Waiting for all replicas to be updated', extra);
  if (count(status, 'replicas') > updated) return unstable('Waiting for old replicas to finish termination', extra);
  if (count(status, 'availableReplicas') < desired) return unstable('Waiting for all replicas to be available', extra);
  if (count(status, 'readyReplicas') < desired) return unstable('Waiting for all replicas to be ready', extra);
  return available ? STABLE : { ...STABLE, available: false, message: stringField(availableCondition, 'message') ?? 'Deployment is not available' };
}

function statefulSetStatus(object: KubernetesObject): ManifestStatus {
  const status = objectField(object, 'status');
  if (status === undefined) return unstable(NONE_REPORTED);
  if (!generationObserved(object, status)) return unstable('Waiting for status generation to match updated object generation');
  const desired = numberField(objectField(object, 'spec'), 'replicas') ?? 1;
  if (count(status, 'replicas') < desired) return unstable('Waiting for at least the desired replica count to be met');
  if (count(status, 'readyReplicas') < desired) return unstable('Waiting for all updated replicas to be ready');
  const current = stringField(status, 'currentRevision');
  const update = stringField(status, 'updateRevision');
  const strategy = stringField(objectField(objectField(object, 'spec'), 'updateStrategy'), 'type');
  if (strategy !== 'OnDelete' && update !== undefined && current !== update) return unstable('Waiting for the updated revision to match the current revision');
  return STABLE;
}

function daemonSetStatus(object: KubernetesObject): ManifestStatus {
  const status = objectField(object, 'status');
  if (status === undefined) return unstable(NONE_REPORTED);
  if (!generationObserved(object, status)) return unstable('Waiting for status generation to match updated object generation');
  const desired = count(status, 'desiredNumberScheduled');
  if (count(status, 'currentNumberScheduled') < desired) return unstable('Waiting for all replicas to be scheduled');
  if (count(status, 'updatedNumberScheduled') < desired) return unstable('Waiting for all updated replicas to be scheduled');
  if (count(status, 'numberAvailable') < desired) return unstable('Waiting for all replicas to be available');
  if (count(status, 'numberReady') < desired) return unstable('Waiting for all replicas to be ready');
  return STABLE;
}

function jobStatus(object: KubernetesObject): ManifestStatus {
  const status = objectField(object, 'status');
  if (status === undefined) return unstable(NONE_REPORTED);
  const completions = numberField(objectField(object, 'spec'), 'completions') ?? 1;
  if (count(status, 'succeeded') >= completions) return STABLE;
  const failedCondition = conditions(status).find((condition) => condition['type'] === 'Failed' && condition['status'] === 'True');
  if (failedCondition) {
    return { ...STABLE, stable: false, failed: true, message: `Job failed${stringField(failedCondition, 'message') !== undefined ? `: ${stringField(failedCondition, 'message')}` : stringField(failedCondition, 'reason') !== undefined ? `: ${stringField(failedCondition, 'reason')}` : ''}` };
  }
  return unstable('Waiting for jobs to finish');
}

/** The status of one object as the server holds it. */
export function manifestStatus(object: KubernetesObject): ManifestStatus {
  switch (apiKindOf(stringField(object, 'kind') ?? '')) {
    case 'ReplicaSet':
      return replicaSetStatus(object);
    case 'Deployment':
      return deploymentStatus(object);
    case 'StatefulSet':
      return statefulSetStatus(object);
    case 'DaemonSet':
      return daemonSetStatus(object);
    case 'Job':
      return jobStatus(object);
    default:
      return STABLE;
  }
}

/** The status as clouddriver's JSON shows it (`{stable: {state: true}, failed: {state: false, message}...}`), for stage outputs. */
export function statusJson(status: ManifestStatus): Record<string, unknown> {
  const entry = (state: boolean, message: string | undefined) => (message !== undefined ? { state, message } : { state });
  return {
    stable: entry(status.stable, status.stable ? undefined : status.message),
    failed: entry(status.failed, status.failed ? status.message : undefined),
    paused: entry(status.paused, status.paused ? status.message : undefined),
    available: entry(status.available, status.available ? undefined : status.message),
  };
}
