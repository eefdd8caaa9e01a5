/**
 * Test helpers: a seeded dense operator and uniform vectors (the point samplers and `without`
 * come from `@bilevel/core/testing`).
 */
import { Rng, type Shape, type Vec } from '@bilevel/core';

export { without, groupPoint, awayFrom } from '@bilevel/core/testing';
import { DenseMatrix } from '@bilevel/operators';




/** A seeded dense `rows × cols` matrix (entries N(0, 1/cols)) as a `DenseMatrix` on `domain` (default `[cols]`). */
export function randomMatrix(rows: number, cols: number, seed: number, domain?: Shape): DenseMatrix {
  const d = Rng.seeded(seed).normalVec(rows * cols);
  for (let i = 0; i < d.length; i++) d[i] = d[i]! / Math.sqrt(cols);
  return new DenseMatrix(rows, cols, d, domain ? { domain } : {});
}

/** A seeded vector of `n` entries, uniform in `[lo, hi)`. */
export function uniformVec(seed: number, n: number, lo: number, hi: number): Vec {
  return Rng.seeded(seed).fillUniform(new Float64Array(n), lo, hi);
}
