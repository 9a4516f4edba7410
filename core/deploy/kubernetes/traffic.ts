/**
 * Traffic the Spinnaker way (reference/cloud-targets.md §6.2, §6.5): a Service's selector is
 * fixed, and a workload receives its traffic by carrying the selector's labels on its pod
 * template (a bare Pod: on its own labels) and on every live pod it owns. Deploying attaches a
 * Service by merging its selector into the template labels (KubernetesServiceHandler.attach);
 * enabling and disabling are RFC 6902 JSON patches adding, replacing or removing each selector key
 * under `/spec/template/metadata/labels/<key>` (AbstractKubernetesEnableDisableManifestOperation),
 * then the same on each owned pod under `/metadata/labels/<key>`. The Service is never changed. Pure.
 */
import type { KubernetesObject } from '../../ports/manifests.ts';
import { apiKindOf, parseManifestName } from './kinds.ts';
import { hasPodTemplate, isJsonObject, labelsOf, mutableMap, objectField, podTemplateLabelsOf, stringField, stringMap, withMetadata } from './objects.ts';

/** One RFC 6902 operation of a traffic patch. */
export type JsonPatchOperation =
  | { readonly op: 'add' | 'replace'; readonly path: string; readonly value: string }
  | { readonly op: 'remove'; readonly path: string };

/** A JSON pointer token (RFC 6901): `~` → `~0`, `/` → `~1`. */
export function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** A Service's `spec.selector`. */
export function serviceSelector(service: KubernetesObject): Record<string, string> {
  return stringMap(objectField(objectField(service, 'spec'), 'selector'));
}

/** Clouddriver's message for selector keys shared with the workload, verbatim. */
export const SELECTOR_OVERLAP_MESSAGE = 'Service selector must have no label keys in common with target workload';
/** Clouddriver's message for a Service without a selector, verbatim. */
export const EMPTY_SELECTOR_MESSAGE = 'Service must have a non-empty selector in order to be attached to a workload';

export type AttachResult = { readonly ok: true; readonly value: KubernetesObject } | { readonly ok: false; readonly message: string };

/**
 * Attaches Services to a workload at deploy time: each Service's selector merged into the pod
 * template labels (`metadata.labels` for an object without a template, a bare Pod). A Service
 * without a selector, or whose selector keys the workload's labels already have, is refused with
 * clouddriver's message, naming the Service and the keys.
 */
export function attachServices(workload: KubernetesObject, services: readonly KubernetesObject[]): AttachResult {
  const { object, metadata, template } = withMetadata(workload);
  const labels = mutableMap(template ?? metadata, 'labels');
  for (const service of services) {
    const name = stringField(objectField(service, 'metadata'), 'name') ?? '(unnamed)';
    const selector = serviceSelector(service);
    const keys = Object.keys(selector);
    if (keys.length === 0) return { ok: false, message: `${EMPTY_SELECTOR_MESSAGE}: service ${name} has no spec.selector; give it one, e.g. {"frontedBy": "${name}"}` };
    const shared = keys.filter((key) => key in labels);
    if (shared.length > 0) {
      const where = template ? 'spec.template.metadata.labels' : 'metadata.labels';
      return {
        ok: false,
        message: `${SELECTOR_OVERLAP_MESSAGE}: service ${name} selects ${shared.map((key) => `'${key}'`).join(', ')}, which the workload's ${where} already set; select on a label the workload does not carry (e.g. frontedBy: ${name}) and leave it out of the manifest`,
      };
    }
    Object.assign(labels, selector);
  }
  return { ok: true, value: object };
}

/** Where a workload's traffic labels live: the pod template's, or (no template) its own. */
export function trafficLabelsPath(workload: KubernetesObject): string {
  return hasPodTemplate(workload) ? '/spec/template/metadata/labels' : '/metadata/labels';
}

function trafficLabels(workload: KubernetesObject): Record<string, string> {
  return podTemplateLabelsOf(workload) ?? labelsOf(workload);
}

/** The JSON patch that puts a Service's selector labels on a workload (or pod): `replace` where the key is there, else `add`. */
export function enablePatch(workload: KubernetesObject, service: KubernetesObject): JsonPatchOperation[] {
  const prefix = trafficLabelsPath(workload);
  const labels = trafficLabels(workload);
  const patch: JsonPatchOperation[] = [];
  for (const [key, value] of Object.entries(serviceSelector(service))) {
    patch.push({ op: key in labels ? 'replace' : 'add', path: `${prefix}/${escapePointerToken(key)}`, value });
  }
  return patch;
}

/** The JSON patch that takes a Service's selector labels off a workload (or pod): `remove` for each key it has. */
export function disablePatch(workload: KubernetesObject, service: KubernetesObject): JsonPatchOperation[] {
  const prefix = trafficLabelsPath(workload);
  const labels = trafficLabels(workload);
  return Object.keys(serviceSelector(service))
    .filter((key) => key in labels)
    .map((key) => ({ op: 'remove' as const, path: `${prefix}/${escapePointerToken(key)}` }));
}

/** Whether a workload (or pod) carries every label of a Service's selector: it receives the Service's traffic. */
export function isSelectedBy(workload: KubernetesObject, service: KubernetesObject): boolean {
  const selector = serviceSelector(service);
  const labels = trafficLabels(workload);
  const keys = Object.keys(selector);
  return keys.length > 0 && keys.every((key) => labels[key] === selector[key]);
}

/**
 * The pods a workload owns (HasPods.pods): among pods listed by its selector, those whose
 * ownerReferences name it (by uid when both have one, else by kind and name).
 */
export function ownedPods(workload: KubernetesObject, pods: readonly KubernetesObject[]): KubernetesObject[] {
  const metadata = objectField(workload, 'metadata');
  const uid = stringField(metadata, 'uid');
  const name = stringField(metadata, 'name');
  const kind = stringField(workload, 'kind');
  return pods.filter((pod) => {
    const owners = objectField(pod, 'metadata')?.['ownerReferences'];
    if (!Array.isArray(owners)) return false;
    return owners.some((owner) => {
      if (!isJsonObject(owner)) return false;
      const ownerUid = stringField(owner, 'uid');
      if (uid !== undefined && ownerUid !== undefined) return ownerUid === uid;
      return stringField(owner, 'name') === name && stringField(owner, 'kind') === kind;
    });
  });
}

/** A workload's `spec.selector` as a label selector string (`matchLabels` and `matchExpressions`), to list its pods. */
export function workloadPodSelector(workload: KubernetesObject): string | undefined {
  const selector = objectField(objectField(workload, 'spec'), 'selector');
  if (selector === undefined) return undefined;
  const parts: string[] = [];
  // A ReplicaSet's selector has matchLabels; a Service-style (old ReplicationController) map selector is plain labels.
  const matchLabels = isJsonObject(selector['matchLabels']) || Array.isArray(selector['matchExpressions']) ? stringMap(selector['matchLabels']) : stringMap(selector);
  for (const [key, value] of Object.entries(matchLabels)) parts.push(`${key}=${value}`);
  const expressions = selector['matchExpressions'];
  if (Array.isArray(expressions)) {
    for (const expression of expressions) {
      if (!isJsonObject(expression)) continue;
      const key = stringField(expression, 'key');
      const operator = stringField(expression, 'operator');
      const values = Array.isArray(expression['values']) ? expression['values'].filter((value): value is string => typeof value === 'string') : [];
      if (key === undefined) continue;
      if (operator === 'In') parts.push(`${key} in (${values.join(',')})`);
      else if (operator === 'NotIn') parts.push(`${key} notin (${values.join(',')})`);
      else if (operator === 'Exists') parts.push(key);
      else if (operator === 'DoesNotExist') parts.push(`!${key}`);
    }
  }
  return parts.length === 0 ? undefined : parts.join(',');
}

export type LoadBalancerNameResult = { readonly ok: true; readonly value: { readonly kind: string; readonly name: string } } | { readonly ok: false; readonly message: string };

/**
 * A load balancer name (`"service my-svc"`): Spinnaker attaches Services only. The message is
 * clouddriver's, with the value.
 */
export function parseLoadBalancerName(text: string): LoadBalancerNameResult {
  const parsed = parseManifestName(text, 'load balancer');
  if (!parsed.ok || apiKindOf(parsed.value.kind) !== 'Service') {
    return { ok: false, message: `Failed to attach load balancer ${JSON.stringify(text)}. Load balancers must be specified in the form '{kind} {name}', e.g. 'service my-service'` };
  }
  return { ok: true, value: { kind: 'Service', name: parsed.value.name } };
}
