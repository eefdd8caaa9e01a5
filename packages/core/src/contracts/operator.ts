/**
 * Linear operators and learnable (parametric) operators.
 * @module
 */
import type { Shape, Vec } from '../vec.js';

/** How trustworthy an operator norm is. */
export type NormKind = 'exact' | 'upper-bound' | 'estimate';

/**
 * An operator norm `‖K‖ = sup ‖Kx‖/‖x‖` together with its provenance: `exact` (closed form),
 * `upper-bound` (a provable bound such as `√8` for the 2-D gradient or `Σ|k|` for a
 * convolution) or `estimate` (power iteration, which approaches the norm from below).
 */
export interface OperatorNorm {
  /** The value of the norm (or of the bound / estimate). */
  readonly value: number;
  /** Whether `value` is exact, an upper bound or an estimate. */
  readonly kind: NormKind;
}

/**
 * A linear map `K: ℝ^domain → ℝ^range` given by its action and its adjoint.
 *
 * `apply` and `adjoint` write into `out` and return it; `out` must not alias the input
 * unless an implementation documents otherwise. Inputs are never mutated.
 */
export interface LinearOperator {
  /** Shape of the input `x`. */
  readonly domain: Shape;
  /** Shape of the output `Kx`. */
  readonly range: Shape;
  /** `out = K x`. */
  apply(x: Vec, out: Vec): Vec;
  /** `out = Kᵀ y`, the adjoint: `⟨Kx, y⟩ = ⟨x, Kᵀy⟩`. */
  adjoint(y: Vec, out: Vec): Vec;
  /** `‖K‖` with its provenance; implementations cache it until their parameters change. */
  norm?(): OperatorNorm;
}

/** An object owning a flat block of learnable parameters `θ`. */
export interface Learnable {
  /** The parameter block `θ` (owned; change it through {@link Learnable.setParams}). */
  readonly params: Float64Array;
  /** One name per entry of `params`, e.g. `filter[3][1,2]` or `log_weight`. */
  paramNames(): readonly string[];
  /** Copy `theta` into `params` and invalidate caches that depend on them (e.g. the norm). */
  setParams(theta: ArrayLike<number>): void;
}

/**
 * A linear operator `K_θ` that depends on learnable parameters `θ`.
 *
 * `paramVjp(x, y, grad, s)` accumulates `grad += s · ∇_θ ⟨K_θ x, y⟩`, the quantity that
 * piggyback (docs/math/piggyback.md#assembly-with-paramvjp) and implicit differentiation need: for a dense matrix
 * it is the outer product `y xᵀ`, for a filter bank the cross-correlation of `y` with `x`.
 */
export interface ParametricOperator extends LinearOperator, Learnable {
  /** `grad += scale · ∇_θ ⟨K_θ x, y⟩` for `x` in the domain and `y` in the range. */
  paramVjp(x: Vec, y: Vec, grad: Float64Array, scale?: number): void;
  /**
   * A constant `C` with `‖∇_θ⟨K_θx, y⟩‖ ≤ C‖x‖‖y‖` for all `x, y`: it maps operator-space error
   * bounds (arXiv 2412.06436, Theorem 2) to parameter space. 1 for a dense matrix (outer
   * product), `k` for a `k×k` filter bank with zero or periodic boundary.
   */
  paramVjpBound?(): number;
}

/** Whether `op` is a {@link ParametricOperator}. */
export function isParametricOperator(op: LinearOperator): op is ParametricOperator {
  return typeof (op as Partial<ParametricOperator>).paramVjp === 'function';
}
