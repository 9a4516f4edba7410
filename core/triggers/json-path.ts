/**
 * Reads a webhook payload constraint key: a top-level key, or a simple JSONPath (`$.a.b`,
 * `a.b[0]`, `$['a-b'].c`) as Echo's `JsonPath.read` accepts for the common cases. Filters,
 * wildcards and recursive descent are not supported: such a key finds nothing.
 */

type Segment = string | number;

/** The path's segments, or undefined when it uses syntax this reader does not support. */
export function parseSimpleJsonPath(path: string): Segment[] | undefined {
  let rest = path.trim();
  if (rest.startsWith('$')) rest = rest.slice(1);
  else if (rest !== '' && !rest.startsWith('.') && !rest.startsWith('[')) rest = `.${rest}`;
  const segments: Segment[] = [];
  while (rest !== '') {
    let match: RegExpExecArray | null;
    if ((match = /^\.([^.[\]]+)/.exec(rest))) {
      if (match[1] === '*' || match[1]!.startsWith('.')) return undefined;
      segments.push(match[1]!);
    } else if ((match = /^\[(\d+)\]/.exec(rest))) {
      segments.push(Number(match[1]));
    } else if ((match = /^\['((?:[^'\\]|\\.)*)'\]/.exec(rest)) || (match = /^\["((?:[^"\\]|\\.)*)"\]/.exec(rest))) {
      segments.push(match[1]!.replace(/\\(.)/g, '$1'));
    } else {
      return undefined;
    }
    rest = rest.slice(match[0].length);
  }
  return segments.length === 0 ? undefined : segments;
}

/** The value at `key` in the payload: the top-level key when present, else the JSONPath. */
export function readPayloadValue(payload: unknown, key: string): unknown {
  if (isObject(payload) && Object.prototype.hasOwnProperty.call(payload, key)) return payload[key];
  const segments = parseSimpleJsonPath(key);
  if (segments === undefined) return undefined;
  let current: unknown = payload;
  for (const segment of segments) {
    if (typeof segment === 'number') {
      if (!Array.isArray(current) || segment >= current.length) return undefined;
      current = current[segment];
    } else {
      if (!isObject(current) || !Object.prototype.hasOwnProperty.call(current, segment)) return undefined;
      current = current[segment];
    }
  }
  return current;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
