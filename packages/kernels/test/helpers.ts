/**
 * Shared fixtures of the kernels tests: seeded problems built from the registered operators and
 * functionals, and the error metrics of the float32 tolerance tiers (README "Tolerance tiers").
 */
import { expect } from 'vitest';
import { Rng, type ParametricOperator, type Vec } from '@bilevel/core';
import { squaredError } from '@bilevel/hypergrad';
import type { FilterBank, FilterBoundary, GpuJsBackend, Grid, SaddleState } from '@bilevel/kernels';
import { ConvFilterBank, ExpScaledOperator, Gradient2D } from '@bilevel/operators';
import { HuberConjugate, QuadraticFidelity } from '@bilevel/prox';
import type { PiggybackProblem } from '@bilevel/solvers';

/** Radius `α` of the Huber conjugate of {@link denoising}. */
export const ALPHA = 0.1;

/**
 * Denoising of a bright rectangle (noise 0.1) on a `size²` image: `K = e^θ∇` at θ = 0 (Neumann)
 * or a bank of 3 filters 3×3 (zero boundary for odd seeds, periodic for even), the Huber
 * conjugate (α = 0.1, ε = 0.05) per entry or per pixel, `½‖x − b‖²` and the loss `½‖x − x†‖²`.
 */
export function denoising(kind: 'gradient' | 'filters', isotropic: boolean, seed: number, size = 32): PiggybackProblem {
  const rng = Rng.seeded(seed);
  const target = Float64Array.from({ length: size * size }, (_, p) => {
    const [i, j] = [Math.floor(p / size), p % size];
    return i > size / 3 && i < (2 * size) / 3 && j > size / 4 && j < (3 * size) / 4 ? 0.9 : 0.2;
  });
  const data = target.map((v) => v + 0.1 * rng.normal());
  const K =
    kind === 'gradient'
      ? new ExpScaledOperator(new Gradient2D({ channels: 1, height: size, width: size }), 0)
      : new ConvFilterBank({ inChannels: 1, outChannels: 3, height: size, width: size, kernelSize: 3, boundary: seed % 2 ? 'zero' : 'periodic', kernels: rng.normalVec(27).map((v) => 0.3 * v) });
  const fStar = new HuberConjugate({ shape: K.range, groupSize: isotropic ? (kind === 'gradient' ? 2 : 3) : 1, alpha: ALPHA, epsilon: 0.05 });
  const g = new QuadraticFidelity({ shape: K.domain, data });
  return { K, g, fStar, f: fStar.conjugate(), gStar: g.conjugate(), loss: squaredError(), target };
}

/**
 * The hypergradient `∂_θ[⟨K_θX, y⟩ + ⟨K_θx, Y⟩]` of a parametric `K` at a piggyback state
 * (docs/math/piggyback.md#assembly-with-paramvjp).
 */
export function hypergradient(K: ParametricOperator, s: Pick<SaddleState, 'x' | 'y' | 'X' | 'Y'>): Float64Array {
  const g = new Float64Array(K.params.length);
  K.paramVjp(s.X, s.y, g);
  K.paramVjp(s.x, s.Y, g);
  return g;
}

/** A random bank of `count` `k×k` filters, entries `N(0, scale²)`. */
export function randomBank(count: number, k: number, boundary: FilterBoundary, seed: number, scale = 0.5): Required<FilterBank> {
  return { kernels: Rng.seeded(seed).normalVec(count * k * k).map((v) => v * scale), kernelSize: k, count, boundary };
}

/** `max_i |a_i − r_i| / scale_i`. */
export function maxScaledError(a: ArrayLike<number>, r: ArrayLike<number>, scale: (i: number) => number): number {
  if (a.length !== r.length) throw new Error(`length mismatch ${a.length} vs ${r.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - r[i]!) / scale(i));
  return m;
}

/** `‖v‖∞`. */
export function infNorm(v: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]!));
  return m;
}

/** `max_i |a_i − r_i| / ‖r‖∞` (or `/ scale`). */
export function relInf(a: ArrayLike<number>, r: ArrayLike<number>, scale = infNorm(r)): number {
  return maxScaledError(a, r, () => scale);
}

/** `backend.gradient(x, grid, out)` writes into `out` and returns it, and leaves `x` as it was. */
export async function expectGradientIntoOut(backend: GpuJsBackend, x: Vec, grid: Grid): Promise<void> {
  const copy = x.slice();
  const out = new Float64Array(2 * x.length);
  expect(await backend.gradient(x, grid, out)).toBe(out);
  expect(x).toEqual(copy);
}
