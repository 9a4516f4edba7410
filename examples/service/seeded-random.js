// The sample service's seeded random choice (mulberry32 over a text seed), in its own module so
// that the canary demo's judgements can be replayed from the very sequence a release draws.

/** A generator of numbers in [0, 1): the same seed text gives the same sequence. */
export function seededRandom(seedText) {
  let state = 0;
  for (const char of seedText) state = (Math.imul(state, 31) + char.charCodeAt(0)) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
