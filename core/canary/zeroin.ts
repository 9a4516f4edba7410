/**
 * The Forsythe–Malcolm–Moler `zeroin` root finder (Brent's method), with the settings Kayenta's
 * Mann-Whitney interval uses: absolute tolerance 1e-4, at most 1000 iterations, the last
 * iterate returned (not an error) when it does not converge, and no check that the bracket
 * really brackets a root. The function it serves is a step function, so where this stops *is*
 * the answer: the arithmetic below must stay step for step as it is, or results move by ~1e-4.
 */

const EPSILON = 2.220446049250313e-16;

export interface ZeroinOptions {
  /** Absolute tolerance on the root. @default 1e-4 */
  readonly tolerance?: number;
  /** Iterations before giving up and returning the current iterate. @default 1000 */
  readonly maxIterations?: number;
}

/**
 * A root of `f` in [a, b], given `fa = f(a)` and `fb = f(b)` already evaluated. Returns an end
 * whose value is zero (to one ulp) at once; otherwise iterates, keeping the contrapoint `c`.
 */
export function zeroin(f: (x: number) => number, a: number, b: number, fa: number, fb: number, options: ZeroinOptions = {}): number {
  const tolerance = options.tolerance ?? 1e-4;
  let remaining = (options.maxIterations ?? 1000) + 1;
  if (isZero(fa)) return a;
  if (isZero(fb)) return b;
  let c = a;
  let fc = fa;
  while (remaining-- > 0) {
    const previousStep = b - a;
    if (Math.abs(fc) < Math.abs(fb)) {
      // Make b the best approximation so far.
      a = b;
      b = c;
      c = a;
      fa = fb;
      fb = fc;
      fc = fa;
    }
    const actualTolerance = 2 * EPSILON * Math.abs(b) + tolerance / 2;
    let newStep = (c - b) / 2;
    if (Math.abs(newStep) <= actualTolerance || fb === 0) return b;

    if (Math.abs(previousStep) >= actualTolerance && Math.abs(fa) > Math.abs(fb)) {
      // Interpolation may be tried: secant with two distinct points, else inverse quadratic.
      const cb = c - b;
      let p: number;
      let q: number;
      if (a === c) {
        const t1 = fb / fa;
        p = cb * t1;
        q = 1.0 - t1;
      } else {
        const qa = fa / fc;
        const t1 = fb / fc;
        const t2 = fb / fa;
        p = t2 * (cb * qa * (qa - t1) - (b - a) * (t1 - 1.0));
        q = (qa - 1.0) * (t1 - 1.0) * (t2 - 1.0);
      }
      if (p > 0.0) q = -q;
      else p = -p;
      // Accept p/q only if it falls inside [b, c] and is not too large; else bisect.
      if (p < 0.75 * cb * q - Math.abs(actualTolerance * q) / 2 && p < Math.abs((previousStep * q) / 2)) {
        newStep = p / q;
      }
    }
    if (Math.abs(newStep) < actualTolerance) newStep = newStep > 0 ? actualTolerance : -actualTolerance;
    a = b;
    fa = fb;
    b += newStep;
    fb = f(b);
    if ((fb > 0 && fc > 0) || (fb < 0 && fc < 0)) {
      // Keep c on the other side of the root from b.
      c = a;
      fc = fa;
    }
  }
  return b;
}

/** Zero to within one ulp, as Commons Math's `Precision.equals(f, 0)` tests the bracket ends. */
function isZero(value: number): boolean {
  return Math.abs(value) <= Number.MIN_VALUE;
}
