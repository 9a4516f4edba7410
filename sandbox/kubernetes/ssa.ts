/**
 * Field ownership for server-side apply, read from and written to `managedFields` (`FieldsV1`):
 * an apply that would change a field another manager owns is a 409 conflict unless forced (then
 * the field changes hands), and fields a manager applied before but no longer applies — and no one
 * else owns — are removed from the object.
 */
import { deepEqual, isMap, type Json, type JsonMap } from './patch.ts';
import { StatusError } from './status.ts';

/** One step of a field path: `f:<field>`, `k:<json key of a list element>`, or `.` (the element itself). */
type Path = readonly string[];

/** The leaf paths of a `FieldsV1` set. */
export function leafPaths(fields: Json | undefined, prefix: string[] = []): string[][] {
  if (!isMap(fields)) return [];
  const out: string[][] = [];
  for (const [step, child] of Object.entries(fields)) {
    if (step === '.') {
      out.push(prefix);
      continue;
    }
    if (isMap(child) && Object.keys(child).length > 0) out.push(...leafPaths(child, [...prefix, step]));
    else out.push([...prefix, step]);
  }
  return out;
}

/** A `FieldsV1` set from leaf paths. */
export function fieldsFromPaths(paths: readonly Path[]): JsonMap {
  const root: JsonMap = {};
  for (const path of paths) {
    let node = root;
    for (const step of path) {
      if (!isMap(node[step])) node[step] = {};
      node = node[step] as JsonMap;
    }
    if (path.length > 0 && path[path.length - 1]!.startsWith('k:')) node['.'] = {};
  }
  return root;
}

function elementIndex(list: Json[], step: string): number {
  const keyObject = JSON.parse(step.slice(2)) as JsonMap;
  return list.findIndex((item) => isMap(item) && Object.entries(keyObject).every(([k, v]) => deepEqual(item[k], v)));
}

/** The value at a path, or undefined. */
export function valueAt(object: Json | undefined, path: Path): Json | undefined {
  let node: Json | undefined = object;
  for (const step of path) {
    if (step.startsWith('f:') && isMap(node)) node = node[step.slice(2)];
    else if (step.startsWith('k:') && Array.isArray(node)) node = node[elementIndex(node, step)];
    else return undefined;
  }
  return node;
}

/** Removes the field or list element at a path (no-op when absent). */
export function removeAt(object: JsonMap, path: Path): void {
  if (path.length === 0) return;
  const parent = valueAt(object, path.slice(0, -1));
  const last = path[path.length - 1]!;
  if (last.startsWith('f:') && isMap(parent)) delete parent[last.slice(2)];
  else if (last.startsWith('k:') && Array.isArray(parent)) {
    const index = elementIndex(parent, last);
    if (index >= 0) parent.splice(index, 1);
  }
}

/** `.spec.template.spec.containers[name="web"].image`, as the API server prints a field in conflicts. */
function render(path: Path): string {
  return path
    .map((step) => {
      if (step.startsWith('f:')) return `.${step.slice(2)}`;
      const keyObject = JSON.parse(step.slice(2)) as JsonMap;
      return `[${Object.entries(keyObject)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',')}]`;
    })
    .join('');
}

/**
 * Checks an apply against the other managers' fields and works out what it removes. Answers the
 * managedFields to keep for the others (with forced fields taken away) and the paths to delete
 * from the merged object. Throws the API server's 409 Conflict when fields conflict and `force` is off.
 */
export function planApply(live: JsonMap, applied: JsonMap, appliedFields: JsonMap, manager: string, force: boolean, apiVersion: string): { managedFields: JsonMap[]; remove: string[][] } {
  const metadata = isMap(live['metadata']) ? (live['metadata'] as JsonMap) : {};
  const entries = (Array.isArray(metadata['managedFields']) ? metadata['managedFields'] : []).filter(isMap);
  const applying = leafPaths(appliedFields);
  const applyingKeys = new Set(applying.map((p) => p.join('\u0000')));
  const conflicts: { manager: string; apiVersion: string; path: string[] }[] = [];
  const others = entries.filter((e) => !(e['manager'] === manager && e['operation'] === 'Apply'));
  for (const entry of others) {
    for (const path of leafPaths(entry['fieldsV1'])) {
      if (!applyingKeys.has(path.join('\u0000'))) continue;
      if (!deepEqual(valueAt(live, path), valueAt(applied, path))) conflicts.push({ manager: String(entry['manager']), apiVersion: String(entry['apiVersion'] ?? apiVersion), path });
    }
  }
  if (conflicts.length > 0 && !force) {
    const byManager = new Map<string, { apiVersion: string; fields: string[] }>();
    for (const c of conflicts) {
      const group = byManager.get(c.manager) ?? { apiVersion: c.apiVersion, fields: [] };
      group.fields.push(render(c.path));
      byManager.set(c.manager, group);
    }
    const parts = [...byManager.entries()].map(([m, g]) => (g.fields.length === 1 ? `conflict with "${m}" using ${g.apiVersion}: ${g.fields[0]}` : `conflicts with "${m}" using ${g.apiVersion}:\n${g.fields.map((f) => `- ${f}`).join('\n')}`));
    const message = `Apply failed with ${conflicts.length} conflict${conflicts.length === 1 ? '' : 's'}: ${parts.join('\n')}`;
    throw new StatusError(409, 'Conflict', message, { causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with "${c.manager}" using ${c.apiVersion}`, field: render(c.path) })) });
  }
  const taken = new Set(conflicts.map((c) => c.path.join('\u0000')));
  const kept = entries
    .map((entry): JsonMap | undefined => {
      if (entry['manager'] === manager && entry['operation'] === 'Apply') return entry;
      const remaining = leafPaths(entry['fieldsV1']).filter((p) => !taken.has(p.join('\u0000')));
      return remaining.length === 0 ? undefined : { ...entry, fieldsV1: fieldsFromPaths(remaining) };
    })
    .filter((e): e is JsonMap => e !== undefined);
  const mine = entries.find((e) => e['manager'] === manager && e['operation'] === 'Apply');
  const ownedByOthers = new Set(kept.filter((e) => e !== mine).flatMap((e) => leafPaths(e['fieldsV1']).map((p) => p.join('\u0000'))));
  const remove = leafPaths(mine?.['fieldsV1']).filter((p) => !applyingKeys.has(p.join('\u0000')) && !ownedByOthers.has(p.join('\u0000')));
  return { managedFields: kept, remove };
}
