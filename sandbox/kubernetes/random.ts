/**
 * Seeded randomness for the Kubernetes simulator: the same seed and the same calls replay the
 * same uids, pod names and cluster IPs, so a test's expectations stay stable from run to run.
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

/** A version-4-shaped UUID, as the API server writes into `metadata.uid`. */
export function uuid(random: Random): string {
  let h = '';
  for (let i = 0; i < 32; i += 1) h += Math.floor(random() * 16).toString(16);
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * The alphabet of the API server's `generateName` suffixes and of ReplicaSet pod names
 * (k8s.io/apimachinery/pkg/util/rand: no vowels, no 0/1/3, so no words and no look-alikes).
 */
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** `count` characters of the API server's name-suffix alphabet (`web-7d9f8` → `7d9f8`). */
export function nameSuffix(random: Random, count = 5): string {
  let out = '';
  for (let i = 0; i < count; i += 1) out += NAME_ALPHABET[Math.floor(random() * NAME_ALPHABET.length)];
  return out;
}

/** FNV-1a 32-bit, for stable derived values (the pod-template-hash). */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/**
 * The Deployment controller's `pod-template-hash`: the FNV-1a hash of the template, printed in
 * decimal, each digit mapped into the name-suffix alphabet (`rand.SafeEncodeString`), as in
 * `web-5d8c7b9f4`.
 */
export function templateHash(text: string): string {
  return String(fnv1a(text))
    .split('')
    .map((ch) => NAME_ALPHABET[ch.charCodeAt(0) % NAME_ALPHABET.length])
    .join('');
}
