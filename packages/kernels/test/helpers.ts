/**
 * Shared fixtures of the kernels tests: seeded problems and the error metrics of the float32
 * tolerance tiers (README "Tolerance tiers").
 */
import { expect } from 'vitest';
import { Rng, type Vec } from '@bilevel/core';
import type { ComputeBackend, Grid, SaddleFilterBank, FilterBoundary, OperatorSpec, SaddleSpec } from '@bilevel/kernels';

/** A piecewise-constant target with additive noise, `H×W`, seeded. */
export function denoisingData(H: number, W: number, seed: number, noise = 0.1): { data: Vec; target: Vec } {
  const rng = Rng.seeded(seed);
  const target = new Float64Array(H * W);
  for (let i = 0; i < H; i++) {
    for (let j = 0; j < W; j++) target[i * W + j] = i > H / 3 && i < (2 * H) / 3 && j > W / 4 && j < (3 * W) / 4 ? 0.9 : 0.2;
  }
  const data = target.map((v) => v + noise * rng.normal());
  return { data, target };
}

/** A random bank of `count` `k×k` filters, entries `N(0, scale²)`. */
export function randomBank(count: number, k: number, boundary: FilterBoundary, seed: number, scale = 0.5): SaddleFilterBank {
  return { kernels: Rng.seeded(seed).normalVec(count * k * k).map((v) => v * scale), kernelSize: k, count, boundary };
}

/** A Huber-TV / filter-bank denoising spec. */
export function problem(H: number, W: number, operator: OperatorSpec, isotropic: boolean, seed = 1, alpha = 0.1, epsilon = 0.05): SaddleSpec {
  return { height: H, width: W, operator, alpha, epsilon, isotropic, ...denoisingData(H, W, seed) };
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

/** `⟨a, b⟩` in float64. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** `backend.gradient(x, grid, out)` writes into `out` and returns it, and leaves `x` as it was. */
export async function expectGradientIntoOut(backend: ComputeBackend, x: Vec, grid: Grid): Promise<void> {
  const copy = x.slice();
  const out = new Float64Array(2 * x.length);
  expect(await backend.gradient(x, grid, out)).toBe(out);
  expect(x).toEqual(copy);
}
