/**
 * Central finite-difference checkers with a step-size sweep: the error of a central difference
 * is `O(h²)` truncation plus `O(ε_mach/h)` rounding, so the best step is unknown a priori; the
 * checkers try a sweep and report the best relative error.
 * @module
 */
import { dot, nrm2 } from '../blas.js';
import type { Rng } from '../rng.js';
import type { Vec } from '../vec.js';

/** Default sweep of finite-difference steps (relative to the scale of the point). */
export const FD_STEPS: readonly number[] = [1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 3e-5, 1e-5, 3e-6, 1e-6, 3e-7, 1e-7];

/** Result of a derivative check. */
export interface DerivativeCheck {
  /** Best relative error over the step sweep. */
  readonly relError: number;
  /** Step that achieved it. */
  readonly step: number;
  /** Norm (or absolute value) of the analytic derivative. */
  readonly analytic: number;
  /** Norm (or absolute value) of the numerical derivative at the best step. */
  readonly numeric: number;
}

/** Relative error `|a − b| / max(|a|, |b|, floor)`. */
export function relativeError(a: number, b: number, floor = 1e-300): number {
  const d = Math.abs(a - b);
  return d === 0 ? 0 : d / Math.max(Math.abs(a), Math.abs(b), floor);
}

/** `‖a − b‖₂ / ‖b‖₂`: the distance of `a` from the reference `b`, relative to it. */
export function relativeDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < b.length; i++) {
    d += (a[i]! - b[i]!) ** 2;
    s += b[i]! ** 2;
  }
  return Math.sqrt(d / s);
}

/** `max_i |a_i − b_i|`. */
export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function shifted(x: Vec, d: ArrayLike<number>, t: number, out: Vec): Vec {
  for (let i = 0; i < x.length; i++) out[i] = x[i]! + t * d[i]!;
  return out;
}

/**
 * Check a directional derivative: `φ'(0)` against `(φ(h) − φ(−h)) / 2h` over the step sweep.
 * `floor` is the absolute scale under which differences count as zero.
 */
export function checkScalarDerivative(
  phi: (t: number) => number,
  analytic: number,
  steps: readonly number[] = FD_STEPS,
  floor = 1e-12,
): DerivativeCheck {
  let best: DerivativeCheck = { relError: Infinity, step: NaN, analytic, numeric: NaN };
  for (const h of steps) {
    const numeric = (phi(h) - phi(-h)) / (2 * h);
    const relError = relativeError(analytic, numeric, floor);
    if (relError < best.relError) best = { relError, step: h, analytic, numeric };
  }
  return best;
}

/**
 * Check a gradient: for random unit directions `d`, `⟨grad, d⟩` against central differences of
 * `f(x + t d)`. Returns the worst direction's best-step result.
 */
export function checkGradient(
  f: (x: Vec) => number,
  grad: Vec,
  x: Vec,
  rng: Rng,
  options: { directions?: number; steps?: readonly number[]; floor?: number } = {},
): DerivativeCheck {
  const { directions = 3, steps = FD_STEPS, floor = 1e-12 } = options;
  const n = x.length;
  const tmp = new Float64Array(n);
  let worst: DerivativeCheck = { relError: 0, step: NaN, analytic: 0, numeric: 0 };
  for (let k = 0; k < directions; k++) {
    const d = rng.normalVec(n);
    const s = 1 / nrm2(n, d);
    for (let i = 0; i < n; i++) d[i] = d[i]! * s;
    const r = checkScalarDerivative((t) => f(shifted(x, d, t, tmp)), dot(n, grad, d), steps, floor);
    if (r.relError >= worst.relError) worst = r;
  }
  return worst;
}

/**
 * Check a Jacobian-vector product: `jvp` (the analytic `DF(x)·dx`) against
 * `(F(x + h dx) − F(x − h dx)) / 2h`, error in the 2-norm relative to `max(‖jvp‖, ‖fd‖)`.
 * `F` must return a fresh array (or one it does not reuse between calls).
 */
export function checkJvp(
  F: (x: Vec) => Vec,
  x: Vec,
  dx: Vec,
  jvp: Vec,
  options: { steps?: readonly number[]; floor?: number } = {},
): DerivativeCheck {
  const { steps = FD_STEPS, floor = 1e-12 } = options;
  const n = x.length;
  const m = jvp.length;
  const tmp = new Float64Array(n);
  const fd = new Float64Array(m);
  const a = nrm2(m, jvp);
  let best: DerivativeCheck = { relError: Infinity, step: NaN, analytic: a, numeric: NaN };
  for (const h of steps) {
    const plus = Float64Array.from(F(shifted(x, dx, h, tmp)));
    const minus = F(shifted(x, dx, -h, tmp));
    let err = 0;
    for (let i = 0; i < m; i++) {
      fd[i] = (plus[i]! - minus[i]!) / (2 * h);
      const e = fd[i]! - jvp[i]!;
      err += e * e;
    }
    const b = nrm2(m, fd);
    const scale = Math.max(a, b, floor);
    const relError = Math.sqrt(err) === 0 ? 0 : Math.sqrt(err) / scale;
    if (relError < best.relError) best = { relError, step: h, analytic: a, numeric: b };
  }
  return best;
}
