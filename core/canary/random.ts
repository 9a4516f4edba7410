/**
 * Randomness for the judge. Only one step draws random numbers: when both sides of a metric
 * are constant (and different), Kayenta jitters them with tiny Gaussian noise so the rank test
 * has something to rank. The source is an argument, so a judgement is reproducible from a seed.
 */

/** A uniform source on [0, 1), like `Math.random`. */
export type RandomSource = () => number;

/** A small, fast seeded generator (mulberry32): the same seed gives the same sequence. */
export function createSeededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Standard normal draws by the polar (Marsaglia) method, as the JVM's `Random.nextGaussian`
 * draws them: pairs of uniforms in the unit disc, the second value of a pair kept for the next call.
 */
export function createGaussian(random: RandomSource): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const value = spare;
      spare = undefined;
      return value;
    }
    let v1: number;
    let v2: number;
    let s: number;
    do {
      v1 = 2 * random() - 1;
      v2 = 2 * random() - 1;
      s = v1 * v1 + v2 * v2;
    } while (s >= 1 || s === 0);
    const multiplier = Math.sqrt((-2 * Math.log(s)) / s);
    spare = v2 * multiplier;
    return v1 * multiplier;
  };
}
