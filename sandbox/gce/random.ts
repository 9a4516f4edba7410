/**
 * Seeded randomness in Compute Engine's id shapes: the same seed and the same calls replay the
 * same ids, instance names, fingerprints and operation names, so a test's expectations stay
 * stable from run to run.
 */

import { hex, type Random } from '../random.ts';

export { createRandom, type Random } from '../random.ts';

/** A resource `id`: an unsigned 64-bit number in decimal (19 digits, no leading zero), sent as a string. */
export function numericId(random: Random): string {
  let out = String(1 + Math.floor(random() * 9));
  for (let i = 0; i < 18; i += 1) out += Math.floor(random() * 10);
  return out;
}

/** The suffix a managed instance group gives its instances (`app-v001-x7k2`): lower-case letters and digits. */
export function instanceSuffix(random: Random, count = 4): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  for (let i = 0; i < count; i += 1) out += alphabet[Math.floor(random() * alphabet.length)];
  return out;
}

/** A fingerprint: 8 random bytes in base64 (`Fkjg3Jb2ZtE=`), new on every change of its resource. */
export function fingerprint(random: Random): string {
  const bytes = Buffer.alloc(8);
  for (let i = 0; i < 8; i += 1) bytes[i] = Math.floor(random() * 256);
  return bytes.toString('base64');
}

/** An operation name as GCE writes it: `operation-<epoch ms>-<13 hex>-<8 hex>-<8 hex>`. */
export function operationName(random: Random, now: number): string {
  return `operation-${now}-${hex(random, 13)}-${hex(random, 8)}-${hex(random, 8)}`;
}
