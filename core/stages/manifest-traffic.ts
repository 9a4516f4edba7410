/**
 * The traffic tasks of `enableManifest` / `disableManifest` (clouddriver's
 * AbstractKubernetesEnableDisableManifestOperation): for each Service of the workload (its
 * `traffic.spinnaker.io/load-balancers` annotation), a JSON patch adds (or removes) the Service's
 * selector labels on the workload's pod template, then the same on every pod the workload owns
 * (core/deploy/kubernetes/traffic.ts). The Service is never modified. Each patch is derived from
 * the object as it is now, so a duplicate delivery, or one after a crash halfway through the pods,
 * patches only what still lacks (or still carries) the labels; the first write claims the step, so
 * of two deliveries at the same instant only one writes.
 */
import { readLoadBalancers } from '../deploy/kubernetes/annotations.ts';
import { disablePatch, enablePatch, isSelectedBy, ownedPods, parseLoadBalancerName, workloadPodSelector } from '../deploy/kubernetes/traffic.ts';
import type { DisableManifestStage, EnableManifestStage } from '../pipeline/stage-types/index.ts';
import type { KubernetesObject } from '../ports/manifests.ts';
import { claimStep, liveTarget, manifestFailure, operationOutputs, ownerOf, type ManifestTaskDeps } from './manifest-common.ts';
import { failed, succeeded, type TaskInput, type TaskResult } from './task-result.ts';

/** Runs enableManifest or disableManifest. */
export async function runManifestTraffic(input: TaskInput<EnableManifestStage | DisableManifestStage>, deps: ManifestTaskDeps): Promise<TaskResult> {
  const enable = input.stage.type === 'enableManifest';
  const found = await liveTarget(input, deps);
  if (!found.ok) return found.result;
  const { scope, target } = found.live;
  let workload = found.live.object;

  const named = readLoadBalancers(workload);
  if (!named.ok) return failed(`${scope.label}: ${target.manifestName}: ${named.message}`);
  const services: KubernetesObject[] = [];
  for (const text of named.value) {
    const parsed = parseLoadBalancerName(text);
    if (!parsed.ok) return failed(`${scope.label}: ${target.manifestName}: ${parsed.message}`);
    const service = await scope.port.get({ account: scope.account, namespace: scope.namespace, kind: 'Service', name: parsed.value.name });
    if (!service.ok) return manifestFailure(service, `reading service ${parsed.value.name}`, scope.label);
    if (service.value === undefined) {
      return failed(`${scope.label}: ${target.manifestName} names load balancer '${text}', which does not exist in namespace '${scope.namespace}'; create the Service, or fix the traffic.spinnaker.io/load-balancers annotation`);
    }
    services.push(service.value);
  }
  const owner = ownerOf(input);
  const verb = enable ? 'enabling' : 'disabling';
  // clouddriver's enable patch `replace`s labels already there: an object the Service already selects is left alone, so a later delivery writes nothing.
  const patchFor = (object: KubernetesObject) =>
    services.flatMap((service) => (enable ? (isSelectedBy(object, service) ? [] : enablePatch(object, service)) : disablePatch(object, service)));

  // The first write claims the step, so a twin delivery at the same instant writes nothing.
  let claimed = false;
  const claim = async (): Promise<TaskResult | undefined> => {
    if (claimed) return undefined;
    claimed = true;
    return claimStep(input, input.stage.type, found.live.object);
  };
  const workloadPatch = patchFor(workload);
  if (workloadPatch.length > 0) {
    const lost = await claim();
    if (lost) return lost;
    const patched = await scope.port.patch(target.ref, 'json', workloadPatch, { owner });
    if (!patched.ok) return manifestFailure(patched, `${verb} ${target.manifestName} (patching its pod template labels)`, scope.label);
    workload = patched.value;
  }
  const selector = workloadPodSelector(workload);
  if (services.length > 0 && selector !== undefined) {
    const listed = await scope.port.list({ account: scope.account, namespace: scope.namespace, kind: 'Pod', labelSelector: selector });
    if (!listed.ok) return manifestFailure(listed, `listing the pods of ${target.manifestName}`, scope.label);
    for (const pod of ownedPods(workload, listed.value)) {
      const podPatch = patchFor(pod);
      if (podPatch.length === 0) continue;
      const lost = await claim();
      if (lost) return lost;
      const podName = String((pod['metadata'] as Record<string, unknown> | undefined)?.['name'] ?? '');
      const patched = await scope.port.patch({ account: scope.account, namespace: scope.namespace, kind: 'Pod', name: podName }, 'json', podPatch, { owner });
      // A pod deleted meanwhile (scaled down, replaced) no longer needs its labels changed.
      if (!patched.ok && patched.reason === 'not-found') continue;
      if (!patched.ok) return manifestFailure(patched, `${verb} pod ${podName} of ${target.manifestName}`, scope.label);
    }
  }
  const outputs = operationOutputs(scope, target.manifestName, [workload]);
  return succeeded(outputs, { context: outputs });
}
