/**
 * Seeded randomness and AWS-shaped ids for the simulator. The same seed and the same calls
 * replay the same world, so ids in a test's expectations stay stable from run to run.
 */

/** A pseudo-random source in [0, 1). */
export type Random = () => number;

/** mulberry32: small, fast and good enough to spread ids; not for cryptography. */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` lower-case hex digits. */
export function hex(random: Random, count: number): string {
  let out = '';
  for (let i = 0; i < count; i += 1) out += Math.floor(random() * 16).toString(16);
  return out;
}

/** An EC2-style resource id: `<prefix>-` and 17 hex digits (`i-0abc…`, `lt-…`, `ami-…`). */
export function resourceId(random: Random, prefix: string): string {
  return `${prefix}-0${hex(random, 16)}`;
}

/** A version-4-shaped UUID (request ids, client tokens). */
export function uuid(random: Random): string {
  const h = hex(random, 32);
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** `count` characters of [A-Z0-9], as in access key ids and role ids. */
export function upperAlnum(random: Random, count: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let out = '';
  for (let i = 0; i < count; i += 1) out += alphabet[Math.floor(random() * alphabet.length)];
  return out;
}
