/**
 * Execution ids: ULIDs (Orca's ids), 26 Crockford base32 characters, 48 bits of milliseconds
 * then 80 random bits, so ids sort by creation time as strings. Pure: time and randomness are
 * arguments. Ids derived from an idempotency key are deterministic instead, so a duplicate
 * event finds the execution the first one created.
 */
import type { Clock } from '../ports/clock.ts';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TIME_CHARS = 10;
const RANDOM_CHARS = 16;

/**
 * A ULID generator. Within one millisecond the random part is incremented instead of drawn
 * again (ULID's monotonic mode), so ids of one generator are strictly increasing.
 */
export function createUlidGenerator(clock: Clock, random: () => number): () => string {
  let lastTime = -1;
  let lastRandom: number[] = [];
  return () => {
    const now = Math.max(0, Math.trunc(clock.now()));
    if (now <= lastTime) {
      lastRandom = increment(lastRandom);
    } else {
      lastTime = now;
      lastRandom = Array.from({ length: RANDOM_CHARS }, () => Math.floor(random() * 32) & 31);
    }
    return encodeTime(lastTime) + lastRandom.map((digit) => CROCKFORD[digit]).join('');
  };
}

function encodeTime(time: number): string {
  let rest = time;
  let text = '';
  for (let i = 0; i < TIME_CHARS; i++) {
    text = CROCKFORD[rest % 32]! + text;
    rest = Math.floor(rest / 32);
  }
  return text;
}

/** +1 in base 32; on overflow (2^80 ids in one millisecond) the part wraps, which never happens in practice. */
function increment(digits: readonly number[]): number[] {
  const next = [...digits];
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i]! < 31) {
      next[i] = next[i]! + 1;
      return next;
    }
    next[i] = 0;
  }
  return next;
}

/**
 * A deterministic id for a key (an event id, an idempotency key): 26 base32 characters from a
 * 128-bit hash, so it has the length and alphabet of a ULID without claiming its time order.
 * Not cryptographic: a collision needs an adversary who controls both keys of one pipeline.
 */
export function deterministicId(key: string): string {
  // Four independent 32-bit FNV-1a-style lanes with different seeds and a final avalanche.
  const seeds = [0x811c9dc5, 0x01000193 ^ 0x9e3779b9, 0x85ebca6b, 0xc2b2ae35];
  const lanes = seeds.map((seed, lane) => {
    let hash = seed >>> 0;
    for (let i = 0; i < key.length; i++) {
      hash ^= key.charCodeAt(i) + lane;
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
    hash ^= hash >>> 16;
    hash = Math.imul(hash, 0x85ebca6b) >>> 0;
    hash ^= hash >>> 13;
    hash = Math.imul(hash, 0xc2b2ae35) >>> 0;
    hash ^= hash >>> 16;
    return hash >>> 0;
  });
  // 128 bits → 26 base32 digits (130 bits; the top two are zero).
  let bits = '';
  for (const lane of lanes) bits += lane.toString(2).padStart(32, '0');
  bits = bits.padStart(130, '0');
  let text = '';
  for (let i = 0; i < 130; i += 5) text += CROCKFORD[parseInt(bits.slice(i, i + 5), 2)]!;
  return text;
}
