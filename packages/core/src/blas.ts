/**
 * BLAS-like level-1 kernels on `Float64Array`s with explicit lengths (stdlib style).
 *
 * All kernels operate on the first `n` entries, never allocate, and document which arguments
 * may alias. They are the building blocks of the solvers' fused loops.
 * @module
 */
import type { Vec } from './vec.js';

/** `⟨x, y⟩ = Σ_{i<n} x_i y_i`. */
export function dot(n: number, x: Vec, y: Vec): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i]! * y[i]!;
  return s;
}

/**
 * Euclidean norm `‖x‖₂`, scaled to avoid overflow and underflow (the LAPACK `dnrm2` idea:
 * accumulate `(x_i / scale)²` with a running scale).
 */
export function nrm2(n: number, x: Vec): number {
  let scale = 0;
  let ssq = 1;
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    if (v !== 0) {
      const a = Math.abs(v);
      if (scale < a) {
        const r = scale / a;
        ssq = 1 + ssq * r * r;
        scale = a;
      } else {
        const r = a / scale;
        ssq += r * r;
      }
    }
  }
  return scale * Math.sqrt(ssq);
}

/** `‖x − y‖₂` without a temporary. */
export function dist2(n: number, x: Vec, y: Vec): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i]! - y[i]!;
    s += d * d;
  }
  return Math.sqrt(s);
}

/** `max_i |x_i|`. */
export function amax(n: number, x: Vec): number {
  let m = 0;
  for (let i = 0; i < n; i++) {
    const a = Math.abs(x[i]!);
    if (a > m) m = a;
  }
  return m;
}

/** `y ← a·x + b·y` (x and y may alias). */
export function axpby(n: number, a: number, x: Vec, b: number, y: Vec): Vec {
  for (let i = 0; i < n; i++) y[i] = a * x[i]! + b * y[i]!;
  return y;
}

/** `y ← a·x + y` (x and y may alias). */
export function axpy(n: number, a: number, x: Vec, y: Vec): Vec {
  for (let i = 0; i < n; i++) y[i] = y[i]! + a * x[i]!;
  return y;
}

/** `x ← a·x`. */
export function scal(n: number, a: number, x: Vec): Vec {
  for (let i = 0; i < n; i++) x[i] = a * x[i]!;
  return x;
}

/** `y ← x` (first `n` entries). */
export function copy(n: number, x: Vec, y: Vec): Vec {
  if (n === x.length && n === y.length) y.set(x);
  else for (let i = 0; i < n; i++) y[i] = x[i]!;
  return y;
}

/** `x ← a` (first `n` entries). */
export function fill(n: number, a: number, x: Vec): Vec {
  x.fill(a, 0, n);
  return x;
}

/** `out ← x − y` (any of the three may alias). */
export function sub(n: number, x: Vec, y: Vec, out: Vec): Vec {
  for (let i = 0; i < n; i++) out[i] = x[i]! - y[i]!;
  return out;
}

/** Whether every one of the first `n` entries is finite (no NaN, no ±Inf). */
export function allFinite(n: number, x: ArrayLike<number>): boolean {
  for (let i = 0; i < n; i++) if (!Number.isFinite(x[i]!)) return false;
  return true;
}

/**
 * Centre `count` consecutive groups of `size` entries from `offset`, in place: each group
 * `x_g ← x_g − mean(x_g)`, the Euclidean projection onto zero-mean groups (e.g. filters with no
 * response to a constant image).
 */
export function subtractGroupMeans(x: Vec, offset: number, count: number, size: number): Vec {
  for (let g = 0, o = offset; g < count; g++, o += size) {
    let mean = 0;
    for (let t = 0; t < size; t++) mean += x[o + t]!;
    mean /= size;
    for (let t = 0; t < size; t++) x[o + t] = x[o + t]! - mean;
  }
  return x;
}
