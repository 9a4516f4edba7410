/**
 * Seeded randomness for the Kubernetes simulator: the same seed and the same calls replay the
 * same uids, pod names and cluster IPs, so a test's expectations stay stable from run to run.
 */

import type { Random } from '../random.ts';

export { createRandom, uuid, type Random } from '../random.ts';

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
