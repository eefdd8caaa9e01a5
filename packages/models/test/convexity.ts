/** A shared check of the ICNN tests: the largest violation of convexity on random segments. */
import type { Rng, Vec } from '@bilevel/core';

/**
 * `max (R(tx + (1−t)y) − tR(x) − (1−t)R(y))` over `trials` random pairs `x, y ~ N(0, I_n)` and
 * `t ~ U(0, 1)`, divided by `1 + |R(x)| + |R(y)|` when `relative`: ≤ 0 up to rounding for a
 * convex `R`.
 */
export function convexityViolation(R: (x: Vec) => number, n: number, rng: Rng, trials: number, relative = true): number {
  let worst = -Infinity;
  for (let s = 0; s < trials; s++) {
    const x = rng.normalVec(n);
    const y = rng.normalVec(n);
    const t = rng.uniform();
    const m = x.map((v, i) => t * v + (1 - t) * y[i]!);
    const rx = R(x);
    const ry = R(y);
    worst = Math.max(worst, (R(m) - t * rx - (1 - t) * ry) / (relative ? 1 + Math.abs(rx) + Math.abs(ry) : 1));
  }
  return worst;
}
