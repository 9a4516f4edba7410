/**
 * Seeded randomness and AWS-shaped ids for the simulator. The same seed and the same calls
 * replay the same world, so ids in a test's expectations stay stable from run to run.
 */

import { hex, type Random } from '../random.ts';

export { createRandom, hex, uuid, type Random } from '../random.ts';

/** An EC2-style resource id: `<prefix>-` and 17 hex digits (`i-0abc…`, `lt-…`, `ami-…`). */
export function resourceId(random: Random, prefix: string): string {
  return `${prefix}-0${hex(random, 16)}`;
}

/** `count` characters of [A-Z0-9], as in access key ids and role ids. */
export function upperAlnum(random: Random, count: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let out = '';
  for (let i = 0; i < count; i += 1) out += alphabet[Math.floor(random() * alphabet.length)];
  return out;
}
