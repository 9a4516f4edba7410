/**
 * The JSONPath subset webhook stages use (`statusJsonPath`, `progressJsonPath`,
 * `statusUrlJsonPath`): `$`, `.name`, `['name']` / `["name"]` and `[0]`, e.g.
 * `$.status`, `$.build.result`, `$['job-status']`, `$.runs[0].state`. Own data only.
 */

export type JsonPathResult = { readonly ok: true; readonly found: boolean; readonly value: unknown } | { readonly ok: false; readonly message: string };

type Segment = string | number;

/** Splits a path into keys and indexes, or explains what is wrong with it. */
export function parseJsonPath(path: string): { ok: true; segments: Segment[] } | { ok: false; message: string } {
  const text = path.trim();
  if (!text.startsWith('$')) return { ok: false, message: `JSONPath '${path}' must start with '$', e.g. '$.status'` };
  const segments: Segment[] = [];
  let at = 1;
  while (at < text.length) {
    const rest = text.slice(at);
    const dotted = /^\.([A-Za-z_$][\w$-]*)/.exec(rest);
    const quoted = /^\[\s*(?:'([^']*)'|"([^"]*)")\s*\]/.exec(rest);
    const index = /^\[\s*(\d+)\s*\]/.exec(rest);
    if (dotted) segments.push(dotted[1]!);
    else if (quoted) segments.push(quoted[1] ?? quoted[2] ?? '');
    else if (index) segments.push(Number(index[1]));
    else {
      return { ok: false, message: `JSONPath '${path}' is not supported at '${rest}'; use $.a.b, $['a'] or $.list[0]` };
    }
    at += (dotted ?? quoted ?? index)![0].length;
  }
  return { ok: true, segments };
}

/** Reads `path` from `document`; a missing key is `found: false`, not an error. */
export function readJsonPath(document: unknown, path: string): JsonPathResult {
  const parsed = parseJsonPath(path);
  if (!parsed.ok) return parsed;
  let current: unknown = document;
  for (const segment of parsed.segments) {
    if (typeof segment === 'number') {
      if (!Array.isArray(current) || segment >= current.length) return { ok: true, found: false, value: undefined };
      current = current[segment];
    } else {
      if (typeof current !== 'object' || current === null || Array.isArray(current) || !Object.prototype.hasOwnProperty.call(current, segment)) {
        return { ok: true, found: false, value: undefined };
      }
      current = (current as Record<string, unknown>)[segment];
    }
  }
  return { ok: true, found: true, value: current };
}
