/**
 * Smooth weighted round-robin (nginx's upstream algorithm): each pick adds every candidate's
 * weight to its running score, takes the highest, and subtracts the total from it. Over any
 * window of `sum(weights)` picks each candidate is chosen exactly in proportion, and picks are
 * interleaved (5:1 gives a a b a a a, not a a a a a b), so a 10 % canary sees steady traffic.
 */

export interface WeightedPicker {
  /** Picks among the candidates with a positive weight; undefined when there is none. */
  pick(candidates: ReadonlyArray<{ readonly key: string; readonly weight: number }>): string | undefined;
}

export function createWeightedPicker(): WeightedPicker {
  // Scores survive between picks; a candidate that disappears loses its score.
  let scores = new Map<string, number>();
  return {
    pick(candidates) {
      const next = new Map<string, number>();
      let total = 0;
      let best: string | undefined;
      let bestScore = -Infinity;
      for (const { key, weight } of candidates) {
        if (!(weight > 0)) continue;
        const score = (scores.get(key) ?? 0) + weight;
        next.set(key, score);
        total += weight;
        if (score > bestScore) {
          best = key;
          bestScore = score;
        }
      }
      if (best !== undefined) next.set(best, bestScore - total);
      scores = next;
      return best;
    },
  };
}
