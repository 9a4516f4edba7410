/**
 * The patch formats the API server takes (reference/cloud-targets.md §6.4): JSON Patch (RFC 6902),
 * JSON Merge Patch (RFC 7386) and strategic merge (maps merge, lists of named things merge by
 * their key, `$patch` directives). A patch that cannot apply throws `PatchError`, which the API
 * answers as 422 with the reason.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonMap = { [key: string]: Json };

/** A patch that does not apply to the object (422 at the API). */
export class PatchError extends Error {}

export function isMap(value: unknown): value is JsonMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A deep copy of JSON data. */
export function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/** Deep equality of JSON data (key order ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isMap(a) && isMap(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

// ---------------------------------------------------------------- RFC 6902

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchError(`invalid JSON pointer "${path}": it must start with '/'`);
  return path
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(array: Json[], token: string, path: string, forAdd: boolean): number {
  if (forAdd && token === '-') return array.length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new PatchError(`invalid array index "${token}" in path "${path}"`);
  const index = Number(token);
  if (index > array.length || (!forAdd && index === array.length)) throw new PatchError(`array index ${index} out of bounds in path "${path}"`);
  return index;
}

/** The parent container and last token of a path, or a PatchError when the parent is missing. */
function parentOf(doc: Json, tokens: string[], path: string): { parent: Json[] | JsonMap; last: string } {
  let node: Json = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(node)) node = node[arrayIndex(node, token, path, false)]!;
    else if (isMap(node) && token in node) node = node[token]!;
    else throw new PatchError(`doc is missing path: "${path}": missing value`);
  }
  if (!Array.isArray(node) && !isMap(node)) throw new PatchError(`doc is missing path: "${path}": missing value`);
  return { parent: node, last: tokens[tokens.length - 1]! };
}

function getAt(doc: Json, path: string): Json {
  let node: Json = doc;
  for (const token of pointer(path)) {
    if (Array.isArray(node)) node = node[arrayIndex(node, token, path, false)]!;
    else if (isMap(node) && token in node) node = node[token]!;
    else throw new PatchError(`doc is missing path: "${path}": missing value`);
  }
  return node;
}

function addAt(doc: Json, path: string, value: Json): Json {
  const tokens = pointer(path);
  if (tokens.length === 0) return value;
  const { parent, last } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, path, true), 0, value);
  else parent[last] = value;
  return doc;
}

function removeAt(doc: Json, path: string, op: string): Json {
  const tokens = pointer(path);
  if (tokens.length === 0) throw new PatchError(`jsonpatch ${op} operation does not apply: cannot remove the whole document`);
  let found: { parent: Json[] | JsonMap; last: string };
  try {
    found = parentOf(doc, tokens, path);
  } catch {
    throw new PatchError(`jsonpatch ${op} operation does not apply: doc is missing path: "${path}": missing value`);
  }
  const { parent, last } = found;
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, path, false), 1);
  else if (last in parent) delete parent[last];
  else throw new PatchError(`jsonpatch ${op} operation does not apply: doc is missing key: ${path}: missing value`);
  return doc;
}

/** Applies an RFC 6902 operation list (`add`, `remove`, `replace`, `move`, `copy`, `test`) to a copy of `doc`. */
export function applyJsonPatch(doc: Json, operations: unknown): Json {
  if (!Array.isArray(operations)) throw new PatchError('json: cannot unmarshal object into Go value of type jsonpatch.Patch (a JSON patch is an array of operations)');
  let out = clone(doc);
  for (const raw of operations) {
    if (!isMap(raw)) throw new PatchError('a JSON patch operation must be an object');
    const op = raw['op'];
    const path = raw['path'];
    if (typeof path !== 'string') throw new PatchError(`Unexpected kind: ${String(op)} operation is missing "path"`);
    switch (op) {
      case 'add':
        if (!('value' in raw)) throw new PatchError(`jsonpatch add operation does not apply: missing "value"`);
        out = addAt(out, path, clone(raw['value']!));
        break;
      case 'remove':
        out = removeAt(out, path, 'remove');
        break;
      case 'replace': {
        if (!('value' in raw)) throw new PatchError(`jsonpatch replace operation does not apply: missing "value"`);
        if (pointer(path).length === 0) {
          out = clone(raw['value']!);
          break;
        }
        try {
          getAt(out, path);
        } catch {
          throw new PatchError(`jsonpatch replace operation does not apply: doc is missing key: ${path}: missing value`);
        }
        out = removeAt(out, path, 'replace');
        out = addAt(out, path, clone(raw['value']!));
        break;
      }
      case 'move':
      case 'copy': {
        const from = raw['from'];
        if (typeof from !== 'string') throw new PatchError(`jsonpatch ${op} operation does not apply: missing "from"`);
        const value = clone(getAt(out, from));
        if (op === 'move') out = removeAt(out, from, 'move');
        out = addAt(out, path, value);
        break;
      }
      case 'test': {
        let actual: Json | undefined;
        try {
          actual = getAt(out, path);
        } catch {
          actual = undefined;
        }
        if (!deepEqual(actual, raw['value'])) throw new PatchError(`testing value ${path} failed: test failed`);
        break;
      }
      default:
        throw new PatchError(`Unexpected kind: ${String(op)}`);
    }
  }
  return out;
}

// ---------------------------------------------------------------- RFC 7386

/** Applies an RFC 7386 merge patch: maps merge, `null` deletes, anything else replaces. */
export function applyMergePatch(target: Json | undefined, patch: Json): Json {
  if (!isMap(patch)) return clone(patch);
  const out: JsonMap = isMap(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = applyMergePatch(out[key], value);
  }
  return out;
}

// ---------------------------------------------------------------- strategic merge

/**
 * Merge keys of the lists the built-in types declare `patchStrategy: merge` for (the Go struct
 * tags of k8s.io/api). Lists not named here are replaced whole, as the API server does.
 */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  ownerReferences: 'uid',
  conditions: 'type',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
};

/** Lists of scalars the types merge as sets (`finalizers`). */
const MERGED_SCALAR_LISTS = new Set(['finalizers']);

function mergeKeyFor(field: string, items: readonly Json[]): string | undefined {
  if (field === 'ports') {
    // Container ports merge on containerPort, Service ports on port.
    return items.some((i) => isMap(i) && 'containerPort' in i) ? 'containerPort' : 'port';
  }
  return MERGE_KEYS[field];
}

function stripDirectives(value: Json): Json {
  if (Array.isArray(value)) return value.filter((v) => !(isMap(v) && v['$patch'] === 'delete')).map(stripDirectives);
  if (!isMap(value)) return value;
  const out: JsonMap = {};
  for (const [k, v] of Object.entries(value)) if (!k.startsWith('$')) out[k] = stripDirectives(v);
  return out;
}

function mergeList(field: string, live: Json[], patch: Json[]): Json[] {
  if (patch.some((p) => isMap(p) && p['$patch'] === 'replace')) return stripDirectives(patch.filter((p) => !(isMap(p) && p['$patch'] === 'replace'))) as Json[];
  if (MERGED_SCALAR_LISTS.has(field)) return [...live, ...patch.filter((p) => !live.some((l) => deepEqual(l, p)))];
  const key = mergeKeyFor(field, [...live, ...patch]);
  if (!key) return stripDirectives(patch) as Json[];
  const out = clone(live);
  for (const item of patch) {
    if (!isMap(item) || !(key in item)) {
      out.push(stripDirectives(item));
      continue;
    }
    const index = out.findIndex((l) => isMap(l) && deepEqual(l[key], item[key]));
    if (item['$patch'] === 'delete') {
      if (index >= 0) out.splice(index, 1);
    } else if (index >= 0) out[index] = strategicMerge(out[index], item);
    else out.push(stripDirectives(item));
  }
  return out;
}

/**
 * Applies a strategic merge patch: maps merge recursively and `null` deletes (as RFC 7386);
 * lists of containers, ports, env, volumes… merge by their key; `$patch: replace` on a map or a
 * list and `$patch: delete` on a list item or a map; `$setElementOrder/…` and `$retainKeys` are
 * accepted and ignored.
 */
export function strategicMerge(live: Json | undefined, patch: Json): Json {
  if (!isMap(patch)) return clone(patch);
  if (patch['$patch'] === 'replace') return stripDirectives(patch);
  if (patch['$patch'] === 'delete') return {};
  const out: JsonMap = isMap(live) ? clone(live) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue;
    if (value === null) delete out[key];
    else if (Array.isArray(value) && Array.isArray(out[key])) out[key] = mergeList(key, out[key] as Json[], value);
    else if (isMap(value) && value['$patch'] === 'delete') delete out[key];
    else out[key] = isMap(value) ? strategicMerge(out[key], value) : stripDirectives(value);
  }
  return out;
}
