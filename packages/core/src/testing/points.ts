/**
 * Sample points and capability masks for functional test cases: points whose groups have norms in
 * a range, points away from the kinks of a potential, and hiding a capability so a case runs only
 * the checks that apply at its points.
 * @module
 */
import type { Rng } from '../rng.js';
import type { Vec } from '../vec.js';

/** Hide methods on an instance (set to `undefined`), e.g. `valueParamGrad` at infeasible points. */
export function without<T extends object>(f: T, ...keys: string[]): T {
  for (const k of keys) Object.defineProperty(f, k, { value: undefined, configurable: true });
  return f;
}

/**
 * A point whose groups (`{j, j+N, …}`, `N = n/G`) have norms drawn uniformly in `[lo, hi]·radius`
 * with random directions.
 */
export function groupPoint(rng: Rng, n: number, G: number, lo: number, hi: number, radius = 1): Vec {
  const N = n / G;
  const x = rng.normalVec(n);
  for (let j = 0; j < N; j++) {
    let r2 = 0;
    for (let k = 0; k < G; k++) r2 += x[j + k * N]! ** 2;
    const target = radius * (lo + (hi - lo) * rng.uniform());
    const s = target / Math.sqrt(r2);
    for (let k = 0; k < G; k++) x[j + k * N] = x[j + k * N]! * s;
  }
  return x;
}

/** Entries of a standard normal point pushed at least `gap` away from each of `kinks` (in |·|). */
export function awayFrom(rng: Rng, n: number, kinks: readonly number[], gap = 0.05, scale = 1): Vec {
  const x = rng.normalVec(n);
  for (let i = 0; i < n; i++) {
    let v = scale * x[i]!;
    for (const k of kinks) {
      if (Math.abs(Math.abs(v) - k) < gap) v = Math.sign(v || 1) * (k + gap * (Math.abs(v) >= k ? 1 : -1) * 1.5);
    }
    x[i] = v;
  }
  return x;
}
