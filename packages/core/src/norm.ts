/**
 * Power iteration for operator norms.
 * @module
 */
import { nrm2, scal } from './blas.js';
import type { LinearOperator, OperatorNorm } from './contracts/operator.js';
import { Rng } from './rng.js';
import { shapeSize } from './vec.js';

/**
 * Safety factor applied to a norm of kind `estimate` wherever an upper bound of `‖K‖` is
 * needed (step rules, error-bound constants): power iteration approaches `‖K‖` from below.
 */
export const NORM_SAFETY = 1.01;

/**
 * The one upper bound of `‖K‖` that step rules and error-bound constants use: the value of an
 * `exact` or `upper-bound` norm, an `estimate` times `safety` (default {@link NORM_SAFETY}).
 * `K.norm()` when the operator reports one, else a seeded power-iteration estimate.
 */
export function normUpperBound(K: LinearOperator, safety = NORM_SAFETY): { readonly value: number; readonly kind: OperatorNorm['kind'] } {
  const n = K.norm ? K.norm() : powerIteration(K);
  return { value: n.kind === 'estimate' ? n.value * safety : n.value, kind: n.kind };
}

/** Options of {@link powerIteration}. */
export interface PowerIterationOptions {
  /** Seed of the random start vector (default 0). */
  readonly seed?: number;
  /** Maximum number of `KᵀK` applications (default 200). */
  readonly maxIter?: number;
  /** Stop when the relative change of the estimate is below this (default 1e-8). */
  readonly rtol?: number;
}

/**
 * Estimate `‖K‖ = √λ_max(KᵀK)` by power iteration on `KᵀK` from a seeded random start.
 * The estimate approaches the norm from below, so it is reported with kind `estimate`;
 * callers that need a safe step size should multiply by a safety factor (e.g. 1.01).
 */
export function powerIteration(K: LinearOperator, options: PowerIterationOptions = {}): OperatorNorm {
  const { seed = 0, maxIter = 200, rtol = 1e-8 } = options;
  const n = shapeSize(K.domain);
  const x = Rng.seeded(seed).normalVec(n);
  const y = new Float64Array(shapeSize(K.range));
  const w = new Float64Array(n);
  scal(n, 1 / nrm2(n, x), x);
  let est = 0;
  for (let k = 0; k < maxIter; k++) {
    K.apply(x, y);
    K.adjoint(y, w);
    const lambda = nrm2(n, w);
    if (lambda === 0) return { value: 0, kind: 'estimate' };
    const next = Math.sqrt(lambda);
    x.set(w);
    scal(n, 1 / lambda, x);
    if (Math.abs(next - est) <= rtol * next) return { value: next, kind: 'estimate' };
    est = next;
  }
  return { value: est, kind: 'estimate' };
}
