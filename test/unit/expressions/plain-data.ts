/**
 * Test helpers for the safety properties: a result is plain data, and the host's built-in
 * prototypes are exactly as they were.
 */

/** Throws unless the value is JSON-like data built from ordinary objects and arrays, with no function anywhere. */
export function assertPlainData(value: unknown, path = '$', depth = 0): void {
  if (depth > 200) throw new Error(`${path}: nested deeper than 200`);
  if (value === null || typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number') return;
  if (typeof value !== 'object') throw new Error(`${path}: ${typeof value} is not plain data`);
  const proto: unknown = Object.getPrototypeOf(value);
  if (Array.isArray(value)) {
    if (proto !== Array.prototype) throw new Error(`${path}: array with a foreign prototype`);
    value.forEach((item: unknown, i) => assertPlainData(item, `${path}[${i}]`, depth + 1));
    return;
  }
  if (proto !== Object.prototype) throw new Error(`${path}: object with a foreign prototype`);
  if (Object.hasOwn(value, '__proto__')) throw new Error(`${path}: own __proto__ key`);
  for (const key of Reflect.ownKeys(value)) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    if (descriptor === undefined || !('value' in descriptor)) throw new Error(`${path}.${String(key)}: accessor property`);
    assertPlainData(descriptor.value, `${path}.${String(key)}`, depth + 1);
  }
}

/** The own property names of the built-in prototypes an attacker would target. */
export function prototypeSnapshot(): Record<string, string[]> {
  const targets: Record<string, object> = {
    Object: Object.prototype,
    Array: Array.prototype,
    String: String.prototype,
    Number: Number.prototype,
    Boolean: Boolean.prototype,
    Function: Function.prototype,
  };
  const snapshot: Record<string, string[]> = {};
  for (const [name, proto] of Object.entries(targets)) snapshot[name] = Reflect.ownKeys(proto).map(String).sort();
  return snapshot;
}
