/**
 * A fixed linear operator seen as a parametric one with no parameters, so that the saddle form
 * of every regularizer has a `ParametricOperator` `K` and hypergradient code can call
 * `K.paramVjp` unconditionally.
 * @module
 */
import { assertLength, type LinearOperator, type OperatorNorm, type ParametricOperator, type Shape, type Vec } from '@bilevel/core';
import { normOf } from '@bilevel/prox';

/**
 * `K` with an empty parameter block: `apply`, `adjoint` and `norm` delegate to the wrapped
 * operator, `paramVjp` adds nothing.
 */
export class FixedOperator implements ParametricOperator {
  /** Empty. */
  readonly params = new Float64Array(0);
  /** Domain of the wrapped operator. */
  readonly domain: Shape;
  /** Range of the wrapped operator. */
  readonly range: Shape;

  constructor(readonly operator: LinearOperator) {
    this.domain = operator.domain;
    this.range = operator.range;
  }

  /** `out = K x`. */
  apply(x: Vec, out: Vec): Vec {
    return this.operator.apply(x, out);
  }

  /** `out = Kᵀ y`. */
  adjoint(y: Vec, out: Vec): Vec {
    return this.operator.adjoint(y, out);
  }

  /** The wrapped operator's norm (a power-iteration estimate if it has none). */
  norm(): OperatorNorm {
    return normOf(this.operator);
  }

  /** No names. */
  paramNames(): readonly string[] {
    return [];
  }

  /** Accepts only an empty `θ`. */
  setParams(theta: ArrayLike<number>): void {
    assertLength('FixedOperator.setParams theta', theta, 0);
  }

  /** Nothing to accumulate. */
  paramVjp(_x: Vec, _y: Vec, _grad: Float64Array, _scale?: number): void {}
}

/** `K` as a {@link ParametricOperator}: itself when it is one, else a {@link FixedOperator}. */
export function fixedOperator(K: LinearOperator): ParametricOperator {
  return typeof (K as Partial<ParametricOperator>).paramVjp === 'function' ? (K as ParametricOperator) : new FixedOperator(K);
}
