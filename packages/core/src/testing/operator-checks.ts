/**
 * Checks for linear operators: the normalised dot-product (adjoint) test, the norm test and the
 * parameter-VJP finite-difference test.
 * @module
 */
import { dot, nrm2 } from '../blas.js';
import type { LinearOperator, ParametricOperator } from '../contracts/operator.js';
import { powerIteration } from '../norm.js';
import type { Rng } from '../rng.js';
import { shapeSize, type Vec } from '../vec.js';
import { checkGradient, type DerivativeCheck } from './fd.js';

/**
 * Normalised adjoint error `|⟨Kx, y⟩ − ⟨x, Kᵀy⟩| / max(‖Kx‖‖y‖, ‖x‖‖Kᵀy‖)` (CIL `dot_test`
 * normalisation, scale-free), maximised over `trials` random pairs.
 */
export function adjointError(K: LinearOperator, rng: Rng, trials = 5): number {
  const n = shapeSize(K.domain);
  const m = shapeSize(K.range);
  const Kx = new Float64Array(m);
  const Kty = new Float64Array(n);
  let worst = 0;
  for (let t = 0; t < trials; t++) {
    const x = rng.normalVec(n);
    const y = rng.normalVec(m);
    K.apply(x, Kx);
    K.adjoint(y, Kty);
    const lhs = dot(m, Kx, y);
    const rhs = dot(n, x, Kty);
    const scale = Math.max(nrm2(m, Kx) * nrm2(m, y), nrm2(n, x) * nrm2(n, Kty), 1e-300);
    worst = Math.max(worst, Math.abs(lhs - rhs) / scale);
  }
  return worst;
}

/** Result of {@link checkNorm}. */
export interface NormCheck {
  /** The norm the operator reports. */
  readonly reported: number;
  /** A tight reference computed by a long power iteration. */
  readonly reference: number;
  /** Whether the report is consistent with its kind (see {@link checkNorm}). */
  readonly pass: boolean;
}

/**
 * Compare `K.norm()` with a long power iteration (the reference, from below):
 * `exact` must agree to `rtol`, `upper-bound` must be `≥ reference·(1 − rtol)`,
 * `estimate` must agree to `estimateRtol`.
 */
export function checkNorm(K: LinearOperator, options: { rtol?: number; estimateRtol?: number; seed?: number } = {}): NormCheck {
  const { rtol = 1e-6, estimateRtol = 1e-3, seed = 12345 } = options;
  if (!K.norm) throw new Error('operator has no norm()');
  const { value, kind } = K.norm();
  const reference = powerIteration(K, { seed, maxIter: 5000, rtol: 1e-13 }).value;
  const pass =
    kind === 'exact'
      ? Math.abs(value - reference) <= rtol * Math.max(reference, 1e-300)
      : kind === 'upper-bound'
        ? value >= reference * (1 - rtol)
        : Math.abs(value - reference) <= estimateRtol * Math.max(reference, 1e-300);
  return { reported: value, reference, pass };
}

/**
 * Check `paramVjp` against central differences of `θ ↦ ⟨K_θ x, y⟩` in random parameter
 * directions. The operator's parameters are restored afterwards.
 */
export function checkParamVjp(K: ParametricOperator, rng: Rng, options: { directions?: number } = {}): DerivativeCheck {
  const n = shapeSize(K.domain);
  const m = shapeSize(K.range);
  const x = rng.normalVec(n);
  const y = rng.normalVec(m);
  const theta0 = Float64Array.from(K.params);
  const Kx = new Float64Array(m);
  const phi = (theta: Vec): number => {
    K.setParams(theta);
    return dot(m, K.apply(x, Kx), y);
  };
  const grad = new Float64Array(theta0.length);
  K.paramVjp(x, y, grad, 1);
  try {
    return checkGradient(phi, grad, theta0, rng, options);
  } finally {
    K.setParams(theta0);
  }
}

/**
 * Relative discrepancy between `paramVjp(x, y, g, s)` called once with `s = 2` and twice with
 * `s = 1` into the same buffer: the contract is to accumulate `grad += s·…`, never overwrite.
 */
export function paramVjpAccumulationError(K: ParametricOperator, rng: Rng): number {
  const x = rng.normalVec(shapeSize(K.domain));
  const y = rng.normalVec(shapeSize(K.range));
  const p = K.params.length;
  const once = new Float64Array(p);
  K.paramVjp(x, y, once, 2);
  const twice = new Float64Array(p);
  K.paramVjp(x, y, twice);
  K.paramVjp(x, y, twice, 1);
  let e = 0;
  for (let i = 0; i < p; i++) e = Math.max(e, Math.abs(once[i]! - twice[i]!));
  return e / Math.max(nrm2(p, once), 1e-300);
}

/**
 * Largest relative violation of `‖∇θ⟨K_θx, y⟩‖ ≤ C‖x‖‖y‖` (`C = K.paramVjpBound()`) over random
 * pairs, including pairs aligned with each other and with constant images (where correlations
 * peak); `≤ 0` when the bound holds on every pair tried.
 */
export function paramVjpBoundViolation(K: ParametricOperator, rng: Rng, trials = 20): number {
  const C = K.paramVjpBound!();
  const n = shapeSize(K.domain);
  const m = shapeSize(K.range);
  const grad = new Float64Array(K.params.length);
  let worst = -Infinity;
  for (let t = 0; t < trials; t++) {
    const x = t % 4 === 1 ? new Float64Array(n).fill(1) : rng.normalVec(n);
    const y = t % 4 === 2 ? new Float64Array(m).fill(1) : t % 4 === 3 ? K.apply(x, new Float64Array(m)) : rng.normalVec(m);
    grad.fill(0);
    K.paramVjp(x, y, grad, 1);
    const lhs = nrm2(grad.length, grad);
    const rhs = C * nrm2(n, x) * nrm2(m, y);
    if (rhs > 0) worst = Math.max(worst, lhs / rhs - 1);
  }
  return worst;
}
