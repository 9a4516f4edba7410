/**
 * `kubectl apply` done client-side, as JSON (no I/O): the merge patch that takes a live object to
 * the manifest, and the `kubectl.kubernetes.io/last-applied-configuration` annotation kubectl keeps
 * on it, so that kubectl, Spinnaker and Gennaker read the same history of one object.
 *
 * kubectl's three-way merge (`CreateThreeWayJSONMergePatch`):
 * - additions and changes come from comparing the manifest with the **live** object, so a field
 *   someone changed by hand is set back to what the manifest says;
 * - deletions come from comparing the manifest with the **last applied** one: a field the previous
 *   apply set and this manifest no longer has becomes `null` (RFC 7386 deletes it); fields others
 *   set (the server's defaults, a controller's labels) are left alone.
 *
 * Lists are replaced whole (JSON merge patch has no list merge). A list the server defaulted inside
 * (`ports[].protocol`, `containers[].terminationMessagePath`) still counts as unchanged when every
 * field the manifest sets is there with its value, so applying the same manifest twice writes
 * nothing the second time.
 */

/** The annotation kubectl writes on every object it applies. */
export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

type Json = unknown;
type JsonMap = Record<string, unknown>;

function isMap(value: Json): value is JsonMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Whether `live` holds everything `desired` sets: equal scalars; for a map, every key of `desired`
 * covered in `live` (extra keys in `live` are defaults); for a list, the same length with each
 * item covered.
 */
export function covers(live: Json, desired: Json): boolean {
  if (Array.isArray(desired)) {
    return Array.isArray(live) && live.length === desired.length && desired.every((item, index) => covers(live[index], item));
  }
  if (isMap(desired)) {
    return isMap(live) && Object.entries(desired).every(([key, value]) => covers(live[key], value));
  }
  // Kubernetes answers integers for int-or-string fields given as numbers and keeps strings as strings.
  return live === desired;
}

/** The manifest as the annotation stores it: itself without the annotation (kubectl's form). */
export function lastAppliedOf(manifest: JsonMap): string {
  const metadata = isMap(manifest['metadata']) ? { ...manifest['metadata'] } : {};
  const annotations = isMap(metadata['annotations']) ? { ...metadata['annotations'] } : undefined;
  if (annotations) {
    delete annotations[LAST_APPLIED];
    if (Object.keys(annotations).length === 0) delete metadata['annotations'];
    else metadata['annotations'] = annotations;
  }
  return JSON.stringify({ ...manifest, metadata });
}

/** The last applied configuration a live object carries, or undefined (never applied, or unreadable). */
export function readLastApplied(live: JsonMap): JsonMap | undefined {
  const metadata = live['metadata'];
  const text = isMap(metadata) && isMap(metadata['annotations']) ? metadata['annotations'][LAST_APPLIED] : undefined;
  if (typeof text !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return isMap(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The manifest with its last-applied annotation set (what create and replace send). */
export function withLastApplied(manifest: JsonMap): JsonMap {
  const metadata = isMap(manifest['metadata']) ? manifest['metadata'] : {};
  const annotations = isMap(metadata['annotations']) ? metadata['annotations'] : {};
  return { ...manifest, metadata: { ...metadata, annotations: { ...annotations, [LAST_APPLIED]: lastAppliedOf(manifest) } } };
}

/** Additions and changes: what `desired` sets that `live` does not hold. */
function changes(live: Json, desired: JsonMap): JsonMap {
  const patch: JsonMap = {};
  for (const [key, value] of Object.entries(desired)) {
    const current = isMap(live) ? live[key] : undefined;
    if (isMap(value) && isMap(current)) {
      const nested = changes(current, value);
      if (Object.keys(nested).length > 0) patch[key] = nested;
    } else if (!covers(current, value)) {
      patch[key] = value;
    }
  }
  return patch;
}

/** Deletions: keys the last apply set that `desired` no longer has, as `null`. */
function deletions(last: JsonMap, desired: JsonMap): JsonMap {
  const patch: JsonMap = {};
  for (const [key, value] of Object.entries(last)) {
    if (!(key in desired) || desired[key] === undefined) {
      patch[key] = null;
    } else if (isMap(value) && isMap(desired[key])) {
      const nested = deletions(value, desired[key]);
      if (Object.keys(nested).length > 0) patch[key] = nested;
    }
  }
  return patch;
}

/** Merges two merge patches (the second wins on a scalar). */
function mergePatches(a: JsonMap, b: JsonMap): JsonMap {
  const merged: JsonMap = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const existing = merged[key];
    merged[key] = isMap(existing) && isMap(value) ? mergePatches(existing, value) : value;
  }
  return merged;
}

/**
 * The JSON merge patch `kubectl apply` sends for `manifest` onto `live`, the new last-applied
 * annotation included; `{}` when the live object already is what the manifest says (nothing to write).
 */
export function applyPatch(live: JsonMap, manifest: JsonMap): JsonMap {
  const desired = withLastApplied(manifest);
  // Identity fields are not the patch's business: the path names the object.
  const { apiVersion: _apiVersion, kind: _kind, ...body } = desired;
  const last = readLastApplied(live);
  // Against the manifest with its annotation: a last apply's annotations removed now are deleted one by one.
  const removed = last ? deletions(stripIdentity(last), stripIdentity(desired)) : {};
  return mergePatches(removed, changes(live, body));
}

function stripIdentity(object: JsonMap): JsonMap {
  const { apiVersion: _apiVersion, kind: _kind, ...rest } = object;
  const metadata = isMap(rest['metadata']) ? { ...rest['metadata'] } : undefined;
  if (metadata) {
    delete metadata['name'];
    delete metadata['namespace'];
    rest['metadata'] = metadata;
  }
  return rest;
}
