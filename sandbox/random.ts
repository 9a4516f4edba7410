/**
 * Seeded randomness the simulators share: the same seed and the same calls replay the same ids,
 * so a test's expectations stay stable from run to run. Each simulator builds its cloud's id
 * shapes on these (sandbox/aws/random.ts, sandbox/kubernetes/random.ts).
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

/** A version-4-shaped UUID (AWS request ids and client tokens, Kubernetes `metadata.uid`). */
export function uuid(random: Random): string {
  const h = hex(random, 32);
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
